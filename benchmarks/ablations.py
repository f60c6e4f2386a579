#!/usr/bin/env python
"""What each default of the fast path is worth (the same model with one default switched off), and XLA.

    python benchmarks/ablations.py                 # about a minute on 2 cores
    python benchmarks/ablations.py --rounds 3      # a quicker look
    python benchmarks/ablations.py --full          # ... and the full-width conv step's convolutions alone

In one process, with ``--threads`` intra- and inter-op threads, on WAE-MMD built as
``benchmarks/step_time.py`` builds it (``step_time.case_config``: the MLP protocol and the WAE
paper's conv networks at 1/8 width, 100 scikit-learn digits resized to 28x28, nothing
downloaded). Each variant's compiled ``train_function`` is called in rotating rounds; ms/step is
a call's time divided by its steps. Variants:

* ``default``: the library as it is;
* ``keras_adam``: Keras' own Adam (same settings) instead of ``vegan_tf.optimizers.Adam``;
* ``one_step_per_call``: ``steps_per_execution=1``;
* ``xla`` (MLP): the step compiled by XLA (``train.jit_compile="on"``; off by default on a CPU);
* ``no_batch_norm`` (MLP): the network without its batch norm layers (``model.batch_norm=False``),
  what the recipe's batch norm costs;
* ``keras_batch_norm`` (conv): every batch norm layer through Keras' ops, not the fused kernel;
* ``bf16`` (conv): ``model.mixed_precision=True``.

It also times the MLP step's matrix products alone (forward and backward of 784-512-16-512-784
at batch 100, eleven products, as one ``tf.function``) and a 2048x2048 float32 product: the
step's matmul floor and the machine's matmul limit of ``step_time.py``'s "% matmul limit". With
``--full``, the convolutions of the full-width conv step alone (``convolutions``): that step's floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import harness

VARIANTS = {"mlp": ("default", "keras_adam", "one_step_per_call", "xla", "no_batch_norm"),
            "conv_small": ("default", "keras_adam", "keras_batch_norm", "bf16")}


def build(variant, case, x):
    """``run(n) -> per-step seconds`` of one variant of WAE-MMD on ``case``."""
    import keras
    import tensorflow as tf

    import step_time
    from vegan_tf import workdir
    from vegan_tf.networks.layers import BatchNormalization

    keras.utils.set_random_seed(0)
    config = step_time.case_config("wae_mmd", case)
    if variant == "bf16":
        config.model.mixed_precision = True
    if variant == "no_batch_norm":
        config.model.batch_norm = False
    if variant == "one_step_per_call":
        config.train.steps_per_execution = 1
    if variant == "xla":
        config.train.jit_compile = "on"
    model = workdir.build_model(config)
    if variant == "keras_adam":
        ours = model.optimizer
        model.compile(keras.optimizers.Adam(float(ours.learning_rate), beta_1=ours.beta_1, beta_2=ours.beta_2,
                                            epsilon=ours.epsilon), steps_per_execution=model.steps_per_execution,
                      jit_compile=model.jit_compile)
    if variant == "keras_batch_norm":
        for layer in model._flatten_layers():
            if isinstance(layer, BatchNormalization):
                layer._fusable = lambda inputs, mask: False  # Keras' call, on the same variables
    model.make_train_function()
    iterator = iter(tf.data.Dataset.from_tensors(x).repeat())
    k = model.steps_per_execution

    def run(n):
        wall, _, _ = harness.timed_loop(lambda: float(model.train_function(iterator)["loss"]), max(1, n // k))
        return [w / k for w in wall]

    run(3 * k)  # traces; the first calls after tracing are slower still
    return run


def matmuls():
    """``(mlp floor run, its FLOPs, 2048² run, its FLOPs)``: the MLP step's eleven products and one big one."""
    import tensorflow as tf

    batch, widths = 100, (784, 512, 16, 512, 784)
    x = tf.random.normal((batch, widths[0]))
    w = [tf.random.normal((a, b)) * 0.01 for a, b in zip(widths, widths[1:])]

    @tf.function
    def step():
        h = [x]
        for weight in w:  # forward
            h.append(h[-1] @ weight)
        grad, total = h[-1], 0.0
        for i in reversed(range(len(w))):  # backward: the weight's gradient, and the input's but for the first
            total += tf.reduce_sum(tf.matmul(h[i], grad, transpose_a=True))
            if i:
                grad = tf.matmul(grad, w[i], transpose_b=True)
        return total

    flops = 2 * batch * sum(a * b for a, b in zip(widths, widths[1:])) * 3 - 2 * batch * widths[0] * widths[1]
    a, b = tf.random.normal((2048, 2048)), tf.random.normal((2048, 2048))
    big = tf.function(lambda: tf.reduce_sum(a @ b))
    for f in (step, big):
        f()
    return (lambda n: harness.timed_loop(lambda: float(step()), n)[0], flops,
            lambda n: harness.timed_loop(lambda: float(big()), n)[0], 2 * 2048 ** 3)


def convolutions():
    """``(run, FLOPs)``: the convolutions of a WAE-MMD step at full width alone (``--full``).

    The WAE paper's MNIST networks (``config.wae_mnist_setting``), batch 100: the encoder's four
    4x4 stride-2 convolutions 1 -> 128 -> 256 -> 512 -> 1024 and the decoder's transposed
    convolutions 1024 -> 512 -> 256 (stride 2) -> 1 (stride 1), each forward and backward (kernel
    gradient, and input gradient but for the first), chained as in the step, in one ``tf.function``
    without batch norm, activations or dense layers: what the step's convolutions cost at least.
    """
    import tensorflow as tf

    n, k = 100, 4
    encoder = [(28, 1, 128), (14, 128, 256), (7, 256, 512), (4, 512, 1024)]  # (input size, in, out)
    decoder = [(7, 1024, 512, 2), (14, 512, 256, 2), (28, 256, 1, 1)]  # (input size, in, out, stride)
    enc_w = [tf.Variable(tf.random.normal((k, k, a, b)) * 0.01) for _, a, b in encoder]
    dec_w = [tf.Variable(tf.random.normal((k, k, b, a)) * 0.01) for _, a, b, _ in decoder]
    x = tf.random.normal((n, 28, 28, 1))
    h = tf.random.normal((n, 7, 7, 1024))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(h)  # the decoder's first input gradient flows on to its dense layer in the step
            y = x
            for w in enc_w:
                y = tf.nn.conv2d(y, w, 2, "SAME")
            z = h
            for w, (size, _, out, stride) in zip(dec_w, decoder):
                z = tf.nn.conv2d_transpose(z, w, (n, size * stride, size * stride, out), stride, "SAME")
            loss = tf.reduce_sum(tf.square(y)) + tf.reduce_sum(tf.square(z))
        return sum(tf.reduce_sum(g) for g in tape.gradient(loss, [h, *enc_w, *dec_w]))

    size_out = [-(-size // 2) for size, _, _ in encoder]
    flops = sum(3 * 2 * n * o * o * k * k * a * b for o, (_, a, b) in zip(size_out, encoder))
    flops -= 2 * n * size_out[0] ** 2 * k * k * encoder[0][1] * encoder[0][2]  # no input gradient of the data
    flops += sum(3 * 2 * n * size * size * k * k * a * b for size, a, b, _ in decoder)
    step()
    return (lambda calls: harness.timed_loop(lambda: float(step()), calls)[0]), flops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rotating rounds (default 10)")
    parser.add_argument("--steps", type=int, default=20, help="steps per variant per round (default 20)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--full", action="store_true",
                        help="also time the full-width conv step's convolutions alone (about 2 s a call)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    from vegan_tf import data

    x = tf.image.resize(data.load_array("digits", "train", limit=100), (28, 28)).numpy().clip(0, 1)
    load_start, started = harness.loadavg(), time.time()
    runs = {(case, v): build(v, case, x) for case, variants in VARIANTS.items() for v in variants}
    floor, floor_flops, big, big_flops = matmuls()
    runs[("mlp", "matmuls only")], runs[("limit", "2048² matmul")] = floor, big
    if args.full:
        runs[("conv_full", "convolutions only")], conv_flops = convolutions()
    times = {key: [] for key in runs}
    order = list(runs)
    for r in range(args.rounds):
        for key in order[r % len(order):] + order[:r % len(order)]:
            times[key] += runs[key]({"limit": 3, "conv_full": 1}.get(key[0], args.steps))
    medians = {key: statistics.median(t) for key, t in times.items()}
    limit = big_flops / medians[("limit", "2048² matmul")] / 1e9
    print(f"\n{harness.machine({'tensorflow': tf.__version__})}")
    print(f"WAE-MMD, {args.threads} threads, {args.rounds} rotating rounds of {args.steps} steps; load average "
          f"{load_start} at start, {harness.loadavg()} at end; {(time.time() - started) / 60:.1f} min.\n")
    rows = []
    for case in VARIANTS:
        base = medians[(case, "default")]
        for (c, v), m in medians.items():
            if c == case and v in VARIANTS[case]:
                rows.append([case, v, f"{1e3 * m:.2f}", f"{100 * (m - base) / base:+.0f}%"])
    rows.append(["mlp", "matmuls only", f"{1e3 * medians[('mlp', 'matmuls only')]:.2f}",
                 f"{floor_flops / medians[('mlp', 'matmuls only')] / 1e9:.0f} GFLOP/s"])
    if args.full:
        m = medians[("conv_full", "convolutions only")]
        rows.append(["conv_full", "convolutions only", f"{1e3 * m:.0f}", f"{conv_flops / m / 1e9:.0f} GFLOP/s"])
    rows.append(["", "2048² matmul", f"{1e3 * medians[('limit', '2048² matmul')]:.1f}", f"{limit:.0f} GFLOP/s"])
    harness.markdown_table(("case", "variant", "median ms/step", "vs default"), rows,
                           right=("median ms/step", "vs default"))


if __name__ == "__main__":
    main()

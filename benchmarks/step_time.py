#!/usr/bin/env python
"""Training-step time of vegan_tf's WAE-MMD against the same network and objective in plain PyTorch.

    python benchmarks/step_time.py                      # digits MLP + reduced-width MNIST DCGAN
    python benchmarks/step_time.py --full               # ... plus the full-width MNIST networks (slow on CPU)
    python benchmarks/step_time.py --cases digits --steps 20 --rounds 10 --threads 1
    python benchmarks/step_time.py --experiments all    # ... plus the diagnostic variants (TF_EXPERIMENTS)

What is timed, per case (see ``CASES``) and per variant:

* ``tf``: the model of ``vegan_tf.train.build_model(config)`` (config file + the case's
  overrides), its compiled train step exactly as ``fit`` runs it:
  ``model.train_function(iterator)`` on an iterator over a fixed in-memory batch
  (``tf.data.Dataset.from_tensors(x).repeat()``), then reading the loss.
* ``tf_xla``: the same, compiled with ``jit_compile=True``.
* ``torch``: the same architecture and objective written in plain PyTorch (eager),
  ``zero_grad / forward / backward / step`` then ``loss.item()``.
* ``torch_compile``: the same with the forward+loss and the Adam step under ``torch.compile``.

Each framework runs in its own worker process (no shared thread pools or allocators),
with the same ``--threads`` for intra- and inter-op parallelism, set before any work. The
variants take turns in many short rounds (the order rotates every round) so that load from
other processes hits all of them alike. Every step is timed on its own; the table gives the
median ms/step over all rounds, the interquartile range, the median CPU time per step, the
speed relative to PyTorch eager and compiled, and the loss at the first and last timed step
(it must decrease). The batch is 100 scikit-learn digits (resized to 28x28 for MNIST
shapes), so that no download is needed.

``--experiments`` adds variants that locate where vegan_tf's step time goes: local copies of
the step with one thing changed (``TF_EXPERIMENTS``). Results and analysis: benchmarks/README.md.

PyTorch is not a dependency of vegan_tf. Without it the vegan_tf numbers are still reported.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import multiprocessing as mp
import os
import platform
import signal
import statistics
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_INSTALL = "pip install torch==2.13.0   (a CPU wheel; see benchmarks/README.md)"

# name: (config file, overrides of config.model, description)
CASES = {
    "digits": ("configs/wae_mmd_digits.py", {},
               "digits 8x8x1, MLP 256-256, d_z=8, batch 100"),
    "mnist_small": ("configs/wae_mmd_mnist.py",
                    {"filters": (16, 32, 64, 128), "decoder_filters": (128, 64, 32)},
                    "MNIST 28x28x1 DCGAN, filters 16-32-64-128 / 128-64-32, BN, d_z=8, batch 100"),
    "mnist_full": ("configs/wae_mmd_mnist.py", {},
                   "MNIST 28x28x1 DCGAN, filters 128-256-512-1024 / 1024-512-256, BN, d_z=8, batch 100"),
}
DEFAULT_CASES = ("digits", "mnist_small")
TF_VARIANTS = ("tf", "tf_xla")
TORCH_VARIANTS = ("torch", "torch_compile")
# Diagnostic variants (--experiments): local copies of vegan_tf's step with one thing changed.
TF_EXPERIMENTS = {
    "tf_no_mmd": "the step without the MMD term (loss = reconstruction only)",
    "tf_mmd_fused": "MMD with the 3 distance matrices stacked: 7 kernel evaluations instead of 21, one weighted sum",
    "tf_lean_step": "vegan_tf's loss_terms in a minimal train_step (no input check, trackers, replica scaling)",
    "tf_plain_step": "a bare tf.function step: same networks, loss and Adam; no replica/seed/tracker machinery",
    "tf_fused_adam": "Adam's update as one ResourceApplyAdam kernel per variable (same formula as Keras 3 Adam)",
    "tf_fused_bn": "batch norm by the fused kernel (FusedBatchNormV3) instead of Keras 3's moments + "
                   "batch_normalization",
    "tf_fused_both": "tf_fused_adam and tf_fused_bn together",
    "tf_all": "tf_fused_adam + tf_fused_bn (where there is batch norm) + tf_spe10 together",
    "tf_inter1": "vegan_tf step with inter_op_parallelism_threads=1",
    "tf_no_iterator": "the same train_function fed a Python iterator of one tensor (as train_on_batch): no tf.data "
                      "iterator, no outer while/Optional function",
    "tf_spe10": "compile(steps_per_execution=10): 10 steps per train_function call (time per call / 10)",
    "tf_fit": "model.fit itself (steps_per_epoch = steps, a callback reading the loss every step like EpochEnd)",
}


# ====================================================================== shared helpers
def load_config(case):
    """The config of ``case``: the config file with the case's overrides (imports vegan_tf)."""
    path, overrides, _ = CASES[case]
    from vegan_tf import config as config_lib

    config = config_lib.from_file(os.path.join(ROOT, path))
    for key, value in overrides.items():
        config.model[key] = value
    config.model.pretrain_encoder = False  # not part of a training step
    return config


def net_spec(config, data_shape):
    """The plain-Python description of the networks and objective that the PyTorch worker rebuilds."""
    m = config.model
    from vegan_tf import divergences

    return {
        "data_shape": tuple(data_shape), "latent_dim": int(m.latent_dim), "arch": m.arch,
        "hidden": tuple(m.get("hidden", (256, 256))), "filters": tuple(m.get("filters", (32, 64))),
        "decoder_filters": tuple(m.get("decoder_filters", (64, 32))), "kernel_size": int(m.get("kernel_size", 4)),
        "batch_norm": bool(m.get("batch_norm", False)), "final_stride": int(m.get("final_stride", 1)),
        "lam": float(m.lam), "prior_scale": float(m.get("prior_scale", 1.0)),
        "kernel_scales": tuple(divergences.WAE_IMQ_SCALES),
        "kernel_base": divergences.wae_imq_base(int(m.latent_dim), float(m.get("prior_scale", 1.0))),
        "cost": m.cost, "cost_scale": m.cost_scale, "kernel": m.kernel,
        "lr": float(config.optimizers.optimizer.learning_rate), "beta_1": float(config.optimizers.optimizer.beta_1),
        "beta_2": float(config.optimizers.optimizer.beta_2), "batch_size": int(config.data.batch_size),
    }


def timed_loop(step, n):
    """Runs ``step() -> loss`` n times; per step: wall seconds, process CPU seconds (all threads), loss."""
    wall, cpu, losses = [], [], []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        loss = step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        losses.append(loss)
    return wall, cpu, losses


class NotApplicable(Exception):
    """An experiment that does not apply to a case (e.g. fused batch norm without batch norm)."""


def instantaneous(means):
    """Per-step values from the running means a Keras ``Mean`` tracker reports (reset at the first one)."""
    out, prev = [], 0.0
    for k, m in enumerate(means, start=1):
        out.append(k * m - (k - 1) * prev)
        prev = m
    return out


# ====================================================================== TensorFlow worker
class TFSide:
    def __init__(self, threads, experiments, inter_op=None):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(inter_op or threads)
        import keras

        import vegan_tf  # noqa: F401  (registers the models)

        self.tf, self.keras = tf, keras
        self.experiments = experiments
        self.runners = {}

    def versions(self):
        return {"tensorflow": self.tf.__version__, "keras": self.keras.__version__}

    def setup(self, case, warmup, variants):
        tf, keras = self.tf, self.keras
        from vegan_tf import data, train

        config = load_config(case)
        shape = data.dataset_info(config.data.name).shape
        batch = config.data.batch_size
        digits = data.load_array("digits", "train", limit=batch)  # [n, 8, 8, 1] in [0, 1], no download
        x = tf.image.resize(digits, shape[:2]).numpy() if tuple(shape[:2]) != (8, 8) else digits
        x = x.clip(0.0, 1.0).astype("float32")
        info = {"spec": net_spec(config, shape), "x": x, "params": None, "setup_s": {}, "errors": {}}
        self.runners = {}
        for variant in variants:
            start = time.perf_counter()
            try:
                keras.utils.set_random_seed(0)
                runner = self._make_runner(variant, config, x)
                runner(warmup)
            except NotApplicable as e:
                print(f"   {variant:14s} not applicable: {e}", file=sys.stderr, flush=True)
                continue
            except Exception as e:  # noqa: BLE001 - reported in the table
                info["errors"][variant] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
                traceback.print_exc(file=sys.stderr)
                continue
            info["setup_s"][variant] = time.perf_counter() - start
            self.runners[variant] = runner
        model = train.build_model(config)
        info["params"] = int(sum(v.numpy().size for v in model.trainable_variables))
        return info

    def _make_runner(self, variant, config, x):
        tf = self.tf
        from vegan_tf import train

        model = train.build_model(config)
        spe = 10 if variant in ("tf_spe10", "tf_all") else 1
        if variant == "tf_xla" or spe > 1:  # (before the patches below: compile makes new optimizers)
            model.compile(**train.make_optimizers(config, model), jit_compile=variant == "tf_xla",
                          steps_per_execution=spe)
        if variant in ("tf_no_mmd", "tf_mmd_fused"):
            _patch_loss(model, variant, tf)
        if variant in ("tf_fused_adam", "tf_fused_both", "tf_all"):
            _patch_adam(model.optimizer, tf)
        if variant in ("tf_fused_bn", "tf_fused_both", "tf_all") and config.model.get("batch_norm", False):
            _patch_batch_norm(model, tf, self.keras)
        elif variant == "tf_fused_bn" or variant == "tf_fused_both":
            raise NotApplicable("the model has no batch norm")
        lean = variant == "tf_lean_step"
        if lean:
            _patch_train_step(model, tf)
        if variant == "tf_plain_step":
            return _plain_step_runner(model, x, tf)
        if variant == "tf_fit":
            return _fit_runner(model, x, tf, self.keras)
        model.make_train_function()
        if variant == "tf_no_iterator":
            iterator = itertools.repeat(tf.constant(x))
        else:
            iterator = iter(tf.data.Dataset.from_tensors(x).repeat())
        if spe > 1:
            def run(n):
                model.reset_metrics()
                wall, cpu, means = timed_loop(lambda: float(model.train_function(iterator)["loss"].numpy()),
                                              max(1, n // spe))
                # one entry per call: the time per step, and the mean loss of the call's steps
                return [t / spe for t in wall], [c / spe for c in cpu], instantaneous(means)

            return run

        def step():
            return float(model.train_function(iterator)["loss"].numpy())  # the tracker's running mean, unless lean

        def run(n):
            model.reset_metrics()
            wall, cpu, values = timed_loop(step, n)
            return wall, cpu, values if lean else instantaneous(values)

        return run

    def run(self, variant, n):
        return self.runners[variant](n)


def _patch_loss(model, variant, tf):
    """Experiments: replace the model's ``loss_terms`` with a variant (same networks, same data)."""
    from vegan_tf import divergences
    from vegan_tf.models.base import PRIOR_SALT

    lam, scales, base = model.lam, model.kernel_scales, model.kernel_base

    def fused_mmd(qz, pz):
        """The same unbiased estimator (n = m) with the three distance matrices stacked: 7 kernel ops, one sum."""
        n = tf.cast(tf.shape(qz)[0], tf.float32)
        d = tf.stack([divergences.squared_distances(qz, qz), divergences.squared_distances(pz, pz),
                      divergences.squared_distances(qz, pz)])  # [3, n, n]
        k = tf.add_n([(base * s) / (base * s + d) for s in scales])  # the multi-scale kernel of each block
        off = 1.0 - tf.eye(tf.shape(qz)[0])
        w = tf.stack([off / (n * (n - 1.0)), off / (n * (n - 1.0)), tf.fill(tf.shape(off), -2.0 / (n * n))])
        return tf.reduce_sum(k * w)

    def loss_terms(x, training):
        z = model.code(x, training=training)
        logits = model.decoder(z, training=training)
        reconstruction = tf.reduce_mean(model.cost(x, model.decoder.activate(logits), logits))
        if variant == "tf_no_mmd":
            penalty = tf.constant(0.0)
        else:
            pz = model.global_normal(tf.shape(z)[0], model.latent_dim, PRIOR_SALT, model.prior_scale)
            penalty = fused_mmd(z, pz)
        loss = reconstruction + lam * penalty
        return loss, {"loss": loss, "reconstruction": reconstruction, "mmd": penalty}

    model.loss_terms = loss_terms


def _patch_adam(opt, tf):
    """Experiment: Keras 3 Adam's update (about 27 small ops per variable) as one fused kernel per variable.

    ``ResourceApplyAdam`` computes lr_t = lr·sqrt(1 − β2^t)/(1 − β1^t), m += (g − m)(1 − β1),
    v += (g² − v)(1 − β2), var −= lr_t·m/(sqrt(v) + ε): the formula of ``keras.optimizers.Adam``.
    The scalars are computed once per step instead of once per variable.
    """
    if opt.amsgrad or opt.weight_decay or opt.clipnorm or opt.global_clipnorm or opt.clipvalue:
        raise NotApplicable("this experiment covers plain Adam only")
    cache = {}

    def update_step(gradient, variable, learning_rate):
        graph = tf.compat.v1.get_default_graph()
        if graph not in cache:
            t = tf.cast(opt.iterations + 1, variable.dtype)
            cache.clear()
            cache[graph] = (tf.cast(learning_rate, variable.dtype), tf.pow(tf.constant(opt.beta_1, variable.dtype), t),
                            tf.pow(tf.constant(opt.beta_2, variable.dtype), t))
        lr, b1_power, b2_power = cache[graph]
        index = opt._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=opt._momentums[index].value.handle, v=opt._velocities[index].value.handle,
            beta1_power=b1_power, beta2_power=b2_power, lr=lr, beta1=tf.constant(opt.beta_1, variable.dtype),
            beta2=tf.constant(opt.beta_2, variable.dtype), epsilon=tf.constant(opt.epsilon, variable.dtype),
            grad=tf.cast(gradient, variable.dtype))

    opt.update_step = update_step


def _patch_batch_norm(model, tf, keras):
    """Experiment: every 4-D ``BatchNormalization`` layer of the model by the fused kernel.

    Training: normalise with the batch statistics (FusedBatchNormV3; gradient FusedBatchNormGradV3),
    update the moving statistics with Keras' momentum; inference: the moving statistics.
    """
    patched = 0
    for layer in model._flatten_layers():
        if not isinstance(layer, keras.layers.BatchNormalization) or layer.axis not in (-1, 3):
            continue

        def call(inputs, training=None, mask=None, layer=layer):
            if len(inputs.shape) != 4:
                raise ValueError("fused batch norm needs 4-D inputs")
            gamma, beta = layer.gamma.value, layer.beta.value
            if training:
                y, mean, var = tf.compat.v1.nn.fused_batch_norm(inputs, gamma, beta, epsilon=layer.epsilon,
                                                                is_training=True)
                m = layer.momentum
                layer.moving_mean.assign(layer.moving_mean * m + mean * (1.0 - m))
                layer.moving_variance.assign(layer.moving_variance * m + var * (1.0 - m))
                return y
            return tf.compat.v1.nn.fused_batch_norm(inputs, gamma, beta, mean=layer.moving_mean.value,
                                                    variance=layer.moving_variance.value, epsilon=layer.epsilon,
                                                    is_training=False)[0]

        layer.call = call
        patched += 1
    if not patched:
        raise NotApplicable("the model has no 4-D batch norm")


def _patch_train_step(model, tf):
    """Experiment: the model's own ``loss_terms`` and optimizer in a minimal ``train_step`` run by ``fit``'s
    train_function: no input check, no loss trackers, no replica scaling; returns the step's loss."""
    variables = model.trainable_variables

    def train_step(data):
        with tf.GradientTape() as tape:
            loss, _ = model.loss_terms(data, training=True)
        model.optimizer.apply(tape.gradient(loss, variables), variables)
        model.step.assign_add(1)
        return {"loss": loss}

    model.train_step = train_step


def _plain_step_runner(model, x, tf):
    """Experiment: the same networks, loss and Adam in a bare ``tf.function`` (no Keras train_function)."""
    from vegan_tf import divergences

    enc, dec, opt = model.encoder, model.decoder, model.optimizer
    variables = model.trainable_variables
    lam, scales, base, d = model.lam, model.kernel_scales, model.kernel_base, model.latent_dim
    seed = tf.Variable([0, 0], dtype=tf.int64)

    @tf.function
    def step(x):
        seed.assign_add([0, 1])
        with tf.GradientTape() as tape:
            z = enc(x, training=True)[0]
            y = tf.sigmoid(dec(z, training=True))
            rec = tf.reduce_mean(tf.reduce_sum(tf.reshape(tf.square(x - y), [tf.shape(x)[0], -1]), axis=1))
            pz = tf.random.stateless_normal(tf.shape(z), seed)
            loss = rec + lam * divergences.mmd(z, pz, "imq", scales, base)
        opt.apply(tape.gradient(loss, variables), variables)
        return loss

    xt = tf.constant(x)
    return lambda n: timed_loop(lambda: float(step(xt).numpy()), n)


def _fit_runner(model, x, tf, keras):
    """Experiment: ``model.fit`` over a repeated in-memory batch; per-step times from batch-end callbacks."""
    dataset = tf.data.Dataset.from_tensors(x).repeat()

    class Clock(keras.callbacks.Callback):
        """Times batch end to batch end (so fit's own work between steps counts); the first from its begin."""

        def on_train_batch_begin(self, batch, logs=None):
            if self.last is None:
                self.last = (time.process_time(), time.perf_counter())

        def on_train_batch_end(self, batch, logs=None):
            self.means.append(float(logs["loss"]))  # a host read every step, as train.EpochEnd does
            now = (time.process_time(), time.perf_counter())
            self.cpu.append(now[0] - self.last[0])
            self.wall.append(now[1] - self.last[1])
            self.last = now

    clock = Clock()

    def run(n):
        clock.wall, clock.cpu, clock.means, clock.last = [], [], [], None
        model.fit(dataset, epochs=1, steps_per_epoch=n, callbacks=[clock], verbose=0, shuffle=False)
        return clock.wall, clock.cpu, instantaneous(clock.means)

    return run


# ====================================================================== PyTorch worker
def same_padding(size, k, s):
    """(before, after) zero padding of TF's padding="same" for a forward convolution."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class TorchSide:
    def __init__(self, threads, omp_wait_policy="passive"):
        if omp_wait_policy != "default":
            # Read by libgomp when torch loads it. PASSIVE: idle OpenMP threads sleep instead of spinning,
            # which on a machine with other load keeps torch's 2-thread steps from collapsing (see README).
            os.environ["OMP_WAIT_POLICY"] = omp_wait_policy.upper()
        import torch

        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)
        self.torch = torch
        self.runners = {}

    def versions(self):
        return {"torch": self.torch.__version__}

    def build(self, spec):
        torch = self.torch
        nn = torch.nn
        h, w, c = spec["data_shape"] if len(spec["data_shape"]) == 3 else (1, 1, spec["data_shape"][0])
        d, k, bn = spec["latent_dim"], spec["kernel_size"], spec["batch_norm"]

        def norm1d(width):
            return [nn.BatchNorm1d(width, eps=1e-3, momentum=0.01)] if bn else []

        def norm2d(ch):
            return [nn.BatchNorm2d(ch, eps=1e-3, momentum=0.01)] if bn else []  # = Keras momentum 0.99, eps 1e-3

        if spec["arch"] == "mlp":
            layers, width = [nn.Flatten()], h * w * c
            for hid in spec["hidden"]:
                layers += [nn.Linear(width, hid, bias=not bn), *norm1d(hid), nn.ReLU()]
                width = hid
            encoder = nn.Sequential(*layers, nn.Linear(width, d))
            layers, width = [], d
            for hid in spec["hidden"]:
                layers += [nn.Linear(width, hid, bias=not bn), *norm1d(hid), nn.ReLU()]
                width = hid
            decoder = nn.Sequential(*layers, nn.Linear(width, h * w * c), nn.Unflatten(1, (c, h, w)))
            return encoder, decoder

        # Encoder: stride-2 "same" convolutions (no bias with BN), BN, ReLU; flatten; dense head.
        layers, ch, size = [], c, h
        for f in spec["filters"]:
            before, after = same_padding(size, k, 2)
            if before == after:
                layers.append(nn.Conv2d(ch, f, k, stride=2, padding=before, bias=not bn))
            else:
                layers += [nn.ZeroPad2d((before, after, before, after)), nn.Conv2d(ch, f, k, stride=2, bias=not bn)]
            layers += [*norm2d(f), nn.ReLU()]
            ch, size = f, -(-size // 2)
        encoder = nn.Sequential(*layers, nn.Flatten(), nn.Linear(ch * size * size, d))

        # Decoder: dense to (h0, w0, f0), ReLU; stride-2 "same" transposed convolutions, BN, ReLU; last one.
        factor = 2 ** (len(spec["decoder_filters"]) - 1) * spec["final_stride"]
        f0, s0 = spec["decoder_filters"][0], h // factor
        layers, ch, size = [nn.Linear(d, s0 * s0 * f0), nn.Unflatten(1, (f0, s0, s0)), nn.ReLU()], f0, s0

        def conv_t(cin, cout, stride, bias, size):
            crop = k - stride  # TF "same": output = stride * input; the full output is larger by k - stride
            if crop % 2 == 0:
                return [nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=crop // 2, bias=bias)]
            return [nn.ConvTranspose2d(cin, cout, k, stride=stride, bias=bias), Crop(crop // 2, size * stride)]

        for f in spec["decoder_filters"][1:]:
            layers += [*conv_t(ch, f, 2, not bn, size), *norm2d(f), nn.ReLU()]
            ch, size = f, size * 2
        layers += conv_t(ch, c, spec["final_stride"], True, size)
        return encoder, nn.Sequential(*layers)

    def setup(self, spec, x_nhwc, warmup, variants):
        torch = self.torch
        x = torch.from_numpy(x_nhwc.transpose(0, 3, 1, 2).copy()) if x_nhwc.ndim == 4 else torch.from_numpy(x_nhwc)
        info = {"setup_s": {}, "errors": {}, "params": None}
        self.runners = {}
        for variant in variants:
            start = time.perf_counter()
            try:
                torch.manual_seed(0)
                runner, params = self._make_runner(variant, spec, x)
                runner(warmup)
            except Exception as e:  # noqa: BLE001 - reported in the table
                info["errors"][variant] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
                traceback.print_exc(file=sys.stderr)
                continue
            info["setup_s"][variant] = time.perf_counter() - start
            info["params"] = params
            self.runners[variant] = runner
        return info

    def _make_runner(self, variant, spec, x):
        torch = self.torch
        if spec["cost"] != "l2sq" or float(spec["cost_scale"]) != 1.0 or spec["kernel"] != "imq":
            raise ValueError("the PyTorch side implements the l2sq cost (scale 1) and the IMQ kernel only")
        encoder, decoder = self.build(spec)
        params = list(encoder.parameters()) + list(decoder.parameters())
        encoder.train(), decoder.train()
        opt = torch.optim.Adam(params, lr=spec["lr"], betas=(spec["beta_1"], spec["beta_2"]), eps=1e-7)  # Keras eps
        lam, scales, base, prior = spec["lam"], spec["kernel_scales"], spec["kernel_base"], spec["prior_scale"]
        n, d = x.shape[0], spec["latent_dim"]
        off = 1.0 - torch.eye(n)

        def sq_dist(a, b):
            d2 = (a * a).sum(1, keepdim=True) + (b * b).sum(1, keepdim=True).T - 2.0 * a @ b.T
            return d2.clamp_min(0.0)

        def mmd(q, p):  # unbiased multi-scale IMQ MMD², n = m
            dqq, dpp, dqp = sq_dist(q, q), sq_dist(p, p), sq_dist(q, p)
            total = 0.0
            for s in scales:
                cs = base * s
                total = total + ((cs / (cs + dqq)) * off).sum() / (n * (n - 1))
                total = total + ((cs / (cs + dpp)) * off).sum() / (n * (n - 1))
                total = total - 2.0 * (cs / (cs + dqp)).sum() / (n * n)
            return total

        def loss_fn(x, pz):
            z = encoder(x)
            y = torch.sigmoid(decoder(z))
            rec = (x - y).square().flatten(1).sum(1).mean()
            return rec + lam * mmd(z, pz)

        def opt_step():
            opt.step()

        if variant == "torch_compile":
            loss_fn = torch.compile(loss_fn)
            opt_step = torch.compile(opt_step)

        def step():
            opt.zero_grad(set_to_none=True)
            pz = prior * torch.randn(n, d)
            loss = loss_fn(x, pz)
            loss.backward()
            opt_step()
            return loss.item()

        return (lambda k: timed_loop(step, k)), int(sum(p.numel() for p in params))

    def run(self, variant, n):
        return self.runners[variant](n)


def _crop_module():
    import torch

    class _Crop(torch.nn.Module):
        def __init__(self, start, size):
            super().__init__()
            self.start, self.size = start, size

        def forward(self, t):
            return t[:, :, self.start:self.start + self.size, self.start:self.start + self.size]

    return _Crop


def Crop(start, size):  # noqa: N802 - a module factory (keeps torch imports lazy)
    return _crop_module()(start, size)


# ====================================================================== worker process loop
def worker(kind, conn, threads, options):
    """Serves (command, *args) requests on ``conn`` until ("quit",)."""
    try:
        if kind == "torch":
            side = TorchSide(threads, options["omp_wait_policy"])
        else:  # "tf", or "tf_inter1": the same with one inter-op thread (an experiment)
            side = TFSide(threads, options["experiments"] if kind == "tf" else [],
                          inter_op=1 if kind == "tf_inter1" else None)
        conn.send(("ok", side.versions()))
    except Exception as e:  # noqa: BLE001
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            os._exit(0)
        if message[0] == "quit":
            os._exit(0)  # skips joining library threads/pools (e.g. Inductor's compile workers)
        try:
            result = getattr(side, message[0])(*message[1:])
            conn.send(("ok", result))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            conn.send(("error", f"{type(e).__name__}: {e}"))


class Worker:
    def __init__(self, kind, threads, options):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker, args=(kind, child, threads, options), daemon=True)
        self.process.start()
        status, self.versions = self.conn.recv()
        if status != "ok":
            self.process.join()
            raise RuntimeError(self.versions)

    def call(self, *message):
        self.conn.send(message)
        status, result = self.conn.recv()
        if status != "ok":
            raise RuntimeError(result)
        return result

    def close(self):
        try:
            self.conn.send(("quit",))
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=10)


# ====================================================================== reporting
def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cpu, os.cpu_count(), affinity


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def quartiles(values):
    q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
    return q[0], q[1], q[2]


def run_case(args, case, workers, experiments):
    """Builds every variant of ``case`` in its worker, then times them in alternating rounds."""
    print(f"== {case}: {CASES[case][2]}", file=sys.stderr, flush=True)
    tf_variants = [v for v in TF_VARIANTS if not (args.no_compile and v == "tf_xla")]
    tf_variants += [v for v in experiments if v != "tf_inter1"]
    torch_variants = [v for v in TORCH_VARIANTS if not (args.no_compile and v == "torch_compile")]
    info = workers["tf"].call("setup", case, args.warmup, tf_variants)
    owners = {v: (workers["tf"], v) for v in tf_variants if v in info["setup_s"]}
    setup_s, errors = dict(info["setup_s"]), dict(info["errors"])
    if "tf_inter1" in workers:
        i1 = workers["tf_inter1"].call("setup", case, args.warmup, ["tf"])
        if "tf" in i1["setup_s"]:
            owners["tf_inter1"] = (workers["tf_inter1"], "tf")
            setup_s["tf_inter1"] = i1["setup_s"]["tf"]
    params = {"tf": info["params"]}
    if "torch" in workers:
        tinfo = workers["torch"].call("setup", info["spec"], info["x"], args.warmup, torch_variants)
        owners.update({v: (workers["torch"], v) for v in torch_variants if v in tinfo["setup_s"]})
        setup_s.update(tinfo["setup_s"])
        errors.update(tinfo["errors"])
        params["torch"] = tinfo["params"]
    for v, s in setup_s.items():
        print(f"   {v:14s} built + {args.warmup} warm-up steps in {s:6.1f} s", file=sys.stderr, flush=True)
    for v, e in errors.items():
        print(f"   {v:14s} FAILED: {e}", file=sys.stderr, flush=True)

    order = list(owners)
    times, cpu, losses = ({v: [] for v in order} for _ in range(3))
    for r in range(args.rounds):
        for v in order[r % len(order):] + order[:r % len(order)]:  # the order rotates every round
            worker, name = owners[v]
            t, c, l = worker.call("run", name, args.steps)
            times[v] += t
            cpu[v] += c
            losses[v].append(l)
        print(f"   round {r + 1}/{args.rounds}: " + ", ".join(
            f"{v} {1e3 * statistics.median(times[v][-args.steps:]):.2f}" for v in order) + " ms/step",
            file=sys.stderr, flush=True)
    return {"times": times, "cpu": cpu, "losses": losses, "errors": errors, "setup_s": setup_s, "params": params}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per variant per round (default 10)")
    parser.add_argument("--warmup", type=int, default=10,
                        help="untimed steps after building each variant (tracing/compilation; default 10)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating rounds (default 10; many short rounds spread other load evenly)")
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES),
                        help=f"comma-separated, from {list(CASES)} (default {','.join(DEFAULT_CASES)})")
    parser.add_argument("--full", action="store_true", help="add mnist_full (the paper's widths; slow on CPU)")
    parser.add_argument("--threads", type=int, default=2,
                        help="intra-op (and inter-op) threads of both frameworks (default 2)")
    parser.add_argument("--no-compile", action="store_true", help="skip tf_xla and torch_compile")
    parser.add_argument("--torch-omp-wait-policy", choices=("passive", "active", "default"), default="passive",
                        help="OMP_WAIT_POLICY of the PyTorch worker (default passive; 'default' leaves the "
                             "environment alone: libgomp then spins, which collapses under other load)")
    parser.add_argument("--experiments", default="",
                        help=f"comma-separated diagnostic variants, 'all' for {list(TF_EXPERIMENTS)}")
    args = parser.parse_args()

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if args.full and "mnist_full" not in cases:
        cases.append("mnist_full")
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; choose from {list(CASES)}")
    experiments = list(TF_EXPERIMENTS) if args.experiments == "all" else [
        e.strip() for e in args.experiments.split(",") if e.strip()]
    if set(experiments) - set(TF_EXPERIMENTS):
        parser.error(f"unknown experiments {sorted(set(experiments) - set(TF_EXPERIMENTS))}")
    options = {"experiments": experiments, "omp_wait_policy": args.torch_omp_wait_policy}

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the workers are stopped too
    load_start = loadavg()
    started = time.time()
    workers = {}
    try:
        workers["tf"] = Worker("tf", args.threads, options)
        if "tf_inter1" in experiments:
            workers["tf_inter1"] = Worker("tf_inter1", args.threads, options)
        if importlib.util.find_spec("torch") is None:
            print(f"PyTorch is not installed: reporting vegan_tf only. To compare, install it with\n  {TORCH_INSTALL}",
                  file=sys.stderr)
        else:
            try:
                workers["torch"] = Worker("torch", args.threads, options)
            except RuntimeError as e:
                print(f"PyTorch failed to start ({e}); reporting vegan_tf only.", file=sys.stderr)
        results = {case: run_case(args, case, workers, experiments) for case in cases}
        versions = {k: v for w in workers.values() for k, v in w.versions.items()}
    finally:
        for w in workers.values():
            w.close()
    report(args, cases, results, versions, load_start, loadavg(), time.time() - started)


def report(args, cases, results, versions, load_start, load_end, elapsed):
    cpu, cores, affinity = machine()
    print(f"\nMachine: {cpu}, {cores} logical cores ({affinity} usable); Python {platform.python_version()}; "
          + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"Threads per framework: {args.threads} (PyTorch OMP_WAIT_POLICY: {args.torch_omp_wait_policy}); "
          f"{args.rounds} rounds x {args.steps} timed steps per variant after {args.warmup} warm-up steps; "
          f"load average {load_start} at start, {load_end} at end; {elapsed / 60:.1f} min in all.\n")
    print("| case | variant | median ms/step | p25–p75 | CPU ms/step | speed vs torch | speed vs torch.compile "
          "| loss first → last | setup s |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|")
    for case in cases:
        res = results[case]
        refs = [statistics.median(res["times"][r]) if res["times"].get(r) else None
                for r in ("torch", "torch_compile")]
        for v, t in res["times"].items():
            med = statistics.median(t)
            q1, _, q3 = quartiles(t)
            speeds = " | ".join(f"{ref / med:.2f}x" if ref else "n/a" for ref in refs)
            first, last = res["losses"][v][0][0], res["losses"][v][-1][-1]
            flag = "" if last < first else " (did not decrease!)"
            cpu_med = 1e3 * statistics.median(res["cpu"][v])
            print(f"| {case} | {v} | {1e3 * med:.2f} | {1e3 * q1:.2f}–{1e3 * q3:.2f} | {cpu_med:.2f} | {speeds} | "
                  f"{first:.3f} → {last:.3f}{flag} | {res['setup_s'].get(v, float('nan')):.1f} |")
        for v, e in res["errors"].items():
            print(f"| {case} | {v} | failed | | | | | {e.replace('|', '/')} | |")
    print("\nspeed vs torch / torch.compile: median ms/step of PyTorch eager / torch.compile ÷ this variant's "
          "(>1: faster than PyTorch). CPU ms/step: median CPU time of the worker process (all threads) per step, "
          "less sensitive to other load than wall time. setup s: building + warm-up steps (tracing / XLA / "
          "Inductor compilation).")
    for case in cases:
        p = results[case]["params"]
        if len(p) > 1 and p.get("tf") != p.get("torch"):
            print(f"WARNING: {case}: trainable parameters differ: {p}")
        elif p.get("tf"):
            print(f"{case}: {p['tf']:,} trainable parameters" + (" in both frameworks." if len(p) > 1 else "."))


if __name__ == "__main__":
    main()

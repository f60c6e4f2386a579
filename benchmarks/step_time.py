#!/usr/bin/env python
"""Training-step time of every recipe against pythae's same model and the same step by hand in Keras and PyTorch.

    VENV/bin/python benchmarks/step_time.py                         # mlp + conv_small, every recipe, 2 threads
    VENV/bin/python benchmarks/step_time.py --full                  # ... plus conv_full (paper widths; WAE-MMD)
    VENV/bin/python benchmarks/step_time.py --cases mlp --recipes wae_mmd,vae --steps 2 --rounds 1   # a smoke run

(VENV: a Python with vegan_tf, torch and pythae, see benchmarks/README.md; without torch the
vegan_tf and Keras rows are still reported.)

Cases (``CASES``), each recipe's ``configs/<recipe>_mnist.py`` with overrides, on a fixed batch
of scikit-learn digits resized to 28x28 in [0, 1] (nothing is downloaded):

* ``mlp``: ``quality.PROTOCOL`` (pythae's MLP 784-512-16, batch 100, constant rate), every recipe;
* ``conv_small``: ``quality.CONV_PROTOCOL`` (the WAE paper's conv networks at 1/8 width, d_z = 8,
  batch 100), for the recipes built on them (``--conv-recipes``);
* ``conv_full`` (``--full``): the configs as they are (paper widths, 22 M parameters, seconds per step), for
  ``--full-recipes`` (WAE-MMD by default), with at most 5 rounds x 2 steps and 1 warm-up step,
  ``steps_per_execution`` 1 (unless ``--steps-per-execution``) and no pipeline measurement.

Variants, each in rotating rounds (the order shifts every round, so other load hits all alike):

* ``tf``: vegan_tf as a user trains it: ``workdir.build_model(config)``, then the compiled
  ``model.train_function(iterator)`` the way ``fit`` calls it, over a fixed in-memory batch, the
  loss read after every call (a host sync, as ``fit``'s callbacks make). A call runs
  ``model.steps_per_execution`` steps (the config's ``train.steps_per_execution``: 10 on one
  device by default; ``--steps-per-execution``): ms/step is the call's time divided by it, the loss is per call.
* ``tf_bf16`` (conv cases): the same with ``model.mixed_precision=True`` (bfloat16 compute).
* ``tf_xla`` (``mlp``): the same with ``train.jit_compile="on"`` (the step compiled by XLA; off by
  default on a CPU), for the recipes XLA can compile (not LSOT).
* ``keras``: the same networks and loss by hand in plain Keras 3 (``keras_reference.py``).
* ``pythae``: pythae's ``WAE_MMD`` / ``VAE`` / ``Adversarial_AE`` on the same networks, stepped as
  pythae's trainers do (``pythae_step.py``), for WAE-MMD, VAE and AAE.
* ``torch``: the same networks and loss by hand in plain PyTorch (``torch_reference.py``), for the
  recipes pythae lacks and for WAE-MMD.

Figures of the ``tf`` row (measured in the same rounds): GFLOP per step (TensorFlow's profiler,
``float_ops`` of the graph of ``tf.function(model.train_step)``; a while loop's body, i.e. the
Sinkhorn iterations, and ``numpy_function`` ops count once or not at all; the graph before grappler, so a
computation it repeats on the same inputs counts each time) and the fraction of the
measured matmul limit it reaches (a 2048x2048 float32 ``tf.matmul`` timed in the same rounds and
threads; the same FLOP count is used for every variant's row); the input pipeline's share (the
step on the training binary's pipeline, ``data.get_dataset`` as ``train._train`` builds it, vs
the in-memory batch); the latent term's share (its forward and gradient alone, as a
``tf.function`` on the step's batch and codes, ÷ the step); peak memory (the worker process's
RSS high-water mark, ``VmHWM``, reset before each variant's timed calls, and its rise over the RSS
before them). Results and their reading: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

import harness
import quality

RECIPES = quality.ROWS
PYTHAE = {"wae_mmd": "WAE_MMD", "vae": "VAE", "aae": "Adversarial_AE"}
TORCH = tuple(r for r in RECIPES if r not in PYTHAE) + ("wae_mmd",)  # hand-written PyTorch where pythae lacks one
# name: (overrides of configs/<recipe>_mnist.py (keys a config lacks are skipped), default recipes, description)
CASES = {
    "mlp": (quality.PROTOCOL, RECIPES, "MNIST 28x28, MLP 784-512-16 (pythae's), batch 100"),
    "conv_small": (quality.CONV_PROTOCOL, quality.CONV_ROWS + ("pot_sinkhorn",),
                   "MNIST 28x28, WAE paper's conv nets at 1/8 width (16-32-64-128 / 128-64-32, BN), d_z 8, batch 100"),
    "conv_full": ({}, ("wae_mmd",), "MNIST 28x28, WAE paper's conv nets (128-256-512-1024 / 1024-512-256, BN), "
                                    "d_z 8, batch 100"),
}
DEFAULT_CASES = ("mlp", "conv_small")
MEASUREMENTS = ("tf_pipeline", "tf_latent", "matmul")  # timed in the rounds, reported as columns of the tf row
VARIANT_SETTINGS = {"tf_bf16": {"model.mixed_precision": True}, "tf_xla": {"train.jit_compile": "on"}}  # of the config
MATMUL_N = 2048
FULL_STEPS, FULL_ROUNDS = 2, 5  # conv_full's caps (several seconds per step), after one warm-up step
TORCH_INSTALL = ("python3.11 -m venv VENV && VENV/bin/pip install -e . torch==2.13.0 pythae   (from the repository "
                 "root; see benchmarks/README.md)")


def _has(config, key):
    node = config
    for part in key.split("."):
        if part not in node:
            return False
        node = node[part]
    return True


def case_config(recipe, case, steps_per_execution=None):
    """``configs/<recipe>_mnist.py`` with the case's overrides; encoder pre-training off (not part of a step)."""
    config = harness.load_config(f"configs/{recipe}_mnist.py")
    if recipe == "lsot":  # the step with its map trained alongside, as the Keras and PyTorch references write it
        from vegan_tf.config import adam

        config.model.update(transport_map="joint", transport_hidden=config.sampler.transport.hidden)
        config.optimizers.transport_optimizer = adam(1e-3, beta_1=0.5)
    overrides = {k: v for k, v in CASES[case][0].items() if _has(config, k)}
    if _has(config, "model.pretrain_encoder"):
        overrides["model.pretrain_encoder"] = False
    if case == "conv_full" and not steps_per_execution:
        steps_per_execution = 1  # a call of 10 steps would take minutes; no overhead to save
    if steps_per_execution:
        overrides["train.steps_per_execution"] = steps_per_execution
    return harness.override(config, overrides)


# ====================================================================== the vegan_tf side
def _critic_spec(net):
    return {"input_shape": tuple(net.input_shape_), "arch": net.arch, "hidden": tuple(net.hidden),
            "filters": tuple(net.filters), "kernel_size": net.kernel_size, "extra_dim": net.extra_dim,
            "first_bias_stddev": float(net.first_bias_stddev)}


def reference_spec(model, recipe, batch):
    """What the hand-written references need to rebuild ``model``'s networks, loss and optimizers (plain Python)."""
    from vegan_tf import divergences, models

    dec, enc = model.decoder, model.encoder
    s = {"recipe": recipe, "data_shape": tuple(model.data_shape), "latent_dim": model.latent_dim, "batch": batch,
         "arch": dec.arch, "hidden": tuple(dec.hidden), "decoder_filters": tuple(dec.decoder_filters),
         "kernel_size": dec.kernel_size, "batch_norm": dec.batch_norm, "final_stride": dec.final_stride,
         "output_activation": dec.output_activation, "prior_scale": model.prior_scale}
    if enc is not None:
        s.update(encoder_kind=enc.kind, noise_dim=enc.noise_dim, filters=tuple(enc.filters))
    opts = model.player_optimizers()
    s["optimizer"] = "adam" if all(type(o).__name__ == "Adam" for o in opts.values()) else "other"
    s["optimizers"] = {name: {"learning_rate": float(o.learning_rate), "beta_1": float(getattr(o, "beta_1", 0.9)),
                              "beta_2": float(getattr(o, "beta_2", 0.999)), "epsilon": float(o.epsilon)}
                       for name, o in opts.items()}
    for role in ("discriminator", "critic", "potential"):
        if getattr(model, role, None) is not None:
            s[role] = _critic_spec(getattr(model, role))
    if isinstance(model, models.POT):
        div = model.divergence
        s.update(cost=model.cost, cost_scale=model.cost_scale, lam=model.lam, divergence=div.name, **div.get_config())
        if div.name == "mmd":
            s["kernel_base"] = divergences.wae_imq_base(model.latent_dim, model.prior_scale)
    elif isinstance(model, models.WGAN):
        s.update(lam=model.lam, n_critic=model.n_critic, penalty=model.penalty, critic_batches=model.critic_batches)
    elif isinstance(model, models.SinkhornGenerator):
        s.update(epsilon=model.epsilon, p=model.p, num_iters=model.num_iters, debiased=model.debiased,
                 objective=model.objective)
    if s.get("divergence", "sinkhorn") == "sinkhorn" and "epsilon" in s:  # the solver's stop (0: num_iters always)
        s["sinkhorn_tol"] = float(s.get("sinkhorn_tol", getattr(model, "sinkhorn_tol", 0.0)) or 0.0)
        s["sinkhorn_eps_scaling"] = float(s.get("sinkhorn_eps_scaling", getattr(model, "sinkhorn_eps_scaling", 0.0))
                                          or 0.0)
    elif isinstance(model, models.LSOT):
        s.update(cost=model.cost, cost_scale=model.cost_scale, transport_fit=model.transport_fit)
    return s


def train_step_flops(model, x):
    """Float operations of one ``train_step`` by TF's profiler on its traced graph (None if it fails)."""
    import tensorflow as tf

    try:
        graph = tf.function(model.train_step).get_concrete_function(tf.TensorSpec(x.shape, tf.float32)).graph
        options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        options["output"] = "none"
        return int(tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops)
    except Exception as e:  # noqa: BLE001 - a missing figure, reported as such
        print(f"   FLOP count failed: {harness.error_line(e)}", file=sys.stderr)
        return None


def latent_term(model, x):
    """``(name, fn)``: ``fn()`` runs the step's latent term alone (forward and gradient) on ``x`` and fixed codes.

    POT models and AAE: the divergence's penalty and its gradient in the codes (the discriminator's
    forward/backward for the adversarial ones, not its own update); the Sinkhorn generator: the
    Sinkhorn divergence between a generated batch and ``x`` and its gradient in the generated
    points; LSOT: the exact assignment of prior draws to the codes; WGAN-GP: n_critic gradient
    penalties with their gradients in the critic's weights.
    """
    import tensorflow as tf

    from vegan_tf import distribute, divergences, models, ot
    from vegan_tf.models.base import Codes

    x = tf.constant(x)
    if isinstance(model, models.POT):
        codes = model.posterior(x, training=True)
        watched = [t for t in codes if t is not None]

        @tf.function
        def fn():
            with tf.GradientTape() as tape:
                tape.watch(watched)
                penalty = model.divergence.penalty(model, x, Codes(*codes), True)
            return penalty, tape.gradient(penalty, watched)

        return model.divergence.name, fn
    if isinstance(model, models.SinkhornGenerator):
        fake = model.decoder.activate(model.decoder(model.prior_draws(x.shape[0]), training=True))

        stop = {k: getattr(model, f"sinkhorn_{k}") for k in ("tol", "eps_scaling")
                if hasattr(model, f"sinkhorn_{k}")}
        stop = {k: v or None for k, v in stop.items()}  # 0 is off, as the model reads it

        @tf.function
        def fn():
            with tf.GradientTape() as tape:
                tape.watch(fake)
                loss = ot.sinkhorn_loss(fake, x, model.epsilon, p=model.p, num_iters=model.num_iters,
                                        debiased=model.debiased, objective=model.objective, **stop)
            return loss, tape.gradient(loss, fake)

        return "sinkhorn", fn
    if isinstance(model, models.LSOT):
        codes = model.code(x, training=False)

        @tf.function
        def fn():
            z, matched = distribute.coupled_rows(model.prior_draws(tf.shape(codes)[0], "global"), codes)
            return tf.reduce_sum(matched - z), None

        return "assignment", fn
    if isinstance(model, models.WGAN):
        fake = model.decoder.activate(model.decoder(model.prior_draws(x.shape[0]), training=True))
        variables = model.critic.trainable_variables

        @tf.function
        def fn():
            total, grads = 0.0, []
            for _ in range(model.n_critic):
                eps = tf.random.uniform([x.shape[0]])
                with tf.GradientTape() as tape:
                    gp = model.lam * tf.reduce_mean(divergences.gradient_penalty(
                        lambda t: model.critic(t, training=True), x, fake, eps))
                grads.append(tape.gradient(gp, variables))
                total += gp
            return total, grads

        return "gradient penalty", fn
    return None, None


class TFSide(harness.Side):
    """The variants ``tf`` and ``keras`` and the measurements ``tf_pipeline``, ``tf_latent``, ``matmul``."""

    def __init__(self, threads):
        super().__init__()
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        import keras

        self.tf, self.keras, self.peaks, self.pipeline_data, self.matmul = tf, keras, {}, None, None

    def versions(self):
        return {"tensorflow": self.tf.__version__, "keras": self.keras.__version__}

    def _digits(self, limit=None):
        """scikit-learn digits resized to 28x28 in [0, 1], float32 NHWC."""
        from vegan_tf import data

        x = data.load_array("digits", "train", limit=limit)
        return self.tf.image.resize(x, (28, 28)).numpy().clip(0.0, 1.0).astype("float32")

    def _pipeline_name(self, data_path):
        """The dataset the pipeline variant reads: ``--data`` or a .npz of the resized digits (uint8, like MNIST's)."""
        if data_path:
            return data_path
        if self.pipeline_data is None:
            import numpy as np

            x = (self._digits()[..., 0] * 255.0).round().astype(np.uint8)
            self.pipeline_data = os.path.join(tempfile.mkdtemp(prefix="step_time_"), "digits28.npz")
            np.savez(self.pipeline_data, x_train=x, x_test=x[:100])
        return self.pipeline_data

    def setup(self, recipe, case, warmup, variants, data_path="", steps_per_execution=None):
        """Builds and warms up ``variants`` of ``recipe`` on ``case``; returns what the other side and table need."""
        from vegan_tf import workdir

        import keras_reference

        tf = self.tf
        self.peaks = {}  # per recipe and case
        config = case_config(recipe, case, steps_per_execution)
        batch = config.data.batch_size
        x = self._digits(limit=batch)
        self.keras.utils.set_random_seed(0)
        model = workdir.build_model(config)
        if model.xla_unsupported:
            variants = [v for v in variants if v != "tf_xla"]
        spec = reference_spec(model, recipe, batch)
        info = {"spec": spec, "x": x, "params": {"tf": sum(int(v.numpy().size) for v in model.trainable_variables)},
                "flops": train_step_flops(model, x), "steps_per_execution": int(getattr(model, "steps_per_execution", 1)
                                                                                 or 1), "latent": None}
        pipeline = self._pipeline_name(data_path)

        def compiled(iterator, m=model):
            m.make_train_function()
            k = int(getattr(m, "steps_per_execution", 1) or 1)

            def run(n):
                m.reset_metrics()  # the step returns the loss tracker's running mean since this reset
                wall, cpu, means = harness.timed_loop(lambda: float(m.train_function(iterator)["loss"]),
                                                      max(1, math.ceil(n / k)))
                return [w / k for w in wall], [c / k for c in cpu], harness.instantaneous(means)

            return run

        def make(variant):
            if variant == "tf":
                return compiled(iter(tf.data.Dataset.from_tensors(x).repeat()))
            if variant in VARIANT_SETTINGS:  # the same config with the variant's settings
                self.keras.utils.set_random_seed(0)
                other = workdir.build_model(harness.override(case_config(recipe, case, steps_per_execution),
                                                             VARIANT_SETTINGS[variant]))
                return compiled(iter(tf.data.Dataset.from_tensors(x).repeat()), other)
            if variant == "tf_pipeline":  # the training binary's pipeline (vegan_tf.train._train's train_data)
                from vegan_tf import data, train

                def dataset():
                    return data.get_dataset(pipeline, "train", batch_size=batch, shuffle=True, seed=config.seed,
                                            repeat=True)

                return compiled(iter(train._same_every_pass(dataset)))
            if variant == "tf_latent":
                name, fn = latent_term(model, x)
                if fn is None:
                    raise ValueError(f"{recipe} has no latent term")
                info["latent"] = name
                return lambda n: harness.timed_loop(lambda: float(fn()[0]), n)
            if variant == "keras":
                self.keras.utils.set_random_seed(0)
                step, variables = keras_reference.build(spec)
                info["params"]["keras"] = sum(int(v.numpy().size) for v in variables)
                xt = tf.constant(x)
                return lambda n: harness.timed_loop(lambda: float(step(xt)), n)
            if variant == "matmul":
                if self.matmul is None:  # built once per worker
                    a, b = tf.random.normal([MATMUL_N, MATMUL_N]), tf.random.normal([MATMUL_N, MATMUL_N])
                    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
                    self.matmul = lambda n: harness.timed_loop(lambda: float(product()), n)
                return self.matmul
            raise ValueError(f"unknown variant {variant!r}")

        info["setup_s"], info["errors"] = self.build(variants, warmup, make)
        return info

    def run(self, variant, n):
        return harness.peak_tracked(self.peaks, variant, lambda: self.runners[variant](n))

    def memory(self):
        return dict(self.peaks)

    def cleanup(self):
        """Removes the temporary .npz of the pipeline measurement."""
        if self.pipeline_data is not None:
            shutil.rmtree(os.path.dirname(self.pipeline_data), ignore_errors=True)
            self.pipeline_data = None


# ====================================================================== the benchmark
def run_pair(args, recipe, case, workers):
    """Builds every variant of ``recipe`` on ``case`` in its worker, then times them in rotating rounds."""
    full = case == "conv_full"
    steps, rounds, warmup = args.steps, args.rounds, args.warmup
    if full:
        steps, rounds, warmup = min(steps, FULL_STEPS), min(rounds, FULL_ROUNDS), min(warmup, 1)
    print(f"== {recipe} / {case}: {CASES[case][2]}", file=sys.stderr, flush=True)
    tf_variants = ["tf", "keras", "tf_latent", "matmul"] + ([] if args.no_pipeline or full else ["tf_pipeline"])
    if case != "mlp" and not args.no_bf16:
        tf_variants.append("tf_bf16")
    if case == "mlp" and not args.no_xla:
        tf_variants.append("tf_xla")
    info = workers["tf"].call("setup", recipe, case, warmup, tf_variants, args.data, args.steps_per_execution)
    owners = {v: workers["tf"] for v in info["setup_s"]}
    res = {"setup_s": dict(info["setup_s"]), "errors": dict(info["errors"]), "params": dict(info["params"]),
           "flops": info["flops"], "spe": info["steps_per_execution"], "latent": info["latent"]}
    torch_variants = (["pythae"] if recipe in PYTHAE else []) + (["torch"] if recipe in TORCH else [])
    if "torch" in workers and torch_variants:
        spec = {**info["spec"], "pythae_nets": args.pythae_nets}
        tinfo = workers["torch"].call("setup", spec, info["x"], warmup, torch_variants)
        owners.update({v: workers["torch"] for v in tinfo["setup_s"]})
        for key in ("setup_s", "errors", "params"):
            res[key].update(tinfo[key])
    for v, s in res["setup_s"].items():
        print(f"   {v:12s} built + {warmup} warm-up steps in {s:6.1f} s", file=sys.stderr, flush=True)
    for v, e in res["errors"].items():
        print(f"   {v:12s} FAILED: {e}", file=sys.stderr, flush=True)

    order = list(owners)
    res.update({key: {v: [] for v in order} for key in ("times", "cpu", "losses")})
    for r in range(rounds):
        for v in order[r % len(order):] + order[:r % len(order)]:  # the order rotates every round
            t, c, loss = owners[v].call("run", v, min(steps, 3) if v == "matmul" else steps)
            res["times"][v] += t
            res["cpu"][v] += c
            res["losses"][v] += loss
        print(f"   round {r + 1}/{rounds}: " + ", ".join(
            f"{v} {1e3 * statistics.median(res['times'][v]):.2f}" for v in order) + " ms", file=sys.stderr, flush=True)
    res["memory"] = {}
    for w in {id(w): w for w in owners.values()}.values():
        res["memory"].update(w.call("memory"))
    return res


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per variant per round (default 10)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed steps after building each variant (tracing; default 3)")
    parser.add_argument("--rounds", type=int, default=10, help="rotating rounds (default 10)")
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES),
                        help=f"comma-separated, from {list(CASES)} (default {','.join(DEFAULT_CASES)})")
    parser.add_argument("--full", action="store_true", help="add conv_full (the paper's widths; slow on CPU)")
    parser.add_argument("--recipes", default=",".join(RECIPES), help="recipes to time (default: all)")
    parser.add_argument("--conv-recipes", default=",".join(CASES["conv_small"][1]),
                        help="recipes of conv_small (default: those on the WAE paper's networks; 'all' for every one)")
    parser.add_argument("--full-recipes", default="wae_mmd", help="recipes of conv_full (default wae_mmd)")
    parser.add_argument("--threads", type=int, default=2,
                        help="intra- and inter-op threads of every worker (default 2)")
    parser.add_argument("--data", default="", help="a .npz (e.g. MNIST) for the input-pipeline measurement "
                                                   "(default: the digits, resized, written to a temporary .npz)")
    parser.add_argument("--steps-per-execution", type=int, default=None,
                        help="sets config.train.steps_per_execution (default: each config's own)")
    parser.add_argument("--pythae-nets", choices=("same", "default"), default="same",
                        help="pythae's networks: vegan_tf's, rebuilt (default), or pythae's own default MLPs "
                             "(mlp case only; they lack vegan_tf's batch norm, and AAE's discriminator is 256 wide)")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the input-pipeline measurement")
    parser.add_argument("--no-torch", action="store_true", help="vegan_tf and Keras only")
    parser.add_argument("--no-xla", action="store_true", help="skip the tf_xla row of the mlp case")
    parser.add_argument("--no-bf16", action="store_true",
                        help="skip the tf_bf16 row of the conv cases (model.mixed_precision=True)")
    parser.add_argument("--torch-omp-wait-policy", choices=("passive", "active", "default"), default="passive",
                        help="OMP_WAIT_POLICY of the PyTorch worker (default passive; see benchmarks/README.md)")
    args = parser.parse_args()

    def names(text, allowed):
        chosen = list(allowed) if text == "all" else [c.strip() for c in text.split(",") if c.strip()]
        unknown = set(chosen) - set(allowed)
        if unknown:
            parser.error(f"unknown {sorted(unknown)}; choose from {list(allowed)}")
        return chosen

    cases = names(args.cases, CASES)
    if args.full and "conv_full" not in cases:
        cases.append("conv_full")
    recipes = names(args.recipes, RECIPES)
    per_case = {"mlp": recipes, "conv_small": [r for r in names(args.conv_recipes, RECIPES) if r in recipes],
                "conv_full": [r for r in names(args.full_recipes, RECIPES) if r in recipes]}

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the workers are stopped too
    load_start, started, workers = harness.loadavg(), time.time(), {}
    results = {}
    try:
        workers["tf"] = harness.Worker("step_time:TFSide", args.threads, {"TF_CPP_MIN_LOG_LEVEL": "3"})
        if args.no_torch:
            pass
        elif importlib.util.find_spec("torch") is None:
            print(f"PyTorch is not installed: reporting vegan_tf and Keras only. To compare, install it with\n"
                  f"  {TORCH_INSTALL}", file=sys.stderr)
        else:
            # PASSIVE: idle OpenMP threads sleep instead of spinning, which keeps PyTorch's steps from
            # collapsing on a machine with other load (benchmarks/README.md). libgomp reads it when torch loads.
            env = {} if args.torch_omp_wait_policy == "default" else {
                "OMP_WAIT_POLICY": args.torch_omp_wait_policy.upper()}
            try:
                workers["torch"] = harness.Worker("torch_reference:TorchSide", args.threads, env)
            except RuntimeError as e:
                print(f"PyTorch failed to start ({e}); reporting vegan_tf and Keras only.", file=sys.stderr)
        for case in cases:
            for recipe in per_case[case]:
                results[(recipe, case)] = run_pair(args, recipe, case, workers)
        versions = {k: v for w in workers.values() for k, v in w.versions.items()}
    finally:
        if "tf" in workers:
            try:
                workers["tf"].call("cleanup")
            except (RuntimeError, OSError, EOFError):
                pass
        for w in workers.values():
            w.close()
    report(args, results, versions, load_start, harness.loadavg(), time.time() - started)


# ====================================================================== the report
def _median(values):
    return statistics.median(values) if values else None


def report(args, results, versions, load_start, load_end, elapsed):
    """The Markdown table of benchmarks/README.md, with the machine, its load, the settings and the targets."""
    limits = [2 * MATMUL_N ** 3 / t / 1e9 for res in results.values() for t in res["times"].get("matmul", [])]
    limit = _median(limits)
    print(f"\n{harness.machine(versions)}")
    print(f"Threads per worker: {args.threads} (PyTorch OMP_WAIT_POLICY: {args.torch_omp_wait_policy}); "
          f"{args.rounds} rounds x {args.steps} timed steps per variant after {args.warmup} warm-up steps "
          f"(conv_full: at most {FULL_ROUNDS} x {FULL_STEPS} after 1); load average {load_start} at start, "
          f"{load_end} at end; {elapsed / 60:.1f} min in all.")
    print(f"Measured matmul limit: {limit:.1f} GFLOP/s (median of {len(limits)} float32 {MATMUL_N}x{MATMUL_N} "
          f"tf.matmul in the rounds, {args.threads} threads).\n" if limit else "Matmul limit: not measured.\n")
    header = ("recipe", "case", "variant", "median ms/step", "p25–p75", "steps/s", "× pythae/torch", "× keras",
              "GFLOP/step", "% matmul limit", "pipeline share", "latent share", "peak RSS MiB (+step)", "params",
              "loss first → last")
    rows, verdicts = [], []
    for (recipe, case), res in results.items():
        med = {v: _median(t) for v, t in res["times"].items()}
        ref = "pythae" if med.get("pythae") else ("torch" if med.get("torch") else None)
        for v in ("tf", "tf_xla", "tf_bf16", "keras", "pythae", "torch"):
            if v in res["errors"]:
                rows.append([recipe, case, v, "failed", "", "", "", "", "", "", "", "", "", "", res["errors"][v]])
                continue
            if not med.get(v):
                continue
            q1, m, q3 = harness.quartiles(res["times"][v])
            flops = res["flops"]
            extra = ["", ""]
            if v == "tf":
                if med.get("tf_pipeline"):
                    extra[0] = f"{100 * (med['tf_pipeline'] - m) / med['tf_pipeline']:+.0f}%"
                if med.get("tf_latent"):
                    extra[1] = f"{100 * med['tf_latent'] / m:.0f}% ({res['latent']})"
            peak = res["memory"].get(v)
            params = res["params"].get(v)
            mark = "" if params in (None, res["params"].get("tf")) else " (≠ tf!)"
            first, last = res["losses"][v][0], res["losses"][v][-1]
            spe = f" (k={res['spe']})" if v in ("tf", "tf_xla", "tf_bf16") and res["spe"] > 1 else ""
            rows.append([recipe, case, v + spe, f"{1e3 * m:.2f}", f"{1e3 * q1:.2f}–{1e3 * q3:.2f}", f"{1 / m:.1f}",
                         f"{med[ref] / m:.2f}x" if ref else "n/a",
                         f"{med['keras'] / m:.2f}x" if med.get("keras") else "n/a",
                         f"{flops / 1e9:.3f}" if flops else "n/a",
                         f"{100 * flops / m / (limit * 1e9):.0f}%" if flops and limit else "n/a",
                         *extra, f"{peak[0]:.0f} (+{peak[1]:.0f})" if peak else "n/a",
                         f"{params:,}{mark}" if params else "n/a", f"{first:.3f} → {last:.3f}"])
        tf_m = med.get("tf")
        if tf_m:
            if med.get("pythae"):
                bar = 1.5 if case.startswith("conv") and recipe == "wae_mmd" else 2.0
                verdicts.append((f"{recipe}/{case}: tf ≥ {bar}x pythae", med["pythae"] / tf_m, bar))
            if med.get("keras"):
                verdicts.append((f"{recipe}/{case}: tf ≥ 1.0x keras", med["keras"] / tf_m, 1.0))
            if med.get("tf_bf16") and med.get("pythae"):
                bar = 1.5 if recipe == "wae_mmd" else 2.0
                verdicts.append((f"{recipe}/{case}: tf_bf16 ≥ {bar}x pythae (float32)", med["pythae"] / med["tf_bf16"],
                                 bar))
            if recipe == "wae_mmd" and case == "mlp" and res["flops"] and limit:
                for v in ("tf", "tf_xla"):
                    if med.get(v):
                        verdicts.append((f"wae_mmd/mlp: {v} ≥ 60% of the matmul limit",
                                         100 * res["flops"] / med[v] / (limit * 1e9), 60.0))
    harness.markdown_table(header, rows, right=header[3:14])
    print("\n× pythae/torch, × keras: the reference's median ms/step ÷ this row's (> 1: faster; pythae where "
          "it has the model, else the hand-written PyTorch step). % matmul limit: the tf step's FLOP count (TF "
          "profiler) ÷ this row's time ÷ the matmul limit. pipeline share: how much slower the tf step is on the "
          "binary's input pipeline than on the in-memory batch, as a share of the former. latent share: the latent "
          "term's forward + gradient alone ÷ the tf step. peak RSS: the worker's high-water mark during the "
          "variant's timed calls (+ its rise over the RSS before them). params: trainable parameters.")
    print("\nTargets (the speed issue):")
    for name, value, bar in verdicts:
        unit = "%" if name.endswith("limit") else "x"
        print(f"  {'PASS' if value >= bar else 'FAIL'}  {name}: {value:.2f}{unit}")


if __name__ == "__main__":
    main()

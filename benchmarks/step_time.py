#!/usr/bin/env python
"""Training-step time of vegan_tf's WAE-MMD against the same network and objective in plain PyTorch.

    python benchmarks/step_time.py                      # digits MLP + reduced-width MNIST DCGAN
    python benchmarks/step_time.py --full               # ... plus the full-width MNIST networks (slow on CPU)
    python benchmarks/step_time.py --cases digits --steps 20 --rounds 10 --threads 1

What is timed, per case (``CASES``) and per variant:

* ``tf``: the model of ``vegan_tf.workdir.build_model(config)`` (config file + the case's
  overrides) and its compiled train step as ``fit`` runs it: ``model.train_function(iterator)``
  on an iterator over a fixed in-memory batch, then reading the loss (a host sync, as ``fit``'s
  callbacks make every step).
* ``tf_xla``: the same, compiled with ``jit_compile=True``.
* ``torch``: the same networks and objective in plain PyTorch, eager (``torch_reference.py``).
* ``torch_compile``: the same with the forward+loss and the Adam step under ``torch.compile``.

Each framework runs in its own worker process with the same ``--threads`` for intra- and
inter-op parallelism. The variants take turns in many short rounds, the order rotating every
round, so that load from other processes hits all of them alike. Every step is timed on its
own; the table gives the median ms/step over all rounds, the interquartile range, the median
CPU time per step, the speed relative to PyTorch eager and compiled, and the loss at the first
and last timed step (it must decrease). The batch is 100 scikit-learn digits (resized to 28x28
for the MNIST shapes), so nothing is downloaded. Without PyTorch the vegan_tf rows are still
reported. Results and analysis: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import statistics
import sys
import time

import harness

TORCH_INSTALL = ("python3.11 -m venv VENV && VENV/bin/pip install -e . torch==2.13.0   (a separate venv, from the "
                 "repository root; see benchmarks/README.md)")

# name: (config file, dotted overrides, description)
CASES = {
    "digits": ("configs/wae_mmd_digits.py", {}, "digits 8x8x1, MLP 256-256, d_z=8, batch 100"),
    "mnist_small": ("configs/wae_mmd_mnist.py",
                    {"model.filters": (16, 32, 64, 128), "model.decoder_filters": (128, 64, 32)},
                    "MNIST 28x28x1 DCGAN, filters 16-32-64-128 / 128-64-32, BN, d_z=8, batch 100"),
    "mnist_full": ("configs/wae_mmd_mnist.py", {},
                   "MNIST 28x28x1 DCGAN, filters 128-256-512-1024 / 1024-512-256, BN, d_z=8, batch 100"),
}
DEFAULT_CASES = ("digits", "mnist_small")
TF_VARIANTS = ("tf", "tf_xla")
TORCH_VARIANTS = ("torch", "torch_compile")


# ====================================================================== the vegan_tf side
def reference_spec(model):
    """What ``torch_reference`` needs to rebuild ``model``'s networks, objective and optimizer (plain Python)."""
    from vegan_tf import divergences

    enc, dec, opt, div = model.encoder, model.decoder, model.optimizer, model.divergence
    return {
        "data_shape": model.data_shape, "latent_dim": model.latent_dim, "arch": dec.arch, "hidden": dec.hidden,
        "filters": enc.filters, "decoder_filters": dec.decoder_filters, "kernel_size": dec.kernel_size,
        "batch_norm": dec.batch_norm, "final_stride": dec.final_stride, "encoder_kind": enc.kind,
        "output_activation": dec.output_activation, "cost": model.cost, "cost_scale": model.cost_scale,
        "lam": model.lam, "prior_scale": model.prior_scale, "kernel": div.kernel, "kernel_scales": div.kernel_scales,
        "kernel_base": divergences.wae_imq_base(model.latent_dim, model.prior_scale),
        "optimizer": type(opt).__name__.lower(), "learning_rate": float(opt.learning_rate),
        "beta_1": float(opt.beta_1), "beta_2": float(opt.beta_2), "epsilon": float(opt.epsilon),
    }


class TFSide(harness.Side):
    """The variants ``tf`` and ``tf_xla`` in the TensorFlow worker process."""

    def __init__(self, threads):
        super().__init__()
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        import keras

        self.tf, self.keras = tf, keras

    def versions(self):
        return {"tensorflow": self.tf.__version__, "keras": self.keras.__version__}

    def setup(self, case, warmup, variants):
        """Builds and warms up ``variants`` of ``case``; returns the batch and spec the PyTorch side needs."""
        from vegan_tf import data, workdir

        path, overrides, _ = CASES[case]
        config = harness.load_config(path, {**overrides, "model.pretrain_encoder": False})  # not part of a step
        shape = data.dataset_info(config.data.name).shape
        x = data.load_array("digits", "train", limit=config.data.batch_size)  # [n, 8, 8, 1] in [0, 1]
        if tuple(shape[:2]) != (8, 8):
            x = self.tf.image.resize(x, shape[:2]).numpy().clip(0.0, 1.0)
        x = x.astype("float32")
        model = workdir.build_model(config)
        setup_s, errors = self.build(variants, warmup, lambda variant: self._runner(variant, config, x))
        return {"spec": reference_spec(model), "x": x, "setup_s": setup_s, "errors": errors,
                "params": sum(int(v.numpy().size) for v in model.trainable_variables)}

    def _runner(self, variant, config, x):
        from vegan_tf import optimizers, workdir

        self.keras.utils.set_random_seed(0)
        model = workdir.build_model(config)
        if variant == "tf_xla":
            model.compile(**optimizers.make_optimizers(config, model), jit_compile=True)
        model.make_train_function()
        iterator = iter(self.tf.data.Dataset.from_tensors(x).repeat())

        def run(n):
            model.reset_metrics()  # the step returns the loss tracker's running mean since this reset
            wall, cpu, means = harness.timed_loop(lambda: float(model.train_function(iterator)["loss"]), n)
            return wall, cpu, harness.instantaneous(means)

        return run


# ====================================================================== the benchmark
def run_case(args, case, workers):
    """Builds every variant of ``case`` in its worker, then times them in alternating rounds."""
    print(f"== {case}: {CASES[case][2]}", file=sys.stderr, flush=True)
    tf_variants = [v for v in TF_VARIANTS if not (args.no_compile and v == "tf_xla")]
    torch_variants = [v for v in TORCH_VARIANTS if not (args.no_compile and v == "torch_compile")]
    info = workers["tf"].call("setup", case, args.warmup, tf_variants)
    owners = {v: workers["tf"] for v in info["setup_s"]}
    setup_s, errors, params = dict(info["setup_s"]), dict(info["errors"]), {"tf": info["params"]}
    if "torch" in workers:
        tinfo = workers["torch"].call("setup", info["spec"], info["x"], args.warmup, torch_variants)
        owners.update({v: workers["torch"] for v in tinfo["setup_s"]})
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
            t, c, loss = owners[v].call("run", v, args.steps)
            times[v] += t
            cpu[v] += c
            losses[v] += loss
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
    args = parser.parse_args()

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if args.full and "mnist_full" not in cases:
        cases.append("mnist_full")
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; choose from {list(CASES)}")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the workers are stopped too
    load_start, started, workers = harness.loadavg(), time.time(), {}
    try:
        workers["tf"] = harness.Worker("step_time:TFSide", args.threads, {"TF_CPP_MIN_LOG_LEVEL": "2"})
        if importlib.util.find_spec("torch") is None:
            print(f"PyTorch is not installed: reporting vegan_tf only. To compare, install it with\n  {TORCH_INSTALL}",
                  file=sys.stderr)
        else:
            # PASSIVE: idle OpenMP threads sleep instead of spinning, which keeps PyTorch's steps from
            # collapsing on a machine with other load (benchmarks/README.md). libgomp reads it when torch loads.
            env = {} if args.torch_omp_wait_policy == "default" else {
                "OMP_WAIT_POLICY": args.torch_omp_wait_policy.upper()}
            try:
                workers["torch"] = harness.Worker("torch_reference:TorchSide", args.threads, env)
            except RuntimeError as e:
                print(f"PyTorch failed to start ({e}); reporting vegan_tf only.", file=sys.stderr)
        results = {case: run_case(args, case, workers) for case in cases}
        versions = {k: v for w in workers.values() for k, v in w.versions.items()}
    finally:
        for w in workers.values():
            w.close()
    report(args, results, versions, load_start, harness.loadavg(), time.time() - started)


def report(args, results, versions, load_start, load_end, elapsed):
    """The Markdown table of benchmarks/README.md, with the machine, its load and the settings."""
    print(f"\n{harness.machine(versions)}")
    print(f"Threads per framework: {args.threads} (PyTorch OMP_WAIT_POLICY: {args.torch_omp_wait_policy}); "
          f"{args.rounds} rounds x {args.steps} timed steps per variant after {args.warmup} warm-up steps; "
          f"load average {load_start} at start, {load_end} at end; {elapsed / 60:.1f} min in all.\n")
    rows = []
    for case, res in results.items():
        refs = [statistics.median(res["times"][r]) if res["times"].get(r) else None
                for r in ("torch", "torch_compile")]
        for v, t in res["times"].items():
            q1, med, q3 = harness.quartiles(t)
            first, last = res["losses"][v][0], res["losses"][v][-1]
            rows.append([case, v, f"{1e3 * med:.2f}", f"{1e3 * q1:.2f}–{1e3 * q3:.2f}",
                         f"{1e3 * statistics.median(res['cpu'][v]):.2f}",
                         *(f"{ref / med:.2f}x" if ref else "n/a" for ref in refs),
                         f"{first:.3f} → {last:.3f}" + ("" if last < first else " (did not decrease!)"),
                         f"{res['setup_s'][v]:.1f}"])
        rows += [[case, v, "failed", "", "", "", "", e, ""] for v, e in res["errors"].items()]
    header = ("case", "variant", "median ms/step", "p25–p75", "CPU ms/step", "speed vs torch",
              "speed vs torch.compile", "loss first → last", "setup s")
    harness.markdown_table(header, rows, right=header[2:7] + header[8:])
    print("\nspeed vs torch / torch.compile: median ms/step of PyTorch eager / torch.compile ÷ this variant's "
          "(>1: faster than PyTorch). CPU ms/step: median CPU time of the worker process (all threads) per step, "
          "less sensitive to other load than wall time. setup s: building + warm-up steps (tracing / XLA / "
          "Inductor compilation).")
    for case, res in results.items():
        p = res["params"]
        if len(p) > 1 and p["tf"] != p["torch"]:
            print(f"WARNING: {case}: trainable parameters differ: {p}")
        else:
            print(f"{case}: {p['tf']:,} trainable parameters" + (" in both frameworks." if len(p) > 1 else "."))


if __name__ == "__main__":
    main()

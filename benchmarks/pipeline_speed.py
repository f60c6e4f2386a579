#!/usr/bin/env python
"""Training speed as users run it: pythae's ``TrainingPipeline`` with its default networks against ``fit``.

    python benchmarks/pipeline_speed.py --data=/path/to/mnist.npz --torch-python=VENV/bin/python

``step_time.py`` times one step on equal networks; this times whole training runs the way each
library's users start them, in one run, the two libraries taking turns (``--rounds``):

* **pythae**: ``benchmarks/pythae_reference.py --time-only``: pythae's ``WAE_MMD``, ``VAE`` and
  ``Adversarial_AE`` built from their configs alone (pythae's default networks: MLP 784-512-d_z
  and d_z-512-784, the AAE's discriminator d_z-256-1), ``TrainingPipeline`` on the training
  images as a float array (pythae's own ``DataLoader`` and trainer loop, the final model saved
  as pythae does), d_z = 16, batch 100, ``--epochs`` epochs. Timed: the pipeline call.
* **vegan_tf, the recipe**: ``configs/<row>_mnist.py`` with the quality protocol's overrides
  (``quality.PROTOCOL``: MLP 784-512-16, batch 100), built and compiled as the training binary
  does (``workdir.build_model``), trained by ``model.fit`` on ``data.get_dataset`` of the same
  ``.npz`` (vegan_tf's own pipeline, shuffled every epoch). Timed: building the dataset and
  ``fit``, tracing included.
* **vegan_tf, pythae's networks**: the same with the recipe's departures from pythae's default
  networks undone (no batch norm; the AAE's discriminator d_z-256-1), named in the table (for a
  recipe without departures, the VAE's, this row is the recipe's).

Each run is a fresh process with ``--threads`` threads; the table gives the median over the
rounds of steps per second, over the whole run (steps / timed wall: start-up, tracing and the
first epoch's warm-up included) and after the first epoch (from the first epoch's end to the
last's, each library's own epoch-end callback), and vegan_tf's ratios to pythae's. What else
differs between the two sides (losses, optimizers, learning rates: none changes a step's
arithmetic by much) is listed under the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import harness

PYTHAE = {"wae_mmd": "WAE_MMD", "vae": "VAE", "aae": "Adversarial_AE"}
#: The settings that give a recipe pythae's default networks (on top of the quality protocol).
PYTHAE_NETWORKS = {"model.batch_norm": False}
PYTHAE_NETWORKS_BY_ROW = {"aae": {"model.critic_hidden": (256,)}}


def recipe_overrides(row, data_path, same_networks):
    import quality

    overrides = {**quality.PROTOCOL, "data.name": data_path}
    if same_networks:
        overrides.update(PYTHAE_NETWORKS, **PYTHAE_NETWORKS_BY_ROW.get(row, {}))
    return overrides


def departures(config):
    """The recipe's departures from pythae's default networks, as the table names them."""
    m, found = config.model, []
    if m.get("batch_norm"):
        found.append("batch norm after each hidden layer")
    critic = tuple(m.get("critic_hidden", ()) or ())
    if "critic_hidden" in m and critic != (256,) and config.model.name == "aae":
        found.append(f"discriminator 16-{'-'.join(map(str, critic))}-1")
    return "; ".join(found) or "none"


def vegan_tf_worker(args):
    """One ``fit`` run in this process; prints its figures as one JSON line."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    from vegan_tf import data, workdir

    keras.utils.set_random_seed(args.seed)
    config = harness.load_config(f"configs/{args.row}_mnist.py",
                                 recipe_overrides(args.row, args.data, args.same_networks))
    model = workdir.build_model(config)
    epoch_ends = []

    class EpochTimes(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            epoch_ends.append(time.perf_counter())

    start = time.perf_counter()
    train = data.get_dataset(args.data, "train", batch_size=config.data.batch_size, shuffle=True, seed=args.seed)
    history = model.fit(train, epochs=args.epochs, verbose=0, callbacks=[EpochTimes()])
    wall = time.perf_counter() - start
    steps = sum(1 for _ in train) * args.epochs
    later = (steps - steps // args.epochs) / (epoch_ends[-1] - epoch_ends[0]) if args.epochs > 1 else None
    print(json.dumps({"wall_s": wall, "steps": steps, "steps_per_s": steps / wall, "later_steps_per_s": later,
                      "loss": float(history.history["loss"][-1]), "departures": departures(config)}))


def run_vegan_tf(row, same_networks, args):
    command = [sys.executable, os.path.abspath(__file__), "--worker", "--row", row, "--data", args.data,
               "--epochs", str(args.epochs), "--threads", str(args.threads), "--seed", str(args.seed)]
    done = subprocess.run(command + ["--same-networks"] * same_networks, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"vegan_tf's {row} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_pythae(row, args):
    with tempfile.TemporaryDirectory(prefix="pythae_speed_") as out:
        command = [args.torch_python, os.path.join(harness.BENCHMARKS, "pythae_reference.py"), "--time-only",
                   "--data", args.data, "--model", PYTHAE[row], "--out", out, "--epochs", str(args.epochs),
                   "--threads", str(args.threads), "--seed", str(args.seed)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"pythae's {PYTHAE[row]} run failed:\n{done.stderr[-3000:]}")
        with open(os.path.join(out, "timing.json")) as f:
            timing = json.load(f)
    return {"wall_s": timing["train_time_s"], "steps": timing["steps"], "steps_per_s": timing["steps_per_s"],
            "later_steps_per_s": timing["later_steps_per_s"], "torch": timing["torch"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="MNIST as a .npz (x_train, y_train, x_test, y_test)")
    parser.add_argument("--torch-python", default="", help="a Python with torch and pythae ('' : vegan_tf rows only)")
    parser.add_argument("--rows", default=",".join(PYTHAE), help=f"of {sorted(PYTHAE)}")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of 600 steps per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each variant, taking turns")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--row", default="", help=argparse.SUPPRESS)
    parser.add_argument("--same-networks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return vegan_tf_worker(args)

    rows = [r for r in args.rows.split(",") if r]
    unknown = sorted(set(rows) - set(PYTHAE))
    if unknown:
        parser.error(f"--rows: {unknown} have no pythae model; choose from {sorted(PYTHAE)}.")
    departed = {row: departures(harness.load_config(f"configs/{row}_mnist.py", recipe_overrides(row, args.data, False)))
                for row in rows}  # a recipe already on pythae's networks has no second vegan_tf variant
    variants = [(row, kind) for row in rows
                for kind in ("pythae",) * bool(args.torch_python) + ("recipe",) + ("same",) * (departed[row] != "none")]
    results = {v: [] for v in variants}
    loads = [harness.loadavg()]
    for r in range(args.rounds):
        shift = r % len(variants)
        for row, kind in variants[shift:] + variants[:shift]:  # rotate the order, so other load hits all alike
            result = run_pythae(row, args) if kind == "pythae" else run_vegan_tf(row, kind == "same", args)
            results[row, kind].append(result)
            print(f"round {r + 1}: {row} {kind}: {result['steps_per_s']:.1f} steps/s", file=sys.stderr, flush=True)
        loads.append(harness.loadavg())

    print(harness.machine())
    print(f"{args.epochs} epochs of MNIST (60,000 images, batch 100) per run, {args.threads} threads, "
          f"median of {args.rounds} rounds; load averages before and after each round: "
          + "; ".join(loads) + "\n")
    table = []

    def speeds(runs):
        return tuple(statistics.median(x[key] for x in runs) if all(x.get(key) for x in runs) else None
                     for key in ("steps_per_s", "later_steps_per_s"))

    def cells(speed, reference):
        return [f"{speed[0]:.1f}", f"{speed[0] / reference[0]:.2f}×" if reference else "",
                f"{speed[1]:.1f}" if speed[1] else "", f"{speed[1] / reference[1]:.2f}×" if reference and speed[1]
                and reference[1] else ""]

    for row in rows:
        reference = speeds(results[row, "pythae"]) if args.torch_python else None
        if reference:
            table.append([row, f"pythae `{PYTHAE[row]}`, `TrainingPipeline`, default networks",
                          *cells(reference, reference), "—"])
        for kind, label in (("recipe", "vegan_tf `fit`, the recipe at the protocol"),
                            ("same", "vegan_tf `fit`, pythae's default networks")):
            runs = results.get((row, kind))
            if runs:
                table.append([row, label, *cells(speeds(runs), reference), runs[0]["departures"]])
    harness.markdown_table(["recipe", "run", "steps/s", "× pythae", "steps/s after epoch 1", "× pythae ",
                            "networks' departures from pythae's defaults"], table,
                           right=("steps/s", "× pythae", "steps/s after epoch 1", "× pythae "))
    print("\nOther differences (not the networks): the losses are each library's own (vegan_tf's WAE-MMD "
          "kernel and λ, pythae's reg_weight), the optimizers are the recipe's Adam (β1 = 0.5; the AAE one per "
          "phase) against pythae's default Adam at 1e-4, and vegan_tf runs 10 steps per compiled call "
          "(`steps_per_execution`, the default of the binary and of `compile`).")


if __name__ == "__main__":
    main()

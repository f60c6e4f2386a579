#!/usr/bin/env python
"""Every model of the zoo on the eight-Gaussians ring, with one budget, as a Markdown table.

    python benchmarks/toy_table.py                                  # all of vegan_tf.models.MODELS
    python benchmarks/toy_table.py --models wgan_gp,lsot --steps 1000
    python benchmarks/toy_table.py --figure docs/figures/toy_eight_gaussians.png

Each model trains through ``vegan_tf.train.train_and_evaluate`` from
``configs/<name>_eight_gaussians.py`` if it exists, else from ``configs/<name>_digits.py``
pointed at the ring. Whatever the file says, every model gets the same budget: the same
number of steps, batch size, network widths (``hidden``, and ``critic_hidden`` /
``transport_hidden`` where the model has them), d_z = 2 and seed; the rest (losses,
penalty weights, learning rates, encoder pre-training) is the model's own config.

Columns: W2 is the exact 2-Wasserstein distance (``metrics.wasserstein2``, POT's network
simplex) between ``--eval-samples`` model samples and as many test points (the first row scores
as many training points the same way: with 2,000 points W2 is mostly the sampling noise of the
modes' counts, so it is the floor a model is compared with); modes and
high-quality share are ``metrics.mode_coverage`` (a sample is high quality within 3 std of a
mode centre; a mode is covered by at least a fifth of its uniform share of high-quality
samples); time is the wall time of ``fit`` (no evaluation, no pre-training), so it depends on
the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
WIDTH_KEYS = ("hidden", "critic_hidden", "transport_hidden")


def load_config(name):
    own = REPO / "configs" / f"{name}_eight_gaussians.py"
    path = own if own.exists() else REPO / "configs" / f"{name}_digits.py"
    from vegan_tf import config  # after the flags: TensorFlow starts slowly

    return config.from_file(path), path.name


def budgeted(config, args):
    """``config`` with the shared budget imposed."""
    config.seed = args.seed
    config.data.name = "eight_gaussians"
    config.data.batch_size = args.batch
    config.model.latent_dim = 2
    for key in WIDTH_KEYS:
        if key in config.model:
            config.model[key] = tuple(args.hidden)
    config.train.num_steps = args.steps
    config.train.steps_per_epoch = args.steps // 4
    config.train.eval_samples = args.eval_samples
    config.train.export = False
    config.train.verbose = 0
    config.train.sample_every_epochs = 10**6  # no TensorBoard grids
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="", help="comma-separated names (default: every registered model)")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--hidden", type=lambda s: [int(w) for w in s.split(",")], default=[256, 256, 256])
    parser.add_argument("--eval-samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default="", help="keep the training workdirs here (default: a temporary dir)")
    parser.add_argument("--figure", default="", help="also write a PNG of every model's samples over the data")
    args = parser.parse_args()
    if args.steps % 4:
        parser.error("--steps must be a multiple of 4 (four epochs, one checkpoint each)")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from vegan_tf import data, metrics, models, train, visualize  # after the flags: TensorFlow starts slowly

    names = args.models.split(",") if args.models else list(models.MODELS)
    root = args.workdir or tempfile.mkdtemp(prefix="toy_table_")
    rows, pictures = [], []
    reference = data.load_array("eight_gaussians", "test", limit=args.eval_samples)
    for name in names:
        config, source = load_config(name)
        config = budgeted(config, args)
        workdir = os.path.join(root, name)
        print(f"{name}: {source}, {args.steps} steps ...", file=sys.stderr, flush=True)
        try:
            result = train.train_and_evaluate(config, workdir)
        except Exception as e:  # noqa: BLE001  one model's failure (e.g. a NaN loss) is a row, not the end
            rows.append((name, source, f"failed: {type(e).__name__}: {str(e).splitlines()[0]}"))
            continue
        rows.append((name, source, result))
        if args.figure:
            model, _ = train.restore_from_workdir(workdir)
            picture = visualize.points_image(model.sample(args.eval_samples, args.seed).numpy(), reference,
                                             extent=2.0)
            pictures.append((name, picture))

    print(f"\nEight Gaussians, {args.steps} steps, batch {args.batch}, widths {tuple(args.hidden)}, d_z = 2, "
          f"seed {args.seed}; {args.eval_samples} samples against as many test points.\n")
    print("| model | config | W2 to data | modes covered | high-quality share | training time (s) |")
    print("|---|---|---|---|---|---|")
    # The floor: as many training points as samples, scored like a model.
    centers, std = data.toy_modes("eight_gaussians")
    points = data.load_array("eight_gaussians", "train", limit=args.eval_samples)
    coverage = metrics.mode_coverage(points, centers, std)
    print(f"| data (training points) | — | {metrics.wasserstein2(points, reference):.3f} | "
          f"{coverage['modes_covered']}/{coverage['num_modes']} | {coverage['high_quality']:.3f} | — |")
    for name, source, r in rows:
        if isinstance(r, str):
            print(f"| {name} | {source} | {r} | | | |")
        else:
            print(f"| {name} | {source} | {r['w2']:.3f} | {r['modes_covered']}/{r['num_modes']} | "
                  f"{r['high_quality']:.3f} | {r['train_time_s']:.0f} |")
    if args.figure:
        strip = np.concatenate([np.pad(p, ((0, 0), (0, 4), (0, 0)), constant_values=255) for _, p in pictures],
                               axis=1)
        visualize.save_png(strip, args.figure)
        print(f"\nSamples (orange) over test points (grey), left to right: {', '.join(n for n, _ in pictures)}: "
              f"{args.figure}")


if __name__ == "__main__":
    main()

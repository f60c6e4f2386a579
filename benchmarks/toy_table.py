#!/usr/bin/env python
"""Every model of the zoo on the eight-Gaussians ring, with one budget, as a Markdown table.

    python benchmarks/toy_table.py                                  # every row of the zoo
    python benchmarks/toy_table.py --models wgan_gp,lsot --steps 1000
    python benchmarks/toy_table.py --figure docs/figures/toy_eight_gaussians.png

The rows of the zoo are the files ``configs/<row>_digits.py``. Each trains through
``vegan_tf.train.train_and_evaluate`` from ``configs/<row>_eight_gaussians.py`` if it exists,
else from ``configs/<row>_digits.py`` pointed at the ring. Whatever the file says, every
model gets the same budget: the same number of steps, batch size, network widths (``hidden``,
and ``critic_hidden`` / ``transport_hidden`` where the model has them; LSOT's map, its
``transport`` sampler, gets them too), d_z = 2 and seed; the
rest (losses, penalty weights, learning rates, encoder pre-training) is the model's own config.

Columns: W2 is the exact 2-Wasserstein distance (``metrics.wasserstein2``, POT's network
simplex) between ``--eval-samples`` model samples and as many test points (the first row scores
as many training points the same way: with 2,000 points W2 is mostly the sampling noise of the
modes' counts, so it is the floor a model is compared with); modes and
high-quality share are ``metrics.mode_coverage`` (a sample is high quality within 3 std of a
mode centre; a mode is covered by at least a fifth of its uniform share of high-quality
samples); time is the wall time of ``fit`` (no evaluation, no pre-training), so it depends on
the machine and its load.

Latent samplers (``--samplers``): every model with an encoder is also sampled from each latent
sampler fitted to its trained model by the binary (the same workdir run again with
``sampler.kind``; no retraining), one column each ("modes / high-quality share"), beside the
modes and high-quality share of its reconstructions of test points: what any sampler can give
at best, with codes where the data puts them. A recipe whose reconstructions miss modes cannot
be rescued by any sampler.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

import harness

CONFIGS = os.path.join(harness.ROOT, "configs")
WIDTH_KEYS = ("hidden", "critic_hidden", "transport_hidden")
SAMPLERS = ("gmm", "transport", "flow_matching")


def zoo_rows():
    """Every ``configs/<row>_digits.py``: the models of ``vegan_tf.models.MODELS`` in its order, then composed rows."""
    from vegan_tf import models

    rows = {name[:-len("_digits.py")] for name in os.listdir(CONFIGS) if name.endswith("_digits.py")}
    registered = [name for name in models.MODELS if name in rows]
    return registered + sorted(rows - set(registered))


def budgeted_config(row, args):
    """The config of ``row`` on the ring with the shared budget imposed, and the file it came from."""
    source = f"{row}_eight_gaussians.py"
    if not os.path.exists(os.path.join(CONFIGS, source)):
        source = f"{row}_digits.py"
    config = harness.load_config(os.path.join("configs", source))
    widths = {f"model.{key}": tuple(args.hidden) for key in WIDTH_KEYS if key in config.model}
    if config.model.get("transport_map") == "sampler":  # LSOT's map is its transport sampler
        del widths["model.transport_hidden"]
        widths["sampler.transport.hidden"] = tuple(args.hidden)
    return harness.override(config, {
        "seed": args.seed, "data.name": "eight_gaussians", "data.batch_size": args.batch, "model.latent_dim": 2,
        **widths, "train.num_steps": args.steps, "train.steps_per_epoch": args.steps // 4,
        "train.eval_samples": args.eval_samples, "train.export": False, "train.verbose": 0,
        "train.sample_every_epochs": 10**6,  # no TensorBoard grids
    }), source


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="", help="comma-separated rows (default: every configs/<row>_digits.py)")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--hidden", type=lambda s: [int(w) for w in s.split(",")], default=[256, 256, 256])
    parser.add_argument("--eval-samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default="", help="keep the training workdirs here (default: a temporary dir)")
    parser.add_argument("--figure", default="", help="also write a PNG of every model's samples over the data")
    parser.add_argument("--samplers", default=",".join(SAMPLERS), help="latent samplers fitted to the auto-encoders")
    args = parser.parse_args()
    if args.steps % 4:
        parser.error("--steps must be a multiple of 4 (four epochs, one checkpoint each)")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from vegan_tf import data, metrics, train, visualize, workdir  # after the flags: TensorFlow starts slowly

    names = args.models.split(",") if args.models else zoo_rows()
    root = args.workdir or tempfile.mkdtemp(prefix="toy_table_")
    rows, pictures = [], []
    reference = data.load_array("eight_gaussians", "test", limit=args.eval_samples)
    # The floor: as many training points as samples, scored like a model.
    centers, std = data.toy_modes("eight_gaussians")
    points = data.load_array("eight_gaussians", "train", limit=args.eval_samples)
    coverage = metrics.mode_coverage(points, centers, std)
    kinds = [k for k in args.samplers.split(",") if k]
    floor = f"{coverage['modes_covered']}/{coverage['num_modes']} / {coverage['high_quality']:.2f}"
    rows.append(["data (training points)", "—", f"{metrics.wasserstein2(points, reference):.3f}",
                 f"{coverage['modes_covered']}/{coverage['num_modes']}", f"{coverage['high_quality']:.3f}", "—",
                 floor, *[floor] * len(kinds)])
    for name in names:
        config, source = budgeted_config(name, args)
        print(f"{name}: {source}, {args.steps} steps ...", file=sys.stderr, flush=True)
        try:
            r = train.train_and_evaluate(config, os.path.join(root, name))
        except Exception as e:  # noqa: BLE001  one model's failure (e.g. a NaN loss) is a row, not the end
            rows.append([name, source, f"failed: {harness.error_line(e)}", "", "", "", "", *[""] * len(kinds)])
            continue
        fitted = []
        if "reconstruction_high_quality" in r:
            for kind in kinds:
                print(f"{name}: fitting the {kind} sampler ...", file=sys.stderr, flush=True)
                f = train.train_and_evaluate(harness.override(config, {"sampler.kind": kind}),
                                             os.path.join(root, name))
                fitted.append(f"{f['modes_covered']}/{f['num_modes']} / {f['high_quality']:.2f}")
        recon = (f"{r['reconstruction_modes_covered']}/{r['num_modes']} / {r['reconstruction_high_quality']:.2f}"
                 if "reconstruction_high_quality" in r else "—")
        rows.append([name, source, f"{r['w2']:.3f}", f"{r['modes_covered']}/{r['num_modes']}",
                     f"{r['high_quality']:.3f}", f"{r['train_time_s']:.0f}", recon,
                     *(fitted or ["—"] * len(kinds))])
        if args.figure:
            model, _ = workdir.load(os.path.join(root, name))
            pictures.append((name, visualize.points_image(model.sample(args.eval_samples, args.seed).numpy(),
                                                          reference, extent=2.0)))

    print(f"\nEight Gaussians, {args.steps} steps, batch {args.batch}, widths {tuple(args.hidden)}, d_z = 2, "
          f"seed {args.seed}; {args.eval_samples} samples against as many test points.\n")
    harness.markdown_table(("model", "config", "W2 to data", "modes covered", "high-quality share",
                            "training time (s)", "reconstructions", *kinds), rows)
    print("\nThe last columns are modes covered / high-quality share: of the reconstructions of test points, "
          "and of the samples of each latent sampler fitted to the trained auto-encoder.")
    print(f"\n{harness.machine({'tensorflow': tf.__version__, 'keras': keras.__version__})}; "
          f"load average {harness.loadavg()} at the end.")
    if args.figure:
        strip = np.concatenate([np.pad(p, ((0, 0), (0, 4), (0, 0)), constant_values=255) for _, p in pictures],
                               axis=1)
        visualize.save_png(strip, args.figure)
        print(f"\nSamples (orange) over test points (grey), left to right: {', '.join(n for n, _ in pictures)}: "
              f"{args.figure}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Sample quality of every recipe and of pythae's models at one budget, scored by one evaluator.

    python benchmarks/quality.py --data=/path/to/mnist.npz --torch-python=/path/to/torch-venv/bin/python
    python benchmarks/quality.py --data=/path/to/mnist.npz --rows=wae_mmd,vae --steps=600   # a quick look
    python benchmarks/quality.py --data=/path/to/mnist.npz --arch=conv --steps=1200         # the conv row
    python benchmarks/quality.py --data=/path/to/mnist.npz --arch=conv --set model.mixed_precision=True --tag=bf16

The protocol (the same for both libraries): MNIST, pythae's default MLP (784-512-d_z /
d_z-512-784, ``model.hidden=(512,)``), d_z = 16, batch 100, ``--steps`` steps (6,000 = 10
epochs) at a constant learning rate. Each vegan_tf recipe is trained by the training binary's
``train_and_evaluate`` from its ``configs/<row>_mnist.py`` with only those settings replaced
(its losses, λ, learning rates, critics and encoder pre-training are its own); pythae's
``WAE_MMD``, ``VAE`` and ``Adversarial_AE`` are trained by ``benchmarks/pythae_reference.py``
in a separate Python with torch and pythae (``--torch-python``; see benchmarks/README.md), at
pythae's default learning rate and at 1e-3.

Every model is scored the same way (``vegan_tf.evaluate`` / ``vegan_tf.metrics.quality``):
1,000 samples against the first 1,000 test images, in the feature space of the shipped MNIST
classifier (``saved_models/feature_nets/mnist``): Fréchet distance (FD), KID, precision and
recall (k = 3), and the sharpness of the samples relative to the test images'. Training time
is the wall time of ``fit`` (vegan_tf) or of pythae's pipeline, on the same machine, one run
after the other. Workdirs are kept (``--workdir``): a row whose ``metrics.json`` exists is not
trained again.

``--arch=conv`` trains the recipes built on the WAE paper's MNIST networks (WAE-MMD, WAE-GAN,
AAE, VAE, AVB) with those networks at an eighth of their widths (``CONV_PROTOCOL``) instead of
the MLP, under ``<workdir>/conv``; pythae's models are not trained in that mode.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import harness

ROWS = ("wae_mmd", "wae_gan", "aae", "vae", "avb", "wgan_gp", "sinkhorn", "lsot", "pot_sinkhorn")
PYTHAE = ("WAE_MMD", "VAE", "Adversarial_AE")
#: The shared protocol, as overrides of each recipe's MNIST config.
PROTOCOL = {"model.arch": "mlp", "model.hidden": (512,), "model.latent_dim": 16, "data.batch_size": 100,
            "schedule.name": "constant", "train.eval_samples": 1000, "train.verbose": 0,
            "train.sample_every_epochs": 10**6}  # exported: benchmarks/zoo.py ships these runs


def budget(steps=6000):
    """The protocol's training length: ``steps`` steps of batch 100 in epochs of a tenth of them."""
    return {"train.num_steps": steps, "train.steps_per_epoch": steps // 10}
#: The convolutional protocol (``--arch=conv``): the WAE paper's MNIST networks (``configs.wae_mnist_setting``:
#: 4x4 stride-2 convolutions with batch norm, d_z = 8) at an eighth of their widths, for the recipes built on them.
CONV_PROTOCOL = {**PROTOCOL, "model.arch": "conv", "model.latent_dim": 8, "model.filters": (16, 32, 64, 128),
                 "model.decoder_filters": (128, 64, 32)}
CONV_ROWS = ("wae_mmd", "wae_gan", "aae", "vae", "avb")
COLUMNS = ("fd", "kid", "precision", "recall", "relative_sharpness", "steps_per_s", "train_time_s")


def train_row(row, args):
    """Trains (or reuses) the row's workdir; returns its metrics."""
    from vegan_tf import train

    conv = args.arch == "conv"
    workdir = os.path.join(args.workdir, *(["conv"] if conv else []), *([args.tag] if args.tag else []), row)
    path = os.path.join(workdir, "metrics.json")
    if not os.path.exists(path):
        overrides = {**(CONV_PROTOCOL if conv else PROTOCOL), "data.name": args.data, **budget(args.steps),
                     **dict(args.set)}
        print(f"{row}: training {args.steps} steps in {workdir} ...", file=sys.stderr, flush=True)
        train.train_and_evaluate(harness.load_config(f"configs/{row}_mnist.py", overrides), workdir)
    with open(path) as f:
        return json.load(f)


def pythae_row(name, learning_rate, args, real):
    """Trains pythae's ``name`` in the torch environment (or reuses its samples) and scores its samples."""
    import numpy as np

    from vegan_tf import metrics
    from vegan_tf.metrics import feature_net, quality

    out = os.path.join(args.workdir, f"pythae_{name}_lr{learning_rate:g}")
    if not os.path.exists(os.path.join(out, "samples.npy")):
        print(f"pythae {name} (lr {learning_rate:g}): training {args.steps // 600} epochs ...", file=sys.stderr,
              flush=True)
        done = subprocess.run([args.torch_python, os.path.join(harness.BENCHMARKS, "pythae_reference.py"),
                               f"--data={args.data}", f"--model={name}", f"--out={out}",
                               f"--epochs={args.steps // 600}", f"--learning-rate={learning_rate}", "--samples=1000"],
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"pythae_reference.py failed for {name}:\n{done.stderr[-3000:]}")
    samples = np.load(os.path.join(out, "samples.npy"))
    with open(os.path.join(out, "timing.json")) as f:
        result = json.load(f)
    net = feature_net.FeatureNet(feature_net.find(args.data))
    result.update(quality.scores(net(real), net(samples)))
    result["relative_sharpness"] = metrics.sharpness(samples) / metrics.sharpness(real)
    return result


def _setting(text):
    """``key=value`` → (key, value), the value read as a Python literal where it is one."""
    import ast

    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="MNIST as a .npz (x_train, y_train, x_test, y_test)")
    parser.add_argument("--rows", default="", help="vegan_tf rows (configs/<row>_mnist.py; default: every row "
                        "of the --arch)")
    parser.add_argument("--arch", default="mlp", choices=("mlp", "conv"),
                        help="mlp: pythae's MLP for every row; conv: the WAE paper's networks at 1/8 width for "
                             f"{', '.join(CONV_ROWS)} (no pythae rows)")
    parser.add_argument("--pythae", default=",".join(PYTHAE), help="pythae models ('' for none)")
    parser.add_argument("--torch-python", default="", help="a Python with torch and pythae (for the pythae rows)")
    parser.add_argument("--steps", type=int, default=6000, help="training steps of batch 100 (a multiple of 600)")
    parser.add_argument("--workdir", default="runs/quality")
    parser.add_argument("--set", action="append", default=[], type=_setting, metavar="KEY=VALUE",
                        help="a config override for every vegan_tf row, e.g. --set model.mixed_precision=True "
                             "(repeatable; use with --tag)")
    parser.add_argument("--tag", default="", help="the rows' workdirs go under <workdir>[/conv]/<tag>/")
    args = parser.parse_args()
    if args.steps % 600:
        parser.error("--steps must be a multiple of 600 (whole epochs, for pythae)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from vegan_tf import data

    args.rows = args.rows or ",".join(CONV_ROWS if args.arch == "conv" else ROWS)
    if args.arch == "conv":
        args.pythae = ""

    rows = [(row, "vegan_tf", train_row(row, args)) for row in filter(None, args.rows.split(","))]
    if args.pythae and args.torch_python:
        real = data.load_array(args.data, "test", limit=1000)
        for name in args.pythae.split(","):
            for lr in (1e-4, 1e-3):
                rows.append((f"{name} (lr {lr:g})", "pythae", pythae_row(name, lr, args, real)))
    elif args.pythae:
        print("No --torch-python: pythae rows skipped.", file=sys.stderr)

    nets = ("DCGAN-style conv 16-32-64-128 / 128-64-32 with batch norm, d_z = 8" if args.arch == "conv"
            else "MLP 784-512-16")
    print(f"\nMNIST, {nets}, batch 100, {args.steps} steps, constant learning rate; 1,000 samples "
          f"against 1,000 test images, features of saved_models/feature_nets/mnist. {harness.machine()}\n")
    table = sorted(rows, key=lambda r: r[2]["fd"])
    harness.markdown_table(("model", "library", "FD", "KID", "precision", "recall", "sharpness / real", "steps/s",
                            "training time (s)"),
                           [(name, lib, *(f"{r[c]:.4g}" for c in COLUMNS)) for name, lib, r in table],
                           right=("FD", "KID", "precision", "recall", "sharpness / real", "steps/s",
                                  "training time (s)"))


if __name__ == "__main__":
    main()

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
recall (k = 3), and the sharpness of the samples relative to the test images'. An auto-encoder
is also scored on its reconstructions: the squared L2 error per test image and the FD of the
reconstructions of 1,000 training images. Training time is the wall time of ``fit`` (vegan_tf)
or of pythae's pipeline, on the same machine, one run after the other.

**Latent samplers** (``--samplers``): every auto-encoding row is sampled from its prior and from
each latent sampler fitted to its trained model by the binary (``--config.sampler.kind=<kind>``
on the finished workdir: no retraining; codes of 20,000 training images; the mixture with 10
components, pythae's default); pythae's models from their prior (``NormalSampler``) and from
pythae's ``GaussianMixtureSampler`` with the same 10 components. A row's best sampler is the one
whose samples are closest (FD) to 1,000 held-out training images, never chosen on the test images
its scores use. ``--seeds`` runs everything once per seed; the table shows the mean over seeds
(per-seed values in ``--json``).

Below the tables, the FD of real training images against the same test images, in sets of
1,000: what a perfect model would score at this sample size (not 0: the FD of two samples of
1,000 is biased upwards, more for the wider of two distributions, and it varies from set to set).

Workdirs are kept (``--workdir``; seed s > 0 under ``seed<s>/``): a row whose metrics exist is
not trained or fitted again (metrics without ``kid_std``, from before KID's subsets shrank, are
scored again by the binary on the finished workdir, keeping their training time).

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

ROWS = ("wae_mmd", "wae_gan", "aae", "vae", "avb", "wgan_gp", "sinkhorn", "sinkhorn_learnt", "lsot", "pot_sinkhorn", "pot_swae")
#: The rows with an encoder, whose codes a latent sampler is fitted to.
AUTOENCODERS = ("wae_mmd", "wae_gan", "aae", "vae", "avb", "lsot", "pot_sinkhorn", "pot_swae")
SAMPLERS = ("prior", "gmm", "transport", "flow_matching")
#: The metrics of how long a row trained: kept when a finished workdir is run again only to fit or score.
TIMING = ("train_time_s", "steps_per_s")
#: The samplers' settings on the protocol: the mixture with pythae's default number of components.
SAMPLER_PROTOCOL = {"sampler.gmm.components": 10, "sampler.fit_examples": 20000}
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


def row_workdir(row, seed, args):
    """``<workdir>[/conv][/<tag>][/seed<s>]/<row>``: seed 0 is the run ``benchmarks/zoo.py`` ships."""
    return os.path.join(args.workdir, *(["conv"] if args.arch == "conv" else []), *([args.tag] if args.tag else []),
                        *([f"seed{seed}"] if seed else []), row)


def train_row(row, seed, args):
    """Trains (or reuses) the row's workdir and fits (or reuses) each sampler; returns ``{sampler: metrics}``.

    The training run samples the prior; each other sampler is the binary run again on the finished
    workdir with ``sampler.kind`` set (it fits, evaluates and exports without training), its
    metrics kept as ``metrics-<kind>.json``.
    """
    from vegan_tf import train

    conv = args.arch == "conv"
    workdir = row_workdir(row, seed, args)
    overrides = {**(CONV_PROTOCOL if conv else PROTOCOL), "data.name": args.data, **budget(args.steps),
                 **SAMPLER_PROTOCOL, "seed": seed, **dict(args.set)}
    kinds = [k for k in args.samplers if k == "prior" or row in AUTOENCODERS]
    out = {}
    for kind in kinds:
        codes = "" if kind == "prior" or args.codes == "draw" else f"-{args.codes}"
        path = os.path.join(workdir, f"metrics-{kind}{codes}.json")
        kept = {}
        if os.path.exists(path):
            with open(path) as f:
                kept = json.load(f)
            if "kid_std" not in kept:  # scored before KID's subsets shrank: scored again, nothing trained or fitted
                print(f"{row} (seed {seed}): scoring the {kind} samples again (KID) in {workdir} ...",
                      file=sys.stderr, flush=True)
                os.remove(path)
        if not os.path.exists(path):
            what = f"training {args.steps} steps" if kind == "prior" else f"fitting the {kind} sampler"
            print(f"{row} (seed {seed}): {what} in {workdir} ...", file=sys.stderr, flush=True)
            config = harness.load_config(f"configs/{row}_mnist.py", {**overrides, "sampler.kind": kind,
                                                                      "sampler.codes": args.codes})
            train.train_and_evaluate(config, workdir)
            with open(os.path.join(workdir, "metrics.json")) as f:
                metrics = json.load(f)
            timing = {k: kept[k] for k in TIMING if k in kept}
            with open(path, "w") as f:  # a re-scored run keeps the timing of its training
                json.dump({**metrics, **timing}, f, indent=2)
            os.remove(os.path.join(workdir, "metrics.json"))
        with open(path) as f:
            out[kind] = json.load(f)
    if "prior" in out:
        with open(os.path.join(workdir, "metrics.json"), "w") as f:  # the run's own metrics (zoo.py ships them)
            json.dump(out["prior"], f, indent=2)
    return out


def pythae_row(name, learning_rate, seed, args, real):
    """Trains pythae's ``name`` in the torch environment (or reuses its outputs); returns ``{sampler: metrics}``.

    ``prior`` is pythae's ``NormalSampler``, ``gmm`` its ``GaussianMixtureSampler`` (10 components);
    both carry the reconstruction scores.
    """
    import numpy as np

    from vegan_tf import data, evaluate, metrics
    from vegan_tf.metrics import feature_net, quality

    out = os.path.join(args.workdir, *([f"seed{seed}"] if seed else []), f"pythae_{name}_lr{learning_rate:g}")
    if not os.path.exists(os.path.join(out, "train_reconstructions.npy")):
        print(f"pythae {name} (lr {learning_rate:g}, seed {seed}): training {args.steps // 600} epochs ...",
              file=sys.stderr, flush=True)
        done = subprocess.run([args.torch_python, os.path.join(harness.BENCHMARKS, "pythae_reference.py"),
                               f"--data={args.data}", f"--model={name}", f"--out={out}", f"--seed={seed}",
                               f"--epochs={args.steps // 600}", f"--learning-rate={learning_rate}", "--samples=1000"],
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"pythae_reference.py failed for {name}:\n{done.stderr[-3000:]}")
    with open(os.path.join(out, "timing.json")) as f:
        timing = json.load(f)
    net = feature_net.FeatureNet(feature_net.find(args.data))
    real_features = net(real)
    reconstructions = np.load(os.path.join(out, "reconstructions.npy"))
    common = {**timing, "test_reconstruction_l2sq": float(np.mean(np.sum(
        np.square(reconstructions - real[:len(reconstructions)]).reshape(len(reconstructions), -1), axis=1))),
        "reconstruction_fd": float(quality.fid_from_activations(real_features, net(np.load(
            os.path.join(out, "train_reconstructions.npy")))))}
    held_out_features = net(data.held_out_images(args.data))
    result = {}
    for kind, file in (("prior", "samples.npy"), ("gmm", "samples_gmm.npy")):
        samples = np.load(os.path.join(out, file))
        sample_features = net(samples)
        result[kind] = {**common, **quality.scores(real_features, sample_features),
                        "held_out_fd": float(quality.fid_from_activations(held_out_features, sample_features)),
                        "relative_sharpness": metrics.sharpness(samples) / metrics.sharpness(real)}
        if kind == "gmm":
            result[kind]["sampler"] = {"fit_time_s": timing["gmm_fit_time_s"], "components": timing["components"]}
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
    parser.add_argument("--seeds", default="0,1", help="seeds of every row (config.seed; pythae's --seed)")
    parser.add_argument("--samplers", default=",".join(SAMPLERS), help="latent samplers of the auto-encoding rows")
    parser.add_argument("--codes", default="draw", choices=("draw", "mean"),
                        help="the codes the samplers are fitted to (sampler.codes): one draw of Q(Z|x) per image, or "
                             "the mean code; kept apart as metrics-<kind>-mean.json, the trained workdir is shared")
    parser.add_argument("--json", default="", help="also write every row's per-seed metrics to this file")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",")]
    args.samplers = [k for k in args.samplers.split(",") if k]
    if args.steps % 600:
        parser.error("--steps must be a multiple of 600 (whole epochs, for pythae)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from vegan_tf import data

    args.rows = args.rows or ",".join(CONV_ROWS if args.arch == "conv" else ROWS)
    if args.arch == "conv":
        args.pythae = ""

    rows = [(row, "vegan_tf", [train_row(row, seed, args) for seed in args.seeds])
            for row in filter(None, args.rows.split(","))]
    if args.pythae and args.torch_python:
        real = data.load_array(args.data, "test", limit=1000)
        for name in args.pythae.split(","):
            for lr in (1e-4, 1e-3):
                rows.append((f"{name} (lr {lr:g})", "pythae", [pythae_row(name, lr, seed, args, real)
                                                                for seed in args.seeds]))
    elif args.pythae:
        print("No --torch-python: pythae rows skipped.", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{lib}:{name}": runs for name, lib, runs in rows}, f, indent=2)

    nets = ("DCGAN-style conv 16-32-64-128 / 128-64-32 with batch norm, d_z = 8" if args.arch == "conv"
            else "MLP 784-512-16")
    seeds = ", ".join(map(str, args.seeds))
    print(f"\nMNIST, {nets}, batch 100, {args.steps} steps, constant learning rate, seeds {seeds} (means); samplers "
          f"fitted to codes '{args.codes}'; 1,000 samples against 1,000 test images, features of "
          f"saved_models/feature_nets/mnist. {harness.machine()}\n")
    print_tables(rows, args.samplers)
    print(f"\n{data_floor(args.data)}")


def data_floor(path, chunks=10, size=1000):
    """The FD of real images against the test images the models are scored on: ``chunks`` disjoint sets of ``size``
    training images, and the held-out end of the split (``held_out_fd``'s reference).

    What a model whose samples were MNIST digits would score at this sample size: the FD of two
    finite samples of one distribution is not 0, and it varies from one sample to the next.
    """
    from vegan_tf import data
    from vegan_tf.metrics import feature_net, quality

    net = feature_net.FeatureNet(feature_net.find(path))
    test = net(data.load_array(path, "test", limit=size))
    train = data.load_array(path, "train", limit=chunks * size)
    fds = sorted(quality.fid_from_activations(test, net(train[i * size:(i + 1) * size])) for i in range(chunks))
    held_out = quality.fid_from_activations(test, net(data.held_out_images(path)))
    return (f"Real images for reference: {chunks} disjoint sets of {size:,} training images score FD "
            f"{fds[0]:.1f}–{fds[-1]:.1f} (median {(fds[chunks // 2 - 1] + fds[chunks // 2]) / 2:.1f}) against the same "
            f"test images, the held-out end of the split {held_out:.1f}: what a model whose samples were MNIST "
            f"digits would score at this sample size.")


def _mean(runs, kind, key):
    values = [run[kind][key] for run in runs if kind in run and key in run[kind]]
    return sum(values) / len(values) if values else None


def _cell(value, spread=None):
    if value is None:
        return "–"
    return f"{value:.3g}" + (f" ± {spread:.2g}" if spread else "")


def print_tables(rows, kinds):
    """The sampler table (FD per sampler, the best, reconstructions) and the full table of each row's best sampler.

    A row's best sampler is the one with the lowest FD against held-out training images
    (``held_out_fd``), never chosen on the test images its scores use.
    """
    def best(runs):
        fds = {k: _mean(runs, k, "held_out_fd") or _mean(runs, k, "fd") for k in kinds}
        return min((k for k in fds if fds[k] is not None), key=fds.get)

    ordered = sorted(rows, key=lambda r: _mean(r[2], best(r[2]), "fd"))
    shown = [k for k in kinds]
    header = ("model", "library", *(f"FD {k}" for k in shown), "best", "recon L2 (test)", "recon FD",
              "training time (s)", *(f"fit {k} (s)" for k in shown if k != "prior"))
    table = []
    for name, lib, runs in ordered:
        fds = [_mean(runs, k, "fd") for k in shown]
        spread = [(max(r[k]["fd"] for r in runs) - min(r[k]["fd"] for r in runs)) / 2
                  if all(k in r for r in runs) and len(runs) > 1 else None for k in shown]
        fits = [_mean([{k: r[k].get("sampler", {})} for r in runs if k in r], k, "fit_time_s") for k in shown
                if k != "prior"]
        table.append((name, lib, *(_cell(v, sp) for v, sp in zip(fds, spread)), best(runs),
                      _cell(_mean(runs, "prior", "test_reconstruction_l2sq")),
                      _cell(_mean(runs, "prior", "reconstruction_fd")),
                      _cell(_mean(runs, "prior", "train_time_s")), *(_cell(f) for f in fits)))
    harness.markdown_table(header, table, right=header[2:])
    print()
    header = ("model", "library", "sampler", "FD", "KID", "precision", "recall", "sharpness / real", "steps/s")
    table = []
    for name, lib, runs in ordered:
        k = best(runs)
        table.append((name, lib, k, *(_cell(_mean(runs, k, c)) for c in ("fd", "kid", "precision", "recall",
                                                                          "relative_sharpness")),
                      _cell(_mean(runs, "prior", "steps_per_s"))))
    harness.markdown_table(header, table, right=header[3:])


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Reconstructions against samples at 10,000 images: the auto-encoders' FD where its bias is small.

    python benchmarks/reconstruction_fd.py --data=/path/to/mnist.npz --workdir=runs/quality --seeds=0,1

``benchmarks/quality.py`` scores 1,000 images against 1,000 test images. At that size the Fréchet
distance is biased upwards by more than the gaps it is asked to order: 1,000 real training images
score 11.9 to 20.5 against the test images (median 13.2), which is more than the distance between
a recipe's samples and its reconstructions. This benchmark scores, for each auto-encoding row of
the quality protocol and each seed, ``--size`` (10,000) images against the whole test split (10,000
images, the protocol of the issue that asked for the comparison), in the features of the shipped
MNIST classifier:

* samples: ``sample`` of the row's export with its best latent sampler (the one ``quality.py`` and
  ``zoo.py`` choose: the lowest FD to the held-out training images, from its ``metrics-<kind>.json``);
* reconstructions of the first ``--size`` training images, and of the test images themselves;
* the floor: ``--size`` real training images, never reconstructed.

Seed s reads ``<workdir>[/seed<s>]/<row>`` (written by ``quality.py``); a seed-0 row whose workdir
is not there is read from its shipped entry ``saved_models/<row>_mnist`` (``zoo.py`` ships the
seed-0 runs), with the sampler it ships.
"""

import argparse
import glob
import json
import os
import sys

import numpy as np

import harness

AUTOENCODERS = ("wae_mmd", "wae_gan", "aae", "vae", "avb", "lsot", "pot_sinkhorn", "pot_swae")


def best_kind(workdir):
    """The sampler kind with the lowest held-out FD among the row's ``metrics-<kind>.json`` (``quality.py``'s rule)."""
    scores = {}
    for path in glob.glob(os.path.join(workdir, "metrics-*.json")):
        kind = os.path.basename(path)[len("metrics-"):-len(".json")]
        with open(path) as f:
            metrics = json.load(f)
        scores[kind] = metrics.get("held_out_fd", metrics.get("fd"))
    return min(scores, key=scores.get)


def export_of(workdir, kind):
    """The newest export of ``workdir`` whose latent sampler is ``kind``."""
    from vegan_tf import export

    versions = sorted(glob.glob(os.path.join(workdir, "export", "*")), key=lambda p: int(os.path.basename(p)))
    for path in reversed(versions):
        if export.read_metadata(path).get("sampler", {}).get("kind") == kind:
            return path
    raise FileNotFoundError(f"{workdir} has no export with the {kind} sampler: run benchmarks/quality.py first.")


def target(row, seed, args):
    """``(export path, sampler kind)`` of a row and seed."""
    from vegan_tf import export, pretrained

    workdir = os.path.join(args.workdir, *([f"seed{seed}"] if seed else []), row)
    if os.path.isdir(workdir):
        kind = best_kind(workdir)
        return export_of(workdir, kind), kind
    if seed == 0:
        path = pretrained.load(f"{row}_mnist").path
        return path, export.read_metadata(path).get("sampler", {}).get("kind", "prior")
    raise FileNotFoundError(f"No workdir {workdir}: run benchmarks/quality.py --seeds={seed} first.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="MNIST as a .npz (x_train, x_test)")
    parser.add_argument("--workdir", default="runs/quality", help="quality.py's --workdir")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--rows", default=",".join(AUTOENCODERS))
    parser.add_argument("--size", type=int, default=10000, help="images per score (at most 10,000: the test split)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from vegan_tf import data, pretrained
    from vegan_tf.metrics import feature_net, quality

    n = args.size
    net = feature_net.FeatureNet(feature_net.find(args.data))
    test = data.load_array(args.data, "test", limit=n)
    train = data.load_array(args.data, "train", limit=n)
    test_features = net(test)
    n = len(test)
    fd = lambda images: float(quality.fid_from_activations(test_features, net(images)))
    in_batches = lambda fn, x: np.concatenate([np.asarray(fn(x[i:i + 500])) for i in range(0, len(x), 500)])
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for row in args.rows.split(","):
        scores = []
        for seed in seeds:
            path, kind = target(row, seed, args)
            model = pretrained.Pretrained(path)
            samples = np.concatenate([model.sample(500, seed=i).numpy() for i in range(n // 500)])
            scores.append({"kind": kind, "samples": fd(samples), "train": fd(in_batches(model.reconstruct, train)),
                           "test": fd(in_batches(model.reconstruct, test))})
            print(f"{row} seed {seed} ({kind}, {path}): {scores[-1]}", file=sys.stderr, flush=True)
        rows.append((row, scores))
    floor = fd(train)

    print(f"\nMNIST, the quality protocol's models (MLP 784-512-16, 6,000 steps of batch 100), seeds "
          f"{', '.join(map(str, seeds))} (means); {n:,} images against the {n:,} first test images, features of "
          f"saved_models/feature_nets/mnist. {harness.machine()}\n")
    print("| model | sampler | FD samples | FD reconstructions (train) | FD reconstructions (test) | "
          "recon < samples (every seed) |")
    print("|---|---|---:|---:|---:|---|")
    mean = lambda scores, key: float(np.mean([s[key] for s in scores]))
    best_recon = min(mean(s, "train") for _, s in rows)
    for row, scores in rows:
        kinds = "/".join(sorted({s["kind"] for s in scores}))
        below = all(s["train"] < s["samples"] for s in scores)
        print(f"| {row} | {kinds} | {mean(scores, 'samples'):.2f} | {mean(scores, 'train'):.2f} | "
              f"{mean(scores, 'test'):.2f} | {'yes' if below else 'no'} |")
    worst = max(mean(s, "train") for _, s in rows)
    print(f"\n{n:,} real training images score {floor:.2f}. The worst reconstruction FD is {worst / best_recon:.2f}x "
          f"the best ({best_recon:.2f}).")


if __name__ == "__main__":
    main()

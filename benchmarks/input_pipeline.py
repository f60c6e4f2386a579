#!/usr/bin/env python
"""How fast a folder of JPEGs feeds the 64x64 networks, and what memory a run on it holds.

    python benchmarks/input_pipeline.py                        # folders of 2,000 and 20,000 images
    python benchmarks/input_pipeline.py --sizes=500,5000       # a quick look

Generates folders of CelebA-shaped images (218x178 RGB JPEGs, quality 90, smooth colour fields
with noise, so that they compress and decode like photographs rather than like white noise) under
``--workdir`` (kept for the next run), then measures, one after the other on this machine:

* **pipeline**: images per second ``vegan_tf.data.get_dataset`` delivers from the larger folder
  with the WAE paper's CelebA reading (``configs/wae_mmd_celeba.py``: the central 140x140 crop
  resized to 64x64), shuffled, in batches of 100, after a warm-up;
* **consumption**: images per second the 64x64 training step takes, the WAE-MMD CelebA networks
  at an eighth of their widths (encoder 16-32-64-128, decoder 128-64-32-16) in bfloat16
  (``model.mixed_precision=True``), batch 100, fed from memory: the fastest 64x64 step of the
  project, so the most the pipeline has to keep up with;
* **peak memory**: the peak resident set size of a training run (the binary's
  ``train_and_evaluate``, the same networks, ``--run-steps`` steps) on each folder, each in its own
  subprocess: a streamed folder holds its file names, never its images, so the peak should not
  grow with the folder.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import harness

IMAGE_SHAPE = (218, 178, 3)
#: The WAE CelebA networks at an eighth of their widths, in bfloat16.
EIGHTH = {"model.filters": (16, 32, 64, 128), "model.decoder_filters": (128, 64, 32, 16),
          "model.mixed_precision": True, "model.pretrain_encoder": False}


def make_folder(path, count, seed=0):
    """``count`` CelebA-shaped JPEGs in ``path`` (nothing is written for images already there)."""
    import numpy as np
    import tensorflow as tf

    os.makedirs(path, exist_ok=True)
    have = len([f for f in os.listdir(path) if f.endswith(".jpg")])
    rng = np.random.default_rng(seed + have)
    for start in range(have, count, 500):
        n = min(500, count - start)
        coarse = rng.uniform(0, 255, (n, 6, 5, 3)).astype(np.float32)
        smooth = tf.image.resize(coarse, IMAGE_SHAPE[:2], method="bicubic")
        noisy = smooth + rng.normal(0, 6, (n, *IMAGE_SHAPE)).astype(np.float32)
        images = tf.cast(tf.clip_by_value(noisy, 0, 255), tf.uint8)
        for i in range(n):
            tf.io.write_file(os.path.join(path, f"{start + i:06d}.jpg"), tf.io.encode_jpeg(images[i], quality=90))
    return path


def celeba_config(folder, steps=100):
    overrides = {**EIGHTH, "data.name": folder, "train.num_steps": steps, "train.steps_per_epoch": steps,
                 "train.eval_samples": 100, "train.verbose": 0, "train.sample_every_epochs": 10**6,
                 "train.export": False}
    return harness.load_config("configs/wae_mmd_celeba.py", overrides)


def pipeline_rate(folder, batches=60, warmup=5):
    """Images per second the folder's training pipeline delivers."""
    from vegan_tf import data

    config = celeba_config(folder)
    stream = iter(data.get_dataset(data.source(config.data), "train", batch_size=100, shuffle=True, repeat=True))
    for _ in range(warmup):
        next(stream)
    start = time.perf_counter()
    for _ in range(batches):
        next(stream)
    return 100 * batches / (time.perf_counter() - start)


def step_rate(steps=30, warmup=5):
    """Images per second the 1/8-width bf16 64x64 WAE-MMD step consumes (batch 100, data in memory)."""
    import tensorflow as tf

    from vegan_tf import workdir

    config = celeba_config("celeb_a")
    model = workdir.build_model(config)
    batch = tf.random.uniform((100, 64, 64, 3), seed=0)
    stream = tf.data.Dataset.from_tensors(batch).repeat()
    model.fit(stream, steps_per_epoch=warmup, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return 100 * steps / (time.perf_counter() - start)


def child_run(folder, workdir, steps):
    """The body of the peak-memory subprocess: one training run on ``folder``; prints its peak RSS (MiB)."""
    from vegan_tf import train

    train.train_and_evaluate(celeba_config(folder, steps), workdir)
    print(json.dumps({"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def peak_rss(folder, workdir, steps):
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
    done = subprocess.run([sys.executable, os.path.abspath(__file__), f"--child={folder}", f"--child-workdir={workdir}",
                           f"--run-steps={steps}"], capture_output=True, text=True, cwd=harness.ROOT,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if done.returncode:
        raise RuntimeError(f"the run on {folder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_mib"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,20000", help="two folder sizes (images)")
    parser.add_argument("--workdir", default="runs/input_pipeline")
    parser.add_argument("--run-steps", type=int, default=200, help="training steps of each peak-memory run")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--child-workdir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.child:
        return child_run(args.child, args.child_workdir, args.run_steps)
    small, large = (int(s) for s in args.sizes.split(","))
    folders = {n: make_folder(os.path.join(os.path.abspath(args.workdir), f"faces_{n}"), n) for n in (small, large)}
    delivered = pipeline_rate(folders[large])
    consumed = step_rate()
    peaks = {n: peak_rss(folder, os.path.join(os.path.abspath(args.workdir), f"run_{n}"), args.run_steps)
             for n, folder in folders.items()}

    print(f"\nA folder of {large:,} 218x178 JPEGs read as configs/wae_mmd_celeba.py reads CelebA (140x140 centre crop "
          f"to 64x64), batch 100. {harness.machine()}\n")
    rows = [("pipeline: a folder of JPEGs, shuffled", f"{delivered:,.0f}"),
            ("64x64 WAE-MMD step, 1/8 width, bf16, data in memory", f"{consumed:,.0f}")]
    harness.markdown_table(("", "images/s"), rows, right=("images/s",))
    print(f"\nThe pipeline delivers {delivered / consumed:.1f}x what the step consumes.\n")
    rows = [(f"{n:,} images", f"{peak:,.0f}") for n, peak in peaks.items()]
    memory = f"peak RSS (MiB), {args.run_steps} steps"
    harness.markdown_table(("training run on a folder of", memory), rows, right=(memory,))
    growth = peaks[large] / peaks[small] - 1
    print(f"\n{large:,} images against {small:,}: {growth:+.1%} peak memory.")
    print("\nverdicts:")
    for what, ok in ((f"pipeline >= 1,000 images/s ({delivered:,.0f})", delivered >= 1000),
                     (f"pipeline >= 3x the step ({delivered / consumed:.1f}x)", delivered >= 3 * consumed),
                     (f"peak memory within 10 % ({growth:+.1%})", abs(growth) <= 0.10)):
        print(f"  {'PASS' if ok else 'FAIL'}  {what}")


if __name__ == "__main__":
    main()

"""Evaluation of a trained model, as a library function and an absl binary.

    python -m vegan_tf.evaluate --workdir=runs/wae_mmd_digits

reloads the workdir's config and latest checkpoint and prints the metrics JSON
that the training binary writes at the end of a run (``metrics.json``):

* images: the test reconstruction error (squared L2 per image), the MMD between
  test codes and prior draws (multi-scale IMQ), and the sharpness (variance of
  the Laplacian) of model samples relative to real test images;
* 2-D points: the exact 2-Wasserstein distance between samples and test points,
  and, for the Gaussian-mixture sets, modes covered and the high-quality share.
"""

from __future__ import annotations

import json

import numpy as np
import tensorflow as tf

from vegan_tf import data, divergences, metrics, workdir


def evaluate_model(model, data_name, data_dir=None, num_samples=1000, seed=0):
    """Metrics of ``model`` against the test split of ``data_name`` (a dict of floats)."""
    real = data.load_array(data_name, "test", limit=num_samples, data_dir=data_dir or None)
    n = len(real)
    samples = np.concatenate([model.sample(min(500, n - i), seed + i).numpy() for i in range(0, n, 500)])
    results = {"num_eval": int(n)}
    if model.encoder is not None:
        codes, recon = [], []
        for i in range(0, n, 500):
            batch = tf.constant(real[i:i + 500])
            z = model.encode(batch)
            codes.append(z.numpy())
            recon.append(tf.reduce_sum(tf.square(tf.reshape(model.decode(z) - batch, [len(batch), -1])), 1).numpy())
        codes = np.concatenate(codes)
        prior = model.prior_sample(n, seed).numpy()
        results["test_reconstruction_l2sq"] = float(np.mean(np.concatenate(recon)))
        results["latent_mmd"] = float(divergences.mmd(codes, prior, "imq", base=divergences.wae_imq_base(
            model.latent_dim, model.prior_scale)))
    if real.ndim == 2:
        results["w2"] = float(metrics.wasserstein2(samples, real))
        try:
            centers, std = data.toy_modes(data_name)
        except ValueError:
            pass
        else:
            coverage = metrics.mode_coverage(samples, centers, std)
            results["modes_covered"] = int(coverage["modes_covered"])
            results["num_modes"] = int(coverage["num_modes"])
            results["high_quality"] = float(coverage["high_quality"])
    else:
        results["sample_sharpness"] = float(metrics.sharpness(samples))
        results["real_sharpness"] = float(metrics.sharpness(real))
        results["relative_sharpness"] = results["sample_sharpness"] / max(results["real_sharpness"], 1e-12)
    return results


def main(argv):
    del argv
    model, config = workdir.load(FLAGS.workdir)
    results = evaluate_model(model, config.data.name, config.data.data_dir, FLAGS.num_samples, FLAGS.seed)
    print(json.dumps(results, indent=2))


def run():
    from absl import app, flags

    global FLAGS
    flags.DEFINE_string("workdir", None, "A training workdir (config.json and checkpoints/).", required=True)
    flags.DEFINE_integer("num_samples", 1000, "Test examples and model samples to compare.")
    flags.DEFINE_integer("seed", 0, "Seed of the model samples.")
    FLAGS = flags.FLAGS
    app.run(main)


if __name__ == "__main__":
    run()

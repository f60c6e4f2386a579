"""Evaluation of a trained model, as a library function and an absl binary.

    python -m vegan_tf.evaluate --target=runs/wae_mmd_digits        # or an export dir, or a shipped name

reloads the workdir's config and latest checkpoint and prints the metrics JSON
that the training binary writes at the end of a run (``metrics.json``):

* images: the test reconstruction error (squared L2 per image), the MMD between
  test codes (one draw of Q(Z|x) per image, ``collect_codes(..., "draw")``: Q_Z,
  for every encoder kind alike) and prior draws (multi-scale IMQ; Keras models
  only, an export has no posterior draw), the sharpness (variance of
  the Laplacian) of model samples relative to real test images, and, where a
  feature network exists for the data (``metrics.feature_net``), the Fréchet
  distance, KID, precision/recall and density/coverage of samples against test
  images in its feature space (``metrics.quality``), and the Fréchet distance of
  the reconstructions of as many training images (``reconstruction_fd``: what the
  auto-encoder can give at best, with codes where the data puts them); for a model
  whose latent sampler is fitted, the same sample scores of prior draws under
  ``prior`` (what the fitted sampler gains); and ``held_out_fd``, the FD of the samples
  against the held-out end of the training split (``data.held_out_images``), on which a
  sampler is chosen without looking at the test images;
* 2-D points: the exact 2-Wasserstein distance between samples and test points,
  and, for the Gaussian-mixture sets, modes covered and the high-quality share (of the
  samples, and of the reconstructions of test points for an auto-encoder).
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import tensorflow as tf

from vegan_tf import _moved, data, divergences, metrics, workdir
from vegan_tf.data import arrays
from vegan_tf.metrics import feature_net as feature_net_lib
from vegan_tf.metrics import quality


def _in_batches(fn, n, size=500):
    return np.concatenate([np.asarray(fn(i, min(size, n - i))) for i in range(0, n, size)])


def evaluation_samples(model, num_samples, seed=0):
    """The samples the evaluation scores: ``model.sample`` in calls of at most 500, the i-th with seed ``seed + i``."""
    return _in_batches(lambda i, size: model.sample(size, seed + i), num_samples)


def no_feature_net_note(data_name):
    """What the evaluation of ``data_name`` leaves out without a feature network, and how to give it one."""
    return (f"No feature network for {data_name!r}: FD, KID, precision/recall and density/coverage are not computed "
            f"(the reconstruction error, latent MMD and sharpness are). Pass a SavedModel with a `features` "
            f"signature (vegan-evaluate --feature_net=PATH; e.g. an InceptionV3 pool layer for natural images), or "
            f"train a classifier of labelled images: python -m vegan_tf.metrics.feature_net --data=PATH.npz "
            f"--out=DIR (a .npz with y_train and y_test).")


def evaluate_model(model, data_name, data_dir=None, num_samples=1000, seed=0, feature_net="auto"):
    """Metrics of ``model`` against the test split of ``data_name`` (a dict of floats).

    ``model`` is a vegan_tf model or a loaded export (``vegan_tf.pretrained.Pretrained``): anything
    with ``sample(n, seed)`` and, for the reconstruction metrics, ``encode``/``decode``.
    ``feature_net``: the feature network of the sample-quality scores: ``"auto"`` (the shipped one
    for ``data_name``, if any), a SavedModel path with a ``features`` signature, or ``None``.
    """
    real = data.load_array(data_name, "test", limit=num_samples, data_dir=data_dir or None)
    n = len(real)
    samples = evaluation_samples(model, n, seed)
    results = {"num_eval": int(n)}
    if getattr(model, "encoder", None) is not None or "encode" in getattr(model, "signatures", {}):
        codes = _in_batches(lambda i, size: model.encode(real[i:i + size]), n)
        recon = _in_batches(lambda i, size: model.decode(codes[i:i + size]), n)
        results["test_reconstruction_l2sq"] = float(np.mean(np.sum(np.square(recon - real).reshape(n, -1), axis=1)))
        if hasattr(model, "prior_sample"):  # Q_Z against P_Z: one draw of Q(Z|x) per image, as the samplers see it
            drawn = model.collect_codes(tf.data.Dataset.from_tensor_slices(real).batch(500), "draw", seed=seed)
            prior = model.prior_sample(n, seed).numpy()
            results["latent_mmd"] = float(divergences.mmd(drawn, prior, "imq", base=divergences.wae_imq_base(
                model.latent_dim, model.prior_scale)))
    if real.ndim == 2:
        results["w2"] = float(metrics.wasserstein2(samples, real))
        try:
            centers, std = data.toy_modes(str(data_name))
        except ValueError:
            pass
        else:
            coverage = metrics.mode_coverage(samples, centers, std)
            results["modes_covered"] = int(coverage["modes_covered"])
            results["num_modes"] = int(coverage["num_modes"])
            results["high_quality"] = float(coverage["high_quality"])
            if "test_reconstruction_l2sq" in results:  # what the auto-encoder gives where the data puts its codes
                coverage = metrics.mode_coverage(recon, centers, std)
                results["reconstruction_modes_covered"] = int(coverage["modes_covered"])
                results["reconstruction_high_quality"] = float(coverage["high_quality"])
        return results
    results["sample_sharpness"] = float(metrics.sharpness(samples))
    results["real_sharpness"] = float(metrics.sharpness(real))
    results["relative_sharpness"] = results["sample_sharpness"] / max(results["real_sharpness"], 1e-12)
    path = feature_net_lib.find(str(data_name)) if feature_net == "auto" else feature_net
    if path:
        features = feature_net_lib.FeatureNet(path)
        real_features = features(real)
        sample_features = features(samples)
        results.update(quality.scores(real_features, sample_features))
        held_out = data.held_out_images(data_name, data_dir)
        if held_out is not None:
            results["held_out_fd"] = float(quality.fid_from_activations(features(held_out), sample_features))
        results["feature_net"] = os.path.basename(os.path.normpath(path))
        if "test_reconstruction_l2sq" in results:
            train = data.load_array(data_name, "train", limit=n, data_dir=data_dir or None)
            recon = _in_batches(lambda i, size: model.reconstruct(train[i:i + size]), len(train))
            results["reconstruction_fd"] = float(quality.fid_from_activations(real_features, features(recon)))
        sampler = getattr(model, "sampler", None)
        if sampler is not None and sampler.needs_fit:
            prior = _in_batches(lambda i, size: model.decode(model.prior_sample(size, seed + i)), n)
            results["prior"] = quality.scores(real_features, features(prior))
    return results


def load_target(target, data_name=None):
    """``(model, data_name, data_dir)`` for a training workdir, an exported SavedModel directory or a shipped model.

    The data is the workdir's (an export under ``<workdir>/export/<step>`` finds its workdir's
    config); otherwise ``data_name`` must say it.
    """
    from vegan_tf import pretrained

    path = pathlib.Path(target)
    if (path / "config.json").is_file():
        model, config = workdir.load(str(path))
        return model, data.source(config.data, name=data_name or config.data.name), None
    if path.is_dir():
        newest = pretrained.versions(path)
        export = path / str(newest[0]) if newest and not (path / "saved_model.pb").is_file() else path
        if not (export / "saved_model.pb").is_file():
            raise FileNotFoundError(f"{target} is neither a training workdir (config.json) nor a SavedModel export.")
        model = pretrained.Pretrained(export)
        run_dir = export.parent.parent
    else:
        model = pretrained.load(str(target))  # a shipped model's name; FileNotFoundError lists the names
        run_dir = pathlib.Path(model.path).parent
    data_dir = ""
    if (run_dir / "config.json").is_file():  # the data and its image options
        config = workdir.read_config(str(run_dir))
        data_name = data.source(config.data, name=data_name or config.data.name)
    if not data_name:
        raise ValueError(f"Cannot tell which data {target} was trained on: pass --data (a dataset name or .npz path), "
                         f"e.g. --data=/path/to/mnist.npz.")
    name = str(data_name)
    missing_file = arrays.is_npz(name) and not os.path.isfile(arrays.path_of(name))
    if missing_file or not (name in data.KNOWN_NAMES or os.path.exists(os.path.expanduser(name)) or data.is_tfds(name)):
        raise ValueError(f"{target} was trained on {str(data_name)!r}, which is not on this machine: pass --data with "
                         f"its path, e.g. --data=/path/to/{pathlib.Path(arrays.path_of(str(data_name))).name}.")
    return model, data_name, data_dir or None


def fit_target_sampler(target, kind, data_name=None):
    """``(model, data_name, data_dir)`` of a workdir or a shipped model's name, with latent sampler ``kind`` fitted.

    The sampler is fitted in memory as the training binary fits it (``workdir.sampler_codes``: the
    codes, their number and the seed of the target's config; the kind's settings from the config,
    or the defaults), so its scores are those the binary would report; nothing is written.
    """
    from vegan_tf import config as config_lib
    from vegan_tf import pretrained, samplers

    path = pathlib.Path(target)
    if (path / "config.json").is_file():
        model, config = workdir.load(str(path))
    elif path.exists():
        raise ValueError(f"--sampler needs the Keras model: {target} is not a training workdir. Pass a workdir or a "
                         f"shipped model's name.")
    else:
        model = pretrained.load_model(str(target))
        config = workdir.read_config(str(pathlib.Path(pretrained.load(str(target)).path).parent))
    data_name = data.source(config.data, name=data_name or config.data.name)
    base = config_lib.base_config(config.model.name).sampler
    if config.get("sampler") is None:  # a run of vegan_tf 0.2
        config.sampler = base
    config.sampler.kind = kind
    if kind not in config.sampler and kind in base:
        config.sampler[kind] = base[kind]
    config.data.name = data_name.name
    settings = samplers.sampler_class(kind).validate(**config.sampler.get(kind, {}))
    model.set_sampler(kind, **settings)
    if model.sampler.needs_fit:
        samplers.fit_into(model.sampler, workdir.sampler_codes(model, config), seed=config.seed)
    return model, data_name, None


__getattr__ = _moved.moved(__name__, {"held_out_count": "vegan_tf.data:held_out_count",
                                      "held_out_images": "vegan_tf.data:held_out_images",
                                      "run": "vegan_tf.cli:run_evaluate"})

if __name__ == "__main__":  # python -m vegan_tf.evaluate: this file runs as __main__, apart from vegan_tf.evaluate
    from vegan_tf import cli

    cli.run_evaluate()

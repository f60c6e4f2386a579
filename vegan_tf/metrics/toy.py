"""Metrics for low-dimensional toy data (mixtures of Gaussians in 2-D).

* :func:`wasserstein2` -- exact 2-Wasserstein distance between two samples.
* :func:`mode_coverage` -- modes captured and share of high-quality samples,
  the mode-collapse protocol of VEEGAN (Srivastava et al., 2017) and PacGAN
  (Lin et al., 2018) on the 2-D ring / grid mixtures.
* :func:`toy_report` -- both at once.
"""

from __future__ import annotations

import math

import numpy as np

from vegan_tf.ot import exact_ot


def wasserstein2(x, y):
    """Exact W2 between the empirical measures of two point sets (numpy).

    W2(x, y) = sqrt(min_P Σ_ij P_ij ||x_i - y_j||²) over couplings P of the
    uniform weights, solved exactly by POT's network simplex (``ot.emd``; see
    :func:`vegan_tf.ot.exact_ot`). Sizes may differ; a few thousand points per
    set are fine (the cost matrix is dense, n·m float64).
    """
    cost, _ = exact_ot(x, y, p=2)
    return math.sqrt(max(cost, 0.0))


def mode_coverage(samples, centers, std, num_std=3.0, min_share=0.2):
    """Mode coverage of samples from a model of an isotropic Gaussian mixture.

    Each sample is assigned to its nearest centre (Euclidean distance). It is
    *high quality* if that distance is strictly below ``num_std * std`` (3
    standard deviations by default, as in VEEGAN and PacGAN). A mode is
    *covered* if it receives at least

        min_count = min_share * num_samples / num_modes

    high-quality samples, i.e. a fraction `min_share` of what it would receive
    under perfect uniform coverage. The default 0.2 is PacGAN's rule: on the
    25-mode grid with 2,500 samples a mode counts as lost if it gets fewer
    than 20 high-quality samples (a fifth of the 100 expected). A count
    threshold rather than "at least one sample" keeps a handful of stray
    samples from counting as a captured mode.

    Args:
      samples: [n, d] array of generated points.
      centers: [K, d] array of mixture means.
      std: standard deviation of each (isotropic) component.
      num_std: radius of the high-quality ball, in standard deviations.
      min_share: see above.

    Returns:
      dict with ``modes_covered`` (int), ``num_modes`` (int), ``high_quality``
      (share of high-quality samples in [0, 1]), ``counts`` (int array [K] of
      high-quality samples per mode) and ``min_count`` (the threshold used).
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    centers = np.asarray(centers, dtype=np.float64).reshape(len(centers), -1)
    num_samples, num_modes = len(samples), len(centers)
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = np.argmin(dist, axis=1)
    good = dist[np.arange(num_samples), nearest] < num_std * std
    counts = np.bincount(nearest[good], minlength=num_modes)
    min_count = min_share * num_samples / num_modes
    return {
        "modes_covered": int(np.sum(counts >= min_count)),
        "num_modes": num_modes,
        "high_quality": float(np.mean(good)) if num_samples else 0.0,
        "counts": counts,
        "min_count": min_count,
    }


def toy_report(samples, data_points, centers, std, num_std=3.0, min_share=0.2):
    """W2 to a data sample plus :func:`mode_coverage`, in one dict.

    Returns the keys of :func:`mode_coverage` and ``w2`` =
    ``wasserstein2(samples, data_points)``.
    """
    report = mode_coverage(samples, centers, std, num_std=num_std, min_share=min_share)
    report["w2"] = wasserstein2(samples, data_points)
    return report

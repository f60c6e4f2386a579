"""Sample quality in a feature space: Fréchet distance, KID, precision/recall, density/coverage.

Each score compares features of model samples with features of real test images (a
classifier's penultimate layer, ``feature_net``):

* Fréchet distance (Heusel et al. 2017): W2² between Gaussians fitted to the two sets
  (``images.fid_from_activations``); FID when the features are Inception's.
* KID (Bińkowski et al. 2018): unbiased MMD² with a cubic polynomial kernel, averaged over 100
  subsets of 500 rows of each set (at most half of the smaller set, so that subsets differ; Bińkowski
  et al. use 100 subsets of 1,000 of larger samples), with the standard deviation of the subset
  estimates as ``kid_std``.
* precision and recall (Kynkäänniemi et al. 2019, "Improved precision and recall metric"): the
  share of samples inside the real data's k-NN manifold (union of balls around each real
  feature with the radius to its k-th nearest real neighbour), and the share of real features
  inside the samples' manifold; k = 3 as in the paper.
* density and coverage (Naeem et al. 2020, "Reliable fidelity and diversity metrics"):
  density = 1/(kM) Σ_j Σ_i 1[Y_j ∈ B(X_i, NND_k(X_i))] (can exceed 1), coverage = share of real
  balls that hold at least one sample; k = 5 as in the paper.

Distances are Euclidean, from ``vegan_tf.ot.pairwise_cost`` in float64.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from vegan_tf import ot
from vegan_tf.metrics.images import fid_from_activations, kid_from_activations


def distances(x, y):
    """Euclidean distances ``[n, m]`` between the rows of two feature arrays (float64)."""
    x = tf.constant(np.asarray(x, np.float64).reshape(len(x), -1))
    y = tf.constant(np.asarray(y, np.float64).reshape(len(y), -1))
    return ot.pairwise_cost(x, y, p=1).numpy()


def knn_radii(features, k):
    """Distance of every row to its k-th nearest other row."""
    d = distances(features, features)
    np.fill_diagonal(d, np.inf)
    return np.partition(d, k - 1, axis=1)[:, k - 1]


def precision_recall(real, fake, k=3):
    """Kynkäänniemi et al. 2019: ``(precision, recall)`` of samples ``fake`` against ``real`` features."""
    def inside(points, support, radii):
        return np.mean(np.any(distances(points, support) <= radii[None, :], axis=1))

    return float(inside(fake, real, knn_radii(real, k))), float(inside(real, fake, knn_radii(fake, k)))


def density_coverage(real, fake, k=5):
    """Naeem et al. 2020: ``(density, coverage)`` of samples ``fake`` against ``real`` features."""
    within = distances(real, fake) <= knn_radii(real, k)[:, None]  # [real, fake]
    return float(within.sum() / (k * within.shape[1])), float(np.mean(within.any(axis=1)))


def scores(real_features, sample_features, kid_subsets=100, kid_subset_size=500):
    """Every score above as a dict: ``fd``, ``kid``, ``kid_std``, ``precision``, ``recall``, ``density``, ``coverage``.

    KID's subsets hold ``kid_subset_size`` rows, at most half of the smaller set (and at least 2).
    """
    precision, recall = precision_recall(real_features, sample_features)
    density, coverage = density_coverage(real_features, sample_features)
    size = max(2, min(kid_subset_size, len(real_features) // 2, len(sample_features) // 2))
    kid, kid_std = kid_from_activations(real_features, sample_features, kid_subsets, size, return_std=True)
    return {"fd": fid_from_activations(real_features, sample_features), "kid": kid, "kid_std": kid_std,
            "precision": precision, "recall": recall, "density": density, "coverage": coverage}

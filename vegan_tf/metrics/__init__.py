"""Evaluation metrics: toy-data metrics (W2, mode coverage) and image metrics
(sharpness, FID, KID)."""

from vegan_tf.metrics.images import (
    fid_from_activations,
    frechet_distance,
    kid_from_activations,
    laplacian,
    polynomial_mmd2,
    sharpness,
)
from vegan_tf.metrics.toy import mode_coverage, toy_report, wasserstein2

__all__ = [
    "fid_from_activations",
    "frechet_distance",
    "kid_from_activations",
    "laplacian",
    "mode_coverage",
    "polynomial_mmd2",
    "sharpness",
    "toy_report",
    "wasserstein2",
]

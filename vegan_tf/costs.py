"""Reconstruction costs c(x, y) of penalized optimal transport.

Every cost maps a batch of data ``x`` and a batch of decoded points ``y`` (the
same shape, data space, e.g. images in [0, 1]) to a per-example cost of shape
``[batch]``. Models average it over the batch themselves, so that the
replica-aware averaging lives in one place (``models/base.py``).

The WAE code of Tolstikhin et al. (github.com/tolstikhin/wae, ``wae.py``,
``reconstruction_loss``) multiplies its costs by fixed constants so that the
reconstruction term and the λ-weighted latent penalty are of similar size on
MNIST/CelebA: 0.05 for ``l2sq``, 0.2 for ``l2`` and 0.02 for ``l1``. Those are
available as ``scale="wae"``; the default ``scale=1`` is the plain cost.
"""

from __future__ import annotations

import tensorflow as tf

#: The constants of the WAE reference code, keyed by cost name.
WAE_SCALES = {"l2sq": 0.05, "l2": 0.2, "l1": 0.02}


def _flat(t):
    return tf.reshape(t, [tf.shape(t)[0], -1])


def squared_l2(x, y, logits=None):
    """c(x, y) = ||x - y||²₂, summed over all data dimensions."""
    del logits
    return tf.reduce_sum(tf.square(_flat(x) - _flat(y)), axis=1)


def l2(x, y, logits=None):
    """c(x, y) = ||x - y||₂ (with 1e-8 under the root, as the WAE code, for a finite gradient at 0)."""
    return tf.sqrt(1e-8 + squared_l2(x, y, logits))


def l1(x, y, logits=None):
    """c(x, y) = ||x - y||₁."""
    del logits
    return tf.reduce_sum(tf.abs(_flat(x) - _flat(y)), axis=1)


def bernoulli(x, y, logits=None):
    """Bernoulli negative log-likelihood −log p(x | y) = −Σ x log y + (1 − x) log(1 − y).

    ``x`` may be grey levels in [0, 1] (the usual "continuous Bernoulli-free"
    reading of binary cross-entropy on MNIST). When the decoder's ``logits`` are
    given the value is computed from them (numerically stable); otherwise from
    ``y`` clipped to [1e-7, 1 − 1e-7].
    """
    x = _flat(x)
    if logits is not None:
        per_dim = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=_flat(logits))
    else:
        y = tf.clip_by_value(_flat(y), 1e-7, 1.0 - 1e-7)
        per_dim = -(x * tf.math.log(y) + (1.0 - x) * tf.math.log(1.0 - y))
    return tf.reduce_sum(per_dim, axis=1)


COSTS = {"l2sq": squared_l2, "l2": l2, "l1": l1, "bernoulli": bernoulli}


def get(name: str, scale="1"):
    """Returns the per-example cost ``fn(x, y, logits=None) -> [batch]``.

    Args:
      name: one of ``l2sq`` (squared Euclidean), ``l2``, ``l1``, ``bernoulli``.
      scale: a number, or ``"wae"`` for the constant the WAE code uses with that
        cost (0.05 / 0.2 / 0.02; 1 for ``bernoulli``).
    """
    if name not in COSTS:
        raise ValueError(f"Unknown cost {name!r}; choose one of {sorted(COSTS)}.")
    if scale == "wae":
        factor = WAE_SCALES.get(name, 1.0)
    else:
        try:
            factor = float(scale)
        except (TypeError, ValueError):
            raise ValueError(f"Cost scale must be a number or 'wae', got {scale!r}.") from None
    fn = COSTS[name]
    if factor == 1.0:
        return fn

    def scaled(x, y, logits=None):
        return factor * fn(x, y, logits)

    scaled.__name__ = f"{factor:g}*{fn.__name__}"
    return scaled

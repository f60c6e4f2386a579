"""Reconstruction costs c(x, y) of penalized optimal transport, and decoder likelihoods.

Every cost maps a batch of data ``x``, a batch of decoded points ``y`` (the same shape,
data space, e.g. images in [0, 1]) and, optionally, the decoder's pre-activation output
``logits`` to a per-example cost of shape ``[batch]``. Models average it over the batch.

Two kinds, one signature:

* transport costs (Bousquet et al. 2017, eq. 4; Tolstikhin et al. 2018, eq. 4): ``l2sq``
  ‖x − y‖², ``l2`` ‖x − y‖, ``l1`` ‖x − y‖₁;
* likelihood costs c(x, y) = −log p(x | z) with p a decoder distribution whose parameter is
  the decoder's output (Kingma & Welling 2014, Appendix C): ``bernoulli`` (the logits are the
  Bernoulli logits; grey levels x ∈ [0, 1] give −(binary cross-entropy), the usual reading on
  MNIST) and ``gaussian`` N(y, σ² I) with a fixed σ. They are computed as TensorFlow
  Probability log-densities (``decoder_likelihood``).

With a Gaussian likelihood, −log p(x|z) = ‖x − y‖² / (2σ²) + (d/2) log 2πσ²: the squared
Euclidean cost up to a factor and a constant, the identity behind "AAE is POT-GAN" and
"the VAE's reconstruction is a transport cost" (cookbook, Sec. 4).

The WAE code of Tolstikhin et al. (github.com/tolstikhin/wae, ``wae.py``,
``reconstruction_loss``) multiplies its costs by fixed constants so that the
reconstruction term and the λ-weighted latent penalty are of similar size on
MNIST/CelebA: 0.05 for ``l2sq``, 0.2 for ``l2`` and 0.02 for ``l1``. Those are
available as ``scale="wae"``; the default ``scale=1`` is the plain cost.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

#: The constants of the WAE reference code, keyed by cost name.
WAE_SCALES = {"l2sq": 0.05, "l2": 0.2, "l1": 0.02}
#: Costs that are negative log-likelihoods of a decoder distribution.
LIKELIHOODS = ("bernoulli", "gaussian")


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


def decoder_likelihood(name, logits, mean, sigma=1.0):
    """p(x | z) as one TFP distribution over whole examples, from the decoder's output.

    Args:
      name: ``"bernoulli"`` (``logits`` are the Bernoulli logits) or ``"gaussian"``
        (N(``mean``, ``sigma``² I), ``mean`` the decoder's output in data space).
      logits, mean: the decoder's pre-activation output and its activation, ``[batch, *data_shape]``.
      sigma: σ of the Gaussian likelihood.
    """
    if name == "bernoulli":
        per_dim = tfd.Bernoulli(logits=logits, dtype=tf.float32)
    elif name == "gaussian":
        per_dim = tfd.Normal(loc=mean, scale=sigma)
    else:
        raise ValueError(f"Unknown likelihood {name!r}; choose one of {LIKELIHOODS}.")
    return tfd.Independent(per_dim, reinterpreted_batch_ndims=len(logits.shape) - 1)


def bernoulli(x, y, logits=None):
    """Bernoulli negative log-likelihood −log p(x | y) = −Σ x log y + (1 − x) log(1 − y).

    From the decoder's ``logits`` when given (numerically stable, TFP's log-density);
    otherwise from ``y`` clipped to [1e-7, 1 − 1e-7].
    """
    if logits is not None:
        return -decoder_likelihood("bernoulli", logits, y).log_prob(x)
    x, y = _flat(x), tf.clip_by_value(_flat(y), 1e-7, 1.0 - 1e-7)
    return -tf.reduce_sum(x * tf.math.log(y) + (1.0 - x) * tf.math.log(1.0 - y), axis=1)


def gaussian(sigma=1.0):
    """The Gaussian negative log-likelihood −log N(x; y, σ² I) as a cost."""
    def gaussian_nll(x, y, logits=None):
        del logits
        return -decoder_likelihood("gaussian", y, y, sigma).log_prob(x)

    return gaussian_nll


COSTS = {"l2sq": squared_l2, "l2": l2, "l1": l1, "bernoulli": bernoulli, "gaussian": gaussian}


def get(name: str, scale=1.0, sigma=1.0):
    """Returns the per-example cost ``fn(x, y, logits=None) -> [batch]``.

    Args:
      name: one of ``l2sq`` (squared Euclidean), ``l2``, ``l1``, ``bernoulli``, ``gaussian``.
      scale: a number, or ``"wae"`` for the constant the WAE code uses with that
        cost (0.05 / 0.2 / 0.02; 1 for the likelihoods).
      sigma: σ of the ``gaussian`` likelihood.
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
    fn = COSTS[name](float(sigma)) if name == "gaussian" else COSTS[name]
    if factor == 1.0:
        return fn

    def scaled(x, y, logits=None):
        return factor * fn(x, y, logits)

    scaled.__name__ = f"{factor:g}*{fn.__name__}"
    return scaled

"""Latent divergences D(Q_Z, P_Z) of penalized optimal transport.

POT (Bousquet et al. 2017, eq. 4; Tolstikhin et al. 2018, eq. 4) penalises the
distance between the aggregate posterior Q_Z and the prior P_Z. This module holds
the divergences and the loss terms of the adversaries that estimate them:

* the maximum mean discrepancy with an RBF or inverse multiquadratics kernel,
  estimated by the unbiased U-statistic (Gretton et al. 2012, Lemma 6), as in
  Algorithm 2 of the WAE paper;
* the per-sample Gaussian KL of the VAE;
* GAN terms on logits (a discriminator's cross-entropy, the non-saturating
  generator term, the prior log-density "p-trick") for WAE-GAN, AAE and AVB;
* the Wasserstein-1 dual terms of a critic.

All functions take and return ``tf.Tensor``s and are pure (no state, no noise).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

#: The scales of the multi-scale IMQ kernel of the WAE code, as multiples of C.
WAE_IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def squared_distances(x, y):
    """||x_i − y_j||² for all pairs, ``[n, d], [m, d] -> [n, m]``, clipped at 0."""
    xx = tf.reduce_sum(tf.square(x), axis=1, keepdims=True)
    yy = tf.reduce_sum(tf.square(y), axis=1, keepdims=True)
    d = xx + tf.transpose(yy) - 2.0 * tf.matmul(x, y, transpose_b=True)
    return tf.maximum(d, 0.0)


def imq_kernel(sq_dist, c):
    """Inverse multiquadratics kernel k(x, y) = C / (C + ||x − y||²)."""
    return c / (c + sq_dist)


def rbf_kernel(sq_dist, sigma2):
    """Gaussian kernel k(x, y) = exp(−||x − y||² / (2σ²))."""
    return tf.exp(-sq_dist / (2.0 * sigma2))


def wae_imq_base(latent_dim: int, prior_scale: float = 1.0) -> float:
    """C = 2 · d_z · σ_z², the expected ||z − z'||² of two N(0, σ_z² I) draws (WAE code)."""
    return 2.0 * latent_dim * prior_scale**2


def mmd(x, y, kernel: str = "imq", scales=WAE_IMQ_SCALES, base=None):
    """Unbiased U-statistic estimate of MMD²_k(P, Q) from x ~ P and y ~ Q.

        MMD²_u = 1/(n(n−1)) Σ_{i≠j} k(x_i, x_j) + 1/(m(m−1)) Σ_{i≠j} k(y_i, y_j)
                 − 2/(nm) Σ_{i,j} k(x_i, y_j)

    With several ``scales`` the kernel is the sum of the kernels at
    ``base · scale`` (a sum of positive-definite kernels is one), the WAE code's
    multi-scale IMQ. ``base`` is C for ``imq`` and σ² for ``rbf``; the default is
    C = 2·d (the WAE choice for a standard normal prior) for ``imq`` and the
    median heuristic for ``rbf`` (the WAE code's choice: the median of the
    squared distances within x plus the median within y).

    Args:
      x: ``[n, d]`` samples, e.g. codes from Q_Z.
      y: ``[m, d]`` samples, e.g. prior draws from P_Z.
      kernel: ``"imq"`` or ``"rbf"``.
      scales: multipliers of ``base``; ``(1.0,)`` for a single kernel.
      base: the kernel's width parameter, or ``None`` for the default above.

    Returns:
      A scalar; it can be slightly negative (the estimator is unbiased).
    """
    x = tf.convert_to_tensor(x, tf.float32)
    y = tf.convert_to_tensor(y, tf.float32)
    n = tf.cast(tf.shape(x)[0], tf.float32)
    m = tf.cast(tf.shape(y)[0], tf.float32)
    dxx, dyy, dxy = squared_distances(x, x), squared_distances(y, y), squared_distances(x, y)
    if kernel == "imq":
        k = imq_kernel
        if base is None:
            base = wae_imq_base(x.shape[-1])
    elif kernel == "rbf":
        k = rbf_kernel
        if base is None:
            base = tf.stop_gradient(_median(dxx) + _median(dyy))
    else:
        raise ValueError(f"Unknown MMD kernel {kernel!r}; choose 'imq' or 'rbf'.")
    off_x = 1.0 - tf.eye(tf.shape(x)[0])
    off_y = 1.0 - tf.eye(tf.shape(y)[0])
    total = 0.0
    for s in scales:
        w = base * s
        total += tf.reduce_sum(k(dxx, w) * off_x) / (n * (n - 1.0))
        total += tf.reduce_sum(k(dyy, w) * off_y) / (m * (m - 1.0))
        total -= 2.0 * tf.reduce_sum(k(dxy, w)) / (n * m)
    return total


def _median(sq_dist):
    """Median of the off-diagonal upper-triangle entries of a symmetric distance matrix."""
    n = tf.shape(sq_dist)[0]
    upper = tf.linalg.band_part(tf.ones_like(sq_dist), 0, -1) - tf.linalg.band_part(tf.ones_like(sq_dist), 0, 0)
    values = tf.boolean_mask(sq_dist, upper > 0)
    k = (n * (n - 1)) // 2
    return tf.sort(values)[(k - 1) // 2]


def gaussian_kl(mean, log_var, prior_scale: float = 1.0):
    """KL(N(mean, diag exp(log_var)) ‖ N(0, prior_scale² I)) per sample, ``[batch]``.

    The analytic term of the VAE ELBO (Kingma & Welling 2014, Appendix B).
    """
    var_p = prior_scale**2
    kl = 0.5 * (tf.exp(log_var) / var_p + tf.square(mean) / var_p - 1.0 - log_var + tf.math.log(var_p))
    return tf.reduce_sum(kl, axis=1)


# ------------------------------------------------------------------ adversarial terms
# GAN losses on logits ℓ = log D / (1 − D), D = σ(ℓ) the probability of "drawn from the target":
# log σ(ℓ) = −softplus(−ℓ) and log(1 − σ(ℓ)) = −softplus(ℓ) never saturate to −inf.


def gan_discriminator_loss(target_logits, model_logits):
    """Cross-entropy of a discriminator told targets (label 1) from model samples (label 0), ``[]``.

        −E log σ(ℓ_target) − E log(1 − σ(ℓ_model)) = E softplus(−ℓ_target) + E softplus(ℓ_model)

    Goodfellow et al. 2014, eq. 1, negated to a loss; minimised by ℓ* = log p_target − log p_model.
    """
    return tf.reduce_mean(tf.nn.softplus(-target_logits)) + tf.reduce_mean(tf.nn.softplus(model_logits))


def gan_generator_loss(model_logits):
    """The non-saturating generator term −E log σ(ℓ_model) = E softplus(−ℓ_model), ``[]``.

    Goodfellow et al. 2014, Sec. 3 ("maximize log D(G(z))"); the latent term of WAE-GAN
    (Tolstikhin et al. 2018, Algorithm 1: −λ log D(z̃)).
    """
    return tf.reduce_mean(tf.nn.softplus(-model_logits))


def gaussian_log_density(z, scale: float = 1.0):
    """log N(z; 0, scale² I) per sample, ``[batch, d] -> [batch]``."""
    d = tf.cast(tf.shape(z)[-1], z.dtype)
    return (-0.5 * tf.reduce_sum(tf.square(z), axis=-1) / scale**2
            - 0.5 * d * tf.math.log(2.0 * np.pi * scale**2))


def prior_logit_trick(logits, z, prior_scale: float = 1.0):
    """Adds log p_z(z) of the prior N(0, σ_z² I) to latent-discriminator logits (the "p-trick").

    The optimal logit of a discriminator telling P_Z (label 1) from Q_Z is
    log p_z(z) − log q_z(z); p_z is known, so the network only has to learn −log q_z
    (the WAE code's ``gan_p_trick``, ``models.z_adversary``, credited there to AVB).
    """
    return logits + gaussian_log_density(z, prior_scale)


# ------------------------------------------------------------------ dual (Wasserstein-1) terms
# The Kantorovich–Rubinstein dual W1(P_X, P_G) = sup_{‖f‖_L ≤ 1} E_{P_X} f(X) − E_{P_G} f(Y),
# estimated by a critic f (Arjovsky et al. 2017, eq. 2–3; Bousquet et al. 2017, Sec. 4.3).


def wasserstein_critic_loss(real_scores, fake_scores):
    """The critic's loss E f(G(z)) − E f(x), ``[]``; its negative estimates W1 (Gulrajani et al. 2017, Alg. 1, l. 7)."""
    return tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """The generator's loss −E f(G(z)), ``[]`` (Gulrajani et al. 2017, Alg. 1, l. 11)."""
    return -tf.reduce_mean(fake_scores)


def guarded_norm(t, tiny: float = 1e-12):
    """Per-example Euclidean norm over all but the batch axis, sqrt(Σ t² + tiny): finite gradient at t = 0."""
    t = tf.reshape(t, [tf.shape(t)[0], -1])
    return tf.sqrt(tf.reduce_sum(tf.square(t), axis=1) + tiny)


def gradient_penalty(critic, real, fake, eps, target: float = 1.0):
    """The WGAN-GP penalty per example, (‖∇f(x̂)‖₂ − 1)² at x̂ = ε x + (1 − ε) x̃, ``[batch]``.

    Gulrajani et al. 2017, eq. 3 and Alg. 1, l. 6–7; the model multiplies its mean by λ.

    Args:
      critic: a callable ``f(x) -> [batch]``.
      real, fake: batches x and x̃ = G(z) of the same shape.
      eps: ``[batch]`` interpolation weights, ε ~ U[0, 1] per example.
      target: the norm the gradient is pulled to (1 for the 1-Lipschitz constraint).
    """
    eps = tf.reshape(eps, [-1] + [1] * (len(real.shape) - 1))
    x_hat = eps * real + (1.0 - eps) * fake
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic(x_hat)
    grads = tape.gradient(scores, x_hat)  # per example: the critic is applied row by row (no batch norm)
    return tf.square(guarded_norm(grads) - target)

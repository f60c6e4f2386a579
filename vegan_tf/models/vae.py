"""VAE: the variational auto-encoder, with its densities as TensorFlow Probability distributions."""

from __future__ import annotations

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from vegan_tf.models.base import ENCODER_SALT, GenerativeModel

tfd = tfp.distributions

LIKELIHOODS = ("bernoulli", "gaussian")


def decoder_likelihood(likelihood, logits, mean, scale=1.0):
    """p(x | z) as one distribution over whole examples, built from the decoder's output.

    Args:
      likelihood: ``"bernoulli"`` (``logits`` are the Bernoulli logits) or ``"gaussian"``
        (N(``mean``, ``scale``² I), ``mean`` the decoder's output in data space).
      logits, mean: the decoder's pre-activation output and its activation, ``[batch, *data_shape]``.
      scale: σ of the Gaussian likelihood.
    """
    if likelihood == "bernoulli":
        # log_prob of grey levels x ∈ [0, 1] is −(binary cross-entropy), the usual reading on MNIST.
        per_dim = tfd.Bernoulli(logits=logits, dtype=tf.float32)
    elif likelihood == "gaussian":
        per_dim = tfd.Normal(loc=mean, scale=scale)
    else:
        raise ValueError(f"Unknown likelihood {likelihood!r}; choose one of {LIKELIHOODS}.")
    return tfd.Independent(per_dim, reinterpreted_batch_ndims=len(logits.shape) - 1)


@keras.saving.register_keras_serializable("vegan_tf")
class VAE(GenerativeModel):
    """Variational auto-encoder (Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014).

    Maximises the evidence lower bound (eq. 3) with the SGVB estimator B (Sec. 2.3) in its
    VAE form (eq. 10): the KL term in closed form (Appendix B), the expected log-likelihood
    from one reparameterised draw z = μ(x) + σ(x) ⊙ ε, ε ~ N(0, I) per example (L = 1 with
    batch 100, Sec. 2.3):

        ELBO(x) = E_{q(z|x)} log p(x | z) − KL(q(z|x) ‖ p(z)),
        loss    = E_x [ −log p(x | z) + β · KL(q(z|x) ‖ p(z)) ]

    q(z|x) = N(μ(x), diag σ²(x)) (a ``kind="gaussian"`` encoder), p(z) = N(0, σ_z² I),
    and p(x|z) is Bernoulli (Appendix C.1) or Gaussian (C.2). β = 1 is the VAE;
    β ≠ 1 is the β-VAE of Higgins et al. (ICLR 2017). The logged ``elbo`` is always the
    β = 1 bound (nats per example), whatever β trains.

    In the cookbook's terms (Bousquet et al. 2017, Sec. 4) the VAE is an
    auto-encoder with cost −log p(x|z) whose latent term is a KL *per example*,
    KL(Q(Z|x) ‖ P_Z) averaged over x, rather than one divergence between the aggregate
    Q_Z and P_Z as in POT. That pulls every posterior onto the whole prior, so codes of
    different x overlap, and the decoder averages them: this is the blur the
    cookbook explains.

    Readings of the paper:

    * Appendix C.2's Gaussian decoder also outputs a per-pixel variance; here
      σ is a fixed ``decoder_scale`` (our decoders have one output per pixel).
    * Bernoulli log-likelihood of grey levels in [0, 1] is −(binary cross-entropy),
      the usual reading for MNIST kept in grey levels.
    * Replicas: every term is per example, so per-replica means scaled by 1/R sum to
      the global-batch mean (no batch statistic). ε is each replica's slice of one
      global draw.

    Args:
      decoder, encoder, prior_scale, seed: see ``GenerativeModel``; ``encoder.kind`` must be ``"gaussian"``.
      likelihood: ``"bernoulli"`` or ``"gaussian"``.
      decoder_scale: σ of the Gaussian likelihood.
      beta: weight of the KL term.

    Example:
    ```python
    enc = networks.Encoder((8, 8, 1), 8, kind="gaussian")
    dec = networks.Decoder((8, 8, 1), 8)
    model = models.VAE(dec, enc, likelihood="bernoulli")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(dataset, epochs=10)      # logs loss, elbo, reconstruction, kl
    ```
    """

    tracked = ("loss", "elbo", "reconstruction", "kl")

    def __init__(self, decoder, encoder, likelihood="bernoulli", decoder_scale=1.0, beta=1.0, **kwargs):
        super().__init__(decoder, encoder, **kwargs)
        if self.encoder.kind != "gaussian":
            raise ValueError(f"A VAE needs a Gaussian encoder (kind='gaussian'), got kind={self.encoder.kind!r}.")
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"Unknown likelihood {likelihood!r}; choose one of {LIKELIHOODS}.")
        self.likelihood, self.decoder_scale, self.beta = likelihood, float(decoder_scale), float(beta)

    def get_config(self):
        config = super().get_config()
        config.update(likelihood=self.likelihood, decoder_scale=self.decoder_scale, beta=self.beta)
        return config

    def posterior(self, x, training=False):
        """q(z | x) = N(μ(x), diag σ²(x))."""
        mean, log_var = self.encoder(x, training=training)
        return tfd.MultivariateNormalDiag(loc=mean, scale_diag=tf.exp(0.5 * log_var))

    def prior(self):
        """p(z) = N(0, σ_z² I)."""
        return tfd.MultivariateNormalDiag(loc=tf.zeros([self.latent_dim]),
                                          scale_diag=tf.fill([self.latent_dim], self.prior_scale))

    def likelihood_given(self, z, training=False):
        """p(x | z)."""
        logits = self.decoder(z, training=training)
        return decoder_likelihood(self.likelihood, logits, self.decoder.activate(logits), self.decoder_scale)

    def loss_terms(self, x, training):
        q = self.posterior(x, training)
        eps = self.local_normal(tf.shape(x)[0], self.latent_dim, ENCODER_SALT)
        z = q.mean() + q.stddev() * eps                        # reparameterisation, replica-aware noise
        log_px = self.likelihood_given(z, training).log_prob(x)
        kl = tfd.kl_divergence(q, self.prior())
        reconstruction, kl = -tf.reduce_mean(log_px), tf.reduce_mean(kl)
        loss = reconstruction + self.beta * kl
        return loss, {"loss": loss, "elbo": -(reconstruction + kl), "reconstruction": reconstruction, "kl": kl}

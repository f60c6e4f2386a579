"""AAE: the adversarial auto-encoder, trained in its authors' phases."""

from __future__ import annotations

import keras
import tensorflow as tf

from vegan_tf.models.vae import decoder_likelihood
from vegan_tf.models.wae_gan import WAEGAN


@keras.saving.register_keras_serializable("vegan_tf")
class AAE(WAEGAN):
    """Adversarial auto-encoder (Makhzani et al., "Adversarial Autoencoders", 2016, arXiv:1511.05644).

    Every batch runs the two phases of Makhzani et al., Sec. 2, with three optimizers:

    1. reconstruction: encoder and decoder descend the reconstruction error
       E c(X, G(Z̃)), Z̃ ~ Q(Z|X)                          (player ``optimizer``);
    2. regularisation, discriminator: D(z) = σ(ℓ(z)) ascends
       E_{P_Z} log D(z) + E_{Q_Z} log(1 − D(z̃))          (``adversary_optimizer``);
    3. regularisation, generator: the encoder descends −λ E log D(Z̃)
       (``generator_optimizer``).

    The encoder may be deterministic, Gaussian (reparameterised) or implicit
    (Sec. 2's three posteriors). All phases of one step use the same encoder noise.

    **AAE is POT-GAN** (Bousquet et al., "From optimal transport to generative
    modeling: the VEGAN cookbook", 2017, Sec. 4; Tolstikhin et al. 2018, Sec. 3): the
    auto-encoder's losses of the phases sum to the POT objective with the GAN penalty
    that ``WAEGAN`` minimises,

        E c(X, G(Z̃)) − λ E log D(Z̃),

    and the discriminators solve the same problem. With a Gaussian decoder
    p(x|z) = N(G(z), σ² I) and the likelihood as reconstruction (``cost="gaussian"``),
    −log p(x|z) = ||x − G(z)||² / (2σ²) + const, so this AAE objective is
    1/(2σ²) times POT with c = ||·||² and λ_POT = 2σ² λ_AAE, plus a constant. The two models
    differ only in how they descend that objective: simultaneously (WAE-GAN) or in
    phases (AAE). Hence ``AAE`` subclasses ``WAEGAN`` and adds only the phases;
    ``tests/test_models_autoencoding.py`` checks the identity on one batch,
    values and gradients, for both the plain cost and the Gaussian likelihood.

    Readings of the paper:

    * Makhzani et al. train with SGD and momentum, with separate learning rates per phase;
      here each phase has its own optimizer (``compile(optimizer=, adversary_optimizer=,
      generator_optimizer=)``), so per-phase learning rates are kept.
    * The paper puts no weight on the regularisation phase. ``lam`` (default 1) is
      that weight, and it is the λ of the equivalence above. The discriminator's loss is
      not weighted.
    * Replicas: as ``WAEGAN`` (means of per-example terms; no batch statistic).

    Args:
      decoder, encoder, discriminator, prior_scale, seed, prior_trick: see ``WAEGAN``.
      cost: a ``vegan_tf.costs`` name, or ``"gaussian"`` for −log N(x; G(z), σ² I).
      cost_scale: scale of a ``vegan_tf.costs`` cost (not used with ``"gaussian"``).
      lam: weight of the generator phase.
      decoder_scale: σ of the Gaussian likelihood.
    """

    players = ("optimizer", "adversary_optimizer", "generator_optimizer")
    lam_on_adversary = False

    def __init__(self, decoder, encoder, discriminator=None, cost="l2sq", cost_scale=1.0, lam=1.0,
                 decoder_scale=1.0, prior_trick=False, **kwargs):
        super().__init__(decoder, encoder, discriminator=discriminator, cost="l2sq" if cost == "gaussian" else cost,
                         cost_scale=cost_scale, lam=lam, prior_trick=prior_trick, **kwargs)
        self.cost_name, self.decoder_scale = cost, float(decoder_scale)

    def get_config(self):
        config = super().get_config()
        config.update(decoder_scale=self.decoder_scale)
        return config

    def player_variables(self, player):
        if player == "generator_optimizer":
            return self.encoder.trainable_variables
        return super().player_variables(player)

    def reconstruction(self, x, z, training):
        if self.cost_name != "gaussian":
            return super().reconstruction(x, z, training)
        logits = self.decoder(z, training=training)
        p = decoder_likelihood("gaussian", logits, self.decoder.activate(logits), self.decoder_scale)
        return -tf.reduce_mean(p.log_prob(x))

    def reconstruction_terms(self, x):
        """Phase 1: the reconstruction error of encoder and decoder."""
        reconstruction = self.reconstruction(x, self.code(x, training=True), training=True)
        return reconstruction, {"reconstruction": reconstruction}

    def generator_terms(self, x):
        """Phase 2b: the encoder's adversarial term λ · (−E log D(Z̃))."""
        penalty = self.penalty(self.code(x, training=True), training=True)
        return self.lam * penalty, {"penalty": penalty}

    def train_step(self, data):
        x = self.unpack(data)
        logs = self.minimize("optimizer", lambda: self.reconstruction_terms(x))
        logs.update(self.minimize("adversary_optimizer", lambda: self.adversary_terms(x, training=True)))
        logs.update(self.minimize("generator_optimizer", lambda: self.generator_terms(x)))
        logs["loss"] = logs["reconstruction"] + self.lam * logs["penalty"]
        return self.record(logs)

"""WAE-GAN: penalized optimal transport with an adversarial latent penalty."""

from __future__ import annotations

import keras
import tensorflow as tf

from vegan_tf import costs, divergences, networks
from vegan_tf.models.base import PRIOR_SALT, GenerativeModel, _layer


@keras.saving.register_keras_serializable("vegan_tf")
class WAEGAN(GenerativeModel):
    """Wasserstein auto-encoder with the GAN penalty (POT-GAN).

    Tolstikhin et al., "Wasserstein Auto-Encoders", ICLR 2018, eq. 4 with
    D_Z = D_JS and Algorithm 1; Bousquet et al., "From optimal transport to
    generative modeling: the VEGAN cookbook", 2017, POT eq. 4 with D_GAN. Two
    players alternate on every batch (Algorithm 1, in its order):

    1. the latent discriminator D(z) = σ(ℓ(z)) ascends
       λ · [E_{P_Z} log D(z) + E_{Q_Z} log(1 − D(z̃))] (player ``adversary_optimizer``);
    2. encoder and decoder descend
       E c(X, G(Z̃)) − λ · E log D(Z̃),  Z̃ ~ Q(Z|X)   (player ``optimizer``).

    The second term is the non-saturating form of the JS penalty, as Algorithm 1
    writes it. Both losses are computed on logits (``divergences.gan_*``). With
    c = ||·||² this is the adversarial auto-encoder's objective (WAE paper, Sec. 3;
    see ``AAE``, which trains it in phases).

    Readings of the paper and the code:

    * Algorithm 1 updates D first, then the auto-encoder; the WAE code does the
      reverse. We follow the paper: D steps on the current codes, then the
      auto-encoder steps against the updated D (same encoder noise).
    * λ also multiplies the discriminator's loss (Algorithm 1; the code's
      ``loss_adversary``). It does not move the saddle point, and Adam's update
      is nearly invariant to it.
    * ``prior_trick=True`` is the code's ``gan_p_trick`` (``models.z_adversary``):
      ℓ(z) = net(z) + log p_z(z), so the net only learns −log q_z(z), since the
      optimal logit is log p_z − log q_z (``divergences.prior_logit_trick``). The code
      adds −½ log 2π where the density has −(d/2) log 2π; a constant that
      the final bias absorbs. We add the exact log-density. The code enables it
      for CelebA, not MNIST. We found no "normal fitted to the codes" term in the
      published code, so there is none here.
    * Replicas: every loss is a mean of per-example terms, so the per-replica
      means, scaled by 1/R in ``minimize`` and summed by the optimizer, are the
      global-batch mean. The prior batch is each replica's slice of one
      global draw. No batch statistic crosses replicas, apart from batch norm
      inside the networks, which uses per-replica statistics.

    Args:
      decoder, encoder, prior_scale, seed: see ``GenerativeModel``.
      discriminator: a ``networks.Critic`` on latent vectors (``input_shape_=(latent_dim,)``),
        or ``None`` for the paper's 4 × 512 ReLU MLP.
      cost: reconstruction cost name (``vegan_tf.costs``); ``cost_scale``: a number or ``"wae"``.
      lam: the penalty weight λ.
      prior_trick: add log p_z(z) to the discriminator's logits.

    Example:
    ```python
    enc = networks.Encoder((8, 8, 1), 8, hidden=(128, 128))
    dec = networks.Decoder((8, 8, 1), 8, hidden=(128, 128))
    model = models.WAEGAN(dec, enc, lam=1.0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                  adversary_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5))
    model.fit(dataset, epochs=10)
    ```
    """

    players = ("optimizer", "adversary_optimizer")
    tracked = ("loss", "reconstruction", "penalty", "adversary")
    #: Whether λ multiplies the discriminator's loss (Algorithm 1 of the WAE paper: yes).
    lam_on_adversary = True

    def __init__(self, decoder, encoder, discriminator=None, cost="l2sq", cost_scale=1.0, lam=1.0,
                 prior_trick=False, **kwargs):
        super().__init__(decoder, encoder, **kwargs)
        if discriminator is None:
            discriminator = networks.Critic((self.latent_dim,), hidden=(512, 512, 512, 512))
        self.discriminator = _layer(discriminator)
        if tuple(self.discriminator.input_shape_) != (self.latent_dim,):
            raise ValueError(f"The latent discriminator must take inputs of shape ({self.latent_dim},), "
                             f"got {self.discriminator.input_shape_}.")
        self.cost_name, self.cost_scale, self.lam = cost, cost_scale, float(lam)
        self.prior_trick = bool(prior_trick)
        self.cost = costs.get(cost, cost_scale)

    @classmethod
    def from_model_config(cls, cfg, data_shape):
        """Encoder and decoder as for every model; the discriminator sized by ``critic_hidden``."""
        from vegan_tf import models

        return cls(decoder=models.make_decoder(cfg, data_shape), encoder=models.make_encoder(cfg, data_shape),
                   discriminator=models.make_critic(cfg, (cfg["latent_dim"],)), **models.model_kwargs(cfg))

    def get_config(self):
        config = super().get_config()
        config.update(discriminator=keras.saving.serialize_keras_object(self.discriminator), cost=self.cost_name,
                      cost_scale=self.cost_scale, lam=self.lam, prior_trick=self.prior_trick)
        return config

    def player_variables(self, player):
        if player == "adversary_optimizer":
            return self.discriminator.trainable_variables
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    # ------------------------------------------------------------------ terms
    def discriminate(self, z, training=False):
        """The logit ℓ(z) of "z was drawn from the prior"."""
        logits = self.discriminator(z, training=training)
        return divergences.prior_logit_trick(logits, z, self.prior_scale) if self.prior_trick else logits

    def reconstruction(self, x, z, training):
        """E c(X, G(Z)) over the batch."""
        logits = self.decoder(z, training=training)
        return tf.reduce_mean(self.cost(x, self.decoder.activate(logits), logits))

    def penalty(self, z, training):
        """The encoder's adversarial term −E log D(Z̃) (non-saturating)."""
        return divergences.gan_generator_loss(self.discriminate(z, training=training))

    def loss_terms(self, x, training):
        """The POT-GAN objective of encoder and decoder: E c(X, G(Z̃)) − λ E log D(Z̃)."""
        z = self.code(x, training=training)
        reconstruction = self.reconstruction(x, z, training)
        penalty = self.penalty(z, training)
        loss = reconstruction + self.lam * penalty
        return loss, {"loss": loss, "reconstruction": reconstruction, "penalty": penalty}

    def adversary_terms(self, x, training):
        """The discriminator's cross-entropy: prior draws labelled 1, codes labelled 0."""
        z = tf.stop_gradient(self.code(x, training=training))
        pz = self.local_normal(tf.shape(x)[0], self.latent_dim, PRIOR_SALT, self.prior_scale)
        adversary = divergences.gan_discriminator_loss(self.discriminate(pz, training=training),
                                                       self.discriminate(z, training=training))
        weight = self.lam if self.lam_on_adversary else 1.0
        return weight * adversary, {"adversary": adversary}

    # --------------------------------------------------------------- training
    def train_step(self, data):
        x = self.unpack(data)
        logs = self.minimize("adversary_optimizer", lambda: self.adversary_terms(x, training=True))
        logs.update(self.minimize("optimizer", lambda: self.loss_terms(x, training=True)))
        return self.record(logs)

    def test_step(self, data):
        x = self.unpack(data)
        _, logs = self.loss_terms(x, training=False)
        logs.update(self.adversary_terms(x, training=False)[1])
        return self.record(logs, advance=False)

"""WGAN-GP and WGAN: the dual side of optimal transport, a generator against a Lipschitz critic."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from vegan_tf import distribute, divergences
from vegan_tf import optimizers as optimizers_lib
from vegan_tf.models.base import PRIOR_SALT, GenerativeModel, Update

# Salts of the noise of critic iteration k: prior draws 100 + 2k, interpolation weights 101 + 2k.
_CRITIC_SALT = 100
PENALTIES = ("gp", "clip")
CRITIC_BATCHES = ("same", "split")


@keras.saving.register_keras_serializable("vegan_tf")
class WGAN(GenerativeModel):
    """Wasserstein GAN with gradient penalty (WGAN-GP), or with weight clipping (WGAN).

    The generator G minimises the Kantorovich–Rubinstein dual estimate of W1(P_X, P_G)
    (Arjovsky et al., "Wasserstein GAN", 2017, eq. 3; the dual of POT for c = ‖·‖,
    Bousquet et al. 2017, Sec. 4.3), the critic f maximises it over (nearly) 1-Lipschitz
    functions. With ``penalty="gp"`` (Gulrajani et al., "Improved Training of Wasserstein
    GANs", 2017, eq. 3 and Algorithm 1) the critic minimises

        L_f = E f(G(z)) − E f(x) + λ E (‖∇f(x̂)‖₂ − 1)²,   x̂ = ε x + (1 − ε) G(z),  ε ~ U[0, 1]

    with one ε per example and the norm taken as sqrt(Σ g² + 10⁻¹²), finite in
    gradient at g = 0 (``divergences.gradient_penalty``). With ``penalty="clip"``
    (Arjovsky et al., Algorithm 1) the penalty is dropped and every critic weight
    is clipped to [−c, c] after each critic update. The generator minimises
    −E f(G(z)). The defaults are Algorithm 1's: λ = 10, n_critic = 5, and
    ``compile()`` without optimizers (``default_optimizer``) takes Adam(10⁻⁴, β₁ = 0, β₂ = 0.9) for both
    players (RMSprop(5·10⁻⁵) with ``penalty="clip"``, c = 0.01).

    One ``train_step`` is one iteration of Algorithm 1: ``n_critic`` critic updates,
    then one generator update. Readings:

    * ``critic_batches="same"`` (default): every critic iteration sees the whole batch
      ``fit`` gives, with fresh z and ε each time, and the generator step draws as many
      z. Algorithm 1 samples new real data in every critic iteration; reusing the batch
      keeps each step's estimator independent of how the batch is split over replicas
      and of whether it divides by n_critic. ``"split"`` follows Algorithm 1 literally:
      the batch holds n_critic critic minibatches, iteration k uses the rows k,
      k + n_critic, k + 2·n_critic, … (strided, so that when the per-replica batch is a
      multiple of n_critic, R replicas use the minibatches of one device), and the
      generator step draws as many z as one such minibatch.
    * Arjovsky et al.'s 100 critic iterations for the first 25 generator steps and
      every 500th are not reproduced (Gulrajani et al. do not use them either).
    * Noise is per example and independent of the replica count (``local_normal``);
      ε ~ U[0, 1] is Φ(u) for u ~ N(0, 1) from the same helper (the probability
      integral transform), so it needs no separate uniform stream.
    * The generator has no encoder: ``encode``/``reconstruct`` are not available, the
      export has ``decode``, ``sample`` and ``serving_default``.
    * The logged ``loss`` is the critic's loss L_f (averaged over the critic
      iterations); ``wasserstein`` is E f(x) − E f(G(z)), the estimate of W1
      (Gulrajani et al. plot its negative), ``generator_loss`` is −E f(G(z)).

    Args:
      decoder: the generator, a ``vegan_tf.networks.Decoder``.
      critic: f, a ``vegan_tf.networks.Critic`` on the data shape (no batch norm: the
        penalty is per example, Gulrajani et al. Sec. 4).
      penalty: ``"gp"`` or ``"clip"``.
      lam: λ of the gradient penalty.
      clip_value: c of weight clipping.
      n_critic: critic updates per generator update.
      critic_batches: ``"same"`` or ``"split"``, see above.
      prior_scale, seed: see ``GenerativeModel``.

    Example:
    ```python
    from vegan_tf import models, networks
    gen = networks.Decoder((2,), 2, hidden=(128, 128), output_activation="linear")
    critic = networks.Critic((2,), hidden=(128, 128))
    model = models.WGAN(gen, critic)
    model.compile()                  # Adam(1e-4, beta_1=0, beta_2=0.9) for both players
    model.fit(points.batch(256), epochs=10)
    x = model.sample(1000, seed=0)
    ```
    """

    network_roles = ("decoder", "critic")
    players = {"optimizer": ("decoder",), "critic_optimizer": ("critic",)}
    tracked = ("loss", "wasserstein", "gradient_penalty", "generator_loss")

    SETTINGS = {"penalty": "gp", "lam": 10.0, "clip_value": 0.01, "n_critic": 5, "critic_batches": "same"}

    def __init__(self, decoder, critic, penalty="gp", lam=10.0, clip_value=0.01, n_critic=5,
                 critic_batches="same", encoder=None, **kwargs):
        if encoder is not None:
            raise ValueError("WGAN has no encoder; pass encoder=None.")
        super().__init__(decoder, None, **kwargs)
        if penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}, got {penalty!r}.")
        if critic_batches not in CRITIC_BATCHES:
            raise ValueError(f"critic_batches must be one of {CRITIC_BATCHES}, got {critic_batches!r}.")
        if int(n_critic) < 1:
            raise ValueError(f"n_critic must be >= 1, got {n_critic}.")
        self.configure(critic=critic, penalty=penalty, lam=float(lam), clip_value=float(clip_value),
                       n_critic=int(n_critic), critic_batches=critic_batches)
        if tuple(self.critic.input_shape_) != self.data_shape:
            raise ValueError(f"The critic takes {self.critic.input_shape_}, the generator makes {self.data_shape}.")

    @property
    def updates(self):
        """Algorithm 1: n_critic critic updates (each followed by clipping for WGAN), then the generator's."""
        return (Update("critic_optimizer", self.critic_terms, repeats=self.n_critic,
                       after=self.clip_critic if self.penalty == "clip" else None),
                Update("optimizer", self.generator_terms))

    def default_optimizer(self, player):
        """Algorithm 1's optimizers (see the class docstring), for both players."""
        del player
        if self.penalty == "gp":
            return optimizers_lib.Adam(1e-4, beta_1=0.0, beta_2=0.9)
        return keras.optimizers.RMSprop(5e-5)

    # ------------------------------------------------------------- losses
    def critic_loss(self, real, fake, salt):
        """``(L_f, logs)`` on a real and a generated batch; ``salt`` draws the interpolation weights."""
        real_scores = self.critic(real, training=True)
        fake_scores = self.critic(fake, training=True)
        loss = divergences.wasserstein_critic_loss(real_scores, fake_scores)
        logs = {"wasserstein": -loss}
        if self.penalty == "gp":
            u = self.local_normal(tf.shape(real)[0], 1, salt)[:, 0]
            eps = 0.5 * tf.math.erfc(-u / math.sqrt(2.0))  # Φ(u) ~ U[0, 1]
            gp = tf.reduce_mean(divergences.gradient_penalty(
                lambda t: self.critic(t, training=True), real, fake, eps))
            loss += self.lam * gp
        else:
            gp = tf.zeros([])
        logs.update(loss=loss, gradient_penalty=gp)
        return loss, logs

    def critic_batch(self, x, k):
        return x[k::self.n_critic] if self.critic_batches == "split" else x

    def critic_terms(self, batch):
        """Critic iteration k = ``batch.repeat`` of Algorithm 1 (its own z and ε streams)."""
        real = self.critic_batch(batch.x, batch.repeat)
        fake = tf.stop_gradient(self.generate(tf.shape(real)[0], _CRITIC_SALT + 2 * batch.repeat, batch.training))
        return self.critic_loss(real, fake, _CRITIC_SALT + 2 * batch.repeat + 1)

    def generator_terms(self, batch):
        """The generator's loss −E f(G(z)) on as many draws as one critic minibatch."""
        fake = self.generate(tf.shape(self.critic_batch(batch.x, 0))[0], PRIOR_SALT, batch.training)
        loss = divergences.wasserstein_generator_loss(self.critic(fake, training=True))
        return loss, {"generator_loss": loss}

    def clip_critic(self):
        """Clips every critic weight to [−c, c] (Arjovsky et al. 2017, Algorithm 1, l. 8)."""
        c = self.clip_value
        distribute.update_variables(self.critic.trainable_variables, lambda t: tf.clip_by_value(t, -c, c))

"""WGAN-GP and WGAN: the dual side of optimal transport, a generator against a Lipschitz critic."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from vegan_tf import divergences
from vegan_tf.models.base import PRIOR_SALT, GenerativeModel

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
    ``compile()`` without optimizers takes Adam(10⁻⁴, β₁ = 0, β₂ = 0.9) for both
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

    players = ("optimizer", "critic_optimizer")
    tracked = ("loss", "wasserstein", "gradient_penalty", "generator_loss")

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
        self.critic = critic if isinstance(critic, keras.layers.Layer) else keras.saving.deserialize_keras_object(critic)
        if tuple(self.critic.input_shape_) != self.data_shape:
            raise ValueError(f"The critic takes {self.critic.input_shape_}, the generator makes {self.data_shape}.")
        self.penalty, self.lam, self.clip_value = penalty, float(lam), float(clip_value)
        self.n_critic, self.critic_batches = int(n_critic), critic_batches

    @classmethod
    def from_model_config(cls, cfg, data_shape):
        """Builds generator and critic from ``config.model`` (``critic_hidden`` / ``critic_filters`` size f)."""
        from vegan_tf import models  # the registry module holds the shared network builders
        return cls(decoder=models.make_decoder(cfg, data_shape), critic=models.make_critic(cfg, data_shape),
                   **models.model_kwargs(cfg))

    def get_config(self):
        config = super().get_config()
        config.update(critic=keras.saving.serialize_keras_object(self.critic), penalty=self.penalty, lam=self.lam,
                      clip_value=self.clip_value, n_critic=self.n_critic, critic_batches=self.critic_batches)
        return config

    # ------------------------------------------------------------- players
    def compile(self, optimizer=None, critic_optimizer=None, **kwargs):
        """Both optimizers default to the paper's (see the class docstring)."""
        super().compile(optimizer=optimizer or self.paper_optimizer(),
                        critic_optimizer=critic_optimizer or self.paper_optimizer(), **kwargs)

    def paper_optimizer(self):
        if self.penalty == "gp":
            return keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)
        return keras.optimizers.RMSprop(5e-5)

    def updates_per_step(self, player):
        return self.n_critic if player == "critic_optimizer" else 1

    def player_variables(self, player):
        network = self.critic if player == "critic_optimizer" else self.decoder
        return network.trainable_variables

    # ------------------------------------------------------------- losses
    def generate(self, n, salt, training=True):
        """G(z) for n per-example prior draws of the stream ``salt`` (sigmoid / linear output applied)."""
        z = self.local_normal(n, self.latent_dim, salt, self.prior_scale)
        return self.decoder.activate(self.decoder(z, training=training))

    def critic_terms(self, real, fake, salt):
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

    def train_step(self, data):
        x = self.unpack(data)
        critic_logs = []
        for k in range(self.n_critic):
            real = self.critic_batch(x, k)
            fake = tf.stop_gradient(self.generate(tf.shape(real)[0], _CRITIC_SALT + 2 * k))
            critic_logs.append(self.minimize(
                "critic_optimizer", lambda: self.critic_terms(real, fake, _CRITIC_SALT + 2 * k + 1)))
            if self.penalty == "clip":
                clip_weights(self.critic.trainable_variables, self.clip_value)
        logs = {name: tf.add_n([l[name] for l in critic_logs]) / self.n_critic for name in critic_logs[0]}

        def generator_loss():
            fake = self.generate(tf.shape(self.critic_batch(x, 0))[0], PRIOR_SALT)
            loss = divergences.wasserstein_generator_loss(self.critic(fake, training=True))
            return loss, {"generator_loss": loss}

        logs.update(self.minimize("optimizer", generator_loss))
        return self.record(logs)

    def test_step(self, data):
        x = self.unpack(data)
        fake = self.generate(tf.shape(x)[0], PRIOR_SALT, training=False)
        _, logs = self.critic_terms(x, fake, _CRITIC_SALT + 1)
        logs["generator_loss"] = divergences.wasserstein_generator_loss(self.critic(fake))
        return self.record(logs, advance=False)


def clip_weights(variables, clip_value):
    """Clips every variable to [−c, c] in place (WGAN, Arjovsky et al. 2017, Algorithm 1, l. 8).

    Done in cross-replica context, like an optimizer update: a Keras variable under
    ``MirroredStrategy`` cannot be assigned from a replica.
    """
    def clip_all(strategy, variables):
        for v in variables:
            strategy.extended.update(v.value, lambda t: t.assign(tf.clip_by_value(t, -clip_value, clip_value)),
                                     group=False)

    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # already in cross-replica context
        clip_all(tf.distribute.get_strategy(), list(variables))
    else:
        ctx.merge_call(clip_all, args=(list(variables),))

"""LSOT: a plain auto-encoder and an explicit optimal transport map from the prior onto its codes."""

from __future__ import annotations

import keras
import tensorflow as tf

from vegan_tf import costs, divergences, ot
from vegan_tf.models.base import PRIOR_SALT, GenerativeModel, replica_info

TRANSPORT_FITS = ("median", "mean")


@keras.saving.register_keras_serializable("vegan_tf")
class LSOT(GenerativeModel):
    """Latent-space optimal transport (Liu et al., "Latent Space Optimal Transport for
    Generative Models", arXiv:1809.05964, 2018).

    A deterministic auto-encoder (E, G) is fitted by the reconstruction cost alone,
    min E c(X, G(E(X))), so the codes keep the data's structure instead of being pushed
    onto the prior. A transport map T from the prior P_Z onto the code distribution
    Q_Z = E#P_X is then found by a minimisation only (no min-max game), and the model
    samples G(T(z)), z ~ P_Z.

    How this implementation reads the paper (from its abstract: a "discriminator" between
    the simple distribution and the codes is trained by a minimisation only, and the OT
    mapping is then formulated explicitly from it):

    * The map is Brenier's: for the quadratic cost the optimal map is the gradient of a
      convex potential, T(z) = ∇φ(z) (Brenier 1991), with φ(z) = ½‖z‖² − ψ(z) for ψ the
      Kantorovich potential of the cost ½‖z − y‖², which plays the discriminator.
      φ is the ``potential`` network, a ReLU MLP whose convexity is not enforced. Its
      gradient is piecewise constant, so T sends each linear region of φ to one code:
      the structure of the semi-discrete Brenier potential max_i <z, y_i> + h_i of
      Gu et al. ("Variational principles for Minkowski type problems", 2013; Gu and Yau
      are among LSOT's authors). T can therefore be discontinuous and split the prior
      between separated clusters, which a continuous generator cannot. Its jumps lie on
      the hinges of φ's first ReLU layer, which the fit below cannot move by gradient
      (∇φ is constant between them, so the loss has no derivative in a jump's place).
      With Keras' zero biases every hinge passes through the origin and T can only cut
      the prior into wedges about 0: right for a ring centred at 0, wrong for the codes
      of an auto-encoder, which sit anywhere. The first layer's biases therefore start
      N(0, prior_scale²) (``transport_bias_stddev``; ``networks.Critic``'s
      ``first_bias_stddev``), spreading the hinges over the prior's support. Measured
      on an auto-encoder's codes of the eight-Gaussians ring (map alone, 1,500 steps):
      median distance of T(z) to the nearest cluster 0.21 with zero biases, 0.04 with
      spread ones (the clusters are 0.85 apart).
    * φ is learnt from optimal couplings of minibatches: each step draws z_1..z_n ~ P_Z,
      takes the codes y_1..y_n of the data batch, solves the assignment
      σ = argmin_σ Σ_i ‖z_i − y_σ(i)‖² exactly (``vegan_tf.ot.assignment``; for
      uniform weights and equal sizes an optimal plan is a permutation) and fits the
      map to the matched codes by least absolute deviations,

          L_T(φ) = 1/n Σ_i ‖∇φ(z_i) − y_σ(i)‖₂      (``transport_fit="median"``),

      whose minimiser over all maps is the conditional geometric median of y_σ(z)
      given z. As n grows the coupling becomes deterministic and both this and the
      least-squares fit (``"mean"``, ‖·‖₂²: the conditional mean, the barycentric
      projection) tend to the OT map. For finite n the minibatch couplings near a
      boundary between two clusters send z to either, with frequencies that vary from
      batch to batch: the mean averages the two codes and puts samples between the
      clusters, the median takes the majority code and keeps the map's jump. On the
      eight-Gaussians ring (as data, no auto-encoder) with n = 256 the conditional mean
      sends only about a fifth of the prior mass within 3 std of a mode (a Monte Carlo
      estimate over 1,500 batches); a potential fitted with the median for 1,000 steps
      sent 85 % of its samples there. The paper's exact objective for its
      discriminator is not reproduced; this fit to exact couplings is the same kind of
      problem: a minimisation, with no adversary.
    * The two phases of the paper (train the AE, then compute the map) run jointly:
      every step updates the AE on the reconstruction cost ("optimizer"), then φ on
      L_T ("transport_optimizer") against the codes of the updated encoder in inference
      mode (what ``encode`` returns), stop-gradient'ed: the map tracks the codes and
      the AE never sees the map. Once the AE has converged this is the second phase.
    * Across replicas the coupling is global: codes are gathered and one prior batch of
      the global size is matched to them; each replica regresses its own rows, so R
      replicas give the step of one device with the same global batch.
    * ``decode(z)`` decodes a code (``reconstruct = decode ∘ encode``); ``sample`` is
      G(T(z)) and ``transport(z)`` exposes T.

    Args:
      decoder, encoder: the auto-encoder (the encoder deterministic).
      potential: φ, a ``vegan_tf.networks.Critic`` on ``(latent_dim,)``.
      cost: reconstruction cost name (``vegan_tf.costs``).
      cost_scale: a number or ``"wae"``.
      transport_fit: ``"median"`` (‖·‖₂) or ``"mean"`` (‖·‖₂²) regression of the map, see above.
        (Config only: ``transport_hidden``, φ's widths, default ``hidden``;
        ``transport_bias_stddev``, φ's first-layer bias spread, default ``prior_scale``.)
      prior_scale, seed: see ``GenerativeModel``.

    Example:
    ```python
    from vegan_tf import models, networks
    enc = networks.Encoder((2,), 2, hidden=(128, 128))
    dec = networks.Decoder((2,), 2, hidden=(128, 128), output_activation="linear")
    phi = networks.Critic((2,), hidden=(256, 256), first_bias_stddev=1.0)  # hinges spread over N(0, I)
    model = models.LSOT(dec, enc, phi)
    model.compile(optimizer="adam", transport_optimizer="adam")
    model.fit(points.batch(256), epochs=10)
    x = model.sample(1000, seed=0)         # G(T(z))
    ```
    """

    players = ("optimizer", "transport_optimizer")
    tracked = ("loss", "reconstruction", "transport")

    def __init__(self, decoder, encoder, potential, cost="l2sq", cost_scale=1.0, transport_fit="median", **kwargs):
        super().__init__(decoder, encoder, **kwargs)
        if self.encoder.kind != "deterministic":
            raise ValueError(f"LSOT's auto-encoder is deterministic; got an encoder of kind {self.encoder.kind!r}.")
        self.potential = (potential if isinstance(potential, keras.layers.Layer)
                          else keras.saving.deserialize_keras_object(potential))
        if tuple(self.potential.input_shape_) != (self.latent_dim,):
            raise ValueError(f"The potential takes {self.potential.input_shape_}, the codes are ({self.latent_dim},).")
        self.cost_name, self.cost_scale = cost, cost_scale
        self.cost = costs.get(cost, cost_scale)
        if transport_fit not in TRANSPORT_FITS:
            raise ValueError(f"transport_fit must be one of {TRANSPORT_FITS}, got {transport_fit!r}.")
        self.transport_fit = transport_fit

    @classmethod
    def from_model_config(cls, cfg, data_shape):
        """Auto-encoder from the shared keys; φ is an MLP of widths ``transport_hidden`` (default ``hidden``)."""
        from vegan_tf import models  # the registry module holds the shared network builders
        kwargs = models.model_kwargs(cfg)
        hidden = kwargs.pop("transport_hidden", cfg.get("hidden", (256, 256)))
        spread = kwargs.pop("transport_bias_stddev", cfg.get("prior_scale", 1.0))
        potential = models.make_critic(cfg, (cfg["latent_dim"],), hidden=hidden, first_bias_stddev=spread)
        return cls(decoder=models.make_decoder(cfg, data_shape), encoder=models.make_encoder(cfg, data_shape),
                   potential=potential, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(potential=keras.saving.serialize_keras_object(self.potential), cost=self.cost_name,
                      cost_scale=self.cost_scale, transport_fit=self.transport_fit)
        return config

    def player_variables(self, player):
        if player == "transport_optimizer":  # T = ∇φ ignores φ's constant: its output bias gets no gradient
            return [v for v in self.potential.trainable_variables if v is not self.potential.head.bias]
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    # ------------------------------------------------------------- the map
    def transport(self, z, training=False):
        """T(z) = ∇φ(z): prior draws to codes."""
        z = tf.convert_to_tensor(z, tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(z)
            phi = self.potential(z, training=training)
        return tape.gradient(phi, z)  # φ acts row by row, so this is each row's gradient

    def sample(self, num_samples, seed=0):
        """``num_samples`` draws G(T(z)), z ~ P_Z; the same ``seed`` gives the same samples."""
        return self.decode(self.transport(self.prior_sample(num_samples, seed)))

    # ------------------------------------------------------------- losses
    def reconstruction_terms(self, x, training):
        codes = self.code(x, training=training)
        logits = self.decoder(codes, training=training)
        reconstruction = tf.reduce_mean(self.cost(x, self.decoder.activate(logits), logits))
        return reconstruction, codes

    def transport_terms(self, codes, training):
        """L_T on this replica's rows of the globally matched (prior, code) pairs."""
        n = tf.shape(codes)[0]
        y = self.gather(tf.stop_gradient(codes))
        z = self.global_normal(n, self.latent_dim, PRIOR_SALT, self.prior_scale)
        matched = tf.gather(y, ot.assignment(z, y))
        _, replica_id = replica_info()
        rows = slice(replica_id * n, (replica_id + 1) * n)
        residual = self.transport(z[rows], training=training) - matched[rows]
        if self.transport_fit == "median":
            return tf.reduce_mean(divergences.guarded_norm(residual))
        return tf.reduce_mean(tf.reduce_sum(tf.square(residual), axis=1))

    def train_step(self, data):
        x = self.unpack(data)

        def autoencoder_loss():
            reconstruction, _ = self.reconstruction_terms(x, training=True)
            return reconstruction, {"reconstruction": reconstruction}

        logs = self.minimize("optimizer", autoencoder_loss)
        codes = self.code(x, training=False)  # what ``encode`` gives: the map's target at sampling time

        def transport_loss():
            transport = self.transport_terms(codes, training=True)
            return transport, {"transport": transport}

        logs.update(self.minimize("transport_optimizer", transport_loss))
        logs["loss"] = logs["reconstruction"] + logs["transport"]
        return self.record(logs)

    def test_step(self, data):
        x = self.unpack(data)
        reconstruction, codes = self.reconstruction_terms(x, training=False)
        transport = self.transport_terms(codes, training=False)
        logs = {"loss": reconstruction + transport, "reconstruction": reconstruction, "transport": transport}
        return self.record(logs, advance=False)

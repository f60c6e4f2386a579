"""LSOT: a plain auto-encoder and an explicit optimal transport map from the prior onto its codes."""

from __future__ import annotations

import keras
import tensorflow as tf

from vegan_tf import costs, distribute
from vegan_tf import samplers as samplers_lib
from vegan_tf.models.base import GenerativeModel, Update

TRANSPORT_FITS = samplers_lib.TRANSPORT_FITS
#: Where LSOT's map lives (``config.model.transport_map``): the ``transport`` latent sampler, fitted
#: after the auto-encoder ("sampler"), or a potential network trained alongside it ("joint", vegan_tf 0.2).
TRANSPORT_MAPS = ("sampler", "joint")


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
    * The paper's two phases: train the AE, then compute the map. By default
      (``potential=None``; config ``model.transport_map="sampler"``) that is what LSOT is: a
      plain auto-encoder trained on the reconstruction cost, whose latent sampler is the
      ``transport`` one (``vegan_tf.samplers.TransportSampler``, the map above with the same
      fit), fitted to its codes after training (``fit_sampler``; the binary fits it after its
      last step). Any other latent sampler can take its place.
    * ``potential`` given (config ``transport_map="joint"``, vegan_tf 0.2's LSOT, kept so that its
      configs, checkpoints and ``.keras`` files keep their meaning): the phases run jointly,
      every step updates the AE on the reconstruction cost ("optimizer"), then φ on L_T
      ("transport_optimizer") against the codes of the updated encoder in inference mode (what
      ``encode`` returns), stop-gradient'ed: the map tracks the codes and the AE never sees it.
    * The joint map across replicas: the coupling is global, codes are gathered and one prior
      batch of the global size is matched to them; each replica regresses its own rows, so R
      replicas give the step of one device with the same global batch.
    * ``decode(z)`` decodes a code (``reconstruct = decode ∘ encode``); ``sample`` is
      G(T(z)) and ``transport(z)`` exposes T.

    Args:
      decoder, encoder: the auto-encoder (the encoder deterministic).
      potential: None (the map is the ``transport`` latent sampler, fitted after training), or φ,
        a ``vegan_tf.networks.Critic`` on ``(latent_dim,)`` trained jointly.
      cost: reconstruction cost name (``vegan_tf.costs``).
      cost_scale: a number or ``"wae"``.
      transport_fit: ``"median"`` (‖·‖₂) or ``"mean"`` (‖·‖₂²) regression of the map, see above.
        (Config only, for the joint map: ``transport_hidden``, φ's widths, default ``hidden``;
        ``transport_bias_stddev``, φ's first-layer bias spread, default ``prior_scale``. The
        sampler's are ``sampler.transport.*``.)
      prior_scale, seed: see ``GenerativeModel``.

    Example:
    ```python
    from vegan_tf import models, networks
    enc = networks.Encoder((2,), 2, hidden=(128, 128))
    dec = networks.Decoder((2,), 2, hidden=(128, 128), output_activation="linear")
    model = models.LSOT(dec, enc)          # the auto-encoder; its sampler is an unfitted `transport` map
    model.compile(optimizer="adam")
    model.fit(points.batch(256), epochs=10)
    model.fit_sampler(points.batch(500))   # the map T = ∇φ from N(0, I) onto the codes
    x = model.sample(1000, seed=0)         # G(T(z))
    ```
    """

    network_roles = ("decoder", "encoder", "potential")
    #: ``transport_map`` is a config key only (``models.build`` makes a potential for "joint"); its default
    #: is vegan_tf 0.2's LSOT so that 0.2 configs and workdirs resume as they were; the shipped configs say "sampler".
    config_defaults = {"transport_map": "joint"}
    xla_unsupported = "the exact assignment of the joint map runs in SciPy through tf.numpy_function"

    #: The config keys this class adds or overrides, with their defaults: the declared schema
    #: (``models.default_config``); a test checks that the constructor takes the same defaults.
    SETTINGS = {"cost": "l2sq", "cost_scale": 1.0, "transport_fit": "median"}

    def __init__(self, decoder, encoder, potential=None, cost="l2sq", cost_scale=1.0, transport_fit="median",
                 **kwargs):
        default_sampler = potential is None and kwargs.get("sampler") is None
        super().__init__(decoder, encoder, **kwargs)
        if self.encoder.kind != "deterministic":
            raise ValueError(f"LSOT's auto-encoder is deterministic; got an encoder of kind {self.encoder.kind!r}.")
        if transport_fit not in TRANSPORT_FITS:
            raise ValueError(f"transport_fit must be one of {TRANSPORT_FITS}, got {transport_fit!r}.")
        if default_sampler:  # the map, to be fitted to the codes after training
            self.set_sampler(samplers_lib.TransportSampler(self.latent_dim, self.prior_scale,
                                                           transport_fit=transport_fit))
        self.configure(potential=potential, cost=cost, cost_scale=cost_scale, transport_fit=transport_fit)
        self.cost_fn = costs.get(cost, cost_scale)
        self.joint = self.potential is not None
        if not self.joint:
            self.xla_unsupported = None  # a plain auto-encoder's step
        self.tracked = ("loss", "reconstruction") + (("transport",) if self.joint else ())
        if self.joint:
            if tuple(self.potential.input_shape_) != (self.latent_dim,):
                raise ValueError(f"The potential takes {self.potential.input_shape_}, the codes are ({self.latent_dim},).")
            self.potential.build()
            self.potential.head.bias.trainable = False  # T = ∇φ ignores φ's constant: no gradient reaches it

    @staticmethod
    def players_for(joint):
        """The auto-encoder, and φ's own player when the map is trained jointly."""
        return {"optimizer": ("encoder", "decoder"), **({"transport_optimizer": ("potential",)} if joint else {})}

    @property
    def players(self):
        return self.players_for(self.joint)

    @property
    def updates(self):
        autoencoder = Update("optimizer", self.reconstruction_terms)
        return (autoencoder, Update("transport_optimizer", self.transport_terms)) if self.joint else (autoencoder,)

    # ------------------------------------------------------------- the map
    def transport(self, z, training=False):
        """T(z) = ∇φ(z): prior draws to codes (the joint map's φ, or the fitted ``transport`` sampler's)."""
        if not self.joint:
            if not isinstance(self.sampler, samplers_lib.TransportSampler):
                raise ValueError(f"This LSOT samples through a {self.sampler.kind!r} latent sampler: it has no map.")
            return self.sampler.transport(z)
        return samplers_lib.gradient_map(self.potential, z, training)

    def sample_codes(self, num_samples, seed=0):
        """``num_samples`` codes (``sample`` decodes them); the same ``seed`` gives the same codes.

        The latent sampler's (by default the ``transport`` map); with a jointly trained map and
        no fitted sampler, T(z), z ~ P_Z.
        """
        if self.joint and not self.sampler.needs_fit:
            return self.own_codes(num_samples, seed)
        return super().sample_codes(num_samples, seed)

    def own_codes(self, num_samples, seed=0):
        """T(z), z ~ P_Z for the jointly trained map; prior draws otherwise (the sampler is not fitted yet)."""
        if not self.joint:
            return super().own_codes(num_samples, seed)
        return self.transport(self.prior_sample(num_samples, seed))

    # ------------------------------------------------------------- losses
    def transport_terms(self, batch):
        """L_T against the codes of the encoder after this step's update, in inference mode (what ``encode`` gives)."""
        transport = self.transport_loss(self.code(batch.x, training=False), batch.training)
        return transport, {"transport": transport}

    def transport_loss(self, codes, training):
        """L_T on this replica's rows of the globally matched (prior, code) pairs."""
        z, matched = distribute.coupled_rows(self.prior_draws(tf.shape(codes)[0], "global"), codes)
        return samplers_lib.transport_fit_loss(self.transport(z, training=training) - matched, self.transport_fit)

    def summarize(self, logs):
        return {**logs, "loss": logs["reconstruction"] + logs.get("transport", 0.0)}

"""The Sinkhorn generator: a minimum Kantorovich estimator with entropic optimal transport."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from vegan_tf import distribute, divergences, ot
from vegan_tf.models.base import GenerativeModel, Update

#: The prior draws of the cost network's update k use the stream ``_COST_SALT + k``, the interpolation weights of
#: its gradient penalty the stream ``_PENALTY_SALT + k``.
_COST_SALT = 200
_PENALTY_SALT = 300


@keras.saving.register_keras_serializable("vegan_tf")
class SinkhornGenerator(GenerativeModel):
    """A generator fitted by minimising the Sinkhorn loss between generated and data minibatches.

    The minimum Kantorovich estimator (Genevay & Peyré, "GAN and VAE from an Optimal
    Transport Point of View", 2017) min_G W_c(P_G, P_X), made tractable by
    entropic regularisation and minibatches as in Genevay, Peyré & Cuturi, "Learning
    Generative Models with Sinkhorn Divergences" (AISTATS 2018, Algorithm 1): each step
    draws z_1..z_n ~ P_Z and a data batch x_1..x_n, runs L Sinkhorn iterations on the
    cost matrix C_ij = c(G(z_i), x_j) and differentiates the loss through them
    (Algorithm 1 unrolls the iterations in autodiff; see the first reading below).
    The loss is ``vegan_tf.ot.sinkhorn_loss``: by default the debiased Sinkhorn divergence

        S_ε(G(z), x) = OT_ε(G(z), x) − ½ OT_ε(G(z), G(z)) − ½ OT_ε(x, x),

    with OT_ε the regularised value (Feydy et al. 2019), which is 0 when the two
    batches coincide; ``objective="cost"`` uses the transport cost <P_ε, C> of the
    entropic plan W_ε (the quantity of Genevay et al., whose loss 2 W_ε(μ, ν) − W_ε(μ, μ)
    − W_ε(ν, ν) is twice this one).

    Readings:

    * Gradients: with the default ``objective="dual"`` the iterations are not unrolled;
      the gradient is the envelope theorem's, the plan held fixed (Feydy et al. 2019),
      which is what the unrolled gradient converges to and costs one forward loop
      (the three problems of the divergence run as one batch). ``objective="cost"``
      unrolls them, as Genevay et al.'s Algorithm 1.
    * The ground cost is ‖x − y‖^p on flattened data (``p=2``: squared Euclidean,
      ``p=1``: Euclidean) by default. With a ``cost_net`` f_φ (config
      ``model.learn_cost=True``) it is learnt adversarially, as Genevay et al. do on images
      (Sec. 3.2 and Algorithm 1): c_φ(x, y) = ‖f̂_φ(x) − f̂_φ(y)‖^p on the features
      f̂_φ = f_φ / ‖f_φ‖, and each step first takes ``cost_steps`` updates of φ that
      *maximise* the loss (on fresh prior draws, the generator held fixed), then the
      generator's update that minimises it. Our reading of their constraint on f_φ: a
      learnt cost must be kept from growing without bound (a φ that scales the features
      up raises every Sinkhorn loss), which they do by clipping φ's weights as WGAN and
      MMD-GAN do; we bound the cost instead by putting the features on the unit sphere
      (so c_φ = 2 − 2 cos for ``p=2``, in [0, 4], the cosine cost of OT-GAN, Salimans et
      al. 2018), which needs no clipping range and keeps ε in fixed units.
    * Injectivity: MMD-GAN (Li et al. 2017), whose set-up Genevay et al. follow, asks f_φ
      to be injective, so that the learnt cost cannot vanish between different points, and
      imposes it with an auto-encoder term on f_φ. ``cost_pixel_weight`` = w > 0 imposes it
      by construction instead: the cost compares [f̂_φ(x), √(w/D)·x], i.e. for ``p=2``
      c(x, y) = ‖f̂_φ(x) − f̂_φ(y)‖² + w‖x − y‖²/D (D the data size), a pixel cost that
      f_φ cannot move. With w = 0 (the default) no injectivity is imposed.
    * ``cost_gradient_penalty`` = λ > 0 (off by default) adds to f_φ's objective WGAN-GP's
      penalty λ E(‖∇ψ(x̂)‖ − 1)² on the divergence's witness ψ = f_αβ − f_αα (the soft
      c-transforms of the potentials the loss has solved, ``ot.sinkhorn_witness``; the critic of
      the Sinkhorn loss), at points x̂ between data and generated images: a Lipschitz constraint on
      the learnt cost in pixel space, not the paper's. Our extension, after the gradient
      penalties of WGAN-GP (Gulrajani et al. 2017) and MMD-GANs (Bińkowski et al. 2018).
    * ε is in the units of the cost (squared distances for ``p=2``), not rescaled.
    * The solver (``vegan_tf.ot.sinkhorn``) stops early once the L1 error of the plan's
      row marginal is below ``sinkhorn_tol`` (1e-6 by default; 0: always ``num_iters``
      iterations, the behaviour before the option), and ε-scaling (annealing ε from
      max C by the factor ``sinkhorn_eps_scaling``; Schmitzer 2019, Feydy et al. 2019)
      is off by default. Measured on the shipped configs' problems
      (``benchmarks/sinkhorn_solver.py``): the stop ends configs/sinkhorn_mnist.py's
      well-conditioned problem (ε = 10 against Euclidean distances of about 10) after a
      few iterations instead of 100 at the same loss and marginal error; at ε = 0.5 on
      digits it does not trigger within 50 iterations (the same steps as before);
      ε-scaling needed more iterations than starting from zero at these ε and pays off
      only for ε far below the cost's scale. Logged with the loss: the solver's final
      ``sinkhorn_marginal_error`` (L1, both marginals, the worst of the three problems)
      and ``sinkhorn_iterations``.
    * Across replicas the loss is the global-batch estimator: generated points and
      data are gathered from all replicas and one Sinkhorn problem is solved on the
      global batch (gradients flow back to each replica's own points), so a step on
      R replicas equals the step on one device with the same global batch. The witness
      of the gradient penalty is that global problem's, and each replica penalises its
      own interpolates, so the same holds with the penalty on.

    Args:
      decoder: the generator, a ``vegan_tf.networks.Decoder``.
      epsilon: the entropic regularisation ε.
      p: the exponent of the ground cost, 2 or 1.
      num_iters: Sinkhorn iterations L.
      debiased: subtract the two self-transport terms (a Sinkhorn divergence).
      objective: ``"dual"`` (regularised OT_ε) or ``"cost"`` (<P_ε, C>).
      sinkhorn_tol: stop the iterations once the row-marginal L1 error is below it (0: off).
      sinkhorn_eps_scaling: the ε-scaling factor q in (0, 1) (0: off).
      cost_net: None (the fixed cost), or f_φ, a ``vegan_tf.networks.Critic`` with ``features`` > 0
        on the data shape (the learnt cost).
      cost_steps: updates of f_φ per generator update.
      cost_pixel_weight: w ≥ 0, the weight of the fixed pixel term of a learnt cost (see above).
      cost_gradient_penalty: λ ≥ 0, the weight of the witness's gradient penalty on a learnt cost (see above).
      prior_scale, seed: see ``GenerativeModel``.

    Example:
    ```python
    from vegan_tf import models, networks
    gen = networks.Decoder((2,), 2, hidden=(128, 128), output_activation="linear")
    model = models.SinkhornGenerator(gen, epsilon=0.05, num_iters=50)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(points.batch(256), epochs=10)
    ```
    """

    network_roles = ("decoder", "cost_net")
    #: ``learn_cost`` is a config key only: ``models.build`` makes the ``cost_net`` f_φ when it is True.
    config_defaults = {"learn_cost": False}

    SETTINGS = {"epsilon": 0.1, "p": 2, "num_iters": 100, "debiased": True, "objective": "dual", "sinkhorn_tol": 1e-6,
                "sinkhorn_eps_scaling": 0.0, "cost_steps": 1, "cost_pixel_weight": 0.0, "cost_gradient_penalty": 0.0}

    def __init__(self, decoder, epsilon=0.1, p=2, num_iters=100, debiased=True, objective="dual",
                 sinkhorn_tol=1e-6, sinkhorn_eps_scaling=0.0, cost_net=None, cost_steps=1, cost_pixel_weight=0.0,
                 cost_gradient_penalty=0.0, encoder=None, **kwargs):
        if encoder is not None:
            raise ValueError("SinkhornGenerator has no encoder; pass encoder=None.")
        super().__init__(decoder, None, **kwargs)
        ot.check_sinkhorn_settings(p, objective, sinkhorn_eps_scaling)
        if int(cost_steps) < 1:
            raise ValueError(f"cost_steps must be >= 1, got {cost_steps}.")
        if not float(cost_pixel_weight) >= 0.0:
            raise ValueError(f"cost_pixel_weight must be >= 0, got {cost_pixel_weight}.")
        if not float(cost_gradient_penalty) >= 0.0:
            raise ValueError(f"cost_gradient_penalty must be >= 0, got {cost_gradient_penalty}.")
        self.configure(epsilon=float(epsilon), p=int(p), num_iters=int(num_iters), debiased=bool(debiased),
                       objective=objective, sinkhorn_tol=float(sinkhorn_tol or 0.0),
                       sinkhorn_eps_scaling=float(sinkhorn_eps_scaling or 0.0), cost_net=cost_net,
                       cost_steps=int(cost_steps), cost_pixel_weight=float(cost_pixel_weight),
                       cost_gradient_penalty=float(cost_gradient_penalty))
        for setting in ("cost_pixel_weight", "cost_gradient_penalty"):
            if self.cost_net is None and getattr(self, setting):
                raise ValueError(f"{setting} is a setting of a learnt cost: set learn_cost=True "
                                 f"(config.model.learn_cost) or leave {setting} at 0.")
        if self.cost_net is not None:
            if tuple(self.cost_net.input_shape_) != self.data_shape or not self.cost_net.features:
                raise ValueError(f"cost_net must be a Critic with features > 0 on the data shape {self.data_shape}; "
                                 f"got input {self.cost_net.input_shape_} and features={self.cost_net.features}.")
        self.tracked = ("loss",) + ot.SINKHORN_DIAGNOSTICS + ("cost_loss",) * (self.cost_net is not None) + (
            ("cost_gradient_penalty",) if self.cost_gradient_penalty else ())

    @staticmethod
    def players_for(learn_cost):
        """The generator, and f_φ when the cost is learnt."""
        return {"optimizer": ("decoder",), **({"cost_optimizer": ("cost_net",)} if learn_cost else {})}

    @property
    def players(self):
        return self.players_for(self.cost_net is not None)

    @property
    def updates(self):
        """``cost_steps`` ascent steps of f_φ (a learnt cost), then the generator's step."""
        generator = Update("optimizer", self.loss_terms)
        if self.cost_net is None:
            return (generator,)
        return (Update("cost_optimizer", self.cost_terms, repeats=self.cost_steps), generator)

    # ------------------------------------------------------------- losses
    def features(self, x, training=True):
        """f̂_φ(x) = f_φ(x) / ‖f_φ(x)‖, the points the learnt cost compares (with √(w/D)·x for a pixel weight w)."""
        f = tf.math.l2_normalize(self.cost_net(x, training=training), axis=-1, epsilon=1e-12)
        if not self.cost_pixel_weight:
            return f
        size = math.prod(self.data_shape)
        pixels = tf.reshape(tf.cast(x, f.dtype), [-1, size]) * (self.cost_pixel_weight / size) ** 0.5
        return tf.concat([f, pixels], axis=-1)

    def divergence(self, fake, real, training, witness=False):
        """The Sinkhorn loss between the batches (gathered from every replica), on f̂_φ for a learnt cost:
        ``(loss, diagnostics)``, and with ``witness=True`` the divergence's witness ψ on the feature space
        (``ot.sinkhorn_loss_terms``), built from the global batch's potentials."""
        if self.cost_net is not None:
            fake, real = self.features(fake, training), self.features(real, training)
        if distribute.replica_info()[0] > 1:
            # One all-gather for both batches: two unordered collectives can pair up wrongly across replicas.
            both = distribute.gather(tf.stack([fake, real], axis=1))
            fake, real = both[:, 0], both[:, 1]
        return ot.sinkhorn_loss_terms(
            fake, real, self.epsilon, p=self.p, num_iters=self.num_iters, debiased=self.debiased,
            objective=self.objective, tol=self.sinkhorn_tol, eps_scaling=self.sinkhorn_eps_scaling, witness=witness)

    def loss_terms(self, batch):
        """The generator's loss: the Sinkhorn loss of G(z) against the data batch."""
        loss, diagnostics = self.divergence(self.generate(tf.shape(batch.x)[0], training=batch.training), batch.x,
                                            batch.training)
        return loss, {"loss": loss, **diagnostics}

    def cost_terms(self, batch):
        """Update k = ``batch.repeat`` of f_φ: minus the Sinkhorn loss on fresh G(z), the generator held fixed
        (plus the witness's gradient penalty when ``cost_gradient_penalty`` > 0)."""
        fake = tf.stop_gradient(self.generate(tf.shape(batch.x)[0], _COST_SALT + batch.repeat, batch.training))
        if not self.cost_gradient_penalty:
            loss, _ = self.divergence(fake, batch.x, batch.training)
            return -loss, {"cost_loss": loss}
        loss, _, witness = self.divergence(fake, batch.x, batch.training, witness=True)
        penalty = self.witness_penalty(witness, fake, batch.x, _PENALTY_SALT + batch.repeat, batch.training)
        return -loss + self.cost_gradient_penalty * penalty, {"cost_loss": loss, "cost_gradient_penalty": penalty}

    def witness_penalty(self, witness, fake, real, salt, training=True):
        """E (‖∇ψ(x̂)‖ − 1)² at x̂ = t x + (1 − t) G(z), t ~ U[0, 1], for this replica's rows.

        ψ(f̂_φ(·)) is the witness of the divergence under the learnt cost (``witness`` takes features:
        ``divergence(..., witness=True)``), the first variation of the debiased divergence and the
        critic of the Sinkhorn loss; its gradient in pixel space is pulled to 1 as WGAN-GP pulls its
        critic's (Gulrajani et al. 2017). The potentials are those the loss solved, held fixed; the
        gradient of the penalty reaches φ through the cost, at x̂ and at the batch's points. Under R
        replicas ψ is the global batch's, and each replica penalises its own x̂, so the step is the
        one device's with the global batch.
        """
        u = self.local_normal(tf.shape(real)[0], 1, salt)[:, 0]
        t = 0.5 * tf.math.erfc(-u / math.sqrt(2.0))  # Φ(u) ~ U[0, 1]
        return tf.reduce_mean(divergences.gradient_penalty(
            lambda points: witness(self.features(points, training)), tf.cast(real, fake.dtype), fake, t))

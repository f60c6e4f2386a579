"""Latent samplers: the distribution an auto-encoder draws its codes from at generation time.

POT (Bousquet et al. 2017, eq. 4) only pulls the codes' distribution Q_Z towards the prior P_Z
with a penalty of weight λ: after training Q_Z ≠ P_Z, and prior draws land where no code lies.
A latent sampler is the fifth part of an auto-encoding model: a distribution fitted to codes of
training images after the auto-encoder has trained, from which ``model.sample`` draws before it
decodes. Every kind is a Keras layer whose state is held in variables (it lives in ``.keras``
files, the binary's sampler checkpoints and the SavedModel), samples ``n`` codes from an integer
seed with stateless ops (same seed, same codes) inside a graph, and is fitted by ``fit(codes)``:

* ``prior``: P_Z = N(0, σ_z² I) itself (the default; nothing to fit).
* ``gmm``: an ex-post Gaussian mixture with full covariances (Ghosh et al., "From Variational to
  Deterministic Autoencoders", ICLR 2020, Sec. 4, "ex-post density estimation"), fitted by EM
  from a k-means++ start; the number of components is given, or chosen by the log-likelihood of
  held-out codes (10 % of the codes given to ``fit``).
* ``transport``: LSOT's optimal transport map T = ∇φ from P_Z onto the codes (Liu et al. 2018;
  ``vegan_tf.models.LSOT`` explains the reading), fitted after the auto-encoder to exact
  minibatch couplings (``vegan_tf.ot.assignment``).
* ``flow_matching``: minibatch-OT conditional flow matching (Tong et al., "Improving and
  generalizing flow-based generative models with minibatch optimal transport", TMLR 2024, Alg. 1
  with σ = ``sigma``; Lipman et al., "Flow Matching for Generative Modeling", ICLR 2023): a small
  velocity network v(t, z) regressed on u = y − x₀ at x_t = (1 − t) x₀ + t y for exactly coupled
  prior draws x₀ and codes y, sampled by integrating dz/dt = v(t, z) from t = 0 to 1 with
  ``integration_steps`` midpoint steps.

The iterative kinds (``transport``, ``flow_matching``) count their updates in the variable
``fit_step``: ``fit`` goes on from there, and its minibatches and noise depend only on
(``seed``, step), so a fit interrupted and resumed from a checkpoint of the sampler and its
optimizer ends where the uninterrupted one does.

    sampler = samplers.get("gmm", latent_dim=16, components=10)
    sampler.fit(codes)                     # numpy [N, 16]
    z = sampler.sample(1000, seed=0)       # [1000, 16]
"""

from __future__ import annotations

import inspect
import math

import keras
import numpy as np
import scipy.linalg
import scipy.special
import tensorflow as tf

from vegan_tf import divergences, ot

#: Component counts the mixture tries when ``components=0`` (those up to ``max_components``).
COMPONENT_CANDIDATES = (1, 2, 3, 5, 8, 10, 15, 20, 30, 40, 50, 75, 100)
#: Share of the codes held out to choose the number of components.
HELD_OUT = 0.1
#: Salts of the sampling streams: the prior's draws are those of ``GenerativeModel.prior_sample``.
_PRIOR_SALT, _COMPONENT_SALT = 0x5EED, 0xC0DE


# Checks of one setting: ``check(value) -> value``, raising ``_Refused(what it must be)``.
class _Refused(ValueError):
    pass


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _int(low):
    def check(value):
        if not _is_int(value) or value < low:
            raise _Refused(f"an int >= {low}")
        return int(value)
    return check


def _number(low, strict):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                value > low if strict else value >= low):
            raise _Refused(f"a number {'>' if strict else '>='} {low}")
        return float(value)
    return check


def _widths(value):
    if not isinstance(value, (tuple, list)) or not value or not all(_is_int(w) and w >= 1 for w in value):
        raise _Refused("a non-empty tuple of layer widths (ints >= 1)")
    return tuple(int(w) for w in value)


def _choice(*options):
    def check(value):
        if value not in options:
            raise _Refused(f"one of {options}")
        return value
    return check


def prior_draws(num_samples, seed, latent_dim, prior_scale=1.0):
    """``num_samples`` draws of N(0, σ_z² I) from an integer ``seed``, stateless: what every model's prior samples."""
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(_PRIOR_SALT, tf.int64)])
    return prior_scale * tf.random.stateless_normal(tf.stack([num_samples, latent_dim]), seed)


def as_codes(codes, latent_dim):
    """``codes`` as a float64 numpy array ``[N, latent_dim]``, checked (finite, at least two rows)."""
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2 or codes.shape[1] != latent_dim:
        raise ValueError(f"Codes to fit a sampler must have shape [N, {latent_dim}], got {list(codes.shape)}.")
    if len(codes) < 2:
        raise ValueError(f"A sampler needs at least 2 codes to fit, got {len(codes)}.")
    if not np.all(np.isfinite(codes)):
        raise ValueError("The codes hold NaN or infinite values: the auto-encoder diverged; a sampler cannot be "
                         "fitted to them.")
    return codes


class LatentSampler(keras.layers.Layer):
    """Base class: P_Z's draws, the sampling contract, the fit counter.

    Args:
      latent_dim: the codes' size.
      prior_scale: σ_z of the prior N(0, σ_z² I) (the start of ``transport`` and ``flow_matching``).
    """

    kind = None
    #: Whether the sampler is fitted to codes (all but the prior).
    needs_fit = True
    #: Setting name -> its check ``value -> value`` (raising ``_Refused``); a class adds its own to its bases'.
    checks = {"latent_dim": _int(1), "prior_scale": _number(0, strict=True)}

    def __init__(self, latent_dim, prior_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.prior_scale = self.validate(latent_dim=latent_dim, prior_scale=prior_scale).values()
        if self.needs_fit:
            self.fit_step = self.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False,
                                            name="fit_step")

    @classmethod
    def validate(cls, **settings):
        """``settings`` checked (``ValueError`` naming the key) and normalised; creates nothing, so safe anywhere."""
        checks = {}
        for klass in reversed(cls.__mro__):
            checks.update(vars(klass).get("checks", {}))
        unknown = sorted(set(settings) - set(checks))
        if unknown:
            raise ValueError(f"The {cls.kind!r} latent sampler has no setting {unknown}; its settings are "
                             f"{sorted(set(checks) - {'latent_dim', 'prior_scale'})}.")
        checked = {}
        for name, value in settings.items():
            try:
                checked[name] = checks[name](value)
            except _Refused as e:
                key = f" (config key sampler.{cls.kind}.{name})" if name not in ("latent_dim", "prior_scale") else ""
                raise ValueError(f"The {cls.kind!r} latent sampler's {name} must be {e}, got {value!r}{key}.") from None
        return checked

    def settings(self):
        """The constructor arguments beyond ``latent_dim`` and ``prior_scale`` (the ``sampler.<kind>.*`` config keys)."""
        return {}

    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, prior_scale=self.prior_scale, **{
            k: list(v) if isinstance(v, tuple) else v for k, v in self.settings().items()})
        return config

    @property
    def fit_steps(self):
        """The updates a fit takes: ``fit_step`` reaches it when the sampler is fitted."""
        return 1 if self.needs_fit else 0

    @property
    def fitted(self):
        """Whether ``fit`` has run to its end (always true for the prior)."""
        return not self.needs_fit or int(self.fit_step.numpy()) >= self.fit_steps

    def fresh(self):
        """An unfitted sampler of the same kind and settings (its variables made in the current scope)."""
        return type(self).from_config(self.get_config())

    # ------------------------------------------------------------ sampling
    def prior(self, num_samples, seed):
        """``num_samples`` draws of P_Z from an integer seed (``prior_draws``)."""
        return prior_draws(num_samples, seed, self.latent_dim, self.prior_scale)

    def sample(self, num_samples, seed=0):
        """``num_samples`` codes ``[num_samples, latent_dim]``; the same ``seed`` gives the same codes."""
        if self.needs_fit:
            if tf.executing_eagerly():
                if not self.fitted:
                    raise RuntimeError(self._unfitted())
            else:
                check = tf.debugging.assert_greater_equal(self.fit_step, tf.constant(self.fit_steps, tf.int64),
                                                          message=self._unfitted())
                with tf.control_dependencies([check]):
                    num_samples = tf.identity(num_samples)
        return self.draw(num_samples, seed)

    def _unfitted(self):
        return (f"The {self.kind!r} latent sampler is not fitted: fit it to codes first (model.fit_sampler(dataset), "
                f"or the training binary, which fits it after training).")

    def draw(self, num_samples, seed):
        raise NotImplementedError

    def fit(self, codes, seed=0):
        """Fits the sampler to ``codes`` ``[N, latent_dim]``; returns a dict of what the fit found."""
        raise NotImplementedError


@keras.saving.register_keras_serializable("vegan_tf")
class PriorSampler(LatentSampler):
    """The prior P_Z = N(0, σ_z² I): what every recipe samples when no sampler is fitted."""

    kind = "prior"
    needs_fit = False

    def draw(self, num_samples, seed):
        return self.prior(num_samples, seed)

    def fit(self, codes, seed=0):
        del codes, seed
        return {}


# ------------------------------------------------------------------ Gaussian mixture
def gaussian_log_densities(x, means, scale_tril):
    """log N(x_n | m_k, L_k L_kᵀ) for every row and component, ``[N, K]`` (numpy, float64)."""
    d = x.shape[1]
    out = np.empty((len(x), len(means)))
    for k, (m, chol) in enumerate(zip(means, scale_tril)):
        solved = scipy.linalg.solve_triangular(chol, (x - m).T, lower=True)
        out[:, k] = (-0.5 * np.sum(solved ** 2, axis=0) - np.sum(np.log(np.diag(chol)))
                     - 0.5 * d * math.log(2 * math.pi))
    return out


def mixture_log_likelihood(x, log_weights, means, scale_tril):
    """Per-row log-density of the mixture, ``[N]`` (numpy, float64)."""
    with np.errstate(divide="ignore"):
        joint = gaussian_log_densities(x, means, scale_tril) + log_weights
    return scipy.special.logsumexp(joint, axis=1)


def _squared_distances(x, y):
    return np.sum(x ** 2, axis=1)[:, None] - 2 * x @ y.T + np.sum(y ** 2, axis=1)[None, :]


def kmeans_plus_plus(x, k, rng, iterations=20):
    """Centres of ``k`` clusters of ``x``: k-means++ seeding (Arthur & Vassilvitskii 2007), then Lloyd's iterations."""
    centres = [x[rng.integers(len(x))]]
    closest = np.sum((x - centres[0]) ** 2, axis=1)
    for _ in range(1, k):
        total = closest.sum()
        i = rng.choice(len(x), p=closest / total) if total > 0 else rng.integers(len(x))
        centres.append(x[i])
        closest = np.minimum(closest, np.sum((x - x[i]) ** 2, axis=1))
    centres = np.array(centres)
    for _ in range(iterations):
        labels = np.argmin(_squared_distances(x, centres), axis=1)
        for j in range(k):
            members = x[labels == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    return centres


def fit_mixture(x, k, seed=0, max_iterations=200, tolerance=1e-4, reg_covar=1e-6):
    """EM for a ``k``-component full-covariance Gaussian mixture (Bishop, PRML, Sec. 9.2.2) on ``x`` ``[N, d]``.

    Starts from hard k-means++ assignments (as scikit-learn's ``GaussianMixture`` does) and stops
    when the mean log-likelihood gains less than ``tolerance``; ``reg_covar`` is added to every
    covariance's diagonal. Returns ``(log_weights, means, scale_tril, mean log-likelihood)``.
    """
    rng = np.random.default_rng(seed)
    n, d = x.shape
    k = min(k, n)
    labels = np.argmin(_squared_distances(x, kmeans_plus_plus(x, k, rng)), axis=1)
    resp = np.eye(k)[labels]
    previous = -np.inf
    for _ in range(max_iterations):
        # M-step: the weighted moments of each component.
        counts = resp.sum(axis=0) + 10 * np.finfo(float).eps
        means = resp.T @ x / counts[:, None]
        scale_tril = np.empty((k, d, d))
        for j in range(k):
            centred = x - means[j]
            cov = (resp[:, j, None] * centred).T @ centred / counts[j] + reg_covar * np.eye(d)
            scale_tril[j] = np.linalg.cholesky(cov)
        log_weights = np.log(counts / n)
        # E-step: responsibilities, and the log-likelihood of the parameters just fitted.
        joint = gaussian_log_densities(x, means, scale_tril) + log_weights
        norm = scipy.special.logsumexp(joint, axis=1, keepdims=True)
        resp = np.exp(joint - norm)
        current = float(norm.mean())
        if current - previous < tolerance:
            break
        previous = current
    return log_weights, means, scale_tril, current


@keras.saving.register_keras_serializable("vegan_tf")
class GaussianMixtureSampler(LatentSampler):
    """An ex-post Gaussian mixture on the codes (Ghosh et al. 2020, Sec. 4), full covariances.

    ``components`` > 0 fits that many; 0 chooses among ``COMPONENT_CANDIDATES`` up to
    ``max_components`` the count whose mixture, fitted to 90 % of the codes, gives the held-out
    10 % the highest log-likelihood, then refits it on all codes. The variables hold
    ``max(components, max_components)`` slots; unused ones have weight 0. Sampling draws a
    component, then m_k + L_k ε.

    Args:
      latent_dim, prior_scale: see ``LatentSampler``.
      components: the number of components, or 0 to choose it.
      max_components: the largest count tried when choosing.
    """

    kind = "gmm"

    checks = {"components": _int(0), "max_components": _int(1)}

    def __init__(self, latent_dim, prior_scale=1.0, components=0, max_components=30, **kwargs):
        super().__init__(latent_dim, prior_scale, **kwargs)
        self.components, self.max_components = self.validate(components=components,
                                                             max_components=max_components).values()
        slots = self.components or self.max_components
        d = self.latent_dim
        self.log_weights = self.add_weight(shape=(slots,), initializer="zeros", trainable=False, name="log_weights")
        self.means = self.add_weight(shape=(slots, d), initializer="zeros", trainable=False, name="means")
        eye = np.tile(np.eye(d, dtype=np.float32), (slots, 1, 1))
        self.scale_tril = self.add_weight(shape=(slots, d, d), initializer=lambda shape, dtype=None: eye,
                                          trainable=False, name="scale_tril")

    def settings(self):
        return {"components": self.components, "max_components": self.max_components}

    def fit(self, codes, seed=0):
        """EM on the codes (``fit_mixture``); returns the count used and, when chosen, each candidate's held-out score."""
        x = as_codes(codes, self.latent_dim)
        info = {}
        k = self.components
        if not k:
            order = np.random.default_rng(seed).permutation(len(x))
            held = max(1, int(round(HELD_OUT * len(x))))
            train, test = x[order[held:]], x[order[:held]]
            scores = {}
            for candidate in (c for c in COMPONENT_CANDIDATES if c <= min(self.max_components, len(train))):
                log_w, means, chol, _ = fit_mixture(train, candidate, seed)
                scores[candidate] = float(mixture_log_likelihood(test, log_w, means, chol).mean())
            k = max(scores, key=scores.get)
            info["held_out_log_likelihood"] = scores
        log_w, means, chol, log_likelihood = fit_mixture(x, k, seed)
        slots = int(self.log_weights.shape[0])
        pad = slots - len(log_w)
        self.log_weights.assign(np.concatenate([log_w, np.full(pad, -np.inf)]).astype(np.float32))
        self.means.assign(np.concatenate([means, np.zeros((pad, self.latent_dim))]).astype(np.float32))
        self.scale_tril.assign(np.concatenate([chol, np.tile(np.eye(self.latent_dim), (pad, 1, 1))]).astype(
            np.float32))
        self.fit_step.assign(1)
        return {**info, "components": int(len(log_w)), "log_likelihood": log_likelihood}

    def draw(self, num_samples, seed):
        seed = tf.cast(seed, tf.int64)
        which = tf.random.stateless_categorical(self.log_weights[None, :], num_samples,
                                                tf.stack([seed, tf.constant(_COMPONENT_SALT, tf.int64)]))[0]
        eps = self.prior(num_samples, seed) / self.prior_scale
        return tf.gather(self.means, which) + tf.einsum("nij,nj->ni", tf.gather(self.scale_tril, which), eps)

    def log_prob(self, z):
        """The mixture's log-density of each row of ``z`` (float32 ``[N]``)."""
        z = tf.convert_to_tensor(z, tf.float32)
        diff = z[None, :, :] - self.means[:, None, :]                               # [K, N, d]
        solved = tf.linalg.triangular_solve(self.scale_tril, tf.transpose(diff, [0, 2, 1]), lower=True)
        log_det = tf.reduce_sum(tf.math.log(tf.linalg.diag_part(self.scale_tril)), axis=1)
        log_n = (-0.5 * tf.reduce_sum(tf.square(solved), axis=1) - log_det[:, None]
                 - 0.5 * self.latent_dim * math.log(2 * math.pi))                      # [K, N]
        return tf.reduce_logsumexp(log_n + self.log_weights[:, None], axis=0)


# ------------------------------------------------------------------ fitted networks
class _NetworkSampler(LatentSampler):
    """A sampler with a network fitted by Adam on minibatches of codes, ``steps`` updates of ``batch_size``,
    at ``learning_rate`` throughout (``schedule="constant"``) or decayed to 0 along a cosine (``"cosine"``)."""

    checks = {"hidden": _widths, "steps": _int(1), "batch_size": _int(2), "learning_rate": _number(0, strict=True),
              "schedule": _choice("constant", "cosine")}

    def __init__(self, latent_dim, prior_scale=1.0, hidden=(256, 256), steps=6000, batch_size=256,
                 learning_rate=1e-3, schedule="constant", **kwargs):
        super().__init__(latent_dim, prior_scale, **kwargs)
        self.hidden, self.steps, self.batch_size, self.learning_rate, self.schedule = self.validate(
            hidden=hidden, steps=steps, batch_size=batch_size, learning_rate=learning_rate, schedule=schedule).values()

    @property
    def fit_steps(self):
        return self.steps

    def settings(self):
        return {"hidden": self.hidden, "steps": self.steps, "batch_size": self.batch_size,
                "learning_rate": self.learning_rate, "schedule": self.schedule}

    def make_optimizer(self):
        """The fit's optimizer, built on the network's variables (checkpoint it with the sampler to resume a fit:
        its iteration count carries the schedule)."""
        rate = self.learning_rate
        if self.schedule == "cosine":
            rate = keras.optimizers.schedules.CosineDecay(self.learning_rate, self.steps)
        optimizer = keras.optimizers.Adam(rate)
        optimizer.build(self.trainable_weights)
        return optimizer

    def fit_loss(self, codes, seed):
        """The loss of one update on a minibatch of codes, with stateless noise from ``seed``."""
        raise NotImplementedError

    def initialize(self, seed):
        """Sets the network's weights to their initial values drawn from ``seed`` (Keras' initializers, seeded)."""
        for i, layer in enumerate(l for l in self._flatten_layers() if isinstance(l, keras.layers.Dense)):
            layer.kernel.assign(keras.initializers.GlorotUniform(seed=seed * 7919 + 2 * i)(layer.kernel.shape))
            if layer.bias is not None and layer.bias.trainable:
                init = layer.bias_initializer
                stddev = getattr(init, "stddev", 0.0) if isinstance(init, keras.initializers.RandomNormal) else 0.0
                layer.bias.assign(keras.initializers.RandomNormal(stddev=stddev, seed=seed * 7919 + 2 * i + 1)(
                    layer.bias.shape) if stddev else tf.zeros(layer.bias.shape))

    def fit(self, codes, seed=0, optimizer=None, callback=None, callback_every=100):
        """Fits from ``fit_step`` to ``steps`` updates; ``callback(step)`` runs every ``callback_every`` updates.

        A fit from update 0 first draws the network's initial weights from ``seed``
        (``initialize``). Update k takes ``batch_size`` codes drawn without replacement by a
        generator seeded with (``seed``, k), and its noise from the stateless seed (``seed``, k):
        the same seed gives the same sampler, and a fit resumed at update k (the sampler and
        ``optimizer`` restored) continues exactly. Inside a distribution strategy's scope every
        replica takes the same update on the same minibatch (the loss is divided by the replica
        count, as the optimizer sums their gradients).
        """
        x = as_codes(codes, self.latent_dim).astype(np.float32)
        if int(self.fit_step.numpy()) == 0:
            self.initialize(seed)
        optimizer = optimizer or self.make_optimizer()
        variables = self.trainable_weights
        b = min(self.batch_size, len(x))
        strategy = tf.distribute.get_strategy()

        def replica_update(batch, step_seed):
            with tf.GradientTape() as tape:
                loss = self.fit_loss(batch, step_seed)
                scaled = loss / tf.distribute.get_replica_context().num_replicas_in_sync
            optimizer.apply(tape.gradient(scaled, variables), variables)
            return loss

        @tf.function
        def update(batch, step_seed):
            loss = strategy.run(replica_update, args=(batch, step_seed))
            self.fit_step.assign_add(1)
            return strategy.reduce(tf.distribute.ReduceOp.MEAN, loss, axis=None)

        loss = float("nan")
        for k in range(int(self.fit_step.numpy()), self.steps):
            rows = np.random.default_rng([seed, k]).choice(len(x), b, replace=False)
            loss = float(update(tf.constant(x[rows]), tf.constant([seed, k], tf.int64)))
            if not math.isfinite(loss):
                raise FloatingPointError(f"The {self.kind!r} sampler's fit diverged at update {k} (loss {loss}); "
                                         f"lower sampler.learning_rate.")
            if callback is not None and (k + 1) % callback_every == 0:
                callback(k + 1)
        return {"fit_loss": loss}


#: How the transport map is regressed on the coupled codes: least absolute deviations or least squares.
TRANSPORT_FITS = ("median", "mean")


def gradient_map(potential, z, training=False):
    """T(z) = ∇φ(z) for a potential network φ acting row by row (so this is each row's gradient)."""
    z = tf.convert_to_tensor(z, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(z)
        phi = potential(z, training=training)
    return tape.gradient(phi, z)


def transport_fit_loss(residual, fit):
    """The map's regression loss on ``residual`` = T(z) − matched code: E ‖·‖₂ (``"median"``) or E ‖·‖₂² (``"mean"``)."""
    if fit == "median":
        return tf.reduce_mean(divergences.guarded_norm(residual))  # finite gradient at a zero residual
    return tf.reduce_mean(tf.reduce_sum(tf.square(residual), axis=1))


@keras.saving.register_keras_serializable("vegan_tf")
class TransportSampler(_NetworkSampler):
    """LSOT's transport map T = ∇φ from P_Z onto the codes, fitted after the auto-encoder.

    Liu et al., "Latent Space Optimal Transport for Generative Models", 2018, read as
    ``vegan_tf.models.LSOT`` explains: φ a ReLU MLP (its first layer's biases spread N(0, σ_z²)
    so that T's jumps can sit anywhere in the prior's support), fitted to exact optimal
    couplings of prior minibatches and code minibatches (``ot.assignment``) by least absolute
    deviations ``fit="median"`` (the conditional geometric median: keeps T's jumps between
    clusters) or least squares ``"mean"`` (the barycentric projection).

    Args:
      latent_dim, prior_scale, hidden, steps, batch_size, learning_rate: see ``LatentSampler``;
        ``hidden`` are φ's widths.
      transport_fit: ``"median"`` or ``"mean"``.
    """

    kind = "transport"
    checks = {"transport_fit": _choice(*TRANSPORT_FITS)}

    def __init__(self, latent_dim, prior_scale=1.0, transport_fit="median", **kwargs):
        super().__init__(latent_dim, prior_scale, **kwargs)
        self.transport_fit = self.validate(transport_fit=transport_fit)["transport_fit"]
        from vegan_tf import networks

        self.potential = networks.Critic((self.latent_dim,), hidden=self.hidden, first_bias_stddev=self.prior_scale,
                                         name="potential")
        self.potential.build()
        self.potential.head.bias.trainable = False  # T = ∇φ ignores φ's constant

    def settings(self):
        return {**super().settings(), "transport_fit": self.transport_fit}

    def transport(self, z):
        """T(z) = ∇φ(z)."""
        return gradient_map(self.potential, z)

    def draw(self, num_samples, seed):
        return self.transport(self.prior(num_samples, seed))

    def fit_loss(self, codes, seed):
        z = self.prior_scale * tf.random.stateless_normal(tf.shape(codes), seed)
        return transport_fit_loss(self.transport(z) - tf.gather(codes, ot.assignment(z, codes)), self.transport_fit)


@keras.saving.register_keras_serializable("vegan_tf")
class FlowMatchingSampler(_NetworkSampler):
    """Minibatch-OT conditional flow matching on the codes (Tong et al. 2024, Alg. 1; Lipman et al. 2023).

    Each update draws prior points x₀ ~ N(0, σ_z² I), couples them exactly to a minibatch of
    codes y (``ot.assignment``: the OT plan of two uniform minibatches is a permutation), draws
    t ~ U(0, 1) and ε ~ N(0, I), and regresses the velocity network on the conditional field:

        min_v  E ‖ v(t, x_t) − (y − x₀) ‖²,   x_t = (1 − t) x₀ + t y + σ ε

    Sampling integrates dz/dt = v(t, z) from a prior draw at t = 0 to t = 1 with
    ``integration_steps`` explicit midpoint steps (two evaluations of v each), unrolled in the graph.
    v is an MLP on [z, t] with SiLU activations.

    Args:
      latent_dim, prior_scale, hidden, steps, batch_size, learning_rate: see ``LatentSampler``;
        ``hidden`` are v's widths.
      integration_steps: midpoint steps of the sampling ODE.
      sigma: the conditional path's noise σ (Tong et al.'s OT-CFM; 0 gives rectified paths).
    """

    kind = "flow_matching"
    checks = {"integration_steps": _int(1), "sigma": _number(0, strict=False)}

    def __init__(self, latent_dim, prior_scale=1.0, hidden=(256, 256, 256), integration_steps=20, sigma=0.0,
                 **kwargs):
        super().__init__(latent_dim, prior_scale, hidden=hidden, **kwargs)
        self.integration_steps, self.sigma = self.validate(integration_steps=integration_steps, sigma=sigma).values()
        self.velocity = keras.Sequential(
            [keras.layers.Dense(w, activation="silu") for w in self.hidden] + [keras.layers.Dense(self.latent_dim)],
            name="velocity")
        self.velocity.build((None, self.latent_dim + 1))

    def settings(self):
        return {**super().settings(), "integration_steps": self.integration_steps, "sigma": self.sigma}

    def field(self, t, z):
        """v(t, z) for a scalar or per-row ``t``."""
        t = tf.broadcast_to(tf.reshape(tf.cast(t, tf.float32), [-1, 1]), [tf.shape(z)[0], 1])
        return self.velocity(tf.concat([z, t], axis=1))

    def integrate(self, z):
        """The ODE's solution at t = 1 from ``z`` at t = 0 (explicit midpoint method)."""
        h = 1.0 / self.integration_steps
        for i in range(self.integration_steps):
            t = i * h
            half = z + 0.5 * h * self.field(t, z)
            z = z + h * self.field(t + 0.5 * h, half)
        return z

    def draw(self, num_samples, seed):
        return self.integrate(self.prior(num_samples, seed))

    def fit_loss(self, codes, seed):
        n = tf.shape(codes)[0]
        x0 = self.prior_scale * tf.random.stateless_normal(tf.shape(codes), seed)
        y = tf.gather(codes, ot.assignment(x0, codes))
        t = tf.random.stateless_uniform([n, 1], seed + tf.constant([0, 1 << 40], tf.int64))
        noise = tf.random.stateless_normal(tf.shape(codes), seed + tf.constant([0, 2 << 40], tf.int64))
        xt = (1.0 - t) * x0 + t * y + self.sigma * noise
        return tf.reduce_mean(tf.reduce_sum(tf.square(self.field(t, xt) - (y - x0)), axis=1))


def fit_into(target, codes, seed=0, fitting=None, **options):
    """Fits ``target``'s kind and settings to ``codes`` and copies the fitted state into ``target``; returns the fit's info.

    The fit runs on ``fitting``: a fresh copy of ``target`` (``target.fresh()``, the default) or
    one restored from a checkpoint of an interrupted fit. ``target`` is written only when the
    fit has ended, so a fit that fails leaves it as it was, and a ``target`` built under a
    distribution strategy gets the fitted state on every replica. ``options`` go to ``fit``
    (a network sampler's ``optimizer``, ``callback``, ``callback_every``).
    """
    fitting = target.fresh() if fitting is None else fitting
    info = fitting.fit(codes, seed=seed, **options)
    target.set_weights(fitting.get_weights())
    return info


#: Sampler kinds by the name ``config.sampler.kind`` takes.
SAMPLERS = {cls.kind: cls for cls in (PriorSampler, GaussianMixtureSampler, TransportSampler, FlowMatchingSampler)}


def sampler_class(kind):
    """The sampler class of a ``config.sampler.kind`` name."""
    if kind not in SAMPLERS:
        raise ValueError(f"Unknown latent sampler {kind!r}; choose one of {sorted(SAMPLERS)} (config key sampler.kind).")
    return SAMPLERS[kind]


def default_settings(kind):
    """The settings of sampler ``kind`` with their defaults (the keys of ``config.sampler.<kind>``)."""
    settings = {}
    for klass in sampler_class(kind).__mro__:
        if "__init__" in vars(klass) and issubclass(klass, LatentSampler):
            for name, p in inspect.signature(klass.__init__).parameters.items():
                if p.default is not inspect.Parameter.empty and name not in ("prior_scale", *settings):
                    settings[name] = p.default
    return settings


def get(sampler=None, latent_dim=None, prior_scale=1.0, **settings):
    """A sampler from a kind name (with ``latent_dim``, ``prior_scale`` and its settings), a config dict, or itself.

    ``None`` is the prior.
    """
    if isinstance(sampler, LatentSampler):
        return sampler
    if isinstance(sampler, dict):
        return keras.saving.deserialize_keras_object(sampler)
    return sampler_class(sampler or "prior")(latent_dim, prior_scale, **settings)


__all__ = ["COMPONENT_CANDIDATES", "FlowMatchingSampler", "GaussianMixtureSampler", "LatentSampler", "PriorSampler",
           "SAMPLERS", "TransportSampler", "default_settings", "fit_mixture", "get", "mixture_log_likelihood",
           "prior_draws", "sampler_class"]

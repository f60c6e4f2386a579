"""The one base class every recipe of the zoo stands on, and the one training loop.

A recipe *declares* its players and its updates; ``GenerativeModel`` runs them:

    class WGAN(GenerativeModel):
        players = {"optimizer": ("decoder",), "critic_optimizer": ("critic",)}

        @property
        def updates(self):  # Algorithm 1: n_critic critic updates, then the generator's
            return (Update("critic_optimizer", self.critic_terms, repeats=5),
                    Update("optimizer", self.generator_terms))

* ``players`` maps each optimizer (the names ``compile`` takes; the first is
  ``model.optimizer``) to the networks whose trainable variables it updates;
* ``updates`` is the order of one training step: which player, which loss hook
  (a method ``hook(batch) -> (loss, logs)``), how many repeats (WGAN-GP's n_critic) and an
  optional method run after each update (WGAN's weight clipping);
* ``prepare(x, training)`` computes once what several updates share (e.g. AVB's codes at the
  pre-update encoder) and hands it to every hook as ``batch.shared``;
* ``summarize(logs)`` may derive logged values from the updates' logs.

``train_step`` runs the updates with gradients, ``test_step`` runs each loss hook once in
inference mode and logs the same values. Both are written here only. The documented escape
hatch for a recipe whose step is not a sequence of player updates is to override
``run_updates(x, training) -> logs``; no recipe of the zoo needs it.

The base class also holds what every model shares: the networks (``decoder``, optional
``encoder``), the prior P_Z = N(0, σ_z² I), the latent sampler that ``sample`` draws codes from
(``vegan_tf.samplers``: the prior unless one is fitted to the codes), the public API
``encode / decode / reconstruct / sample / sample_codes``, one optimizer per player kept on
``.keras`` reload, a step counter that checkpoints with the model, and replica-aware noise
(``vegan_tf.distribute``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from vegan_tf import distribute
from vegan_tf import optimizers as optimizers_lib
from vegan_tf import samplers as samplers_lib

#: Training steps per call of the compiled train function (``compile``'s default; the binary's
#: ``config.train.steps_per_execution``): fewer host round trips, 5–20 % less time per step on
#: the MLP networks (benchmarks/README.md).
DEFAULT_STEPS_PER_EXECUTION = 10

# Salts that separate the random streams drawn in one step.
PRIOR_SALT, ENCODER_SALT = 1, 2
#: Which codes of Q(Z|X) a sampler is fitted to: a draw per example, or the encoder's mean code.
SAMPLER_CODES = ("draw", "mean")
#: Noise draws over which ``encode`` averages an implicit encoder's codes (AVB's mean code).
IMPLICIT_MEAN_DRAWS = 16
#: Added to Monte Carlo variances of an implicit encoder's codes before their logarithm (AVB's code uses 1e-4).
MOMENT_VARIANCE_FLOOR = 1e-4


class Update(NamedTuple):
    """One declared player update of a training step.

    Attributes:
      player: the optimizer's name (a key of the model's ``players``).
      loss: the loss hook, a method of the model ``hook(batch: Batch) -> (loss, logs)``
        (``self.loss_terms``; the method of that name runs, so a subclass's override wins).
      repeats: how many times the update runs per step (``batch.repeat`` counts them).
      after: a method of the model run after each update (``self.clip_critic``), or ``None``.

    A method's name as a string (vegan_tf 0.2) still works, with a ``DeprecationWarning``
    from ``compile``.
    """

    player: str
    loss: Callable | str
    repeats: int = 1
    after: Callable | str | None = None


class Batch(NamedTuple):
    """What a loss hook receives: this replica's data and the step's shared values."""

    x: tf.Tensor
    training: bool = True
    shared: dict = {}
    repeat: int = 0


class Codes(NamedTuple):
    """A draw of Z ~ Q(Z|x) with the encoder's parameters (``mean``/``log_var`` as ``Encoder`` returns them)."""

    z: tf.Tensor
    mean: tf.Tensor
    log_var: tf.Tensor | None


def _layer(obj):
    if obj is None or isinstance(obj, keras.layers.Layer):
        return obj
    return keras.saving.deserialize_keras_object(obj)


def _plain(value):
    if isinstance(value, keras.layers.Layer):
        return keras.saving.serialize_keras_object(value)
    return list(value) if isinstance(value, tuple) else value


def descend(optimizer, variables, loss_fn):
    """One optimizer step on ``loss_fn() -> (loss, logs)``, replica-aware; returns the logs.

    The loss is divided by the replica count before it is differentiated
    (``distribute.scaled``): the optimizer sums gradients over replicas.
    """
    with tf.GradientTape() as tape:
        loss, logs = loss_fn()
        scaled = distribute.scaled(loss)
    optimizer.apply(tape.gradient(scaled, variables), variables)
    return logs


class GenerativeModel(keras.Model):
    """Base class: networks, prior, players and their optimizers, the declared updates.

    Args:
      decoder: a ``vegan_tf.networks.Decoder`` (or its serialized config).
      encoder: a ``vegan_tf.networks.Encoder`` (or config), or ``None``.
      prior_scale: σ_z of the prior N(0, σ_z² I).
      seed: seed of every random stream of training (prior draws, encoder noise).
      sampler: the latent sampler of ``sample`` (``vegan_tf.samplers``: a kind name, a config
        dict or a ``LatentSampler``); ``None`` is the prior. Only models with an encoder take
        another. Its state is saved in ``.keras`` files and exports, and it is not part of the
        training checkpoint (``tf.train.Checkpoint(model=...)``): it is fitted after training
        (``fit_sampler``), and the binary keeps its own checkpoint of it.
    """

    #: The networks the constructor takes (``vegan_tf.networks.builders`` roles).
    network_roles = ("decoder", "encoder")
    #: Config defaults that differ from the network builders' (a preset's encoder kind).
    config_defaults = {}
    #: Optimizer name -> the networks (attribute names) whose trainable variables it updates.
    players = {"optimizer": ("encoder", "decoder")}
    #: Names of the logged values; "loss" first (``TerminateOnNaN`` reads it).
    tracked = ("loss",)
    #: Why XLA cannot compile the training step (it leaves the graph); None where it can.
    xla_unsupported = None

    #: The config keys this class adds or overrides, with their defaults: the declared schema
    #: (``models.default_config``, which merges a model's class and its bases'). Each model class
    #: declares its own; a test checks that its constructor takes the same defaults.
    SETTINGS = {"prior_scale": 1.0}

    def __init__(self, decoder, encoder=None, prior_scale=1.0, seed=0, sampler=None, **kwargs):
        super().__init__(**kwargs)
        self.decoder = _layer(decoder)
        self.encoder = _layer(encoder)
        self.latent_dim = int(self.decoder.latent_dim)
        self.data_shape = tuple(self.decoder.data_shape)
        if self.encoder is not None and (tuple(self.encoder.data_shape) != self.data_shape
                                         or int(self.encoder.latent_dim) != self.latent_dim):
            raise ValueError(f"Encoder ({self.encoder.data_shape} -> {self.encoder.latent_dim}) and decoder "
                             f"({self.latent_dim} -> {self.data_shape}) do not fit together.")
        self.prior_scale = float(prior_scale)
        self.seed = int(seed)
        self._args = ["decoder", "encoder", "prior_scale", "seed", "sampler"]
        self.set_sampler(sampler)
        self.step = self.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False,
                                    aggregation="only_first_replica", name="step")

    def configure(self, **args):
        """Sets constructor arguments as attributes (networks deserialized) and echoes them in ``get_config``."""
        for name, value in args.items():
            setattr(self, name, _layer(value) if isinstance(value, dict) and "class_name" in value else value)
            if name not in self._args:
                self._args.append(name)

    def get_config(self):
        config = super().get_config()
        config.update({name: _plain(getattr(self, name)) for name in self._args})
        return config

    # ------------------------------------------------------------------ build
    def build(self, input_shape=None):
        if self.built:
            return
        for network in self._layers:
            if isinstance(network, keras.layers.Layer) and hasattr(network, "dummy_inputs"):
                network.build()
        self.built = True
        self._trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked}
        self.build_optimizers()

    def call(self, x, training=False):
        if self.encoder is None:
            raise NotImplementedError(f"{type(self).__name__} has no encoder; use decode(z) or sample(n).")
        return self.decoder.activate(self.decoder(self.code(x, training=training), training=training))

    # ------------------------------------------------------------- players
    def compile(self, optimizer=None, steps_per_execution=None, jit_compile="auto", **kwargs):
        """Takes one optimizer per player (``self.players``) by name, plus Keras' compile options.

        A player given no optimizer gets ``default_optimizer(player)``; the name ``"adam"`` means
        ``vegan_tf.optimizers.Adam`` (Keras' Adam in one kernel per variable). ``steps_per_execution``
        is how many steps one call of the compiled train function runs: fewer host round trips
        per step. ``None`` (the default) takes ``DEFAULT_STEPS_PER_EXECUTION`` on one device and
        1 under ``MirroredStrategy`` / ``MultiWorkerMirroredStrategy``, whose cross-replica
        optimizer updates (``merge_call``) cannot run inside Keras' multi-step loop; more than 1
        there is refused. Callbacks see every k-th batch end, and ``fit``/``evaluate`` lower k
        to a divisor of their ``steps_per_epoch`` / ``steps`` so that an epoch is never longer
        than asked. Pass 1 for a callback that must see every batch.

        ``jit_compile`` compiles the step with XLA. ``"auto"`` (the default) is Keras' choice: XLA
        on a machine with an accelerator, not on a CPU alone, never under Mirrored/MultiWorker
        (Keras does not compile their cross-replica updates), and never where the step cannot be
        compiled (``xla_unsupported``). ``True`` asks for it (refused in those last two cases),
        ``False`` never uses it. On a CPU, XLA fuses an MLP step's small element-wise ops (batch
        norm, the latent term, the losses): 7–37 % less time per step on the MLP protocol after
        one to three seconds of compilation, which a run of a few thousand small steps does not
        win back; convolutional networks are about three times slower under XLA on a CPU
        (benchmarks/README.md). Under XLA the training noise is drawn by
        ``distribute.stateless_normal``, so a compiled step is the graph's step up to rounding.
        """
        self.check_updates()
        names = list(self.players)
        optimizers = {names[0]: optimizer}
        optimizers.update({name: kwargs.pop(name, None) for name in names[1:]})
        optimizers = {name: opt or self.default_optimizer(name) for name, opt in optimizers.items()}
        extra = set(kwargs) - {"run_eagerly", "auto_scale_loss"}
        if extra:
            raise TypeError(f"{type(self).__name__}.compile() got unexpected arguments {sorted(extra)}; "
                            f"its optimizers are {names}.")
        mirrored = isinstance(self.distribute_strategy, (tf.distribute.MirroredStrategy,
                                                          tf.distribute.MultiWorkerMirroredStrategy))
        if steps_per_execution is None:
            steps_per_execution = 1 if mirrored else DEFAULT_STEPS_PER_EXECUTION
        if int(steps_per_execution) < 1 or (mirrored and int(steps_per_execution) > 1):
            raise ValueError(f"steps_per_execution={steps_per_execution} is not possible here: it must be at least "
                             f"1, and 1 under {type(self.distribute_strategy).__name__} (its cross-replica updates "
                             f"cannot run inside the multi-step loop). Use None (automatic) or 1.")
        jit_compile = self._resolve_jit_compile(jit_compile, mirrored)
        optimizers = {name: optimizers_lib.get(opt) for name, opt in optimizers.items()}
        super().compile(optimizer=optimizers[names[0]], steps_per_execution=int(steps_per_execution),
                        jit_compile=jit_compile, **kwargs)
        self.compiled_steps_per_execution = int(steps_per_execution)
        for name in names[1:]:
            setattr(self, name, optimizers[name])  # tracked, so checkpoints and .keras files hold its state
        self.build()  # every network exists by now; the optimizers need the variables
        self.build_optimizers()

    def _resolve_jit_compile(self, jit_compile, mirrored):
        """``compile``'s ``jit_compile`` resolved to True or False (see ``compile``)."""
        if not (isinstance(jit_compile, bool) or jit_compile == "auto"):
            raise ValueError(f"jit_compile must be 'auto', True or False, got {jit_compile!r}.")
        one_device = not mirrored and not isinstance(self.distribute_strategy, tf.distribute.TPUStrategy)
        if jit_compile == "auto":
            accelerator = any(d.device_type != "CPU" for d in tf.config.list_physical_devices())
            return accelerator and one_device and self.xla_unsupported is None
        if jit_compile and self.xla_unsupported:
            raise ValueError(f"{type(self).__name__}'s training step cannot be compiled with XLA "
                             f"({self.xla_unsupported}); use jit_compile=False or 'auto'.")
        if jit_compile and mirrored:
            raise ValueError(f"jit_compile=True is not possible under {type(self.distribute_strategy).__name__} "
                             f"(Keras does not compile its cross-replica updates); use 'auto' or False.")
        return jit_compile

    def _steps_per_execution_for(self, steps):
        """Runs the next ``fit``/``evaluate`` with the compiled k lowered to a divisor of ``steps`` (if given)."""
        k = getattr(self, "compiled_steps_per_execution", self.steps_per_execution)
        if steps:
            k = math.gcd(k, int(steps))
        if k != self.steps_per_execution:
            self.steps_per_execution = k
            self.train_function = self.test_function = self.predict_function = None  # rebuilt with k

    def fit(self, *args, steps_per_epoch=None, **kwargs):
        self._steps_per_execution_for(steps_per_epoch)
        return super().fit(*args, steps_per_epoch=steps_per_epoch, **kwargs)

    def evaluate(self, *args, steps=None, **kwargs):
        self._steps_per_execution_for(steps)
        return super().evaluate(*args, steps=steps, **kwargs)

    def player_optimizers(self):
        """Player name -> its optimizer (``model.optimizer`` for the first player); empty before ``compile``."""
        if not getattr(self, "compiled", False):
            return {}
        names = list(self.players)
        return {name: self.optimizer if i == 0 else getattr(self, name) for i, name in enumerate(names)}

    def default_optimizer(self, player):
        """The optimizer ``compile`` uses for a player it is not given (Adam unless a paper says otherwise)."""
        del player
        return optimizers_lib.Adam()

    def build_optimizers(self):
        """Creates every optimizer's slots on its player's variables (must precede the first step)."""
        if not self.built:
            return
        for name, opt in self.player_optimizers().items():
            if not opt.built:
                opt.build(self.player_variables(name))

    def player_variables(self, player):
        """The trainable variables of the networks ``players[player]`` names."""
        networks = [getattr(self, name) for name in self.players[player]]
        return [v for net in networks if net is not None for v in net.trainable_variables]

    def updates_per_step(self, player):
        """How many times a training step updates ``player`` (learning-rate schedules count updates)."""
        return sum(u.repeats for u in self.updates if u.player == player)

    def get_compile_config(self):
        if not self.player_optimizers():
            return None
        return {name: keras.saving.serialize_keras_object(opt) for name, opt in self.player_optimizers().items()}

    def compile_from_config(self, config):
        if not config:
            return
        self.compile(**{name: keras.saving.deserialize_keras_object(c) for name, c in config.items()})

    # ------------------------------------------------------------------ noise
    def stream_seed(self, salt):
        """The stateless seed of the stream ``salt`` at the current step (the same on every replica)."""
        return distribute.stream_seed(self.seed, self.step, salt)

    def global_normal(self, n_local, dim, salt, scale=1.0):
        """N(0, scale²) noise for the whole global batch ``[R · n_local, dim]``."""
        return distribute.global_normal(n_local, dim, self.stream_seed(salt), scale, self._xla())

    def local_normal(self, n_local, dim, salt, scale=1.0):
        """This replica's rows of ``global_normal``: per-example noise independent of the replica count."""
        return distribute.local_normal(n_local, dim, self.stream_seed(salt), scale, self._xla())

    def _xla(self):
        """Whether the compiled steps run under XLA (their noise is then drawn to match the graph's)."""
        return getattr(self, "compiled", False) and self.jit_compile is True

    def prior_draws(self, n_local, rows="local", salt=PRIOR_SALT):
        """Training draws of P_Z: ``"local"`` (this replica's ``n_local`` rows) or ``"global"`` (all replicas')."""
        draw = self.global_normal if rows == "global" else self.local_normal
        return draw(n_local, self.latent_dim, salt, self.prior_scale)

    def generate(self, n_local, salt=PRIOR_SALT, training=True):
        """G(z) for ``n_local`` per-example prior draws of the stream ``salt`` (sigmoid / linear output applied)."""
        return self.decoder.activate(self.decoder(self.prior_draws(n_local, salt=salt), training=training))

    def prior_sample(self, num_samples, seed):
        """``num_samples`` draws of P_Z from an integer ``seed`` (stateless: same seed, same draws)."""
        return samplers_lib.prior_draws(num_samples, seed, self.latent_dim, self.prior_scale)

    # ------------------------------------------------------------- public API
    def _check(self, t, expected, what):
        t = tf.convert_to_tensor(t)
        if not t.dtype.is_floating:
            raise TypeError(f"{what} must be float32, got {t.dtype.name}; convert with tf.cast(x, tf.float32)"
                            + (" / 255.0 for uint8 images" if t.dtype == tf.uint8 else "") + ".")
        shape = t.shape
        ok = shape.rank == len(expected) + 1 and all(
            s is None or s == e for s, e in zip(shape[1:], expected))
        message = f"{what} must have shape [batch, {', '.join(map(str, expected))}]"
        if not ok:
            raise ValueError(f"{message}, got {shape.as_list() if shape.rank is not None else 'unknown rank'}.")
        t = tf.cast(t, tf.float32)
        if not tf.executing_eagerly():
            # In a graph (a SavedModel signature) the static shape is the signature's; check the real one.
            check = tf.debugging.assert_equal(tf.shape(t)[1:], tf.constant(expected, tf.int32),
                                              message=f"{message}; got a different shape")
            with tf.control_dependencies([check]):
                t = tf.identity(t)
        return t

    def posterior(self, x, training=False, draws=1, draw=None):
        """``Codes``: a draw of Z ~ Q(Z|x) (reparameterised for Gaussian encoders) and the encoder's output.

        ``draw``: whether a Gaussian encoder's ``z`` is drawn (True) or its mean μ(x) (False);
        None draws in training only. The losses draw in evaluation too, so that ``evaluate``
        reports the objective (for the VAE, the ELBO), not its value at z = μ(x).

        For an implicit encoder and ``draws`` = k > 1, ``mean`` and ``log_var`` are the Monte Carlo
        moments of Q(Z|x) (per coordinate) from k draws of the noise, the first of which is ``z``
        (AVB's adaptive contrast); the variance is floored at ``MOMENT_VARIANCE_FLOOR``.
        """
        enc = self.encoder
        if enc.kind == "implicit" and draws > 1:
            n = tf.shape(x)[0]
            noise = tf.reshape(self.local_normal(draws * n, enc.noise_dim, ENCODER_SALT), [draws, n, enc.noise_dim])
            zs = enc.implicit_draws(x, noise, training=training)
            mean, variance = tf.nn.moments(zs, axes=[0])
            return Codes(zs[0], mean, tf.math.log(variance + MOMENT_VARIANCE_FLOOR))
        noise = None
        if enc.kind == "implicit":
            noise = self.local_normal(tf.shape(x)[0], enc.noise_dim, ENCODER_SALT)
        mean, log_var = enc(x, training=training, noise=noise)
        z = mean
        if enc.kind == "gaussian" and (training if draw is None else draw):
            z = mean + tf.exp(0.5 * log_var) * self.local_normal(tf.shape(x)[0], self.latent_dim, ENCODER_SALT)
        return Codes(z, mean, log_var)

    def code(self, x, training=False):
        """A draw of Z ~ Q(Z|x): the code for deterministic encoders, a reparameterised sample otherwise."""
        return self.posterior(x, training).z

    def encode(self, x):
        """The mean code of ``x``: the code of a deterministic encoder, μ(x) of a Gaussian one, and for an implicit
        encoder z = E(x, ε) the mean of its codes over ``IMPLICIT_MEAN_DRAWS`` fixed noise draws (a Monte Carlo
        estimate of E[Z | x], the same for every call)."""
        if self.encoder is None:
            raise NotImplementedError(f"{type(self).__name__} has no encoder.")
        x = self._check(x, self.data_shape, "encode(x): x")
        if self.encoder.kind != "implicit":
            return self.encoder(x, training=False)[0]
        n, k = tf.shape(x)[0], IMPLICIT_MEAN_DRAWS
        noise = tf.random.stateless_normal(tf.stack([k, self.encoder.noise_dim]), [0x5EED, 0xE4C0DE])
        noise = tf.repeat(noise[:, None], n, axis=1)  # draw j is the same for every row
        return tf.reduce_mean(self.encoder.implicit_draws(x, noise, training=False), axis=0)

    def decode(self, z):
        """G(z) in data space (images in [0, 1])."""
        z = self._check(z, (self.latent_dim,), "decode(z): z")
        return self.decoder.activate(self.decoder(z, training=False))

    def reconstruct(self, x):
        return self.decode(self.encode(x))

    def sample(self, num_samples, seed=0):
        """``num_samples`` model samples G(z), z from the latent sampler; the same ``seed`` gives the same samples."""
        return self.decode(self.sample_codes(num_samples, seed))

    def sample_codes(self, num_samples, seed=0):
        """The codes ``sample`` decodes: ``num_samples`` draws of the latent sampler (P_Z unless one is fitted)."""
        return self.sampler.sample(num_samples, seed)

    def own_codes(self, num_samples, seed=0):
        """Codes of the model without a fitted latent sampler: prior draws (LSOT: their image by its map)."""
        return self.prior_sample(num_samples, seed)

    def preview(self, num_samples, seed=0):
        """Samples to look at during training: ``sample`` once the latent sampler is fitted (or is the prior),
        until then the decoded ``own_codes`` (the binary fits the sampler after training)."""
        if self.sampler.fitted:
            return self.sample(num_samples, seed)
        return self.decode(self.own_codes(num_samples, seed))

    # ------------------------------------------------------------ latent sampler
    def set_sampler(self, sampler=None, **settings):
        """Makes ``sampler`` (a kind name with its ``settings``, a config dict, a ``LatentSampler``; None: the prior)
        the latent sampler of ``sample``; returns it (unfitted if it was made here)."""
        sampler = self._sampler_for(sampler, **settings)
        # Not a tracked attribute: the training checkpoint does not hold it (the sampler is fitted after
        # training); `.keras` files save it (Keras walks the model's attributes) and exports capture it.
        object.__setattr__(self, "sampler", sampler)
        return sampler

    def _sampler_for(self, sampler, **settings):
        """``sampler`` as a ``LatentSampler`` for this model's codes (checked, not yet the model's)."""
        if isinstance(sampler, str):
            sampler = samplers_lib.get(sampler, self.latent_dim, self.prior_scale, **settings)
        elif settings:
            raise TypeError(f"Settings {sorted(settings)} need a sampler kind name, e.g. set_sampler('gmm', ...).")
        sampler = samplers_lib.get(sampler, self.latent_dim, self.prior_scale)
        if sampler.latent_dim != self.latent_dim:
            raise ValueError(f"The sampler draws codes of size {sampler.latent_dim}; the model's are {self.latent_dim}.")
        if sampler.needs_fit and self.encoder is None:
            raise ValueError(f"{type(self).__name__} has no encoder, so it has no codes to fit a {sampler.kind!r} "
                             f"sampler to: it samples its prior (config key sampler.kind='prior').")
        return sampler

    def posterior_draw(self, x, seed):
        """A draw of Z ~ Q(Z|x) in inference mode from a stateless ``seed`` (``[2]`` int64): the codes of Q_Z."""
        x = self._check(x, self.data_shape, "posterior_draw(x): x")
        enc, n = self.encoder, tf.shape(x)[0]
        if enc.kind == "implicit":
            return enc(x, training=False, noise=tf.random.stateless_normal(tf.stack([n, enc.noise_dim]), seed))[0]
        mean, log_var = enc(x, training=False)
        if enc.kind == "gaussian":
            return mean + tf.exp(0.5 * log_var) * tf.random.stateless_normal(tf.shape(mean), seed)
        return mean

    def collect_codes(self, dataset, codes="draw", limit=None, seed=0):
        """Codes of the images of ``dataset`` (batches of ``x`` or ``(x, ...)``) as a numpy array ``[N, latent_dim]``.

        ``codes="draw"``: one draw of Q(Z|x) per image (``posterior_draw``, seeded per batch), whose
        distribution is the aggregate posterior Q_Z that POT compares with P_Z; ``"mean"``: ``encode``
        (the mean code; the same for a deterministic encoder). At most ``limit`` images are encoded.
        """
        if self.encoder is None:
            raise NotImplementedError(f"{type(self).__name__} has no encoder.")
        if codes not in SAMPLER_CODES:
            raise ValueError(f"codes must be one of {SAMPLER_CODES}, got {codes!r} (config key sampler.codes).")
        draw = tf.function(lambda x, s: self.posterior_draw(x, s) if codes == "draw" else self.encode(x))
        out, n = [], 0
        for i, batch in enumerate(dataset):
            x = self.unpack(batch)
            if limit is not None:
                x = x[:limit - n]
            out.append(draw(x, tf.constant([seed, i], tf.int64)).numpy())
            n += len(out[-1])
            if limit is not None and n >= limit:
                break
        if not out:
            raise ValueError("The dataset given to collect the codes is empty.")
        return np.concatenate(out)

    def fit_sampler(self, dataset, sampler=None, codes="draw", limit=20_000, seed=0, **settings):
        """Fits a latent sampler to the codes of ``dataset``'s images and makes it ``sample``'s; returns the fit's info.

        ``sampler``: a kind name (``"gmm"``, ``"transport"``, ``"flow_matching"``) with its
        ``settings`` (``components=10``, ``steps=2000``, ...), a config dict or a ``LatentSampler``;
        ``None`` refits the model's own sampler (with ``settings`` replacing some of its settings).
        The codes are ``collect_codes``' (at most ``limit``); the same ``seed`` gives the same sampler. The fit runs on a fresh sampler of
        the same settings, whose state is then copied into the model's, so a model built under a
        distribution strategy samples from the fitted state on every replica; a fit that fails
        leaves the model's sampler as it was.
        """
        if sampler is None and settings:
            if not self.sampler.needs_fit:
                raise TypeError(f"Settings {sorted(settings)} need a sampler kind name: this model's sampler is the "
                                f"prior, e.g. fit_sampler(dataset, 'gmm', ...).")
            sampler, settings = self.sampler.kind, {**self.sampler.settings(), **settings}
        target = self.sampler if sampler is None else self._sampler_for(sampler, **settings)
        info = {}
        if target.needs_fit:
            info = samplers_lib.fit_into(target, self.collect_codes(dataset, codes, limit, seed), seed)
        self.set_sampler(target)
        return info

    def reconstruction(self, x, z, training):
        """E c(X, G(z)) over the batch, with the model's ``cost_fn``."""
        logits = self.decoder(z, training=training)
        return tf.reduce_mean(self.cost_fn(x, self.decoder.activate(logits), logits))

    def reconstruction_terms(self, batch):
        """Loss hook of an auto-encoder's reconstruction phase (AAE's phase 1, LSOT's first player)."""
        reconstruction = self.reconstruction(batch.x, self.code(batch.x, batch.training), batch.training)
        return reconstruction, {"reconstruction": reconstruction}

    # --------------------------------------------------------------- training
    @property
    def metrics(self):
        return list(getattr(self, "_trackers", {}).values())  # created by build(), one per ``tracked`` name

    def prepare(self, x, training):
        """Hook: values every update of the step shares (``batch.shared``); none by default."""
        del x, training
        return {}

    def summarize(self, logs):
        """Hook: the logs of one step from the logs of its updates (by default unchanged)."""
        return logs

    def loss_terms(self, batch):
        """The loss hook of a single-player recipe: ``(loss, logs)``."""
        raise NotImplementedError

    @property
    def updates(self):
        """The updates of one training step, in order (``Update``)."""
        return (Update("optimizer", self.loss_terms),)

    def method(self, hook):
        """The model's method that an ``Update``'s ``loss`` or ``after`` names (a subclass's override wins)."""
        name = hook if isinstance(hook, str) else getattr(hook, "__name__", None)
        found = getattr(self, name, None) if name else None
        if not callable(found):
            raise ValueError(f"{type(self).__name__} has no method {name or hook!r}: an Update's loss and after are "
                             f"methods of the model (self.loss_terms).")
        return found

    def check_updates(self):
        """Each update's player is a player and its hooks are methods of the model (``compile`` calls it)."""
        for update in self.updates:
            if update.player not in self.players:
                raise ValueError(f"{type(self).__name__}: an update's player {update.player!r} is not one of "
                                 f"{list(self.players)}.")
            for hook in (update.loss, update.after):
                if hook is None:
                    continue
                self.method(hook)
                if isinstance(hook, str):
                    warnings.warn(f"{type(self).__name__}: Update(..., {hook!r}) names its method by a string; pass "
                                  f"the method (self.{hook}); strings go in vegan_tf 0.4.", DeprecationWarning,
                                  stacklevel=3)

    def apply_update(self, update, batch):
        """Runs one declared ``update`` on ``batch``; returns its logs."""
        logs = descend(self.player_optimizers()[update.player], self.player_variables(update.player),
                       lambda: self.method(update.loss)(batch))
        if update.after:
            self.method(update.after)()
        return logs

    def run_updates(self, x, training):
        """One step of the declared updates (with gradients when ``training``); returns the step's logs.

        The escape hatch: a recipe whose step is not a sequence of player updates overrides
        this method (and nothing else of the loop). In inference mode (``test_step``) every
        loss hook runs once, without updates.
        """
        shared = self.prepare(x, training)
        logs = {}
        for update in self.updates:
            per_repeat = []
            for k in range(update.repeats if training else 1):
                batch = Batch(x, training, shared, k)
                per_repeat.append(self.apply_update(update, batch) if training
                                  else self.method(update.loss)(batch)[1])
            logs.update({name: tf.add_n([r[name] for r in per_repeat]) / len(per_repeat) for name in per_repeat[0]})
        return self.summarize(logs)

    def train_step(self, data):
        return self.record(self.run_updates(self.unpack(data), training=True))

    def test_step(self, data):
        return self.record(self.run_updates(self.unpack(data), training=False), advance=False)

    def unpack(self, data):
        """Accepts ``x`` or ``(x, ...)`` batches (labels are ignored)."""
        if isinstance(data, (tuple, list)):
            data = data[0]
        elif isinstance(data, dict):
            data = data["image"] if "image" in data else data["x"]
        return self._check(data, self.data_shape, "training batch")

    def record(self, logs, advance=True):
        """Updates the trackers, advances the step, returns the logs ``fit`` prints."""
        for name, value in logs.items():
            self._trackers[name].update_state(value)
        if advance:
            self.step.assign_add(1)
        results = {name: t.result() for name, t in self._trackers.items()}
        if isinstance(self.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3 fails to reduce scalar outputs across workers (keras issue 20585).
            results = {k: tf.reshape(v, [1]) for k, v in results.items()}
        return results

    # ------------------------------------------------------------ pretraining
    def pretrain_encoder(self, dataset, steps=200, learning_rate=1e-3, tolerance=0.1, verbose=True):
        """Pre-trains the encoder so that the mean and covariance of the codes match the prior's.

        The WAE code's ``e_pretrain`` (Tolstikhin et al., ``wae.py``, ``pretrain_loss``):
        minimise ||mean(Q_Z) − mean(P_Z)||² + ||cov(Q_Z) − cov(P_Z)||² (both averaged
        over entries) on batches, stopping early when the loss falls below ``tolerance``.
        Uses its own Adam, under the model's distribution strategy (the moments are
        those of the global batch); returns the last loss.
        """
        strategy = self.distribute_strategy
        with strategy.scope():
            opt = keras.optimizers.Adam(learning_rate)
            opt.build(self.encoder.trainable_variables)

        def replica_step(x, seed):
            x = self.unpack(x)
            pz = distribute.global_normal(tf.shape(x)[0], self.latent_dim, seed, self.prior_scale)

            def loss():
                value = moment_matching_loss(distribute.gather(self.code(x, training=True)), pz)
                return value, {"loss": value}

            return descend(opt, self.encoder.trainable_variables, loss)["loss"]

        @tf.function
        def step(x, seed):
            loss = strategy.run(replica_step, args=(x, seed))
            return strategy.reduce(tf.distribute.ReduceOp.MEAN, loss, axis=None)

        loss, i = np.inf, -1
        for i, x in enumerate(strategy.experimental_distribute_dataset(dataset.take(steps))):
            loss = float(step(x, tf.constant([self.seed, i], tf.int64)))
            if loss < tolerance:
                break
        if verbose:
            print(f"Encoder pre-training: moment-matching loss {loss:.4f} after {i + 1} steps.")
        return loss


def moment_matching_loss(qz, pz):
    """Mean squared difference of the means plus that of the (unbiased) covariances of two samples."""
    def moments(z):
        n = tf.cast(tf.shape(z)[0], z.dtype)
        mean = tf.reduce_mean(z, axis=0, keepdims=True)
        centred = z - mean
        return mean, tf.matmul(centred, centred, transpose_a=True) / (n - 1.0)

    mq, cq = moments(qz)
    mp, cp = moments(pz)
    return tf.reduce_mean(tf.square(mq - mp)) + tf.reduce_mean(tf.square(cq - cp))

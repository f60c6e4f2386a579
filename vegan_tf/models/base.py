"""The one base class every recipe of the zoo stands on.

``GenerativeModel`` holds what all models share, so that a recipe supplies only
its loss terms (and, for several players, the order of their updates):

* the networks (``decoder``, optional ``encoder``), the prior P_Z = N(0, σ_z² I)
  and the public API ``encode / decode / reconstruct / sample``;
* one optimizer per player, taken in ``compile`` and kept on ``.keras`` reload;
* replica-aware training: every differentiated loss is divided by the number of
  replicas (the optimizer sums gradients over replicas), and all noise is drawn
  with stateless ops from (model seed, step, purpose), sliced per replica, so
  that a step on R replicas draws exactly the noise of the same step on one;
* a step counter (``model.step``) that checkpoints and resumes with the model;
* loss trackers listed in ``metrics`` so that ``fit`` resets them every epoch.

A recipe implements ``loss_terms(x, training) -> (loss, logs)`` for a single
player, or overrides ``train_step`` and calls ``self.minimize(player, fn)`` once
per player update.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

# Salts that separate the random streams drawn in one step.
PRIOR_SALT, ENCODER_SALT, EXTRA_SALT = 1, 2, 3


def _layer(obj):
    if obj is None or isinstance(obj, keras.layers.Layer):
        return obj
    return keras.saving.deserialize_keras_object(obj)


def replica_info():
    """(number of replicas in sync, this replica's id); (1, 0) outside a replica context."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        return 1, 0
    return ctx.num_replicas_in_sync, ctx.replica_id_in_sync_group


class GenerativeModel(keras.Model):
    """Base class: networks, prior, players and their optimizers, replica-aware steps.

    Args:
      decoder: a ``vegan_tf.networks.Decoder`` (or its serialized config).
      encoder: a ``vegan_tf.networks.Encoder`` (or config), or ``None``.
      prior_scale: σ_z of the prior N(0, σ_z² I).
      seed: seed of every random stream of training (prior draws, encoder noise).
    """

    #: Names of the optimizers ``compile`` takes, one per player; the first is ``model.optimizer``.
    players = ("optimizer",)
    #: Names of the logged loss terms; "loss" first (``TerminateOnNaN`` reads it).
    tracked = ("loss",)

    def __init__(self, decoder, encoder=None, prior_scale=1.0, seed=0, **kwargs):
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
        self.step = self.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False,
                                    aggregation="only_first_replica", name="step")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked}
        self._player_optimizers = {}

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update({
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "encoder": None if self.encoder is None else keras.saving.serialize_keras_object(self.encoder),
            "prior_scale": self.prior_scale,
            "seed": self.seed,
        })
        return config

    # ------------------------------------------------------------------ build
    def build(self, input_shape=None):
        if self.built:
            return
        for network in self._layers:
            if isinstance(network, keras.layers.Layer) and hasattr(network, "dummy_inputs"):
                network.build()
        self.build_networks()
        self.built = True
        self.build_optimizers()

    def build_networks(self):
        """Hook: create the weights of any network that is not a ``vegan_tf.networks`` layer."""

    def call(self, x, training=False):
        if self.encoder is None:
            raise NotImplementedError(f"{type(self).__name__} has no encoder; use decode(z) or sample(n).")
        z = self.code(x, training=training)
        return self.decoder.activate(self.decoder(z, training=training))

    # ------------------------------------------------------------- optimizers
    def compile(self, optimizer="adam", **kwargs):
        """Takes one optimizer per player (``self.players``) by name, plus Keras' compile options."""
        optimizers = {"optimizer": optimizer}
        for name in self.players[1:]:
            optimizers[name] = kwargs.pop(name, "adam")
        extra = set(kwargs) - {"jit_compile", "run_eagerly", "steps_per_execution", "auto_scale_loss"}
        if extra:
            raise TypeError(f"{type(self).__name__}.compile() got unexpected arguments {sorted(extra)}; "
                            f"its optimizers are {list(self.players)}.")
        optimizers = {name: keras.optimizers.get(opt) for name, opt in optimizers.items()}
        super().compile(optimizer=optimizers["optimizer"], **kwargs)
        self._player_optimizers = optimizers
        self.build()  # every network exists by now; the optimizers need the variables
        for name, opt in optimizers.items():
            if name != "optimizer":
                setattr(self, name, opt)  # tracked, so checkpoints and .keras files hold its state
        self.build_optimizers()

    def build_optimizers(self):
        """Creates every optimizer's slots on its player's variables (must precede the first step)."""
        if not self.built:
            return
        for name, opt in self._player_optimizers.items():
            if not opt.built:
                opt.build(self.player_variables(name))

    def updates_per_step(self, player):
        """How many times ``train_step`` updates ``player`` (learning-rate schedules count updates)."""
        del player
        return 1

    def player_variables(self, player):
        """The trainable variables the optimizer ``player`` updates (default: all)."""
        del player
        return self.trainable_variables

    def get_compile_config(self):
        if not self._player_optimizers:
            return None
        return {name: keras.saving.serialize_keras_object(opt) for name, opt in self._player_optimizers.items()}

    def compile_from_config(self, config):
        if not config:
            return
        self.compile(**{name: keras.saving.deserialize_keras_object(c) for name, c in config.items()})

    # ------------------------------------------------------------------ noise
    def stream_seed(self, salt):
        """A stateless-op seed, the same on every replica, new every step and every ``salt``."""
        return tf.stack([tf.constant(self.seed, tf.int64) * 1_000_003 + salt, tf.cast(self.step, tf.int64)])

    def global_normal(self, n_local, dim, salt, scale=1.0):
        """N(0, scale²) noise for the whole global batch ``[R · n_local, dim]`` (identical on every replica)."""
        num_replicas, _ = replica_info()
        return scale * tf.random.stateless_normal([n_local * num_replicas, dim], self.stream_seed(salt))

    def local_normal(self, n_local, dim, salt, scale=1.0):
        """This replica's rows of ``global_normal``: per-example noise independent of the replica count."""
        _, replica_id = replica_info()
        full = self.global_normal(n_local, dim, salt, scale)
        return full[replica_id * n_local:(replica_id + 1) * n_local]

    @staticmethod
    def gather(t):
        """Concatenates ``t`` over all replicas (differentiable: gradients flow back to their replica)."""
        ctx = tf.distribute.get_replica_context()
        if ctx is None or ctx.num_replicas_in_sync == 1:
            return t
        return ctx.all_gather(t, axis=0)

    def prior_sample(self, num_samples, seed):
        """``num_samples`` draws of P_Z from an integer ``seed`` (stateless: same seed, same draws)."""
        seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0x5EED, tf.int64)])
        return self.prior_scale * tf.random.stateless_normal(tf.stack([num_samples, self.latent_dim]), seed)

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

    def code(self, x, training=False):
        """A draw of Z ~ Q(Z|x): the code for deterministic encoders, a reparameterised sample otherwise."""
        enc = self.encoder
        noise = None
        if enc.kind == "implicit":
            noise = self.local_normal(tf.shape(x)[0], enc.noise_dim, ENCODER_SALT)
        mean, log_var = enc(x, training=training, noise=noise)
        if enc.kind == "gaussian" and training:
            eps = self.local_normal(tf.shape(x)[0], self.latent_dim, ENCODER_SALT)
            return mean + tf.exp(0.5 * log_var) * eps
        return mean

    def encode(self, x):
        """The code of ``x`` (the mean code for a Gaussian encoder; one noise draw, ε = 0, for an implicit one)."""
        if self.encoder is None:
            raise NotImplementedError(f"{type(self).__name__} has no encoder.")
        x = self._check(x, self.data_shape, "encode(x): x")
        noise = None
        if self.encoder.kind == "implicit":
            noise = tf.zeros([tf.shape(x)[0], self.encoder.noise_dim])
        return self.encoder(x, training=False, noise=noise)[0]

    def decode(self, z):
        """G(z) in data space (images in [0, 1])."""
        z = self._check(z, (self.latent_dim,), "decode(z): z")
        return self.decoder.activate(self.decoder(z, training=False))

    def reconstruct(self, x):
        return self.decode(self.encode(x))

    def sample(self, num_samples, seed=0):
        """``num_samples`` model samples G(z), z ~ P_Z; the same ``seed`` gives the same samples."""
        return self.decode(self.prior_sample(num_samples, seed))

    # --------------------------------------------------------------- training
    @property
    def metrics(self):
        return list(self.trackers.values())

    def loss_terms(self, x, training):
        """Returns ``(loss, logs)``: the scalar a single player minimises and the values to log."""
        raise NotImplementedError

    def minimize(self, player, loss_fn):
        """One update of ``player`` on ``loss_fn() -> (loss, logs)``; returns the logs."""
        logs = {}

        def loss_only():
            loss, more = loss_fn()
            logs.update(more)
            return loss

        self.apply_update(self._player_optimizers[player], self.player_variables(player), loss_only)
        return logs

    @staticmethod
    def apply_update(optimizer, variables, loss_fn):
        """Differentiates ``loss_fn()`` divided by the replica count (the optimizer sums over replicas)."""
        num_replicas, _ = replica_info()
        with tf.GradientTape() as tape:
            loss = loss_fn()
            scaled = loss / num_replicas
        optimizer.apply(tape.gradient(scaled, variables), variables)
        return loss

    def train_step(self, data):
        x = self.unpack(data)
        logs = self.minimize("optimizer", lambda: self.loss_terms(x, training=True))
        return self.record(logs)

    def test_step(self, data):
        x = self.unpack(data)
        _, logs = self.loss_terms(x, training=False)
        return self.record(logs, advance=False)

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
            self.trackers[name].update_state(value)
        if advance:
            self.step.assign_add(1)
        results = {name: t.result() for name, t in self.trackers.items()}
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
            num_replicas, _ = replica_info()
            pz = self.prior_scale * tf.random.stateless_normal([tf.shape(x)[0] * num_replicas, self.latent_dim], seed)
            return self.apply_update(opt, self.encoder.trainable_variables,
                                     lambda: moment_matching_loss(self.gather(self.code(x, training=True)), pz))

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

"""Everything that knows about replicas: strategies, loss scaling, noise streams, gathers, local rows.

A model written with these helpers takes the same step on R replicas as on one device with
the same global batch (``tests/test_zoo.py`` checks it for every model):

* every differentiated loss is divided by R (``scaled``): the optimizer sums gradients over
  replicas, so a plain ``tf.reduce_mean`` loss would take R times the one-device step;
* all training noise comes from stateless ops seeded by (model seed, step, salt), drawn for
  the whole global batch and sliced per replica (``global_normal`` / ``local_normal``), so
  an example's noise does not depend on how the batch is split;
* batch statistics (MMD, minibatch OT, exact couplings) are computed on the global batch:
  ``gather`` concatenates a tensor over replicas and lets gradients flow back to each
  replica's rows, ``local_rows`` takes this replica's rows of a global tensor (a statistic of
  each replica's share alone would be a different, noisier estimator);
* variables that an optimizer does not own are changed in cross-replica context
  (``update_variables``, e.g. WGAN's weight clipping).

Outside a replica context (eager code, one device) every helper is the identity or its
one-replica case.
"""

from __future__ import annotations

import functools
import math

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


# ------------------------------------------------------------------ replicas
def replica_info():
    """(number of replicas in sync, this replica's id); (1, 0) outside a replica context."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        return 1, 0
    return ctx.num_replicas_in_sync, ctx.replica_id_in_sync_group


def scaled(loss):
    """``loss`` divided by the replica count: what a replica differentiates (the optimizer sums)."""
    return loss / replica_info()[0]


def gather(t):
    """Concatenates ``t`` over all replicas along axis 0 (differentiable: gradients flow back to their replica)."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return t
    return ctx.all_gather(t, axis=0)


def local_rows(t, n_local):
    """This replica's ``n_local`` rows of a tensor that holds the whole global batch."""
    _, replica_id = replica_info()
    return t[replica_id * n_local:(replica_id + 1) * n_local]


def stream_seed(seed, step, salt):
    """A stateless-op seed, the same on every replica, new for every ``step`` and every ``salt``."""
    return tf.stack([tf.constant(seed, tf.int64) * 1_000_003 + salt, tf.cast(step, tf.int64)])


def stateless_normal(shape, seed):
    """``tf.random.stateless_normal(shape, seed)`` as TensorFlow's kernel draws it, also inside XLA.

    Compiled by XLA, the op draws another stream for the same seed: XLA turns the Philox bits
    into normals its own way. The bits are the same in both, so this writes TensorFlow's kernel's
    transform in ops: 23 mantissa bits of each word make a uniform in [0, 1), and each pair
    (u1, u2), u1 floored at 1e-7, gives the Box–Muller pair √(−2 log u1)·(sin 2πu2, cos 2πu2).
    It equals the op's draws up to float rounding (about 1e-6), compiled or not. A step compiled
    by XLA draws through it (``global_normal(..., xla=True)``); TensorFlow's graph takes the op
    itself, one kernel instead of a dozen.
    """
    n = tf.reduce_prod(shape)
    bits = tf.random.stateless_uniform(tf.reshape(n + n % 2, [1]), seed, minval=None, maxval=None, dtype=tf.uint32,
                                       alg="philox")
    uniform = tf.bitcast(tf.bitwise.bitwise_or(tf.bitwise.bitwise_and(bits, 0x7FFFFF), 127 << 23), tf.float32) - 1.0
    radius = tf.sqrt(-2.0 * tf.math.log(tf.maximum(uniform[0::2], 1e-7)))
    angle = 2.0 * math.pi * uniform[1::2]
    pairs = tf.stack([tf.sin(angle) * radius, tf.cos(angle) * radius], axis=1)
    return tf.reshape(tf.reshape(pairs, [-1])[:n], shape)


def global_normal(n_local, dim, seed, scale=1.0, xla=False):
    """N(0, scale²) noise for the whole global batch ``[R · n_local, dim]`` (identical on every replica).

    ``xla``: the step is compiled by XLA; the noise is then drawn by ``stateless_normal``, so that
    it is the noise of the same step in TensorFlow's graph.
    """
    num_replicas, _ = replica_info()
    draw = stateless_normal if xla else tf.random.stateless_normal
    return scale * draw(tf.stack([n_local * num_replicas, dim]), seed)


def local_normal(n_local, dim, seed, scale=1.0, xla=False):
    """This replica's rows of ``global_normal``: per-example noise independent of the replica count."""
    return local_rows(global_normal(n_local, dim, seed, scale, xla), n_local)


def update_variables(variables, fn):
    """Assigns ``fn(v)`` to every variable, in cross-replica context (as an optimizer update is).

    A Keras variable under ``MirroredStrategy`` cannot be assigned from a replica: the
    assignment goes through ``merge_call``; outside a replica context it runs directly.
    """
    def assign_all(strategy, variables):
        for v in variables:
            strategy.extended.update(v.value, lambda t: t.assign(fn(t)), group=False)

    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        assign_all(tf.distribute.get_strategy(), list(variables))
    else:
        ctx.merge_call(assign_all, args=(list(variables),))


# ----------------------------------------------------------------- strategies
def make_strategy(name="default", num_cpu_devices=1, tpu=""):
    """The ``tf.distribute`` strategy named by ``config.train.strategy``.

    ``num_cpu_devices > 1`` splits the CPU into logical devices first, so that
    ``"mirrored"`` runs several real replicas on a CPU.
    """
    if num_cpu_devices > 1:
        cpus = tf.config.list_physical_devices("CPU")
        try:
            tf.config.set_logical_device_configuration(
                cpus[0], [tf.config.LogicalDeviceConfiguration()] * num_cpu_devices)
        except RuntimeError:
            pass  # devices were initialised already (e.g. in tests that split the CPU themselves)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return mirrored_strategy()
    if name == "multi_worker":
        return multi_worker_strategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"Unknown strategy {name!r}; choose one of {STRATEGIES}.")


@functools.lru_cache(maxsize=None)
def mirrored_strategy():
    """One MirroredStrategy over every GPU, else every logical CPU, shared by the whole process.

    Two MirroredStrategy objects over the same devices in one process hand out the same
    collective instance keys, and their collectives then abort each other ("Collective
    instance 100 expected type ..."), so the process keeps one.
    """
    devices = [d.name for d in tf.config.list_logical_devices("GPU")]
    return tf.distribute.MirroredStrategy(devices or [d.name for d in tf.config.list_logical_devices("CPU")])


@functools.lru_cache(maxsize=None)
def multi_worker_strategy():
    """The process's MultiWorkerMirroredStrategy over the cluster that ``TF_CONFIG`` describes.

    TensorFlow configures the collective runtime of a process once, so a second
    MultiWorkerMirroredStrategy in the same process fails; every call returns the first.
    """
    return tf.distribute.MultiWorkerMirroredStrategy()


def worker_values(strategy, value):
    """The number ``value`` of every replica of ``strategy`` (a list in replica order).

    A collective under a multi-worker strategy: every worker calls it at the same point.
    """
    per_replica = strategy.run(lambda: tf.constant([value], tf.float64))
    return [v.item() for v in strategy.gather(per_replica, axis=0).numpy()]


def is_chief(strategy):
    """True on the worker that writes the workdir (every single-process strategy)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0)


def coupled_rows(x_global, y_local):
    """This replica's rows of ``x_global`` and of the points an exact optimal coupling gives them.

    ``y_local`` is gathered from every replica (without gradient) and matched to the global
    batch ``x_global`` by ``vegan_tf.ot.assignment`` (one permutation for the global batch, so
    R replicas couple as one device does); each replica gets its ``n_local`` rows of both.
    """
    from vegan_tf import ot

    n_local = tf.shape(y_local)[0]
    y = gather(tf.stop_gradient(y_local))
    matched = tf.gather(y, ot.assignment(x_global, y))
    return local_rows(x_global, n_local), local_rows(matched, n_local)

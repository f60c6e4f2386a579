"""The training binary: one config file, one workdir, resumable.

    python -m vegan_tf.train --config=configs/wae_mmd_digits.py --workdir=runs/wae_mmd_digits \\
        [--config.model.lam=5 --config.train.num_steps=3000 ...]

The workdir receives

    config.json            the resolved config
    checkpoints/           tf.train.Checkpoint of the model, every optimizer and the step, every epoch
    logs/                  TensorBoard scalars (every epoch) and sample grids
    samples.png            model samples (a scatter picture for 2-D data)
    reconstructions.png    test images above their reconstructions (models with an encoder)
    metrics.json           ``vegan_tf.evaluate.evaluate_model`` plus training time
    export/<step>/         the SavedModel (``vegan_tf.export``)

A run started again with the same workdir resumes from its latest checkpoint at
the same step and the same position in the data, so an interrupted run ends
where the uninterrupted one would have. A failing run (non-finite loss, a
corrupt checkpoint) stops with an error that names the problem and keeps every
checkpoint and export written before.

``train_and_evaluate(config, workdir)`` is the library function behind the binary.
"""

from __future__ import annotations

import functools
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

from vegan_tf import config as config_lib
from vegan_tf import data, evaluate, export, models, visualize


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class CheckpointError(RuntimeError):
    """A checkpoint in the workdir cannot be restored."""


# ----------------------------------------------------------------- strategy
def make_strategy(train_config):
    """The ``tf.distribute`` strategy named by ``config.train.strategy``."""
    name = train_config.strategy
    if train_config.num_cpu_devices > 1:
        cpus = tf.config.list_physical_devices("CPU")
        try:
            tf.config.set_logical_device_configuration(
                cpus[0], [tf.config.LogicalDeviceConfiguration()] * train_config.num_cpu_devices)
        except RuntimeError:
            pass  # devices were initialised already (e.g. in tests that split the CPU themselves)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return mirrored_strategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()  # cluster from the TF_CONFIG environment variable
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=train_config.tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"Unknown strategy {name!r}; choose one of {config_lib.STRATEGIES}.")


@functools.lru_cache(maxsize=None)
def mirrored_strategy():
    """One MirroredStrategy over every GPU, else every logical CPU, shared by the whole process.

    Two MirroredStrategy objects over the same devices in one process hand out the same
    collective instance keys, and their collectives then abort each other ("Collective
    instance 100 expected type ..."), so the process keeps one.
    """
    devices = [d.name for d in tf.config.list_logical_devices("GPU")]
    return tf.distribute.MirroredStrategy(devices or [d.name for d in tf.config.list_logical_devices("CPU")])


def is_chief(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0)


# --------------------------------------------------------------- optimizers
def make_schedule(learning_rate, schedule, num_updates):
    """A learning rate (float or Keras schedule) over ``num_updates`` optimizer updates."""
    if schedule.name == "constant":
        return learning_rate
    if schedule.name == "piecewise":
        if len(schedule.boundaries) != len(schedule.factors):
            raise ValueError("schedule.boundaries and schedule.factors must have the same length.")
        boundaries = [max(1, int(b * num_updates)) for b in schedule.boundaries]
        values = [learning_rate] + [learning_rate * f for f in schedule.factors]
        return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
    if schedule.name == "cosine":
        warmup = int(schedule.warmup_steps)
        return keras.optimizers.schedules.CosineDecay(
            0.0 if warmup else learning_rate, max(1, num_updates - warmup),
            warmup_target=learning_rate if warmup else None, warmup_steps=warmup)
    raise ValueError(f"Unknown schedule {schedule.name!r}; choose one of {config_lib.SCHEDULES}.")


def make_optimizers(config, model):
    """One Adam per player of ``model`` from ``config.optimizers``."""
    players = set(model.players)
    given = set(config.optimizers.keys())
    if given != players:
        raise ValueError(f"config.optimizers has {sorted(given)}, but {type(model).__name__} has the players "
                         f"{sorted(players)}; give exactly one optimizer config per player.")
    optimizers = {}
    for player in model.players:
        o = config.optimizers[player]
        num_updates = config.train.num_steps * model.updates_per_step(player)
        optimizers[player] = keras.optimizers.Adam(make_schedule(o.learning_rate, config.schedule, num_updates),
                                                   beta_1=o.beta_1, beta_2=o.beta_2)
    return optimizers


# --------------------------------------------------------------- callbacks
class EpochEnd(keras.callbacks.Callback):
    """At every epoch end: refuse non-finite losses, save a checkpoint, log scalars and samples."""

    def __init__(self, manager, writer, sample_every, reference=None):
        super().__init__()
        self.manager, self.writer, self.sample_every, self.reference = manager, writer, sample_every, reference
        self.failure = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.all(np.isfinite(loss)):
            step = int(self.model.step.numpy())
            self.failure = f"the loss became {float(np.ravel(loss)[0])} at step {step}"
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.failure:
            return  # never checkpoint a diverged model
        step = int(self.model.step.numpy())
        self.manager.save(checkpoint_number=step)
        if self.writer is None:
            return
        with self.writer.as_default(step=step):
            for name, value in (logs or {}).items():
                tf.summary.scalar(name, float(np.ravel(value)[0]))
            if (epoch + 1) % self.sample_every == 0:
                picture = visualize.picture(self.model.sample(64, 0).numpy(), self.reference)
                tf.summary.image("samples", picture[None].astype(np.float32) / 255.0)
        self.writer.flush()


# ---------------------------------------------------------------- the run
def _checkpoint(model):
    optimizers = {name: opt for name, opt in model._player_optimizers.items()}
    return tf.train.Checkpoint(model=model, **optimizers)


def _restore(checkpoint, manager):
    path = manager.latest_checkpoint
    if path is None:
        return 0
    try:
        checkpoint.restore(path).assert_existing_objects_matched()
    except Exception as e:  # noqa: BLE001 - every restore failure gets the same advice
        raise CheckpointError(
            f"Cannot restore the checkpoint {path}: {type(e).__name__}: {str(e).splitlines()[0][:300]}\n"
            f"The workdir holds a checkpoint that is corrupt or from a different model/config. Nothing was "
            f"changed. Use a new --workdir, or delete {os.path.dirname(path)} to start over, or edit its "
            f"'checkpoint' file to point at an earlier checkpoint.") from e
    return int(checkpoint.model.step.numpy())


def build_model(config, strategy=None):
    """The compiled model of ``config`` (inside ``strategy``'s scope when given)."""
    info = data.dataset_info(config.data.name)
    scope = strategy.scope() if strategy is not None else tf.distribute.get_strategy().scope()
    with scope:
        model = models.build(config.model, info.shape)
        model.compile(**make_optimizers(config, model))
    return model


def restore_from_workdir(workdir):
    """The model of a training workdir at its latest checkpoint, and its config."""
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: is {workdir} a vegan_tf training workdir?")
    with open(path) as f:
        config = config_lib.from_json(f.read())
    model = build_model(config)
    checkpoint = _checkpoint(model)
    manager = tf.train.CheckpointManager(checkpoint, os.path.join(workdir, "checkpoints"), max_to_keep=None)
    if _restore(checkpoint, manager) == 0:
        raise FileNotFoundError(f"No checkpoint in {workdir}/checkpoints.")
    return model, config


def train_and_evaluate(config, workdir, callbacks=()):
    """Trains ``config``'s model in ``workdir`` (resuming if it holds a checkpoint), evaluates, exports.

    Returns the metrics dict also written to ``workdir/metrics.json``.
    """
    t = config.train
    if t.num_steps % t.steps_per_epoch:
        raise ValueError(f"train.num_steps ({t.num_steps}) must be a multiple of train.steps_per_epoch "
                         f"({t.steps_per_epoch}): checkpoints are written at epoch ends.")
    keras.utils.set_random_seed(config.seed)
    if t.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = make_strategy(t)
    chief = is_chief(strategy)
    os.makedirs(workdir, exist_ok=True)
    if chief:
        with open(os.path.join(workdir, "config.json"), "w") as f:
            f.write(config.to_json_best_effort(indent=2))

    info = data.dataset_info(config.data.name)
    model = build_model(config, strategy)
    checkpoint = _checkpoint(model)
    ckpt_dir = os.path.join(workdir, "checkpoints")
    if not chief:  # every worker writes; only the chief's copy is kept
        ckpt_dir = os.path.join(workdir, f".worker-{strategy.cluster_resolver.task_id}", "checkpoints")
    manager = tf.train.CheckpointManager(checkpoint, ckpt_dir, max_to_keep=t.keep_checkpoints)
    step = _restore(checkpoint, manager)
    if step:
        print(f"Resuming from {manager.latest_checkpoint} at step {step}.")

    def train_data(seed):
        return data.get_dataset(config.data.name, "train", batch_size=config.data.batch_size, shuffle=True,
                                seed=seed, repeat=True, data_dir=config.data.data_dir or None)

    if step == 0 and config.model.get("pretrain_encoder", False):
        # Its own pipeline: iterating the training one first would change the order `fit` sees.
        model.pretrain_encoder(train_data(config.seed + 1), steps=config.model.get("pretrain_steps", 200))
    dataset = train_data(config.seed).skip(step)  # the same data position as the uninterrupted run

    reference = None
    if len(info.shape) == 1:
        reference = data.load_array(config.data.name, "test", limit=2000)
    writer = tf.summary.create_file_writer(os.path.join(workdir, "logs")) if chief else None
    guard = EpochEnd(manager, writer, t.sample_every_epochs, reference)
    start = time.time()
    if step < t.num_steps:
        model.fit(dataset, epochs=t.num_steps // t.steps_per_epoch, initial_epoch=step // t.steps_per_epoch,
                  steps_per_epoch=t.steps_per_epoch, callbacks=[guard, *callbacks], verbose=t.verbose,
                  shuffle=False)  # the pipeline shuffles
    train_time = time.time() - start
    if guard.failure:
        raise NonFiniteLossError(
            f"Training stopped: {guard.failure}. The last good checkpoint ({manager.latest_checkpoint}) and any "
            f"export were kept. Lower the learning rate (config.optimizers.*.learning_rate) or the penalty "
            f"weight, or check the data for NaNs, then run again with the same --workdir to resume.")
    if not chief:
        return {}
    return finish(model, config, workdir, train_time, steps_trained=int(model.step.numpy()) - step)


def finish(model, config, workdir, train_time, steps_trained):
    """Writes the pictures, the metrics and the export of a trained model; returns the metrics."""
    out = {"step": int(model.step.numpy()), "train_time_s": round(train_time, 2)}
    if steps_trained:
        out["steps_per_s"] = round(steps_trained / max(train_time, 1e-9), 2)
    out.update(evaluate.evaluate_model(model, config.data.name, config.data.data_dir, config.train.eval_samples,
                                       seed=config.seed))
    paths = {"samples": os.path.join(workdir, "samples.png")}
    samples = model.sample(64, config.seed).numpy()
    test = data.load_array(config.data.name, "test", limit=2000 if samples.ndim == 2 else 32,
                           data_dir=config.data.data_dir or None)
    visualize.save_png(visualize.picture(samples, test if samples.ndim == 2 else None), paths["samples"])
    if model.encoder is not None and samples.ndim > 2:
        paths["reconstructions"] = os.path.join(workdir, "reconstructions.png")
        pairs = np.concatenate([test, model.reconstruct(test).numpy()])
        visualize.save_png(visualize.image_grid(pairs, columns=len(test) // 2), paths["reconstructions"])
    if config.train.export:
        target = os.path.join(workdir, "export", str(out["step"]))
        if os.path.exists(target):
            print(f"Export {target} exists already; kept it.")
        else:
            export.export(model, os.path.join(workdir, "export"), version=out["step"])
        paths["export"] = target
    out["files"] = paths
    with open(os.path.join(workdir, "metrics.json"), "w") as f:
        json.dump(out, f, indent=2)
    print(json.dumps({k: v for k, v in out.items() if k != "files"}, indent=2))
    print("Wrote:\n" + "\n".join(f"  {name:16s}{path}" for name, path in
                                 {**paths, "metrics": os.path.join(workdir, "metrics.json"),
                                  "checkpoints": os.path.join(workdir, "checkpoints"),
                                  "tensorboard": os.path.join(workdir, "logs")}.items()))
    return out


# --------------------------------------------------------------------- CLI
def main(argv):
    del argv
    from absl import flags, logging
    logging.set_verbosity(logging.WARNING)  # keep the progress bar readable
    FLAGS = flags.FLAGS
    config = FLAGS.config
    train_and_evaluate(config, FLAGS.workdir)


def run():
    """Entry point of ``python -m vegan_tf.train`` and the ``vegan-train`` script."""
    from absl import app, flags
    from ml_collections import config_flags

    config_flags.DEFINE_config_file("config", None, "A configs/*.py file.", lock_config=True)
    flags.DEFINE_string("workdir", None, "Directory for checkpoints, logs, samples, metrics and the export.")
    flags.mark_flags_as_required(["config", "workdir"])
    app.run(main)


if __name__ == "__main__":
    run()

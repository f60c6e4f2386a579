"""A training workdir: its config, its checkpoints, and the model they restore (both binaries use this module).

    <workdir>/config.json     the resolved config (``write_config`` / ``read_config``)
    <workdir>/checkpoints/    tf.train.Checkpoint of the model, every optimizer and the step

Restoring is exact: ``tf.train.Checkpoint`` holds the model (with its step counter) and every
player's optimizer, which Keras' ``BackupAndRestore`` would not (STYLE.md, fact 8).
"""

from __future__ import annotations

import os

import tensorflow as tf

from vegan_tf import config as config_lib
from vegan_tf import data, models, optimizers


class CheckpointError(RuntimeError):
    """A checkpoint in the workdir cannot be restored."""


def build_model(config, strategy=None):
    """The compiled model of ``config`` (inside ``strategy``'s scope when given)."""
    info = data.dataset_info(config.data.name)
    scope = strategy.scope() if strategy is not None else tf.distribute.get_strategy().scope()
    with scope:
        model = models.build(config.model, info.shape)
        model.compile(**optimizers.make_optimizers(config, model))
    return model


def write_config(workdir, config):
    with open(os.path.join(workdir, "config.json"), "w") as f:
        f.write(config.to_json_best_effort(indent=2))


def read_config(workdir):
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: is {workdir} a vegan_tf training workdir?")
    with open(path) as f:
        return config_lib.from_json(f.read())


def checkpoint_manager(model, directory, max_to_keep=None):
    """A ``CheckpointManager`` over the model (with its step) and every player's optimizer."""
    checkpoint = tf.train.Checkpoint(model=model, **model.player_optimizers())
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep)


def restore(manager):
    """Restores the manager's latest checkpoint; returns its step (0 when there is none)."""
    path = manager.latest_checkpoint
    if path is None:
        return 0
    try:
        manager.checkpoint.restore(path).assert_existing_objects_matched()
    except Exception as e:  # noqa: BLE001 - every restore failure gets the same advice
        raise CheckpointError(
            f"Cannot restore the checkpoint {path}: {type(e).__name__}: {str(e).splitlines()[0][:300]}\n"
            f"The workdir holds a checkpoint that is corrupt or from a different model/config. Nothing was "
            f"changed. Use a new --workdir, or delete {os.path.dirname(path)} to start over, or edit its "
            f"'checkpoint' file to point at an earlier checkpoint.") from e
    return int(manager.checkpoint.model.step.numpy())


def load(workdir):
    """The model of a training workdir at its latest checkpoint, and its config."""
    config = read_config(workdir)
    model = build_model(config)
    if restore(checkpoint_manager(model, os.path.join(workdir, "checkpoints"))) == 0:
        raise FileNotFoundError(f"No checkpoint in {workdir}/checkpoints.")
    return model, config

"""The checkpoints of a workdir (the model, its optimizers and its step) and of its fitted latent samplers."""

from __future__ import annotations

import os
import re
import warnings

import tensorflow as tf

from vegan_tf.workdir.configfile import write_text


class CheckpointError(RuntimeError):
    """A checkpoint in the workdir cannot be restored."""


def make_checkpoint(model):
    """The ``tf.train.Checkpoint`` of a model: the model (with its step) and every player's optimizer."""
    return tf.train.Checkpoint(model=model, **model.player_optimizers())


def checkpoint_manager(checkpoint, directory, max_to_keep=None):
    """The ``CheckpointManager`` that writes ``checkpoint`` (``make_checkpoint``) as ``directory/ckpt-<step>``."""
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep)


def latest_checkpoint(directory):
    """The checkpoint the state file ``directory/checkpoint`` names; None if it is missing, unreadable or empty."""
    try:
        return tf.train.latest_checkpoint(directory)
    except UnicodeDecodeError:  # bytes that are not text; TensorFlow reads a malformed text file as no state
        return None


def checkpoint_steps(directory):
    """The numbers ``n`` of the ``ckpt-<n>`` checkpoints (with an index file) in ``directory``, newest first."""
    names = os.listdir(directory) if os.path.isdir(directory) else []
    return sorted((int(m.group(1)) for m in map(re.compile(r"ckpt-(\d+)\.index").fullmatch, names) if m),
                  reverse=True)


def _first_line(e):
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:300]}"


def _restore(checkpoint, path):
    checkpoint.restore(path).assert_existing_objects_matched()
    return int(checkpoint.model.step.numpy())


def restore(checkpoint, directory):
    """Restores into ``checkpoint`` the latest checkpoint of ``directory``; returns its step (0 when there is none).

    Reads only. Without a readable state file (``directory/checkpoint``) the ``ckpt-*`` files are
    tried newest first: each is read whole before it is restored, and the first that restores is
    used, with a ``RuntimeWarning`` (``write_checkpoint_state`` then rebuilds the state file).
    Raises ``CheckpointError`` with advice when the latest checkpoint (or, without a state file,
    every one) fails.
    """
    path = latest_checkpoint(directory)
    if path is None:
        return _restore_newest(checkpoint, directory)
    try:
        return _restore(checkpoint, path)
    except Exception as e:  # noqa: BLE001 - every restore failure gets the same advice
        raise CheckpointError(
            f"Cannot restore the checkpoint {path}: {_first_line(e)}\n"
            f"The workdir holds a checkpoint that is corrupt or from a different model/config. Nothing was "
            f"changed. Use a new --workdir, or delete {os.path.dirname(path)} to start over, or edit its "
            f"'checkpoint' file to point at an earlier checkpoint.") from e


def _restore_newest(checkpoint, directory):
    steps = checkpoint_steps(directory)
    if not steps:
        return 0
    state = os.path.join(directory, "checkpoint")
    why = "unreadable or names no checkpoint" if os.path.exists(state) else "missing"
    failures = []
    for n in steps:
        path = os.path.join(directory, f"ckpt-{n}")
        try:
            reader = tf.train.load_checkpoint(path)  # reads every tensor: a corrupt file fails here, untouched model
            for name in reader.get_variable_to_shape_map():
                reader.get_tensor(name)
            step = _restore(checkpoint, path)
        except Exception as e:  # noqa: BLE001 - a checkpoint that does not restore is skipped and reported
            failures.append(f"ckpt-{n} ({_first_line(e)})")
            continue
        skipped = f"; skipped {', '.join(failures)}" if failures else ""
        warnings.warn(f"The checkpoint state file {state} is {why}: resuming from {path}, the newest checkpoint "
                      f"that restores{skipped}.", RuntimeWarning, stacklevel=3)
        return step
    raise CheckpointError(
        f"The checkpoint state file {state} is {why}, and none of the checkpoints in {directory} restores into "
        f"this model:\n  " + "\n  ".join(failures) + "\nNothing was changed. If they were written with another "
        f"config, train with that config; otherwise use a new --workdir, or delete {directory} to start over.")


def write_checkpoint_state(directory, step):
    """Writes ``directory/checkpoint``, the state file of ``tf.train.CheckpointManager``, naming ``ckpt-<step>`` latest.

    Every older ``ckpt-*`` in the directory is listed too, so that ``max_to_keep`` deletes them in turn.
    """
    older = sorted(n for n in checkpoint_steps(directory) if n < step)
    lines = [f'model_checkpoint_path: "ckpt-{step}"'] + [
        f'all_model_checkpoint_paths: "ckpt-{n}"' for n in (*older, step)]
    write_text(os.path.join(directory, "checkpoint"), "\n".join(lines) + "\n")


def sampler_checkpoint(sampler, optimizer=None):
    """The ``tf.train.Checkpoint`` of a sampler being fitted: its variables (with ``fit_step``) and its optimizer."""
    return tf.train.Checkpoint(sampler=sampler, **({"optimizer": optimizer} if optimizer is not None else {}))


def restore_sampler(checkpoint, directory):
    """Restores the latest checkpoint of ``directory`` into a ``sampler_checkpoint``; False if there is none.

    Raises ``CheckpointError`` if it does not restore (corrupt, or another sampler's state). A
    checkpoint without the optimizer restores the sampler alone (the fit's optimizer state is left
    unread, without TensorFlow's warnings about it).
    """
    path = latest_checkpoint(directory)
    if path is None:
        return False
    try:
        checkpoint.restore(path).assert_existing_objects_matched().expect_partial()
    except Exception as e:  # noqa: BLE001 - every restore failure gets the same advice
        raise CheckpointError(
            f"Cannot restore the latent sampler's checkpoint {path}: {_first_line(e)}\nIt is corrupt or holds "
            f"another sampler's state than config.sampler describes. Nothing was changed. Delete {directory} to fit "
            f"the sampler again (the model's checkpoints are not affected).") from e
    return True


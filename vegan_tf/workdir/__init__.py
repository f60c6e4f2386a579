"""A training workdir: its checks, its lock, its config, its checkpoints, and the model they restore.

    <workdir>/config.json     the resolved config (``configfile``: ``write_config`` / ``read_config``)
    <workdir>/checkpoints/    tf.train.Checkpoint of the model, every optimizer and the step (``checkpoints``)
    <workdir>/train.lock      while a training process writes the workdir: its PID, host and start time (``lock``)
    <workdir>/samplers/<step>-<kind>-<digest>/
                              the latent sampler fitted to the model of <step> (``build.sampler_dir``): its
                              settings (sampler.json), its checkpoints while and after it is fitted

One module per job, each importing only those before it:

    checks        the config and the data it names, read only (``ConfigError``)
    configfile    config.json: written atomically, read, compared on a resume (``RUN_SETTINGS``)
    lock          train.lock: one writer per workdir (``WorkdirLockedError``)
    checkpoints   the model's and the latent samplers' checkpoints (``CheckpointError``)
    build         the compiled model of a config; the model of a workdir (``load``); a sampler's codes
    shipping      a finished workdir made a zoo entry (maintainer tool: ``benchmarks/zoo.py``)

Both binaries use this package; the training binary runs every check that can fail
(``check_config``, ``check_data``, ``check_config_change``, the model build and ``restore``)
before it writes anything, so a run that stops on an error leaves the workdir as it was.

Restoring is exact: ``tf.train.Checkpoint`` holds the model (with its step counter) and every
player's optimizer; Keras' ``BackupAndRestore`` restores the weights, ``model.optimizer`` and the
epoch only, so a model with several players would resume with wrong optimizer states. When the
``checkpoints/checkpoint`` state file is missing or unreadable while ``ckpt-*`` files are there,
``restore`` resumes from the newest checkpoint that restores (with a warning) instead of starting
again from step 0, or refuses with advice.
"""

from vegan_tf.workdir.build import build_model, load, sampler_codes, sampler_dir, sampler_fit, sampler_spec
from vegan_tf.workdir.checkpoints import (CheckpointError, checkpoint_manager, checkpoint_steps, latest_checkpoint,
                                          make_checkpoint, restore, restore_sampler, sampler_checkpoint,
                                          write_checkpoint_state)
from vegan_tf.workdir.checks import JIT_COMPILE, ConfigError, check_config, check_data, check_sampler_config
from vegan_tf.workdir.configfile import (RUN_SETTINGS, ConfigMismatchError, check_config_change, config_changes,
                                         read_config, write_config, write_text)
from vegan_tf.workdir.lock import LOCK_FILE, WorkdirLockedError, locked

__all__ = [
    "build_model", "load", "sampler_codes", "sampler_dir", "sampler_fit", "sampler_spec",
    "CheckpointError", "checkpoint_manager", "checkpoint_steps", "latest_checkpoint", "make_checkpoint", "restore",
    "restore_sampler", "sampler_checkpoint", "write_checkpoint_state",
    "JIT_COMPILE", "ConfigError", "check_config", "check_data", "check_sampler_config",
    "RUN_SETTINGS", "ConfigMismatchError", "check_config_change", "config_changes", "read_config", "write_config",
    "write_text",
    "LOCK_FILE", "WorkdirLockedError", "locked",
]

"""Checks of a config and of the data it names, run before a training run writes anything (read only)."""

from __future__ import annotations

import contextlib

from vegan_tf import data, distribute, models, samplers


class ConfigError(ValueError):
    """A config the run cannot take (a value, the data it names, the model it builds); the message names the fix."""


@contextlib.contextmanager
def config_errors():
    """Makes a ``ValueError`` raised inside a ``ConfigError``: what a check or a build refuses is the config's fault.

    Used as a decorator of the functions that read a config (``check_config``, ``check_data``,
    ``build_model``), so that the errors of the modules they call (an unknown model or sampler, a
    setting the model refuses) reach the binary as the one-line errors it prints.
    """
    try:
        yield
    except ConfigError:
        raise
    except ValueError as e:
        raise ConfigError(str(e)) from e


def _is_int(value, low):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


#: ``config.train.jit_compile`` -> ``GenerativeModel.compile``'s ``jit_compile``.
JIT_COMPILE = {"auto": "auto", "on": True, "off": False}


@config_errors()
def check_config(config):
    """Raises ``ValueError`` for a setting no run can train with (a step count ≤ 0, an empty batch, ...)."""
    t = config.train
    checks = [
        ("seed", config.seed, _is_int(config.seed, 0), "an int >= 0"),
        ("data.batch_size", config.data.batch_size, _is_int(config.data.batch_size, 1), "an int >= 1"),
        ("train.num_steps", t.num_steps, _is_int(t.num_steps, 1), "an int >= 1: a run that cannot train exports "
         "nothing (`vegan-evaluate --target=<workdir>` evaluates a trained workdir again)"),
        ("train.steps_per_epoch", t.steps_per_epoch, _is_int(t.steps_per_epoch, 1), "an int >= 1"),
        ("train.sample_every_epochs", t.sample_every_epochs, _is_int(t.sample_every_epochs, 1), "an int >= 1"),
        ("train.keep_checkpoints", t.keep_checkpoints, t.keep_checkpoints is None or _is_int(t.keep_checkpoints, 1),
         "an int >= 1 (or None to keep every checkpoint)"),
        ("train.eval_samples", t.eval_samples, _is_int(t.eval_samples, 1), "an int >= 1"),
        ("train.num_cpu_devices", t.num_cpu_devices, _is_int(t.num_cpu_devices, 1), "an int >= 1"),
        ("train.verbose", t.verbose, t.verbose in (0, 1, 2), "0, 1 or 2"),
        ("train.strategy", t.strategy, t.strategy in distribute.STRATEGIES, f"one of {distribute.STRATEGIES}"),
        ("train.jit_compile", t.get("jit_compile", "auto"), t.get("jit_compile", "auto") in JIT_COMPILE,
         f"one of {tuple(JIT_COMPILE)}"),
    ]
    for key, value, ok, expected in checks:
        if not ok:
            raise ConfigError(f"config.{key} is {value!r}; it must be {expected}.")
    if t.num_steps % t.steps_per_epoch:
        raise ConfigError(f"train.num_steps ({t.num_steps}) must be a multiple of train.steps_per_epoch "
                         f"({t.steps_per_epoch}): checkpoints are written at epoch ends.")
    models.default_config(config.model.name)  # an unknown model name is a ValueError that lists the names
    check_sampler_config(config)
    if t.get("jit_compile", "auto") == "on":  # what GenerativeModel.compile refuses, before anything is built
        reason = models.xla_unsupported(config.model)
        if reason:
            raise ConfigError(f"config.train.jit_compile='on' is not possible with {config.model.name} ({reason}); "
                             f"use 'auto' or 'off'.")
        if t.strategy in ("mirrored", "multi_worker"):
            raise ConfigError(f"config.train.jit_compile='on' is not possible with strategy {t.strategy!r} (Keras "
                             f"does not compile its cross-replica updates); use 'auto' or 'off'.")


def check_sampler_config(config):
    """Raises ``ValueError`` for a ``config.sampler`` no run can fit (creates nothing: safe before any TF op)."""
    s = config.get("sampler")
    if s is None:
        return
    cls = samplers.sampler_class(s.kind)
    if s.codes not in models.SAMPLER_CODES:
        raise ConfigError(f"config.sampler.codes is {s.codes!r}; it must be one of {models.SAMPLER_CODES}.")
    if not _is_int(s.fit_examples, 2):
        raise ConfigError(f"config.sampler.fit_examples is {s.fit_examples!r}; it must be an int >= 2.")
    cls.validate(**s.get(s.kind, {}))
    if cls.needs_fit and "encoder" not in models.MODELS[config.model.name].network_roles:
        raise ConfigError(f"config.sampler.kind={s.kind!r} needs an encoder's codes to fit; {config.model.name} has "
                         f"no encoder and samples its prior: use --config.sampler.kind=prior.")


@config_errors()
def check_data(config):
    """The ``DatasetInfo`` of ``config.data`` once both splits are found to be there, non-empty and of one shape.

    Raises ``DatasetNotFoundError`` (the data is not on this machine) or ``ValueError``.
    """
    name, source = config.data.name, data.source(config.data)  # the image options checked
    if data.is_tfds(name) and config.data.get("download", False):
        data.prepare(source)  # TFDS downloads and prepares it in data_dir (outside the workdir)
    info = data.dataset_info(source)  # a .npz file is read here, a folder listed, both splits' shapes compared
    if data.is_tfds(name):  # on this machine? (the other sources were read or are embedded)
        for split in ("train", "test"):
            data.get_dataset(source, split, shuffle=False, limit=1)
    if info.num_train is not None and info.num_train < config.data.batch_size:
        raise ConfigError(f"The train split of {name!r} holds {info.num_train} examples, fewer than one batch of "
                         f"data.batch_size={config.data.batch_size} (incomplete batches are dropped): there is "
                         f"nothing to train on. Check the data, or lower --config.data.batch_size.")
    if info.num_test == 0:
        raise ConfigError(f"The test split of {name!r} is empty: the run's evaluation needs test examples.")
    return info


"""A training workdir: its checks, its lock, its config, its checkpoints, and the model they restore.

    <workdir>/config.json     the resolved config (``write_config`` / ``read_config``)
    <workdir>/checkpoints/    tf.train.Checkpoint of the model, every optimizer and the step
    <workdir>/train.lock      while a training process writes the workdir: its PID, host and start time
    <workdir>/samplers/<step>-<kind>-<digest>/
                              the latent sampler fitted to the model of <step> (``sampler_dir``): its
                              settings (sampler.json), its checkpoints while and after it is fitted

Both binaries use this module; the training binary runs every check that can fail
(``check_config``, ``check_data``, ``check_config_change``, the model build and ``restore``)
before it writes anything, so a run that stops on an error leaves the workdir as it was.

Restoring is exact: ``tf.train.Checkpoint`` holds the model (with its step counter) and every
player's optimizer; Keras' ``BackupAndRestore`` restores the weights, ``model.optimizer`` and the
epoch only, so a model with several players would resume with wrong optimizer states. When the
``checkpoints/checkpoint`` state file is missing or unreadable while ``ckpt-*`` files are there,
``restore`` resumes from the newest checkpoint that restores (with a warning) instead of starting
again from step 0, or refuses with advice.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import re
import socket
import sys
import time
import warnings

import tensorflow as tf

from vegan_tf import config as config_lib
from vegan_tf import data, distribute, models, optimizers, samplers

LOCK_FILE = "train.lock"
#: The keys that say how a run goes rather than what it trains: they may differ from the workdir's
#: ``config.json`` on a resume (which then records the new values). Any other difference needs
#: ``overwrite_config``. A new ``train.num_steps`` also stretches a piecewise or cosine schedule.
#: The latent sampler is fitted after training, so ``sampler.*`` may change too: a finished
#: workdir run again with another sampler fits it and exports a new version, without retraining.
RUN_SETTINGS = ("train", "data.data_dir", "data.download", "data.max_bad_fraction", "sampler")


class CheckpointError(RuntimeError):
    """A checkpoint in the workdir cannot be restored."""


class ConfigMismatchError(ValueError):
    """The workdir was trained with another config (beyond ``RUN_SETTINGS``)."""


class WorkdirLockedError(RuntimeError):
    """Another training process writes the workdir (its lock file names it)."""


class ConfigError(ValueError):
    """A config the run cannot take (a value, the data it names, the model it builds); the message names the fix."""


@contextlib.contextmanager
def _config_errors():
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


# ------------------------------------------------------------------ checks (read only)
def _is_int(value, low):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


#: ``config.train.jit_compile`` -> ``GenerativeModel.compile``'s ``jit_compile``.
JIT_COMPILE = {"auto": "auto", "on": True, "off": False}


@_config_errors()
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


@_config_errors()
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


def _flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def config_changes(old, new):
    """``[(key, old value, new value)]`` of two configs (dicts or ConfigDicts), ``RUN_SETTINGS`` left out.

    A model key that ``old`` lacks and ``new`` holds at its default (a key added to the schema after
    ``old`` was written, such as ``model.sync_batch_norm``) is not a change, nor a data option that
    ``old`` lacks and ``new`` sets to how the data was read without it (``data.option_defaults``:
    ``data.image_size`` 0, or 64 for TFDS ``celeb_a``).
    """
    old, new = (_flat(json.loads(c.to_json_best_effort()) if hasattr(c, "to_json_best_effort") else c)
                for c in (old, new))
    absent = "(absent)"
    name = new.get("model.name")
    defaults = {}  # a model key newer than the workdir's config.json, at its default, is no change
    if name in models.MODELS:
        defaults = {f"model.{k}": v for k, v in _flat(json.loads(json.dumps(models.default_config(name)))).items()}
    if isinstance(old.get("data.name"), str):
        defaults.update(data.option_defaults(old["data.name"]))
    return [(key, old.get(key, absent), new.get(key, absent)) for key in sorted(set(old) | set(new))
            if old.get(key, absent) != new.get(key, absent)
            and not (key not in old and key in defaults and new.get(key) == defaults[key])
            and not any(key == s or key.startswith(s + ".") for s in RUN_SETTINGS)]


def check_config_change(workdir, config, overwrite=False):
    """Raises ``ConfigMismatchError`` if ``workdir/config.json`` holds another config, unless ``overwrite``.

    Settings of the run (``RUN_SETTINGS``: ``train.*``, ``data.data_dir``) may change.
    """
    path = os.path.join(workdir, "config.json")
    if overwrite or not os.path.exists(path):
        return
    advice = (f"Use a new --workdir, or pass --overwrite_config (train_and_evaluate(..., overwrite_config=True)) "
              f"to replace {path}; the workdir's checkpoints must still restore into the new model.")
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError) as e:
        raise ConfigMismatchError(f"{path} cannot be read ({type(e).__name__}: {e}). {advice}") from None
    changes = config_changes(old, config)
    if changes:
        listed = "\n".join(f"  {key}: {a!r} -> {b!r}" for key, a, b in changes[:10])
        more = f"\n  ... and {len(changes) - 10} more" if len(changes) > 10 else ""
        raise ConfigMismatchError(
            f"{workdir} was trained with another config; these keys differ from its config.json:\n{listed}{more}\n"
            f"Only the settings of the run ({', '.join(k + ('.*' if '.' not in k else '') for k in RUN_SETTINGS)}) "
            f"may change on a resume. {advice}")


# ------------------------------------------------------------------ the lock
_HELD = set()  # lock files this process holds


def _read_lock(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def _holder(text):
    try:
        holder = json.loads(text)
        return holder if isinstance(holder, dict) else {}
    except ValueError:
        return {}


def _process_started(pid):
    """Unix time the process ``pid`` started (Linux ``/proc``), or None where that cannot be told."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _stale(holder, path):
    """Whether a lock's holder is known to be gone: its host is this one and its PID is dead or reused."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    if pid == os.getpid():
        return path not in _HELD  # a lock of an earlier process that had this PID
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    started = _process_started(pid)
    return started is not None and started > holder.get("started_unix", float("inf")) + 1.0


def _take_over(path, text):
    """Removes the stale lock ``path`` if it still holds ``text`` (another process may have taken it over first)."""
    grave = f"{path}.stale-{os.getpid()}"
    try:
        os.rename(path, grave)  # atomic: of two processes taking over, one moves the stale file
    except FileNotFoundError:
        return
    if _read_lock(grave) != text:  # moved the fresh lock of the process that took over first: put it back
        with contextlib.suppress(FileExistsError):
            os.link(grave, path)
    os.unlink(grave)


def _acquire(path):
    now = time.time()
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "started": datetime.datetime.fromtimestamp(now).astimezone().isoformat(timespec="seconds"),
          "started_unix": now, "command": " ".join(sys.argv)}
    for _ in range(5):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            text = _read_lock(path)
            if text is None:
                continue  # released meanwhile
            holder = _holder(text)
            if not _stale(holder, path):
                who = (f"PID {holder.get('pid')} on host {holder.get('host')}, started {holder.get('started')}"
                       f"\n  ({holder.get('command', '')})" if holder else "a process that did not record itself")
                raise WorkdirLockedError(
                    f"{os.path.dirname(path)} is being trained by another process: {who}.\nTwo writers would "
                    f"corrupt its checkpoints. Wait for that run to end, or stop it (`kill "
                    f"{holder.get('pid', '<pid>')}` on its host writes a checkpoint and exits); if it is gone (a "
                    f"lock left on another host, or a PID reused), delete {path}.") from None
            warnings.warn(f"Taking over the stale lock {path}: PID {holder['pid']} on this host, started "
                          f"{holder.get('started')}, is gone (the run was killed); its checkpoints are kept.",
                          RuntimeWarning, stacklevel=3)
            _take_over(path, text)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(me))
        _HELD.add(path)
        return me
    raise WorkdirLockedError(f"Could not take the lock {path}: other processes take and release it concurrently.")


@contextlib.contextmanager
def locked(directory):
    """Holds ``directory/train.lock`` (created atomically) while the block runs: one writer per workdir.

    A lock held by a live process raises ``WorkdirLockedError`` naming it (PID, host, start time,
    command). A lock whose process is gone (same host, PID dead or reused) is taken over with a
    ``RuntimeWarning``; a lock from another host is never taken over (its process cannot be seen
    from here). The lock is removed when the block ends, and so is ``directory`` if this call
    created it and it is still empty (a fresh workdir of a run that failed).
    """
    created = not os.path.isdir(directory)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, LOCK_FILE)
    me = _acquire(path)
    try:
        yield path
    finally:
        _HELD.discard(path)
        if _holder(_read_lock(path) or "") == me:
            os.unlink(path)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(directory)


# ------------------------------------------------------------------ config, model, checkpoints
@_config_errors()
def build_model(config, strategy=None):
    """The compiled model of ``config`` (inside ``strategy``'s scope when given)."""
    info = data.dataset_info(data.source(config.data))
    scope = strategy.scope() if strategy is not None else tf.distribute.get_strategy().scope()
    with scope:
        model = models.build(config.model, info.shape)
        if config.get("sampler") is not None:
            model.set_sampler(config.sampler.kind, **config.sampler.get(config.sampler.kind, {}))
        model.compile(**optimizers.make_optimizers(config, model),
                      steps_per_execution=config.train.get("steps_per_execution", 0) or None,
                      jit_compile=JIT_COMPILE[config.train.get("jit_compile", "auto")])
    return model


def write_text(path, text):
    """Writes ``text`` to ``path`` through a temporary file renamed into place: a crash leaves the old or the new."""
    _write_atomically(path, text)


def _write_atomically(path, text):
    """Writes ``text`` to ``path`` through a temporary file renamed into place: a crash leaves the old or the new."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def write_config(workdir, config):
    """Writes ``workdir/config.json`` (through a temporary file: a crash leaves the old one or the new one)."""
    _write_atomically(os.path.join(workdir, "config.json"), config.to_json_best_effort(indent=2))


def read_config(workdir):
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: is {workdir} a vegan_tf training workdir?")
    with open(path) as f:
        return config_lib.from_json(f.read())


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
    _write_atomically(os.path.join(directory, "checkpoint"), "\n".join(lines) + "\n")


# ------------------------------------------------------------------ the latent sampler
def sampler_spec(config, step):
    """What a fitted latent sampler depends on: its kind and settings, the codes, the seed and the model's step."""
    s = config.sampler
    settings = s[s.kind].to_dict() if s.get(s.kind) else {}
    settings = json.loads(json.dumps(settings))  # as sampler.json holds it (tuples as lists), so specs compare equal
    return {"kind": s.kind, "settings": settings, "codes": s.codes, "fit_examples": s.fit_examples,
            "seed": config.seed, "step": int(step)}


def sampler_fit(config):
    """What a fitted latent sampler of ``config`` was fitted to (its exports record it); None for the prior."""
    s = config.get("sampler")
    if s is None or s.kind == "prior":
        return None
    return {"codes": s.codes, "fit_examples": s.fit_examples, "seed": config.seed}


def sampler_dir(workdir, config, step):
    """``<workdir>/samplers/<step>-<kind>-<digest of sampler_spec>``: where that fitted sampler is kept."""
    spec = sampler_spec(config, step)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
    return os.path.join(workdir, "samplers", f"{step}-{spec['kind']}-{digest}")


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


def load(workdir):
    """The model of a training workdir at its latest checkpoint, with its fitted latent sampler, and its config.

    A config whose sampler is not fitted in the workdir (``sampler_dir``) gives a model whose
    ``sample`` raises until ``fit_sampler`` runs; running the training binary again fits it.
    """
    config = read_config(workdir)
    model = build_model(config)
    step = restore(make_checkpoint(model), os.path.join(workdir, "checkpoints"))
    if step == 0:
        raise FileNotFoundError(f"No checkpoint in {workdir}/checkpoints.")
    if model.sampler.needs_fit:
        fitted = model.sampler.fresh()
        if restore_sampler(sampler_checkpoint(fitted), sampler_dir(workdir, config, step)) and fitted.fitted:
            model.sampler.set_weights(fitted.get_weights())
        else:
            warnings.warn(f"The {config.sampler.kind!r} latent sampler of {workdir} is not fitted to step {step}: "
                          f"run the training binary on the workdir again to fit it.", RuntimeWarning, stacklevel=2)
    return model, config


def sampler_codes(model, config):
    """The codes a latent sampler of ``config`` is fitted to: ``sampler.codes`` of the first ``sampler.fit_examples``
    training images in file order, seeded by ``config.seed`` (numpy ``[N, latent_dim]``).

    The held-out end of the split (``data.held_out_images``, on which samplers are compared)
    is never among them.
    """
    s = config.sampler
    limit = s.fit_examples
    source = data.source(config.data)
    num_train = data.dataset_info(source).num_train
    if num_train:
        limit = min(limit, num_train - data.held_out_count(num_train))
    train = data.get_dataset(source, "train", batch_size=min(500, limit), shuffle=False, drop_remainder=False,
                             limit=limit)
    return model.collect_codes(train, s.codes, limit, seed=config.seed)

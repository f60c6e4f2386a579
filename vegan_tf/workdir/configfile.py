"""A workdir's ``config.json``: written, read, and compared with the config of a resumed run."""

from __future__ import annotations

import json
import os

from vegan_tf import config as config_lib
from vegan_tf import data, models

#: The keys that say how a run goes rather than what it trains: they may differ from the workdir's
#: ``config.json`` on a resume (which then records the new values). Any other difference needs
#: ``overwrite_config``. A new ``train.num_steps`` also stretches a piecewise or cosine schedule.
#: The latent sampler is fitted after training, so ``sampler.*`` may change too: a finished
#: workdir run again with another sampler fits it and exports a new version, without retraining.
RUN_SETTINGS = ("train", "data.data_dir", "data.download", "data.max_bad_fraction", "sampler")


class ConfigMismatchError(ValueError):
    """The workdir was trained with another config (beyond ``RUN_SETTINGS``)."""


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
    old, new = (json.loads(c.to_json_best_effort()) if hasattr(c, "to_json_best_effort") else c for c in (old, new))
    old, new = (_flat({**c, "model": models.nest_divergence_settings(c["model"])[0]} if "model" in c else c)
                for c in (old, new))  # 0.2's flat divergence settings compared under their divergence
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


def write_text(path, text):
    """Writes ``text`` to ``path`` through a temporary file renamed into place: a crash leaves the old or the new."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def write_config(workdir, config):
    """Writes ``workdir/config.json`` (through a temporary file: a crash leaves the old one or the new one)."""
    write_text(os.path.join(workdir, "config.json"), config.to_json_best_effort(indent=2))


def read_config(workdir):
    """The config of ``workdir/config.json`` (``FileNotFoundError`` if the folder is not a training workdir)."""
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: is {workdir} a vegan_tf training workdir?")
    with open(path) as f:
        return config_lib.resolve(config_lib.from_json(f.read()), warn=False)  # 0.2's flat divergence settings

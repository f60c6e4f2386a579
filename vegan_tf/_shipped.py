"""Where the files shipped beside the package are found, and the configs they hold (the core's share of the zoo).

``saved_models/`` and ``configs/`` are in the source checkout, and ``pip install`` copies them to
``<prefix>/share/vegan_tf/`` (setup.py). The zoo (``vegan_tf.pretrained``), the evaluator's
feature networks (``vegan_tf.metrics.feature_net``) and the binaries' ``--config`` lookup all
search the same places.
"""

from __future__ import annotations

import json
import os
import pathlib
import site
import sys


def shipped_dirs(folder):
    """A top-level folder of the repository (``saved_models``, ``configs``): in the source checkout, then
    where ``pip install`` copies it (``<prefix>/share/vegan_tf/<folder>``, see setup.py), then where
    ``pip install --user`` does (``<user base>/share/vegan_tf/<folder>``)."""
    checkout = pathlib.Path(__file__).resolve().parents[1]
    places = [checkout / folder, pathlib.Path(sys.prefix) / "share" / "vegan_tf" / folder]
    user_base = site.getuserbase()
    if user_base:
        places.append(pathlib.Path(user_base) / "share" / "vegan_tf" / folder)
    return places


def roots(root=None):
    """Where shipped SavedModels are looked for, in order: `root`, $VEGAN_TF_SAVED_MODELS, the checkout, the install."""
    if root:
        yield pathlib.Path(root)
    if os.environ.get("VEGAN_TF_SAVED_MODELS"):
        yield pathlib.Path(os.environ["VEGAN_TF_SAVED_MODELS"])
    yield from shipped_dirs("saved_models")


def entries_in(directory):
    """``{name: path}`` of the generator entries of one directory: the folders with a version subdirectory."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        return {}
    return {p.name: p for p in sorted(directory.iterdir())
            if p.is_dir() and any(c.name.isdigit() and c.is_dir() for c in p.iterdir())}


def zoo_dir(root):
    """The zoo directory: ``root`` if given, else the first of ``roots()`` that exists."""
    directory = pathlib.Path(root) if root else next((r for r in roots() if r.is_dir()), None)
    if directory is None or not directory.is_dir():
        raise FileNotFoundError(f"No saved_models/ directory at {directory or ', '.join(map(str, roots()))}.")
    return directory


def _tuples(value):
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def config_from_json(text):
    """The ``ml_collections.ConfigDict`` a run's ``config.json`` holds (lists become tuples again)."""
    import ml_collections

    return ml_collections.ConfigDict(_tuples(json.loads(text)))

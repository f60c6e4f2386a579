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
import sys


def shipped_dirs(folder):
    """A top-level folder of the repository (``saved_models``, ``configs``): in the source checkout, then
    where ``pip install`` copies it (``<prefix>/share/vegan_tf/<folder>``, see setup.py)."""
    checkout = pathlib.Path(__file__).resolve().parents[1]
    return [checkout / folder, pathlib.Path(sys.prefix) / "share" / "vegan_tf" / folder]


def roots(root=None):
    """Where shipped SavedModels are looked for, in order: `root`, $VEGAN_TF_SAVED_MODELS, the checkout, the install."""
    if root:
        yield pathlib.Path(root)
    if os.environ.get("VEGAN_TF_SAVED_MODELS"):
        yield pathlib.Path(os.environ["VEGAN_TF_SAVED_MODELS"])
    yield from shipped_dirs("saved_models")


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

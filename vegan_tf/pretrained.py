"""The SavedModels shipped in ``saved_models/``, loaded and called with checked inputs.

    from vegan_tf import pretrained
    model = pretrained.load("wae_mmd_mnist")
    images = model.sample(16, seed=0)          # float32 [16, 28, 28, 1] in [0, 1]
    codes = model.encode(images)

Each entry of ``saved_models/<name>/`` is a TF Serving model directory (``<version>/``
subdirectories, the newest is loaded) with a ``README.md`` giving the command that
trained it. The directory is looked up in ``root`` if given, then in the
``VEGAN_TF_SAVED_MODELS`` environment variable, the source checkout, and the
install prefix (``pip install`` copies it to ``<prefix>/share/vegan_tf/saved_models``).
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
import tensorflow as tf


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


def versions(base):
    """The integer version subdirectories of a TF Serving model directory, newest first."""
    return sorted((int(p.name) for p in pathlib.Path(base).iterdir() if p.name.isdigit()), reverse=True)


def available(root=None):
    """Names of the shipped models found."""
    names = set()
    for r in roots(root):
        if r.is_dir():
            names |= {p.name for p in r.iterdir() if p.is_dir() and any(c.name.isdigit() for c in p.iterdir())}
    return sorted(names)


class Pretrained:
    """A loaded SavedModel whose signatures are called with shape- and dtype-checked inputs."""

    def __init__(self, path):
        self.path = str(path)
        self._loaded = tf.saved_model.load(self.path)  # kept alive while the signatures are used
        self.signatures = dict(self._loaded.signatures)
        z_spec = self.signatures["decode"].structured_input_signature[1]["z"]
        self.latent_dim = int(z_spec.shape[-1])
        x_spec = self.signatures["decode"].structured_outputs["x"]
        self.data_shape = tuple(int(d) for d in x_spec.shape[1:])

    def _checked(self, value, shape, what):
        array = np.asarray(value)
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"{what} must be float32 (images in [0, 1]), got {array.dtype}.")
        if array.ndim != len(shape) + 1 or tuple(array.shape[1:]) != shape:
            raise ValueError(f"{what} must have shape [batch, {', '.join(map(str, shape))}], got {list(array.shape)}.")
        return tf.constant(array, tf.float32)

    def decode(self, z):
        return self.signatures["decode"](z=self._checked(z, (self.latent_dim,), "z"))["x"]

    def sample(self, num_samples, seed=0):
        return self.signatures["sample"](num_samples=tf.constant(int(num_samples), tf.int32),
                                         seed=tf.constant(int(seed), tf.int32))["x"]

    def encode(self, x):
        self._need("encode")
        return self.signatures["encode"](x=self._checked(x, self.data_shape, "x"))["z"]

    def reconstruct(self, x):
        self._need("reconstruct")
        return self.signatures["reconstruct"](x=self._checked(x, self.data_shape, "x"))["x"]

    def _need(self, name):
        if name not in self.signatures:
            raise NotImplementedError(f"{self.path} has no `{name}` signature (the model has no encoder).")


def load(name, root=None, version=None):
    """Loads the shipped model ``name`` (its newest version unless ``version`` is given)."""
    for r in roots(root):
        base = r / name
        if base.is_dir():
            present = versions(base)
            if not present:
                continue
            chosen = present[0] if version is None else int(version)
            if chosen not in present:
                raise FileNotFoundError(f"{base} has versions {sorted(present)}, not {chosen}.")
            return Pretrained(base / str(chosen))
    raise FileNotFoundError(f"No shipped model {name!r}; available: {available(root) or 'none found'}. "
                            f"Set VEGAN_TF_SAVED_MODELS to the saved_models/ directory of a vegan_tf checkout.")

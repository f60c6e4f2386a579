"""The shipped model zoo of ``saved_models/``: list it, load a SavedModel, load a Keras model, serve it.

    from vegan_tf import pretrained
    pretrained.available()                     # {"wae_mmd_mnist": {"fd": ..., "kid": ..., ...}, ...}
    model = pretrained.load("wae_mmd_mnist")   # the SavedModel, called with checked inputs
    images = model.sample(16, seed=0)          # float32 [16, 28, 28, 1] in [0, 1]
    codes = model.encode(images)
    keras_model = pretrained.load_model("wae_mmd_mnist")  # the Keras model: compile and fit further

Each entry ``saved_models/<name>/`` is a TF Serving model directory (``<version>/``
subdirectories, the newest is loaded) and may hold beside them a ``README.md`` (the model
card: the command that trained it), the run's ``config.json`` and ``metrics.json``, and
``model.keras`` (the trained Keras model). Folders without version subdirectories (the
feature networks in ``saved_models/feature_nets``) are not entries. ``saved_models/models.config``
serves every entry from one TF Serving process (:func:`serving_config` writes it).

The directory is looked up in ``root`` if given, then in the ``VEGAN_TF_SAVED_MODELS``
environment variable, the source checkout, and the install prefix (``pip install`` copies it to
``<prefix>/share/vegan_tf/saved_models``); an entry found in an earlier place hides one of the
same name in a later place. A damaged entry (a SavedModel or ``model.keras`` truncated or with
files missing) is refused with :class:`DamagedEntryError`, which says what is wrong.
"""

from __future__ import annotations

import json
import pathlib
import zipfile

import numpy as np
import tensorflow as tf

from vegan_tf import _moved
from vegan_tf._shipped import entries_in as _entries_in
from vegan_tf._shipped import roots, shipped_dirs  # noqa: F401 - part of this module's API since 0.1
from vegan_tf._shipped import zoo_dir as _zoo_dir


def versions(base):
    """The integer version subdirectories of a TF Serving model directory, newest first."""
    return sorted((int(p.name) for p in pathlib.Path(base).iterdir() if p.name.isdigit()), reverse=True)


#: The headline metrics of a model card's ``metrics.json`` that :func:`available` reports.
HEADLINE_METRICS = ("fd", "kid", "precision", "recall")


def _entries(root=None):
    """``{name: path}`` of the generator entries of every place searched, sorted; the first place wins a name."""
    found = {}
    for r in roots(root):
        for name, path in _entries_in(r).items():
            found.setdefault(name, path)
    return dict(sorted(found.items()))


def _headline(base):
    path = base / "metrics.json"
    metrics = {}
    if path.is_file():
        try:
            metrics = json.loads(path.read_text())
        except ValueError as error:
            raise ValueError(f"{path} is not valid JSON ({error}); fix or remove the model card's metrics.") from None
    return {key: metrics.get(key) for key in HEADLINE_METRICS}


def available(root=None):
    """The shipped models found, by name, with their card's headline metrics.

    Returns a dict ``{name: {"fd": ..., "kid": ..., "precision": ..., "recall": ...}}`` sorted by
    name, read from ``saved_models/<name>/metrics.json`` (a value is ``None`` where the card does
    not give it). Iterating it, ``list(...)`` and ``name in ...`` give the names.
    """
    return {name: _headline(base) for name, base in _entries(root).items()}


class DamagedEntryError(ValueError):
    """A shipped entry whose SavedModel or ``model.keras`` does not load; the message names the entry and the fault."""


class Pretrained:
    """A loaded SavedModel whose signatures are called with checked inputs.

    The checks are those the export's signatures make (see ``vegan_tf.export``), made in Python
    first so that a bad call raises a ``ValueError``/``TypeError`` naming the problem: ``z`` and
    ``x`` of the right shape, float, finite, images in [0, 1], at most ``max_samples`` rows, and
    ``0 <= num_samples <= max_samples``. ``max_samples`` is the limit the export recorded (``None``
    for exports made before vegan_tf recorded one, which are not bounded).

    Raises ``export.ExportError`` if the export does not load (``export.check_export``: files
    missing or truncated, warm-up records it has that fail).
    """

    def __init__(self, path):
        from vegan_tf import export

        self.path = str(path)
        self._loaded = export.check_export(self.path, warmup=False)  # kept alive while the signatures are used
        self.signatures = dict(self._loaded.signatures)
        z_spec = self.signatures["decode"].structured_input_signature[1]["z"]
        self.latent_dim = int(z_spec.shape[-1])
        x_spec = self.signatures["decode"].structured_outputs["x"]
        self.data_shape = tuple(int(d) for d in x_spec.shape[1:])
        self.metadata = export.read_metadata(self.path)
        self.max_samples = self.metadata.get("max_samples")

    def _checked(self, value, shape, what):
        array = np.asarray(value)
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"{what} must be float32 (images in [0, 1]), got {array.dtype}.")
        if array.ndim != len(shape) + 1 or tuple(array.shape[1:]) != shape:
            raise ValueError(f"{what} must have shape [batch, {', '.join(map(str, shape))}], got {list(array.shape)}.")
        self._bounded(len(array), f"{what} has {len(array)} rows")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{what} contains NaN or infinite values; pass finite values.")
        if what == "x" and len(shape) == 3 and array.size and (array.min() < 0.0 or array.max() > 1.0):
            raise ValueError(f"x must hold images in [0, 1], got values in [{array.min()}, {array.max()}] "
                             f"(divide 8-bit pixels by 255).")
        return tf.constant(array, tf.float32)

    def _bounded(self, n, what):
        if self.max_samples is not None and n > self.max_samples:
            raise ValueError(f"{what}; this export takes at most {self.max_samples} per call (the limit fixed at "
                             f"export, config key train.max_samples): split the call, or re-export with a larger "
                             f"train.max_samples.")

    def decode(self, z):
        """G(z): images (or points) for the codes ``z`` [batch, latent_dim]."""
        return self.signatures["decode"](z=self._checked(z, (self.latent_dim,), "z"))["x"]

    def sample(self, num_samples, seed=0):
        """``num_samples`` model samples; the same ``seed`` gives the same samples."""
        return self.signatures["sample"](**self._draw(num_samples, seed))["x"]

    def sample_codes(self, num_samples, seed=0):
        """The codes ``sample(num_samples, seed)`` decodes, from the model's latent sampler (exports since 0.3)."""
        self._need("sample_codes", "it was exported before vegan_tf 0.3")
        return self.signatures["sample_codes"](**self._draw(num_samples, seed))["z"]

    def _draw(self, num_samples, seed):
        if int(num_samples) < 0:
            raise ValueError(f"num_samples must be at least 0, got {num_samples}.")
        self._bounded(int(num_samples), f"num_samples is {num_samples}")
        return {"num_samples": tf.constant(int(num_samples), tf.int32), "seed": tf.constant(int(seed), tf.int32)}

    def encode(self, x):
        """The (mean) codes of ``x`` [batch, *data_shape]."""
        self._need("encode")
        return self.signatures["encode"](x=self._checked(x, self.data_shape, "x"))["z"]

    def reconstruct(self, x):
        """decode(encode(x))."""
        self._need("reconstruct")
        return self.signatures["reconstruct"](x=self._checked(x, self.data_shape, "x"))["x"]

    def _need(self, name, why="the model has no encoder"):
        if name not in self.signatures:
            raise NotImplementedError(f"{self.path} has no `{name}` signature ({why}).")


def _find(name, root):
    entries = _entries(root)
    if name not in entries:
        raise FileNotFoundError(f"No shipped model {name!r}; available: {list(entries) or 'none found'}. "
                                f"Set VEGAN_TF_SAVED_MODELS to the saved_models/ directory of a vegan_tf checkout.")
    return entries[name]


_REPAIR = "copy the entry again from a vegan_tf checkout, or ship it again from its workdir (benchmarks/zoo.py)"


def load(name, root=None, version=None):
    """The shipped SavedModel ``name`` (its newest version unless ``version`` is given) as a :class:`Pretrained`.

    Raises:
      FileNotFoundError: if there is no entry ``name`` or no such version.
      DamagedEntryError: if the version does not load (files missing or truncated).
    """
    from vegan_tf import export

    base = _find(name, root)
    present = versions(base)
    chosen = present[0] if version is None else int(version)
    if chosen not in present:
        raise FileNotFoundError(f"{base} has versions {sorted(present)}, not {chosen}.")
    try:
        return Pretrained(base / str(chosen))
    except export.ExportError as error:
        raise DamagedEntryError(f"The shipped model {name!r} is damaged. {error} To repair it, {_REPAIR}.") from error


def _check_keras_file(name, path):
    """Raises :class:`DamagedEntryError` unless ``path`` is a whole ``.keras`` file (a zip archive) with a model."""
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            truncated = f.read(4) == b"PK\x03\x04"  # a zip's start without its end (the central directory)
        fault = "truncated (its zip archive has no end)" if truncated else "not a zip archive, which a .keras file is"
        raise DamagedEntryError(f"The shipped model {name!r} is damaged: {path} is {fault}. To repair it, {_REPAIR}.")
    with zipfile.ZipFile(path) as archive:
        broken = archive.testzip()
        missing = {"config.json", "model.weights.h5"} - set(archive.namelist())
    if broken or missing:
        fault = f"its member {broken} fails its CRC check" if broken else f"it lacks {', '.join(sorted(missing))}"
        raise DamagedEntryError(f"The shipped model {name!r} is damaged: {path} is not a whole .keras file ({fault}). "
                                f"To repair it, {_REPAIR}.")


def load_model(name, root=None):
    """The Keras model of the shipped entry ``name`` (``saved_models/<name>/model.keras``).

    It is the trained model, compiled with its run's optimizers (``config.json``; fresh moments
    when the entry ships no optimizer state, as :func:`ship` makes it), so it continues training
    with ``fit`` (``compile`` it again to change the optimizers), and it has
    ``sample``, ``decode``, ``encode`` and ``reconstruct`` like a freshly built model.

    Raises:
      FileNotFoundError: if there is no entry ``name``, or the entry ships no ``model.keras``.
      DamagedEntryError: if ``model.keras`` is truncated, not a zip archive, or lacks the model's files.
    """
    import keras

    import vegan_tf.models  # noqa: F401 - registers the classes keras.saving.load_model rebuilds

    base = _find(name, root)
    path = base / "model.keras"
    if not path.is_file():
        raise FileNotFoundError(f"The shipped model {name!r} has no Keras file ({path}): only its SavedModel is "
                                f"shipped. Use pretrained.load({name!r}) to call it, or train it with the command in "
                                f"its README (the workdir's model, saved with model.save('model.keras'), continues "
                                f"training).")
    _check_keras_file(name, path)
    model = keras.saving.load_model(str(path))
    if not getattr(model, "compiled", False) and (base / "config.json").is_file():
        from vegan_tf import optimizers
        from vegan_tf._shipped import config_from_json

        model.compile(**optimizers.make_optimizers(config_from_json((base / "config.json").read_text()), model))
    return model


#: The file in ``saved_models/`` that serves every entry from one TF Serving process.
SERVING_CONFIG = "models.config"


def serving_config(root=None, base_path_prefix="/models"):
    r"""The TF Serving model config (text protobuf) that serves every entry of one ``saved_models/`` directory.

    Each entry ``<name>`` is served as model ``<name>`` from ``<base_path_prefix>/<name>``; the
    default prefix matches mounting ``saved_models/`` at ``/models`` in the ``tensorflow/serving``
    image:

        docker run -p 8501:8501 -p 8500:8500 -v "$PWD/saved_models:/models" tensorflow/serving \
            --model_config_file=/models/models.config

    Args:
      root: the ``saved_models/`` directory (by default the first of the places listed above that exists).
      base_path_prefix: where the server sees that directory.
    """
    prefix = base_path_prefix.rstrip("/")
    names = list(_entries_in(_zoo_dir(root)))
    blocks = "".join(f"  config {{\n    name: \"{name}\"\n    base_path: \"{prefix}/{name}\"\n"
                     f"    model_platform: \"tensorflow\"\n  }}\n" for name in names)
    return f"model_config_list {{\n{blocks}}}\n"


def write_serving_config(root=None, base_path_prefix="/models"):
    """Writes :func:`serving_config` to ``<root>/models.config`` and returns its path (run it after adding an entry)."""
    path = _zoo_dir(root) / SERVING_CONFIG
    path.write_text(serving_config(root, base_path_prefix))
    return path


__getattr__ = _moved.moved(__name__, {name: f"vegan_tf.workdir.shipping:{name}"
                                     for name in ("ship", "model_card", "zoo_table")})

"""Local datasets from a `.npz` file of arrays `x_train`, `x_test` (other keys, e.g. labels, ignored).

Name such a dataset by its path ending in `.npz`, or as `"npz:<path>"`. Integer arrays
[N, H, W] or [N, H, W, C] are images in 0..255 (scaled by 1/255); float image arrays must
already be in [0, 1] (refused otherwise, with the fix). A channel axis is added to [N, H, W];
[N, D] float arrays are points. The file is read without unpickling anything.

A split is read whole into memory (on every worker of a cluster), so an array larger than
``MAX_BYTES`` (2 GiB, uncompressed) is refused before it is read, with the advice to use a folder
of images, which is streamed from its files.
"""

import os
import zipfile

import numpy as np

from vegan_tf.data.base import DatasetInfo, DatasetNotFoundError

PREFIX = "npz:"
SPLITS = ("train", "test")
#: The largest array (uncompressed bytes) read into memory; a larger one is refused before it is read.
MAX_BYTES = 2 * 2**30


def is_npz(name):
    return name.startswith(PREFIX) or name.endswith(".npz")


def path_of(name):
    return os.path.expanduser(name[len(PREFIX) :] if name.startswith(PREFIX) else name)


def load(name, split):
    """Raw array of one split ([N, H, W, C] or [N, D]), integer or float, as stored."""
    path = path_of(name)
    if not os.path.isfile(path):
        raise DatasetNotFoundError(
            f"No .npz file at {path!r} (dataset {name!r}). Write one with "
            "np.savez(path, x_train=..., x_test=...), e.g. from keras.datasets.mnist.load_data()."
        )
    key = f"x_{split}"
    check_archive(path)
    check_size(path, key)
    with np.load(path, allow_pickle=False) as npz:
        if key not in npz.files:
            raise ValueError(
                f"{path!r} has no array {key!r}: found keys {sorted(npz.files)}; " "expected 'x_train' and 'x_test'."
            )
        array = npz[key]
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim not in (2, 4):
        raise ValueError(
            f"{path!r}: {key} has shape {array.shape}; expected [N, H, W], " "[N, H, W, C] (images) or [N, D] (points)."
        )
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{path!r}: {key} has dtype {array.dtype}; expected uint8 or float.")
    if np.issubdtype(array.dtype, np.floating) and array.size:
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{path!r}: {key} holds NaN or infinite values; remove or repair those examples.")
        low, high = float(array.min()), float(array.max())
        if array.ndim == 4 and (low < 0.0 or high > 1.0):
            raise ValueError(f"{path!r}: {key} holds float images with values in [{low:g}, {high:g}]; float images "
                             f"must be in [0, 1]. Divide them by 255 (or save them as uint8, which is scaled here).")
    return array


def check_archive(path):
    """Raises ``ValueError`` unless ``path`` is a zip archive of arrays (what ``np.savez`` writes)."""
    if zipfile.is_zipfile(path):
        return
    with open(path, "rb") as f:
        head = f.read(6)
    what = "a single .npy array" if head == b"\x93NUMPY" else "not a zip archive"
    raise ValueError(f"{path!r} is not a valid .npz file ({what}): expected a zip archive of arrays with x_train and "
                     f"x_test, as np.savez(path, x_train=..., x_test=...) writes.")


def check_size(path, key, limit=None):
    """Raises ``ValueError`` if the array ``key`` of the archive is larger than ``limit`` (``MAX_BYTES``) bytes."""
    limit = MAX_BYTES if limit is None else limit
    with zipfile.ZipFile(path) as archive:
        member = next((i for i in archive.infolist() if i.filename == f"{key}.npy"), None)
    if member is not None and member.file_size > limit:
        raise ValueError(f"{path!r}: {key} is {member.file_size / 2**30:.1f} GiB uncompressed, more than the "
                         f"{limit / 2**30:g} GiB vegan_tf reads from a .npz into memory (every worker holds it "
                         f"whole). Write the images to a folder (one PNG or JPEG per image, optionally in train/ "
                         f"and test/ subfolders) and pass the folder as data.name: a folder is streamed from its "
                         f"files.")


def load_labels(name, split):
    """The ``y_<split>`` array of the file (class labels), as int64."""
    path, key = path_of(name), f"y_{split}"
    check_archive(path)
    with np.load(path, allow_pickle=False) as npz:
        if key not in npz.files:
            raise ValueError(f"{path!r} has no array {key!r} of labels: found keys {sorted(npz.files)}.")
        return npz[key].astype(np.int64).reshape(-1)


def info(name):
    """`DatasetInfo` read from the file (loads both splits; ``ValueError`` if their example shapes differ)."""
    train, test = load(name, "train"), load(name, "test")
    if train.shape[1:] != test.shape[1:]:
        raise ValueError(f"{path_of(name)!r}: the test split holds examples of shape {tuple(test.shape[1:])}, the "
                         f"train split {tuple(train.shape[1:])}: a model trains and is evaluated on one shape. "
                         f"Resize or crop one split to the other's shape.")
    kind = "points" if train.ndim == 2 else "image"
    return DatasetInfo(name, kind, tuple(train.shape[1:]), len(train), len(test))

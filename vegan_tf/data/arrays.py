"""Local datasets from a `.npz` file of arrays `x_train`, `x_test` (other keys, e.g. labels, ignored).

Name such a dataset by its path ending in `.npz`, or as `"npz:<path>"`. Integer arrays
[N, H, W] or [N, H, W, C] are images in 0..255 (scaled by 1/255); float image arrays must
already be in [0, 1] (refused otherwise, with the fix). A channel axis is added to [N, H, W];
[N, D] float arrays are points. The file is read without unpickling anything.
"""

import os
import zipfile

import numpy as np

from vegan_tf.data.base import DatasetInfo, DatasetNotFoundError

PREFIX = "npz:"
SPLITS = ("train", "test")


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

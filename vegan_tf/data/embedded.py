"""Datasets that ship with the library: no download, generated or read in memory.

* `digits`: scikit-learn's `load_digits` (the UCI optical-recognition test set, 1,797 real
  8x8 grey images with values 0..16). Scaled by 1/16 to [0, 1], shape (8, 8, 1). Split by a
  fixed permutation (`np.random.default_rng(0)`): first 1,500 train, remaining 297 test.
* 2-D toy sets from the WGAN-GP toy experiments (Gulrajani et al. 2017, `gan_toy.py`), drawn with
  numpy from a fixed seed per split (train: 100,000 points, seed 0; test: 10,000, seed 1):
  - `eight_gaussians`: 8 modes at radius 2 (angles k*45 deg), noise std 0.02, all divided by 1.414;
  - `25_gaussians`: modes on the grid {-2,...,2}^2 times 2, noise std 0.05, divided by 2.828,
    4,000 points per mode in train (equal counts, shuffled, as in `gan_toy.py`);
  - `swiss_roll`: `sklearn.datasets.make_swiss_roll(n, noise=0.25)`, columns [0, 2], / 7.5.
"""

import functools

import numpy as np

from vegan_tf.data.base import DatasetInfo

DIGITS = "digits"
TOY_SETS = ("eight_gaussians", "25_gaussians", "swiss_roll")
NAMES = (DIGITS,) + TOY_SETS
SPLITS = ("train", "test")

_DIGITS_NUM_TRAIN = 1500
_DIGITS_NUM_TOTAL = 1797
_TOY_SIZE = {"train": 100_000, "test": 10_000}
_TOY_SEED = {"train": 0, "test": 1}

_SQRT_HALF = 1.0 / np.sqrt(2.0)
_EIGHT_CENTRES = np.array(
    [
        (1, 0),
        (-1, 0),
        (0, 1),
        (0, -1),
        (_SQRT_HALF, _SQRT_HALF),
        (_SQRT_HALF, -_SQRT_HALF),
        (-_SQRT_HALF, _SQRT_HALF),
        (-_SQRT_HALF, -_SQRT_HALF),
    ]
)
_GRID_CENTRES = (
    np.stack(np.meshgrid(np.arange(-2, 3), np.arange(-2, 3), indexing="ij"), axis=-1).reshape(-1, 2).astype(np.float64)
)
# name -> (unit centres, centre scale, noise std, final divisor, equal counts per mode)
_MIXTURES = {
    "eight_gaussians": (_EIGHT_CENTRES, 2.0, 0.02, 1.414, False),
    "25_gaussians": (_GRID_CENTRES, 2.0, 0.05, 2.828, True),
}


def info(name):
    """`DatasetInfo` of an embedded dataset."""
    if name == DIGITS:
        return DatasetInfo(name, "image", (8, 8, 1), _DIGITS_NUM_TRAIN, _DIGITS_NUM_TOTAL - _DIGITS_NUM_TRAIN)
    return DatasetInfo(name, "points", (2,), _TOY_SIZE["train"], _TOY_SIZE["test"])


def load(name, split):
    """float32 array of a whole split (read-only: it is cached)."""
    return _load_digits(split) if name == DIGITS else _load_toy(name, split)


@functools.lru_cache(maxsize=None)
def _load_digits(split, labels=False):
    from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top

    digits = load_digits()
    values = digits.target.astype(np.int64) if labels else digits.images.astype(np.float32)[..., None] / 16.0
    order = np.random.default_rng(0).permutation(len(values))
    idx = order[:_DIGITS_NUM_TRAIN] if split == "train" else order[_DIGITS_NUM_TRAIN:]
    return _read_only(values[idx])


def load_labels(name, split):
    """int64 class labels of a split of ``digits``, in the order of ``load``."""
    if name != DIGITS:
        raise ValueError(f"The embedded set {name!r} has no class labels.")
    return _load_digits(split, labels=True)


@functools.lru_cache(maxsize=None)
def _load_toy(name, split):
    n, seed = _TOY_SIZE[split], _TOY_SEED[split]
    if name == "swiss_roll":
        from sklearn.datasets import make_swiss_roll  # pylint: disable=g-import-not-at-top

        points = make_swiss_roll(n, noise=0.25, random_state=seed)[0][:, [0, 2]] / 7.5
    else:
        centres, scale, std, divisor, equal_counts = _MIXTURES[name]
        rng = np.random.default_rng(seed)
        k = len(centres)
        mode = rng.permutation(np.arange(n) % k) if equal_counts else rng.integers(k, size=n)
        points = (scale * centres[mode] + std * rng.standard_normal((n, 2))) / divisor
    return _read_only(points.astype(np.float32))


def toy_modes(name):
    """Mode centres [k, 2] and per-mode std of a Gaussian-mixture toy set, in data coordinates.

    Raises:
      ValueError: for `swiss_roll` (a continuous manifold) and for names that are not toy sets.
    """
    if name == "swiss_roll":
        raise ValueError(
            "'swiss_roll' is a continuous 1-D manifold with no discrete modes; "
            f"toy_modes supports {sorted(_MIXTURES)}."
        )
    if name not in _MIXTURES:
        raise ValueError(f"toy_modes: unknown toy set {name!r}; known: {sorted(_MIXTURES)}.")
    centres, scale, std, divisor, _ = _MIXTURES[name]
    return (scale * centres / divisor).astype(np.float32), std / divisor


def _read_only(array):
    array.setflags(write=False)
    return array

"""Image datasets read through `tensorflow_datasets` (TFDS), never downloaded from here.

* `mnist`, `fashion_mnist` (28x28x1) and `cifar10` (32x32x3): the `image` feature / 255.
* `celeb_a` (64x64x3): the WAE paper's preprocessing (Tolstikhin et al. 2018, sec. 4): the
  central 140x140 crop of the 218x178 aligned face, resized to 64x64 (bilinear, antialiased).

A set must already be prepared in `data_dir` (TFDS's default `~/tensorflow_datasets` when None):
`tfds build NAME --data_dir=DIR` on a machine with network, then copy DIR. Loading an unprepared
set raises `DatasetNotFoundError`. Not-prepared is detected only when `as_dataset` fails, so
`tfds.testing.mock_data` (which patches `as_dataset`) works unchanged.
"""

import dataclasses
from typing import Optional, Tuple

import tensorflow as tf

from vegan_tf.data.base import DatasetInfo, DatasetNotFoundError


@dataclasses.dataclass(frozen=True)
class _Spec:
    shape: Tuple[int, ...]
    num_train: int
    num_test: int
    shuffle_buffer: int  # elements of the raw uint8 images held for shuffling
    splits: Tuple[str, ...] = ("train", "test")


_SPECS = {
    "mnist": _Spec((28, 28, 1), 60_000, 10_000, 60_000),
    "fashion_mnist": _Spec((28, 28, 1), 60_000, 10_000, 60_000),
    "cifar10": _Spec((32, 32, 3), 50_000, 10_000, 50_000),
    "celeb_a": _Spec((64, 64, 3), 162_770, 19_962, 5_000, ("train", "validation", "test")),
}
NAMES = tuple(_SPECS)

# celeb_a images are 218 x 178; the WAE paper keeps the central 140 x 140.
_CELEBA_CROP = 140
_CELEBA_TOP, _CELEBA_LEFT = (218 - _CELEBA_CROP) // 2, (178 - _CELEBA_CROP) // 2


def info(name):
    spec = _SPECS[name]
    return DatasetInfo(name, "image", spec.shape, spec.num_train, spec.num_test)


def splits(name):
    return _SPECS[name].splits


def shuffle_buffer(name):
    return _SPECS[name].shuffle_buffer


def load(name, split, data_dir: Optional[str], shuffle_files: bool, seed: int):
    """tf.data.Dataset of the raw uint8 `image` feature of one split."""
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top  (slow import)

    builder = tfds.builder(name, data_dir=data_dir)
    try:
        ds = builder.as_dataset(
            split=split,
            shuffle_files=shuffle_files,
            decoders=tfds.decode.PartialDecoding({"image": True}),
            read_config=tfds.ReadConfig(shuffle_seed=seed),
        )
    except AssertionError as e:  # TFDS's "could not find data in ..."
        where = str(builder.data_dir_root)
        raise DatasetNotFoundError(
            f"TFDS dataset {name!r} is not prepared in data_dir={where!r} (no download is "
            f"attempted). To get it: run `tfds build {name} --data_dir={where}` on a machine with "
            "network access (or copy a prepared TFDS folder there) and pass data_dir=...; or save "
            "the images as a local .npz (x_train, x_test) and use get_dataset('path/to/file.npz')."
        ) from e
    return ds.map(lambda example: example["image"])


def preprocess(name):
    """Function mapping uint8 images ([..., H, W, C], batched or not) to float32 in [0, 1]."""

    def to_unit(images):
        return tf.cast(images, tf.float32) / 255.0

    def celeb_a(images):
        images = to_unit(images)[
            ..., _CELEBA_TOP : _CELEBA_TOP + _CELEBA_CROP, _CELEBA_LEFT : _CELEBA_LEFT + _CELEBA_CROP, :
        ]
        images = tf.image.resize(images, (64, 64), method="bilinear", antialias=True)
        return tf.clip_by_value(images, 0.0, 1.0)

    return celeb_a if name == "celeb_a" else to_unit

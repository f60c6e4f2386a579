"""Image datasets read through `tensorflow_datasets` (TFDS), never downloaded from here.

* `mnist`, `fashion_mnist` (28x28x1) and `cifar10` (32x32x3): the `image` feature / 255.
* `celeb_a` (64x64x3): the WAE paper's preprocessing (Tolstikhin et al. 2018, sec. 4): the
  central 140x140 crop of the 218x178 aligned face, resized to 64x64 (bilinear, antialiased).
* any other TFDS dataset with an image feature of one fixed shape (`svhn_cropped`, `cifar100`,
  `kmnist`, ...): its first image feature / 255, the shape and the splits read from the builder's
  info (the split sizes only once the set is prepared). Sets whose images vary in size are
  refused with a message: resizing them needs the image options of the folder source.

A set must already be prepared in `data_dir` (TFDS's default `~/tensorflow_datasets` when None):
`tfds build NAME --data_dir=DIR` on a machine with network, then copy DIR. Loading an unprepared
set raises `DatasetNotFoundError`. Not-prepared is detected only when `as_dataset` fails, so
`tfds.testing.mock_data` (which patches `as_dataset`) works unchanged.
"""

import dataclasses
import functools
import math
from typing import Optional, Tuple

import tensorflow as tf

from vegan_tf.data.base import DatasetInfo, DatasetNotFoundError


@dataclasses.dataclass(frozen=True)
class _Spec:
    shape: Tuple[int, ...]
    num_train: Optional[int]  # None: not known before the set is prepared
    num_test: Optional[int]
    shuffle_buffer: int  # elements of the raw uint8 images held for shuffling
    splits: Tuple[str, ...] = ("train", "test")
    feature: str = "image"  # the image feature's key


_SPECS = {
    "mnist": _Spec((28, 28, 1), 60_000, 10_000, 60_000),
    "fashion_mnist": _Spec((28, 28, 1), 60_000, 10_000, 60_000),
    "cifar10": _Spec((32, 32, 3), 50_000, 10_000, 50_000),
    "celeb_a": _Spec((64, 64, 3), 162_770, 19_962, 5_000, ("train", "validation", "test")),
}
NAMES = tuple(_SPECS)
#: Raw image bytes a shuffle buffer of a set read from its builder's info may hold (the buffer is at most 60,000).
SHUFFLE_BYTES = 256 * 2**20


def is_tfds(name):
    """Whether ``name`` is a TFDS dataset: one of ``NAMES`` or any other registered builder (``tfds.list_builders``)."""
    return name in _SPECS or (isinstance(name, str) and name.isidentifier() and name in _registered())


@functools.lru_cache(maxsize=1)
def _registered():
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top  (slow import)

    return frozenset(tfds.list_builders())


@functools.lru_cache(maxsize=None)
def _spec(name):
    """The spec of a named set, or one read from the TFDS builder's info."""
    if name in _SPECS:
        return _SPECS[name]
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top  (slow import)

    info = tfds.builder(name).info
    images = [key for key, feature in info.features.items() if isinstance(feature, tfds.features.Image)]
    if not images:
        raise ValueError(f"The TFDS dataset {name!r} has no image feature (features: {sorted(info.features)}); "
                         f"vegan_tf trains on images.")
    shape = tuple(info.features[images[0]].shape)
    if None in shape:
        raise ValueError(f"The TFDS dataset {name!r} has images of varying size (feature {images[0]!r}, shape "
                         f"{shape}); vegan_tf reads TFDS sets with images of one shape. Export the images to a "
                         f".npz of one size (x_train, x_test) and pass its path as data.name.")
    splits = tuple(info.splits) or ("train", "test")
    sizes = {split: info.splits[split].num_examples for split in info.splits}
    per_image = max(1, math.prod(int(d) for d in shape))
    buffer = max(1000, min(60_000, SHUFFLE_BYTES // per_image))
    return _Spec(shape, sizes.get("train"), sizes.get("test"), buffer, splits, images[0])

# celeb_a images are 218 x 178; the WAE paper keeps the central 140 x 140.
_CELEBA_CROP = 140
_CELEBA_TOP, _CELEBA_LEFT = (218 - _CELEBA_CROP) // 2, (178 - _CELEBA_CROP) // 2


def info(name):
    spec = _spec(name)
    return DatasetInfo(name, "image", spec.shape, spec.num_train, spec.num_test)


def splits(name):
    return _spec(name).splits


def shuffle_buffer(name):
    return _spec(name).shuffle_buffer


def load(name, split, data_dir: Optional[str], shuffle_files: bool, seed: int):
    """tf.data.Dataset of the raw uint8 `image` feature of one split."""
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top  (slow import)

    builder = tfds.builder(name, data_dir=data_dir)
    feature = _spec(name).feature
    try:
        ds = builder.as_dataset(
            split=split,
            shuffle_files=shuffle_files,
            decoders=tfds.decode.PartialDecoding({feature: True}),
            read_config=tfds.ReadConfig(shuffle_seed=seed),
        )
    except AssertionError as e:  # TFDS's "could not find data in ..."
        where = str(builder.data_dir_root)
        raise DatasetNotFoundError(
            f"TFDS dataset {name!r} is not prepared in data_dir={where!r} (no download is "
            f"attempted unless asked). To get it: --config.data.download=True (the training binary; "
            f"data.prepare({name!r}) in Python), or run `tfds build {name} --data_dir={where}` on a machine "
            "with network access (or copy a prepared TFDS folder there) and pass data_dir=...; or save "
            "the images as a local .npz (x_train, x_test) and use get_dataset('path/to/file.npz')."
        ) from e
    return ds.map(lambda example: example[feature])


def prepare(name, data_dir: Optional[str]):
    """Downloads and prepares the TFDS set ``name`` in ``data_dir`` (TFDS's default when None); nothing if it is there."""
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top  (slow import)

    builder = tfds.builder(name, data_dir=data_dir)
    try:
        builder.download_and_prepare()
    except Exception as e:  # noqa: BLE001 - network, disk or TFDS failures all leave the set missing
        raise DatasetNotFoundError(
            f"TFDS could not download and prepare {name!r} in data_dir={str(builder.data_dir_root)!r}: "
            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}. Check the network and the disk, or prepare it "
            f"on another machine (`tfds build {name}`) and copy the folder.") from e


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

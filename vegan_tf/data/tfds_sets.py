"""Image datasets read through `tensorflow_datasets` (TFDS), never downloaded from here.

* `mnist`, `fashion_mnist` (28x28x1) and `cifar10` (32x32x3): the `image` feature / 255.
* `celeb_a` (218x178x3 as stored): read by default with the WAE paper's preprocessing
  (Tolstikhin et al. 2018, sec. 4), the central 140x140 crop resized to 64x64 (bilinear,
  antialiased): the image options `crop="celeb_a"`, `image_size=64` (`datasets._OWN_OPTIONS`).
* any other TFDS dataset with an image feature (`svhn_cropped`, `cifar100`, `oxford_flowers102`,
  ...): its first image feature / 255, the shape and the splits read from the builder's info (the
  split sizes only once the set is prepared). A set whose images vary in size is read with
  `data.image_size` (and `data.crop`) set, every image cropped and resized on its own; without
  it, it is refused with that advice.

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
    "celeb_a": _Spec((218, 178, 3), 162_770, 19_962, 5_000, ("train", "validation", "test")),
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
    shape = tuple(info.features[images[0]].shape)  # None where the images vary in size
    splits = tuple(info.splits) or ("train", "test")
    sizes = {split: info.splits[split].num_examples for split in info.splits}
    per_image = max(1, math.prod(int(d or 256) for d in shape))
    buffer = max(1000, min(60_000, SHUFFLE_BYTES // per_image))
    return _Spec(shape, sizes.get("train"), sizes.get("test"), buffer, splits, images[0])


def info(name):
    spec = _spec(name)
    return DatasetInfo(name, "image", spec.shape, spec.num_train, spec.num_test)


def splits(name):
    return _spec(name).splits


def shuffle_buffer(name):
    return _spec(name).shuffle_buffer


def load(name, split, data_dir: Optional[str], shuffle_files: bool, seed: int, shard=None):
    """tf.data.Dataset of the raw uint8 `image` feature of one split.

    ``shard=(n, i)``: the i-th of n even parts of the split (``tfds.even_splits``): TFDS reads only
    the files (and the parts of files) that hold it.
    """
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top  (slow import)

    builder = tfds.builder(name, data_dir=data_dir)
    feature = _spec(name).feature
    part = split if shard is None else tfds.even_splits(split, n=shard[0])[shard[1]]
    try:
        ds = builder.as_dataset(split=part, shuffle_files=shuffle_files,
                                decoders=tfds.decode.PartialDecoding({feature: True}),
                                read_config=tfds.ReadConfig(shuffle_seed=seed))
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
    del name  # every set the same way; crops and resizes are the image options' (datasets.get_dataset)

    def to_unit(images):
        return tf.cast(images, tf.float32) / 255.0

    return to_unit


def varies(name):
    """Whether the images of ``name`` vary in size (each is cropped and resized before batching)."""
    return None in _spec(name).shape

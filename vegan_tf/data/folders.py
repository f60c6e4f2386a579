"""A folder of images as a dataset, streamed from its files.

``data.name`` (or ``get_dataset``'s name) that is an existing directory is read as a folder of
images: PNG, JPEG, BMP and GIF files (the first frame), found recursively, in the order of their
sorted paths. Each image is decoded when the pipeline reaches it, converted to ``data.channels``
(0: grey if the first image is grey, else RGB; an alpha channel is dropped), cropped and resized
(``images.transform``; ``data.image_size`` 0: the size of the first image once cropped, every other
image resized to it). Only the file names are held in memory, never the images.

Splits: ``train/`` and ``test/`` subfolders when the folder has both (the files beside them are
not read); otherwise each file's split is drawn from its path relative to the folder (a SHA-1
hash), so that a fraction ``data.test_fraction`` is the test split, the same on every machine and
for every run, and adding files never moves another file between splits.

Damaged files: each file's first and last bytes are checked when the folder is listed (an image
signature at the start and, for JPEG, PNG and GIF, the end-of-image marker at the end, which a
truncated download lacks; for BMP the size its header states). Files that fail are left out, their
count logged; more than ``data.max_bad_fraction`` of them refuses the folder, naming some. An image
that passes these checks and still does not decode is dropped by the pipeline with a warning
(``tf.data``'s ``ignore_errors``), never a crash mid-epoch.

Shuffling reorders the file names, all of them, so each epoch is a new permutation of the split
whatever its size; ``skip`` and ``shard`` act on the names too, so a resumed run skips files
without decoding them and each worker of a cluster reads only its own files.
"""

import dataclasses
import functools
import hashlib
import logging
import os
from typing import Tuple

import tensorflow as tf

from vegan_tf.data import images
from vegan_tf.data.base import DatasetInfo, DatasetNotFoundError

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
SPLITS = ("train", "test")
_TAIL = 1024  # bytes searched for the end-of-image marker (some writers pad after it)
_WARNED = set()  # (folder, mtime) whose damaged files were logged


def is_folder(name):
    return isinstance(name, str) and os.path.isdir(os.path.expanduser(name))


@dataclasses.dataclass(frozen=True)
class Listing:
    """The images of a folder: ``train`` and ``test`` paths (relative to ``root``) and the ``bad`` ones left out."""

    root: str
    train: Tuple[str, ...]
    test: Tuple[str, ...]
    bad: Tuple[str, ...]
    by_subfolder: bool

    def split(self, split):
        return self.train if split == "train" else self.test


def _looks_whole(path):
    """Whether the file starts with an image signature and, where the format has one, ends with its end marker."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(16)
            f.seek(max(0, size - _TAIL))
            tail = f.read()
    except OSError:
        return False
    if head.startswith(b"\xff\xd8\xff"):
        return b"\xff\xd9" in tail
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return b"IEND" in tail
    if head.startswith(b"GIF8"):
        return tail.rstrip(b"\x00").endswith(b";")
    if head.startswith(b"BM") and len(head) >= 6:
        return int.from_bytes(head[2:6], "little") <= size
    return False


def _walk(root):
    found = []

    def fail(error):
        raise error

    for directory, subdirs, files in os.walk(root, onerror=fail, followlinks=True):
        subdirs.sort()
        found += [os.path.relpath(os.path.join(directory, f), root) for f in files
                  if f.lower().endswith(EXTENSIONS)]
    return sorted(found)


def _in_test(relative, test_fraction):
    draw = int.from_bytes(hashlib.sha1(relative.replace(os.sep, "/").encode()).digest()[:8], "big") / 2.0 ** 64
    return draw < test_fraction


@functools.lru_cache(maxsize=16)
def _listing(root, stamp, test_fraction):  # stamp: the folder's mtime, so a changed folder is listed again
    del stamp
    try:
        by_subfolder = all(os.path.isdir(os.path.join(root, s)) for s in SPLITS)
        if by_subfolder:
            names = {s: [os.path.join(s, f) for f in _walk(os.path.join(root, s))] for s in SPLITS}
        else:
            every = _walk(root)
            names = {"test": [f for f in every if _in_test(f, test_fraction)]}
            names["train"] = [f for f in every if not _in_test(f, test_fraction)]
    except OSError as error:
        raise DatasetNotFoundError(f"The image folder {root!r} cannot be read ({error.strerror or error}): check that "
                                   f"it exists and that this user may list it and read its files.") from error
    bad = tuple(f for s in SPLITS for f in names[s] if not _looks_whole(os.path.join(root, f)))
    skip = set(bad)
    return Listing(root, *(tuple(f for f in names[s] if f not in skip) for s in SPLITS), bad, by_subfolder)


def listing(source):
    """The checked ``Listing`` of ``source``'s folder (cached while the folder's own mtime stays the same).

    Raises ``DatasetNotFoundError`` if the folder cannot be read or holds no image, and
    ``ValueError`` if more than ``source.max_bad_fraction`` of its images are damaged or a split is empty.
    """
    root = os.path.abspath(os.path.expanduser(source.name))
    if not 0.0 < source.test_fraction < 1.0:
        raise ValueError(f"data.test_fraction={source.test_fraction!r} must be in (0, 1): the share of a folder's "
                         f"images held out as its test split.")
    stamp = os.stat(root).st_mtime_ns
    result = _listing(root, stamp, float(source.test_fraction))
    total = len(result.train) + len(result.test) + len(result.bad)
    if not total:
        raise DatasetNotFoundError(f"The folder {root!r} holds no image ({', '.join(EXTENSIONS)}, searched "
                                   f"recursively). Point data.name at the folder of the images.")
    if result.bad:
        share = len(result.bad) / total
        if share > source.max_bad_fraction:
            raise ValueError(f"{len(result.bad)} of the {total} images in {root!r} are damaged or not images "
                             f"(e.g. {', '.join(result.bad[:3])}): more than data.max_bad_fraction="
                             f"{source.max_bad_fraction:g}. Repair or remove them, or raise data.max_bad_fraction "
                             f"to train without them.")
        if (root, stamp) not in _WARNED:  # once per listing
            _WARNED.add((root, stamp))
            logging.getLogger(__name__).warning("%d of the %d images in %s are damaged or not images and are left "
                                                "out (e.g. %s).", len(result.bad), total, root, ", ".join(result.bad[:3]))
    for split in SPLITS:
        if not result.split(split):
            how = ("its test/ subfolder holds none" if result.by_subfolder and split == "test" else
                   f"data.test_fraction={source.test_fraction:g} of {total} images gave none; raise it")
            raise ValueError(f"The {split} split of the folder {root!r} is empty ({how}).")
    return result


def files(source, split):
    """The absolute paths of ``split``'s images in their order (a worker of ``shard=(n, i)`` reads every n-th from the i-th)."""
    found = listing(source)
    return [os.path.join(found.root, f) for f in found.split(split)]


@functools.lru_cache(maxsize=16)
def _first_shape(path):
    with tf.init_scope():  # eagerly, also while a tf.function builds a pipeline (distribute_datasets_from_function)
        image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
        return tuple(int(d) for d in image.shape)


def native_shape(source):
    """``(H, W, C)`` of the first training image, with ``source.channels`` (grey stays 1, else 3) when set."""
    height, width, have = _first_shape(files(source, "train")[0])
    return height, width, source.channels or (1 if have in (1, 2) else 3)


def info(source):
    found = listing(source)
    shape = images.output_shape(native_shape(source), source.crop, source.image_size, 0)
    return DatasetInfo(source.name, "image", shape, len(found.train), len(found.test))


def dataset(source, split, *, shuffle, seed, repeat, limit, skip, shard):
    """Unbatched float32 images of ``split`` in [0, 1], decoded as the pipeline reaches them (module docstring)."""
    shape = info(source).shape
    channels = shape[-1]
    paths = files(source, split)[:limit]
    if shard:
        paths = paths[shard[1]::shard[0]]

    def decode(path):
        image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)  # 1 to 4 channels as stored
        image = tf.cast(image, tf.float32) / 255.0
        colour = tf.shape(image)[-1] >= 3  # RGB or RGBA; else grey, or grey and alpha
        if channels == 3:
            image = tf.cond(colour, lambda: image[..., :3], lambda: tf.tile(image[..., :1], [1, 1, 3]))
        else:
            image = tf.cond(colour, lambda: tf.image.rgb_to_grayscale(image[..., :3]), lambda: image[..., :1])
        image = images.transform(image, source.crop, 0, 0)
        image = tf.image.resize(image, shape[:2], method="bilinear", antialias=True)  # every image to one size
        return tf.ensure_shape(tf.clip_by_value(image, 0.0, 1.0), shape)

    ds = tf.data.Dataset.from_tensor_slices(tf.constant(paths or [""], tf.string)).take(len(paths))
    if shuffle:
        ds = ds.shuffle(max(len(paths), 1), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if skip:
        ds = ds.skip(skip)
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.ignore_errors(log_warning=True)

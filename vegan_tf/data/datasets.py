"""One entry point from a dataset name to a `tf.data.Dataset` of images or points.

Sources (see each module's docstring for where the data and its preprocessing come from):

* embedded, no download (`embedded.py`): `digits` (scikit-learn's 8x8 digits, the default),
  2-D toy sets `eight_gaussians`, `25_gaussians`, `swiss_roll` (WGAN-GP's `gan_toy.py`);
* TFDS (`tfds_sets.py`): `mnist`, `fashion_mnist`, `cifar10`, `celeb_a` (WAE's 64x64 crop), and
  any other TFDS image dataset of one image shape by its name (`svhn_cropped`, `cifar100`, ...);
* a local `.npz` file (`arrays.py`): a path ending in `.npz`, or `"npz:<path>"`.

Every dataset yields the example tensor alone, with no labels: a tuple or dict batch breaks
`MultiWorkerMirroredStrategy` in Keras 3. Images are float32 NHWC in [0, 1]; points are float32
[batch, d].
"""

import numpy as np
import tensorflow as tf

from vegan_tf.data import arrays, embedded, tfds_sets

KNOWN_NAMES = embedded.NAMES + tfds_sets.NAMES
TFDS_NAMES = tfds_sets.NAMES  # the sets read from TFDS (downloaded, or in data_dir)


def _source(name):
    if name in embedded.NAMES:
        return embedded
    if isinstance(name, str) and arrays.is_npz(name):
        return arrays
    if tfds_sets.is_tfds(name):
        return tfds_sets
    raise ValueError(
        f"Unknown dataset {name!r}. Known: {', '.join(KNOWN_NAMES)}, any TFDS image dataset by its name "
        "(tensorflow_datasets.list_builders()); or a local file as 'path/to/file.npz' or 'npz:<path>'."
    )


def prepare(name, data_dir=None):
    """Downloads and prepares a TFDS set with TFDS (``is_tfds``); the other sources need nothing."""
    if is_tfds(name):
        tfds_sets.prepare(name, data_dir)


def is_tfds(name):
    """Whether ``name`` is read through TFDS (one of ``TFDS_NAMES`` or any other registered TFDS dataset)."""
    try:
        return _source(name) is tfds_sets
    except ValueError:
        return False


def _check_split(name, split):
    source = _source(name)
    splits = tfds_sets.splits(name) if source is tfds_sets else source.SPLITS
    if split not in splits:
        raise ValueError(f"Unknown split {split!r} for dataset {name!r}; splits: {list(splits)}.")
    return source


def dataset_info(name):
    """`DatasetInfo(name, kind, shape, num_train, num_test)` of a dataset.

    Cheap for the named sets; a `.npz` file is read to find its shapes.
    """
    return _source(name).info(name)


def get_dataset(
    name,
    split="train",
    *,
    batch_size=None,
    shuffle=None,
    seed=0,
    repeat=False,
    drop_remainder=True,
    data_dir=None,
    limit=None,
):
    """A `tf.data.Dataset` of one split, shuffled, batched and prefetched.

    Args:
      name: a dataset name (see the module docstring) or a `.npz` path.
      split: `"train"` or `"test"` (`celeb_a` also has `"validation"`).
      batch_size: batch size; None yields single examples.
      shuffle: reshuffle every epoch; None shuffles iff `split == "train"`.
      seed: shuffling seed: the same seed gives the same order of batches (for a given
        global seed, if `tf.random.set_seed` / `keras.utils.set_random_seed` was called).
      repeat: repeat forever (shuffling before repetition, so each epoch is a new order).
      drop_remainder: drop a last, smaller batch (static batch shape).
      data_dir: TFDS data directory (None: TFDS's default); ignored by the other sources.
      limit: keep only the first `limit` examples (taken before shuffling).

    Returns:
      A dataset of float32 tensors only: images [batch, H, W, C] in [0, 1] or points [batch, d]
      (without the batch axis when `batch_size` is None).

    Raises:
      ValueError: unknown name or split, or a bad `batch_size` / `limit`.
      DatasetNotFoundError: the data is not on this machine.
    """
    source = _check_split(name, split)
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size}.")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}.")
    if shuffle is None:
        shuffle = split == "train"

    if source is tfds_sets:
        ds = tfds_sets.load(name, split, data_dir, shuffle_files=shuffle and limit is None, seed=seed)
        if limit is not None:
            ds = ds.take(limit)
        buffer, preprocess = tfds_sets.shuffle_buffer(name), tfds_sets.preprocess(name)
    else:  # In memory: shuffle and batch indices, then gather whole batches at once.
        raw = source.load(name, split)[:limit]
        table = tf.constant(raw)
        scale = 1.0 / 255.0 if np.issubdtype(raw.dtype, np.integer) else 1.0
        ds, buffer = tf.data.Dataset.range(len(raw)), len(raw)
        preprocess = lambda idx: tf.cast(tf.gather(table, idx), tf.float32) * scale

    if shuffle:
        ds = ds.shuffle(max(buffer, 1), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)  # keeps the order
    return ds.prefetch(tf.data.AUTOTUNE)


def load_array(name, split="test", limit=None, data_dir=None):
    """All (or the first `limit`) examples of a split as one float32 numpy array, in order."""
    ds = get_dataset(name, split, batch_size=4096, shuffle=False, drop_remainder=False, data_dir=data_dir, limit=limit)
    batches = list(ds.as_numpy_iterator())
    if not batches:
        return np.zeros((0, *ds.element_spec.shape[1:]), np.float32)
    return np.concatenate(batches)


def load_labels(name, split="test", limit=None):
    """Class labels of a split, aligned with ``load_array`` (digits and ``.npz`` files with ``y_<split>``)."""
    source = _check_split(name, split)
    if source is tfds_sets:
        raise ValueError(f"Labels of the TFDS set {name!r} are not read here; use a .npz copy with y_train/y_test.")
    return source.load_labels(name, split)[:limit]


toy_modes = embedded.toy_modes

"""One entry point from a dataset name to a `tf.data.Dataset` of images or points.

Sources (see each module's docstring for where the data and its preprocessing come from):

* embedded, no download (`embedded.py`): `digits` (scikit-learn's 8x8 digits, the default),
  2-D toy sets `eight_gaussians`, `25_gaussians`, `swiss_roll` (WGAN-GP's `gan_toy.py`);
* a folder of images (`folders.py`): a name that is an existing directory, streamed from its
  PNG/JPEG/BMP/GIF files;
* a local `.npz` file (`arrays.py`): an existing file, a path ending in `.npz`, or `"npz:<path>"`;
* TFDS (`tfds_sets.py`): `mnist`, `fashion_mnist`, `cifar10`, `celeb_a` (WAE's 64x64 crop), and
  any other TFDS image dataset of one image shape by its name (`svhn_cropped`, `cifar100`, ...).

Images of any source are cropped, resized and given a number of channels by the options of a
`Source` (``config.data``: `crop`, `image_size`, `channels`; `images.py`).

Every dataset yields the example tensor alone, with no labels: a tuple or dict batch breaks
`MultiWorkerMirroredStrategy` in Keras 3. Images are float32 NHWC in [0, 1]; points are float32
[batch, d].
"""

import dataclasses
import os

import numpy as np
import tensorflow as tf

from vegan_tf.data import arrays, embedded, folders, images, tfds_sets
from vegan_tf.data.base import Source

KNOWN_NAMES = embedded.NAMES + tfds_sets.NAMES
TFDS_NAMES = tfds_sets.NAMES  # the sets read from TFDS (downloaded, or in data_dir)
#: What a source reads when the image options are left at 0 / "": celeb_a is the WAE paper's crop at 64x64.
_OWN_OPTIONS = {"celeb_a": {"crop": "celeb_a", "image_size": 64}}


def source(data_config=None, **changes):
    """The ``Source`` of a config's ``data`` section (a key it lacks keeps the default), with ``changes`` made.

    Raises ``ValueError`` naming the key if an image option is not valid.
    """
    fields = [f.name for f in dataclasses.fields(Source)]
    values = {k: data_config[k] for k in fields if data_config is not None and k in data_config}
    values.update(changes)
    values["data_dir"] = values.get("data_dir") or None
    chosen = Source(**values)
    images.check(chosen.crop, chosen.image_size, chosen.channels)
    return chosen


def _own_options(name):
    """The image options the set ``name`` is read with when a config leaves them unset (``_OWN_OPTIONS``)."""
    return _OWN_OPTIONS[name] if name in _OWN_OPTIONS and _module(name) is tfds_sets else {}


def option_defaults(name):
    """``{"data.<key>": value}``: how ``name`` is read when a config leaves the image and folder options unset.

    A workdir's ``config.json`` written before these keys existed is read this way (``workdir.config_changes``).
    """
    chosen = dataclasses.replace(Source(name), **_own_options(name))
    return {f"data.{f.name}": getattr(chosen, f.name) for f in dataclasses.fields(Source)
            if f.name not in ("name", "data_dir")}


def _as_source(name, data_dir=None):
    """``name`` (a name or a ``Source``) as a ``Source``: its own options, or the source's (``_OWN_OPTIONS``)."""
    chosen = name if isinstance(name, Source) else Source(name)
    if data_dir and not chosen.data_dir:
        chosen = dataclasses.replace(chosen, data_dir=data_dir)
    if not (chosen.crop or chosen.image_size):
        chosen = dataclasses.replace(chosen, **_own_options(chosen.name))
    return chosen


def _module(name):
    """The module that reads ``name`` (a name or a ``Source``)."""
    name = str(name)
    if name in embedded.NAMES:
        return embedded
    if folders.is_folder(name):
        return folders
    if isinstance(name, str) and (arrays.is_npz(name) or os.path.isfile(os.path.expanduser(name))):
        return arrays
    if tfds_sets.is_tfds(name):
        return tfds_sets
    raise ValueError(
        f"Unknown dataset {name!r}: not a folder or file on this machine, nor a dataset name. Known: "
        f"{', '.join(KNOWN_NAMES)}, any TFDS image dataset by its name (tensorflow_datasets.list_builders()); or a "
        "folder of images, or a local file as 'path/to/file.npz' or 'npz:<path>'."
    )


def _reshapes(chosen):
    return bool(chosen.crop or chosen.image_size or chosen.channels)


def prepare(name, data_dir=None):
    """Downloads and prepares a TFDS set with TFDS (``is_tfds``); the other sources need nothing."""
    if is_tfds(name):
        chosen = _as_source(name, data_dir)
        tfds_sets.prepare(chosen.name, chosen.data_dir)


def is_tfds(name):
    """Whether ``name`` is read through TFDS (one of ``TFDS_NAMES`` or any other registered TFDS dataset)."""
    try:
        return _module(name) is tfds_sets
    except ValueError:
        return False


def is_folder(name):
    """Whether ``name`` (a name or a ``Source``) is a folder of images, streamed from its files."""
    return folders.is_folder(str(name))


def _check_split(name, split):
    source_module = _module(name)
    splits = tfds_sets.splits(str(name)) if source_module is tfds_sets else source_module.SPLITS
    if split not in splits:
        raise ValueError(f"Unknown split {split!r} for dataset {str(name)!r}; splits: {list(splits)}.")
    return source_module


def dataset_info(name):
    """`DatasetInfo(name, kind, shape, num_train, num_test)` of a dataset (a name or a ``Source``).

    Cheap for the named sets; a `.npz` file is read to find its shapes, a folder listed and its
    first image decoded.
    """
    chosen = _as_source(name)
    module = _module(chosen.name)
    if module is folders:
        return folders.info(chosen)
    info = module.info(chosen.name)
    if None in info.shape:  # a TFDS set of images of varying sizes
        if not chosen.image_size:
            raise ValueError(f"The images of {chosen.name!r} vary in size (shape {info.shape}): set the size they are "
                             f"resized to, e.g. --config.data.image_size=64 (and --config.data.crop=center to keep "
                             f"their proportions).")
        return dataclasses.replace(info, shape=(chosen.image_size, chosen.image_size,
                                                chosen.channels or info.shape[-1]))
    if not _reshapes(chosen):
        return info
    if info.kind != "image":
        raise ValueError(f"{chosen.name!r} holds points, not images: data.crop, data.image_size and data.channels "
                         f"apply to images only; leave them at '' and 0.")
    shape = images.output_shape(info.shape, chosen.crop, chosen.image_size, chosen.channels)
    return dataclasses.replace(info, shape=tuple(int(d) for d in shape))


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
    skip=0,
    shard=None,
):
    """A `tf.data.Dataset` of one split, shuffled, batched and prefetched.

    Args:
      name: a dataset name, a `.npz` path or a folder of images (see the module docstring), or a
        `Source` (with its image options).
      split: `"train"` or `"test"` (`celeb_a` also has `"validation"`).
      batch_size: batch size; None yields single examples.
      shuffle: reshuffle every epoch; None shuffles iff `split == "train"`.
      seed: shuffling seed: the same seed gives the same order of batches (for a given
        global seed, if `tf.random.set_seed` / `keras.utils.set_random_seed` was called).
      repeat: repeat forever (shuffling before repetition, so each epoch is a new order).
      drop_remainder: drop a last, smaller batch (static batch shape).
      data_dir: TFDS data directory (None: TFDS's default, or the `Source`'s); ignored by the other sources.
      limit: keep only the first `limit` examples (taken before shuffling).
      skip: start at the `skip`-th batch (example, without `batch_size`) of the stream; a folder skips
        file names, an in-memory source indices, so nothing skipped is decoded.
      shard: `(num_shards, index)`: one of `num_shards` disjoint parts of the split, before
        shuffling: a folder's every `num_shards`-th file from the `index`-th, read alone; a TFDS
        set's `index`-th even part (`tfds.even_splits`), read alone; in memory, every
        `num_shards`-th example (after `limit`).

    Returns:
      A dataset of float32 tensors only: images [batch, H, W, C] in [0, 1] or points [batch, d]
      (without the batch axis when `batch_size` is None).

    Raises:
      ValueError: unknown name or split, or a bad `batch_size` / `limit` / `skip` / `shard`.
      DatasetNotFoundError: the data is not on this machine.
    """
    chosen = _as_source(name, data_dir)
    module = _check_split(chosen, split)
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size}.")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}.")
    if skip < 0:
        raise ValueError(f"skip must be >= 0, got {skip}.")
    if shard is not None and not (len(shard) == 2 and 0 <= shard[1] < shard[0]):
        raise ValueError(f"shard must be (num_shards, index) with 0 <= index < num_shards, got {shard}.")
    if shuffle is None:
        shuffle = split == "train"

    if module is folders:  # streamed: names are shuffled, sharded and skipped; images decoded one by one
        ds = folders.dataset(chosen, split, shuffle=shuffle, seed=seed, repeat=repeat, limit=limit,
                             skip=skip * (batch_size or 1), shard=shard)
        if batch_size is not None:
            ds = ds.batch(batch_size, drop_remainder=drop_remainder)
        return ds.prefetch(tf.data.AUTOTUNE)

    reshape_batches = _reshapes(chosen)  # crop, resize and channels applied to whole batches
    if module is tfds_sets:
        ds = tfds_sets.load(chosen.name, split, chosen.data_dir, shuffle_files=shuffle and limit is None, seed=seed,
                            shard=shard if limit is None else None)
        if limit is not None:
            ds = ds.take(limit)
            if shard is not None:
                ds = ds.shard(*shard)
        buffer, preprocess = tfds_sets.shuffle_buffer(chosen.name), tfds_sets.preprocess(chosen.name)
        if tfds_sets.varies(chosen.name):  # to one size one by one, before anything batches them
            dataset_info(chosen)  # refused without data.image_size
            to_unit = preprocess
            ds = ds.map(lambda x: images.transform(to_unit(x), chosen.crop, chosen.image_size, chosen.channels),
                        num_parallel_calls=tf.data.AUTOTUNE)
            preprocess, reshape_batches = tf.identity, False
    else:  # In memory: shuffle and batch indices, then gather whole batches at once.
        raw = module.load(chosen.name, split)[:limit]
        table = tf.constant(raw)
        scale = 1.0 / 255.0 if np.issubdtype(raw.dtype, np.integer) else 1.0
        ds, buffer = tf.data.Dataset.range(len(raw)), len(raw)
        if shard is not None:
            ds = ds.shard(*shard)
        preprocess = lambda idx: tf.cast(tf.gather(table, idx), tf.float32) * scale
    if reshape_batches:
        dataset_info(chosen)  # points refused, naming the options
        to_unit = preprocess
        preprocess = lambda x: images.transform(to_unit(x), chosen.crop, chosen.image_size, chosen.channels)

    if shuffle:
        ds = ds.shuffle(max(buffer, 1), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if skip:
        ds = ds.skip(skip)
    ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)  # keeps the order
    return ds.prefetch(tf.data.AUTOTUNE)


def training_data(name, batch_size, *, seed=0, skip=0, strategy=None, data_dir=None):
    """The stream ``fit`` trains on: the train split shuffled, repeated, in global batches, from batch ``skip`` on.

    Every iterator made from it yields the same batches (the pipeline is built afresh inside a
    ``flat_map`` for each: a pipeline that reshuffles each iteration draws a new order for every
    iterator of one dataset object, and under a distribution strategy Keras 3 makes two, one to
    build the model symbolically and the one training reads). So a mirrored or multi-worker run
    sees the batches of a one-device run, and a resumed run those of the uninterrupted one.

    Under a ``MultiWorkerMirroredStrategy`` a folder of images or a TFDS set is read per worker
    (``strategy.distribute_datasets_from_function``): worker ``i`` of ``n`` reads only its own
    files (``shard=(n, i)``) in batches of its replicas' share of ``batch_size``, and the step the
    cluster takes is the one-device step on the concatenation of the workers' batches. The
    in-memory sources are split by ``tf.distribute`` as usual (each worker keeps its share of
    every global batch).
    """
    chosen = _as_source(name, data_dir)

    def build(context=None):
        batch, shard, skipped = batch_size, None, skip
        if context is not None:
            batch = context.get_per_replica_batch_size(batch_size)
            shard = (context.num_input_pipelines, context.input_pipeline_id)
            skipped = skip * (context.num_replicas_in_sync // context.num_input_pipelines)
        make = tf.autograph.experimental.do_not_convert(  # plain Python: nothing to convert
            lambda _: get_dataset(chosen, "train", batch_size=batch, shuffle=True, seed=seed, repeat=True,
                                  skip=skipped, shard=shard))
        return tf.data.Dataset.range(1).flat_map(make)

    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (is_folder(chosen) or is_tfds(chosen)):
        return strategy.distribute_datasets_from_function(build)
    return build()


def load_array(name, split="test", limit=None, data_dir=None):
    """All (or the first `limit`) examples of a split as one float32 numpy array, in order."""
    ds = get_dataset(name, split, batch_size=4096, shuffle=False, drop_remainder=False, data_dir=data_dir, limit=limit)
    batches = list(ds.as_numpy_iterator())
    if not batches:
        return np.zeros((0, *ds.element_spec.shape[1:]), np.float32)
    return np.concatenate(batches)


def load_labels(name, split="test", limit=None):
    """Class labels of a split, aligned with ``load_array`` (digits and ``.npz`` files with ``y_<split>``)."""
    module = _check_split(name, split)
    if module is tfds_sets:
        raise ValueError(f"Labels of the TFDS set {str(name)!r} are not read here; use a .npz copy with y_train/y_test.")
    if module is folders:
        raise ValueError(f"A folder of images has no labels ({str(name)!r}); use a .npz with y_train/y_test.")
    return module.load_labels(str(name), split)[:limit]


def held_out_count(num_train):
    """How many images at the end of a training split of ``num_train`` are held out: a tenth, at most 1,000."""
    return min(1000, num_train // 10)


def held_out_images(data_name, data_dir=None):
    """The held-out end of the training split (``held_out_count``): no latent sampler is fitted to their codes.

    ``None`` where the split's size is not known without reading it (TFDS sets without metadata).
    """
    num_train = dataset_info(data_name).num_train
    if not num_train or not held_out_count(num_train):
        return None
    count = held_out_count(num_train)
    ds = get_dataset(data_name, "train", shuffle=False, data_dir=data_dir or None, skip=num_train - count)
    return np.stack(list(ds.take(count).as_numpy_iterator()))  # skipped unread: indices, names or TFDS records


toy_modes = embedded.toy_modes

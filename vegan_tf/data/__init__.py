"""tf.data pipelines: embedded sets (digits, 2-D toys), folders of images, TFDS image sets and local .npz arrays.

ds = data.get_dataset("digits", "train", batch_size=64)   # float32 [64, 8, 8, 1] in [0, 1]
ds = data.get_dataset(data.Source("path/to/photos", image_size=64, crop="center"), batch_size=64)
"""

from vegan_tf.data.base import DatasetInfo, DatasetNotFoundError, Source
from vegan_tf.data.datasets import (KNOWN_NAMES, TFDS_NAMES, dataset_info, get_dataset, held_out_count,
                                    held_out_images, is_folder, is_tfds, load_array,
                                    load_labels, option_defaults, prepare, source, toy_modes,
                                    training_data)

__all__ = [
    "DatasetInfo",
    "DatasetNotFoundError",
    "KNOWN_NAMES",
    "Source",
    "TFDS_NAMES",
    "dataset_info",
    "get_dataset",
    "held_out_count",
    "held_out_images",
    "is_folder",
    "is_tfds",
    "prepare",
    "load_array",
    "load_labels",
    "option_defaults",
    "source",
    "toy_modes",
    "training_data",
]

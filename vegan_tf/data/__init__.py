"""tf.data pipelines: embedded sets (digits, 2-D toys), TFDS image sets and local .npz arrays.

ds = data.get_dataset("digits", "train", batch_size=64)   # float32 [64, 8, 8, 1] in [0, 1]
"""

from vegan_tf.data.base import DatasetInfo, DatasetNotFoundError
from vegan_tf.data.datasets import (KNOWN_NAMES, TFDS_NAMES, dataset_info, get_dataset, is_tfds, load_array, load_labels,
                                    prepare, toy_modes)

__all__ = [
    "DatasetInfo",
    "DatasetNotFoundError",
    "KNOWN_NAMES",
    "TFDS_NAMES",
    "dataset_info",
    "get_dataset",
    "is_tfds",
    "prepare",
    "load_array",
    "load_labels",
    "toy_modes",
]

"""Types shared by the dataset sources: the info record and the not-found error."""

import dataclasses
from typing import Optional, Tuple


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a model needs to know about a dataset before loading it.

    Attributes:
      name: the name given to `get_dataset`.
      kind: `"image"` (float32 NHWC in [0, 1]) or `"points"` (float32 [batch, d]).
      shape: shape of one example, e.g. `(8, 8, 1)` or `(2,)`.
      num_train: number of training examples, or None if unknown without loading.
      num_test: number of test examples, or None if unknown without loading.
    """

    name: str
    kind: str
    shape: Tuple[int, ...]
    num_train: Optional[int]
    num_test: Optional[int]


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not on this machine (and nothing will download them)."""


@dataclasses.dataclass(frozen=True)
class Source:
    """A dataset and how to read it: what ``config.data`` names (``data.source(config.data)``).

    Every function of ``vegan_tf.data`` that takes a dataset name also takes a ``Source``.

    Attributes:
      name: a dataset name, a ``.npz`` path or a folder of images (``vegan_tf.data``'s docstring).
      data_dir: the TFDS data directory (None: TFDS's default).
      image_size: the side of the square images are resized to (0: as the source gives them).
      channels: 1 (grey) or 3 (RGB); 0: as the source gives them.
      crop: ``""``, ``"center"`` or ``"celeb_a"`` (``data.images``), before the resize.
      test_fraction: the share of a folder's images in its test split (without train/ and test/ subfolders).
      max_bad_fraction: the share of a folder's files that may be damaged (left out) before it is refused.
    """

    name: str
    data_dir: Optional[str] = None
    image_size: int = 0
    channels: int = 0
    crop: str = ""
    test_fraction: float = 0.1
    max_bad_fraction: float = 0.01

    def __str__(self):
        return self.name

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

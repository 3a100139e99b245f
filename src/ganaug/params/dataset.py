"""The ``dataset`` section of ``params.yaml``: which images the pipeline studies, at what size.

The readers live in ``ganaug.data.registry``; this module only checks the keys, so that loading
params never imports a reader. Sizes known before anything is read (the torchvision sets')
let ``params.yaml`` refuse a level too large for them before any stage runs; for the others
``prepare`` checks the level against the images it finds.
"""
from __future__ import annotations

from dataclasses import dataclass

from ganaug.data.registry import READERS
from ganaug.params.strict import require

DATASETS = tuple(READERS)
WITH_PATH = ("folder", "npz")  # the datasets a user brings: read from dataset.path


@dataclass(frozen=True)
class KnownSize:
    """What a fixed dataset holds: its training set and its smallest class."""

    train: int
    smallest_class: int
    classes: int


KNOWN = {  # torchvision's training splits; MNIST's smallest class is the 5421 fives
    "mnist": KnownSize(60_000, 5_421, 10),
    "fashion-mnist": KnownSize(60_000, 6_000, 10),
    "kmnist": KnownSize(60_000, 6_000, 10),
}


@dataclass(frozen=True)
class DatasetParams:
    name: str = "mnist"  # one of DATASETS
    path: str | None = None  # folder: a tree with one subfolder per class; npz: x_train, y_train, x_test, y_test
    test_path: str | None = None  # folder only: a test tree with the same class folders; else a held-out share
    holdout: float = 0.2  # the share of each class held out as the test set where the data has none
    size: int = 28  # images are resized to size x size (channels kept: 1 or 3)

    def __post_init__(self):
        require(self.name in DATASETS, "name", f"one of {', '.join(DATASETS)}")
        if self.name in WITH_PATH:
            require(self.path is not None, "path", f"the {self.name} to read (dataset.name = {self.name})")
        else:
            require(self.path is None, "path", f"null for dataset.name = {self.name} (only {' and '.join(WITH_PATH)} read a path)")
        require(self.test_path is None or self.name == "folder", "test_path", "null unless dataset.name is folder")
        require(0 < self.holdout < 1, "holdout", "a share in (0, 1)")
        # LeNet-5 needs 12 px for its second convolution; the conv GANs halve the side twice.
        require(self.size >= 12 and self.size % 4 == 0, "size", "a multiple of 4, at least 12 (pixels per side)")

    @property
    def known(self) -> KnownSize | None:
        return KNOWN.get(self.name)

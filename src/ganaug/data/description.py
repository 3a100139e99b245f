"""What a dataset is, as ``fetch`` found it: class names, channels, height, width, counts, digests.

``fetch`` writes it twice: inside the prepared ``.npz`` (key ``description``, so every stage
that reads the images reads their description with them) and as a JSON file for people and
for the report. Everything that sizes a model or an array takes its sizes from here.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ganaug.pipeline.io import ArtifactError, Spec, load_npz, save_npz

MADE_BY = "dvc repro fetch"


class ModelShape(NamedTuple):
    """What sizes every model: ``LeNet5(**shape._asdict())``; the GANs' generators and discriminators too."""

    n_classes: int
    channels: int
    size: int  # the side of the square images

    @property
    def stored(self) -> tuple[int, ...]:
        """One stored uint8 image: (H, W) when grayscale, (H, W, C) when colour, as images are kept on disk."""
        return (self.size, self.size) if self.channels == 1 else (self.size, self.size, self.channels)


ARRAY_KEYS = ("x_train", "y_train", "x_test", "y_test")  # of every prepared dataset, MNIST's included


def sha256_of(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


MNIST_SHAPE = ModelShape(10, 1, 28)  # the models' defaults: the dataset the project began with


@dataclass(frozen=True)
class Description:
    name: str
    classes: tuple[str, ...]
    channels: int  # 1 (grayscale) or 3 (RGB)
    height: int
    width: int
    train_counts: tuple[int, ...]  # training images per class
    test_count: int
    sha256: dict[str, str]  # of each array's raw C-order bytes

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def n_train(self) -> int:
        return sum(self.train_counts)

    @property
    def model_shape(self) -> ModelShape:
        return ModelShape(self.n_classes, self.channels, self.height)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width): a model's input."""
        return self.channels, self.height, self.width

    def images(self) -> Spec:
        return Spec(("uint8",), self.model_shape.stored)

    def labels(self) -> Spec:
        return Spec(("uint8", "int64"), low=0, high=self.n_classes - 1)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def describe(name: str, arrays: dict[str, np.ndarray], classes: tuple[str, ...]) -> Description:
    """The description of arrays a reader returned (images (N, H, W) or (N, H, W, C), labels 0..K-1)."""
    x = arrays["x_train"]
    channels = 1 if x.ndim == 3 else x.shape[3]
    counts = np.bincount(arrays["y_train"].astype(np.int64), minlength=len(classes))
    return Description(name, tuple(classes), int(channels), int(x.shape[1]), int(x.shape[2]),
                       tuple(int(c) for c in counts), int(len(arrays["y_test"])),
                       {key: sha256_of(arrays[key]) for key in ARRAY_KEYS})


def save_prepared(path: str | Path, arrays: dict[str, np.ndarray], description: Description) -> None:
    """The prepared file every stage reads: the arrays and, beside them, their description."""
    save_npz(path, **{key: arrays[key] for key in ARRAY_KEYS}, description=np.array(description.to_json()))


def from_json(text: str, path: str | Path) -> Description:
    try:
        raw = json.loads(text)
        description = Description(**{**raw, "classes": tuple(raw["classes"]), "train_counts": tuple(raw["train_counts"])})
    except (ValueError, TypeError, KeyError) as error:
        raise ArtifactError(f"{path}: its dataset description is unreadable ({error}); rerun `{MADE_BY}`") from None
    if description.channels not in (1, 3) or len(description.train_counts) != description.n_classes:
        raise ArtifactError(f"{path}: its dataset description is inconsistent; rerun `{MADE_BY}`")
    return description


def load_description(data_path: str | Path) -> Description:
    """The description stored in the prepared ``.npz`` beside the images."""
    (text,) = load_npz(data_path, ("description",), made_by=MADE_BY).values()
    return from_json(str(text), data_path)


def load_description_json(path: str | Path) -> Description:
    try:
        return from_json(Path(path).read_text(), path)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; run `{MADE_BY}` first") from None

"""Load a level's real images, the test set and the fakes as tensors; mix real and fakes.

Real and fake images are stored as uint8, (N, H, W) grayscale or (N, H, W, C) colour, and
become float tensors in [-1, 1] (N, C, H, W) on the training device here, once per stage. Every
array is checked as it is loaded against the dataset's description (dtype, shape, range,
finiteness, equal lengths; subset indices in range and distinct), and every array of the prepared
dataset against the sha256 fetch recorded, so no stage reads data changed since fetch verified it
(one hash of what it reads: 0.08 s for all four of MNIST's arrays, docs/performance.md).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ganaug.data.mnist import MNIST_SHA256, MNIST_SIDE, DataIntegrityError, per_class_counts
from ganaug.data.description import Description, load_description, sha256_of
from ganaug.pipeline.io import ArtifactError, Spec, check_arrays, load_checked, load_npz
from ganaug.pipeline.runtime import to_unit_range

log = logging.getLogger(__name__)

FETCH = "dvc repro fetch"


def train_specs(description: Description) -> dict[str, Spec]:
    return {"x_train": description.images(), "y_train": description.labels()}


def test_specs(description: Description) -> dict[str, Spec]:
    return {"x_test": description.images(), "y_test": description.labels()}


def fake_specs(description: Description) -> dict[str, Spec]:
    """What every reader checks of a fakes file, so that wrong contents are a one-line error naming it."""
    return {
        "images": description.images(),
        "labels": description.labels(),
        "scores": Spec(("float32",), low=0.0, high=1.0),  # the judge's probability of the label
        "accepted": Spec(("bool",)),
        "gan_seeds": Spec(("uint8",), low=0),  # which of the level's GANs made each fake
    }


def load_prepared(data_path: Path, keys: tuple[str, ...]) -> tuple[Description, dict[str, np.ndarray]]:
    """The prepared dataset's description and its arrays ``keys``, each checked against its spec and
    the sha256 fetch recorded (and, for MNIST, its known digests)."""
    description = load_description(data_path)
    arrays = {}
    for split in (train_specs(description), test_specs(description)):  # lengths are equal within a split only
        wanted = {key: spec for key, spec in split.items() if key in keys}
        if wanted:
            arrays |= load_checked(data_path, wanted, made_by=FETCH)
    known = MNIST_SHA256 if description.name == "mnist" and description.height == MNIST_SIDE else {}
    for key in keys:
        digest = sha256_of(arrays[key])
        if digest != description.sha256[key] or digest != known.get(key, digest):
            raise DataIntegrityError(f"{data_path}: {key} has sha256 {digest[:16]}..., not what fetch recorded; "
                                     f"restore it (`dvc checkout {data_path}`) or delete it and rerun `{FETCH}`")
    return description, arrays


class Labelled(NamedTuple):
    images: torch.Tensor  # (N, C, H, W) float in [-1, 1]
    labels: torch.Tensor  # (N,) int64


def to_labelled(images: np.ndarray, labels: np.ndarray, device: torch.device) -> Labelled:
    return Labelled(to_unit_range(images).to(device), torch.as_tensor(labels, dtype=torch.long, device=device))


def load_level_arrays(data_path: Path, subsets_path: Path, level: int) -> tuple[np.ndarray, np.ndarray]:
    """The real training images (stored uint8) and labels of one scarcity level, and nothing else."""
    (indices,) = load_npz(subsets_path, (str(level),), made_by="dvc repro prepare").values()
    _, train = load_prepared(data_path, ("x_train", "y_train"))
    n_train = len(train["y_train"])
    check = Spec(("int64",), low=0, high=n_train - 1)
    check_arrays(subsets_path, {str(level): indices}, {str(level): check}, made_by="dvc repro prepare")
    if len(indices) != level or len(np.unique(indices)) != level:
        raise ArtifactError(f"{subsets_path}: level {level} holds {len(np.unique(indices))} distinct images, "
                            f"expected {level}; rerun `dvc repro prepare`")
    return train["x_train"][indices], train["y_train"][indices]


def load_level(data_path: Path, subsets_path: Path, level: int, device: torch.device) -> Labelled:
    return to_labelled(*load_level_arrays(data_path, subsets_path, level), device)


def load_test_set(data_path: Path, device: torch.device) -> Labelled:
    _, test = load_prepared(data_path, ("x_test", "y_test"))
    return to_labelled(test["x_test"], test["y_test"], device)


def load_fakes(fakes_path: Path, description: Description, made_by: str = "ganaug generate") -> dict[str, np.ndarray]:
    """Fakes and their judge scores; ``made_by`` is what to run when the file is missing or broken."""
    return load_checked(fakes_path, fake_specs(description), made_by=made_by)


def take_per_class(labels: np.ndarray, wanted: list[int], usable: np.ndarray | None = None) -> list[np.ndarray]:
    """Per class c, the indices of the first ``wanted[c]`` items labelled c (and ``usable``)."""
    usable = np.ones(len(labels), dtype=bool) if usable is None else usable
    return [np.flatnonzero((labels == c) & usable)[:k] for c, k in enumerate(wanted)]


def load_full_train(data_path: Path, device: torch.device) -> Labelled:
    """Every real training image: for the reference classifier, which only measures, and the learning curve."""
    _, train = load_prepared(data_path, ("x_train", "y_train"))
    return to_labelled(train["x_train"], train["y_train"], device)


def gan_count(fakes: dict[str, np.ndarray]) -> int:
    """How many GANs made the fakes of one file (numbered from 0)."""
    return int(fakes["gan_seeds"].max()) + 1 if len(fakes["gan_seeds"]) else 1


def gan_of(fakes: dict[str, np.ndarray], seed: int) -> int:
    """The GAN whose fakes LeNet seed ``seed`` trains on: seed mod the number of GANs in the file."""
    return seed % gan_count(fakes)


def choose_fakes(fakes: dict[str, np.ndarray], n_real: int, ratio: float, use_filter: bool,
                 seed: int, n_classes: int) -> tuple[np.ndarray, int]:
    """Indices of round(ratio * n_real) class-balanced fakes of GAN ``gan_of(fakes, seed)``,
    judge-accepted if ``use_filter``; shortfall.

    Fakes are taken in generation order, so a smaller ratio's fakes are a subset of a
    larger one's. A class with too few fakes serves what it has and the shortfall is logged
    and returned, never hidden.
    """
    wanted = per_class_counts(round(ratio * n_real), n_classes)
    usable = fakes["gan_seeds"] == gan_of(fakes, seed)
    chosen = take_per_class(fakes["labels"], wanted, usable & fakes["accepted"] if use_filter else usable)
    shortfall = sum(k - len(idx) for k, idx in zip(wanted, chosen))
    if shortfall:
        short = {c: k - len(idx) for c, (k, idx) in enumerate(zip(wanted, chosen)) if k > len(idx)}
        log.warning("ratio %s (filter %s): %d fakes short, per class %s", ratio, use_filter, shortfall, short)
    return np.concatenate(chosen), shortfall


class Served(NamedTuple):
    rows: torch.Tensor  # (n,) rows of the pool one model trains on: every real image, then its fakes
    n_fake: int  # fakes actually served
    shortfall: int  # fakes asked for but not available (filter too strict)


Request = tuple[str, float, bool, int]  # (fake source, ratio, filter, LeNet seed); ratio 0 serves no fakes


def serve(real: Labelled, sources: dict[str, dict[str, np.ndarray]], requests: list[Request],
          n_classes: int) -> tuple[Labelled, list[Served]]:
    """One pool of the real images and every fake some (source, ratio, filter, seed) request uses; each request's rows.

    The pool holds each image once however many models train on it, so a level's whole grid
    fits in memory as one tensor.
    """
    n_real, device = len(real.labels), real.images.device
    chosen = [
        choose_fakes(sources[source], n_real, ratio, use_filter, seed, n_classes) if ratio > 0 else (np.zeros(0, np.int64), 0)
        for source, ratio, use_filter, seed in requests
    ]
    parts, offsets, offset = [real], {}, n_real
    for source in dict.fromkeys(request[0] for request in requests):
        used = np.unique(np.concatenate([np.zeros(0, np.int64)] + [c[0] for c, r in zip(chosen, requests) if r[0] == source]))
        if len(used):
            fakes = sources[source]
            parts.append(to_labelled(fakes["images"][used], fakes["labels"][used], device))
            offsets[source] = (used, offset)
            offset += len(used)
    pool = Labelled(torch.cat([p.images for p in parts]), torch.cat([p.labels for p in parts]))
    served = []
    for (source, *_), (index, short) in zip(requests, chosen):
        fake_rows = offsets[source][1] + np.searchsorted(offsets[source][0], index) if len(index) else index
        served.append(Served(torch.as_tensor(np.concatenate([np.arange(n_real), fake_rows]), device=device), len(index), short))
    return pool, served

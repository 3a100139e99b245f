"""fetch and prepare: obtain verified MNIST; draw every level's stratified real subset.

    ganaug fetch --mnist data/prepared/mnist.npz
    ganaug prepare --mnist data/prepared/mnist.npz --subsets data/prepared/subsets.npz

Two stages, so that a changed copy of MNIST is caught by fetch, whose only output DVC keeps
(persist), before DVC deletes the subsets or anything else that depends on it.
"""
from __future__ import annotations

import logging
from pathlib import Path

from ganaug.data import SourceUnavailable, obtain_mnist, stratified_subsets, verified_copy
from ganaug.io import ArtifactError, save_npz
from ganaug.params import Params

log = logging.getLogger(__name__)


def fetch(params: Params, mnist_path: Path) -> None:
    arrays, source = obtain_mnist(mnist_path, params.prepare.download_timeout, params.prepare.mirrors)
    if not source.startswith("existing copy"):
        save_npz(mnist_path, **arrays)
        log.info("wrote %s", mnist_path)


def run(params: Params, mnist_path: Path, subsets_path: Path) -> None:
    try:
        labels = verified_copy(mnist_path)["y_train"]
    except SourceUnavailable:
        raise ArtifactError(f"{mnist_path}: missing; run `ganaug fetch` first") from None
    subsets = stratified_subsets(labels, params.prepare.levels, params.seed)
    save_npz(subsets_path, **{str(level): indices for level, indices in subsets.items()})
    log.info("wrote subsets for levels %s to %s", list(subsets), subsets_path)

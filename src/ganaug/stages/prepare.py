"""fetch and prepare: obtain verified MNIST; draw a level's stratified real subset.

    ganaug fetch --mnist data/prepared/mnist.npz
    ganaug prepare --level 500 --mnist data/prepared/mnist.npz --subsets data/levels/500/subset.npz

Two stages, so that a changed copy of MNIST is caught by fetch, whose only output DVC keeps
(persist), before DVC deletes the subsets or anything else that depends on it. One subset file
per level, so adding a level reruns nothing of the others: a level's subset depends only on
the labels, the level and the seed (``data.stratified_subsets``), never on the other levels.
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


def run(params: Params, level: int, mnist_path: Path, subsets_path: Path) -> None:
    try:
        labels = verified_copy(mnist_path)["y_train"]
    except SourceUnavailable:
        raise ArtifactError(f"{mnist_path}: missing; run `ganaug fetch` first") from None
    subset = stratified_subsets(labels, (level,), params.seed)[level]
    save_npz(subsets_path, **{str(level): subset})
    log.info("wrote the subset of level %d to %s", level, subsets_path)

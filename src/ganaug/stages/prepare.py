"""prepare: draw a level's stratified real subset of the prepared dataset, verified first.

    ganaug prepare --level 500 --data data/prepared/dataset.npz --subsets data/levels/500/subset.npz

The arrays are checked against the digests fetch recorded (``stages/fetch.py``). One subset file
per level, so adding a level reruns nothing of the others: a level's subset depends only on the
labels, the level and the seed (``data.stratified_subsets``), never on the other levels.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ganaug.pipeline import stage_files
from ganaug.data.mnist import MNIST_SHA256, MNIST_SIDE, DataIntegrityError, stratified_subsets
from ganaug.data.description import ARRAY_KEYS, Description, load_description, sha256_of
from ganaug.pipeline.io import load_npz, save_npz
from ganaug.params.project import Params, ParamsError

log = logging.getLogger(__name__)


def verified(data_path: Path) -> tuple[Description, dict[str, np.ndarray]]:
    """The prepared arrays, checked against the digests fetch recorded (and MNIST's known ones)."""
    description = load_description(data_path)
    arrays = load_npz(data_path, ARRAY_KEYS, made_by="dvc repro fetch")
    known = MNIST_SHA256 if description.name == "mnist" and description.height == MNIST_SIDE else {}
    for key in ARRAY_KEYS:
        digest = sha256_of(arrays[key])
        if digest != description.sha256[key] or digest != known.get(key, digest):
            raise DataIntegrityError(f"{data_path}: {key} has sha256 {digest[:16]}..., not what fetch recorded; "
                                     f"restore it (`dvc checkout {data_path}`) or delete it and rerun `dvc repro fetch`")
    return description, arrays


def run(params: Params, level: int, files: stage_files.Prepare) -> None:
    description, arrays = verified(files.data)
    if level > description.n_train:
        raise ParamsError(f"prepare.levels: level {level} is more than the {description.n_train} training images "
                            f"of {description.name}")
    subset = stratified_subsets(arrays["y_train"], (level,), params.seed)[level]
    save_npz(files.subsets, **{str(level): subset})
    log.info("wrote the subset of level %d to %s", level, files.subsets)

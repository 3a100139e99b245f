"""prepare: draw a level's stratified real subset of the prepared dataset, verified first.

    ganaug prepare --level 500 --data data/prepared/dataset.npz --subsets data/levels/500/subset.npz

The arrays are checked against the digests fetch recorded (``data.tensors.load_prepared``). One subset file
per level, so adding a level reruns nothing of the others: a level's subset depends only on the
labels, the level and the seed (``data.stratified_subsets``), never on the other levels.
"""
from __future__ import annotations

import logging

from ganaug.pipeline import stage_files
from ganaug.data.mnist import stratified_subsets
from ganaug.data.description import ARRAY_KEYS
from ganaug.data.tensors import load_prepared
from ganaug.pipeline.io import save_npz
from ganaug.params.project import Params, ParamsError

log = logging.getLogger(__name__)


def run(params: Params, level: int, files: stage_files.Prepare) -> None:
    description, arrays = load_prepared(files.data, ARRAY_KEYS)
    if level > description.n_train:
        raise ParamsError(f"prepare.levels: level {level} is more than the {description.n_train} training images "
                            f"of {description.name}")
    subset = stratified_subsets(arrays["y_train"], (level,), params.seed)[level]
    save_npz(files.subsets, **{str(level): subset})
    log.info("wrote the subset of level %d to %s", level, files.subsets)

"""prepare: obtain verified MNIST and draw every level's stratified real subset.

    ganaug prepare --mnist data/prepared/mnist.npz --subsets data/prepared/subsets.npz
"""
from __future__ import annotations

import logging
from pathlib import Path

from ganaug.data import obtain_mnist, stratified_subsets
from ganaug.io import save_npz
from ganaug.params import Params

log = logging.getLogger(__name__)


def run(params: Params, mnist_path: Path, subsets_path: Path) -> None:
    arrays, source = obtain_mnist(mnist_path, params.prepare.download_timeout, params.prepare.mirrors)
    if not source.startswith("existing copy"):
        save_npz(mnist_path, **arrays)
    subsets = stratified_subsets(arrays["y_train"], params.prepare.levels, params.seed)
    save_npz(subsets_path, **{str(level): indices for level, indices in subsets.items()})
    log.info("wrote %s and subsets for levels %s to %s", mnist_path, list(subsets), subsets_path)

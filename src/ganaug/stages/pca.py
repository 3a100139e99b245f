"""pca: fakes from a Gaussian per class in the PCA space of one level's images, judged like the GAN's.

    ganaug pca --level 500 --data ... --subsets ... --judge ... --fakes ... --summary ... --grid ...

A cheap generative baseline: if the GAN's fakes help no more than these, the GAN is not
what helps. It sees only the level's real images, and the level's judge filters its fakes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ganaug.datasets import load_level_arrays
from ganaug.description import load_description
from ganaug.io import load_model
from ganaug.models import LeNet5
from ganaug.params import Params
from ganaug.pca import fit_class_gaussians, sample_class
from ganaug.runtime import resolve_device, seed_everything
from ganaug.judged import judge_fakes


def run(
    params: Params, level: int, data_path: Path, subsets_path: Path, judge_path: Path,
    fakes_path: Path, summary_path: Path, grid_path: Path,
) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    images, labels = load_level_arrays(data_path, subsets_path, level)
    shape = load_description(data_path).model_shape
    model = fit_class_gaussians(images, labels, params.pca.components, params.seed, shape.n_classes)
    judge = load_model(LeNet5, judge_path, made_by="dvc repro judge").to(device)
    rng = np.random.default_rng(params.seed)
    judge_fakes([lambda label, count: sample_class(model, label, count, rng)], judge, params, level,
                params.pca.max_ratio, fakes_path, summary_path, grid_path, "PCA", shape)

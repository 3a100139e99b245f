"""pca: fakes from a Gaussian per class in the PCA space of one level's images, judged like the GAN's.

    ganaug pca --level 500 --data ... --subsets ... --judge ... --fakes ... --summary ... --grid ...

A cheap generative baseline: if the GAN's fakes help no more than these, the GAN is not
what helps. It sees only the level's real images, and the level's judge filters its fakes.
"""
from __future__ import annotations


import numpy as np

from ganaug.pipeline import stage_files
from ganaug.data.tensors import load_level_arrays
from ganaug.data.description import load_description
from ganaug.pipeline.io import load_model
from ganaug.models import LeNet5
from ganaug.params.project import Params
from ganaug.fakes.pca import fit_class_gaussians, sample_class
from ganaug.pipeline.runtime import resolve_device, seed_everything
from ganaug.fakes.judged import judge_fakes


def run(params: Params, level: int, files: stage_files.Pca) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    images, labels = load_level_arrays(files.data, files.subsets, level)
    shape = load_description(files.data).model_shape
    model = fit_class_gaussians(images, labels, params.pca.components, params.seed, shape.n_classes)
    judge = load_model(LeNet5, files.judge, made_by="dvc repro judge").to(device)
    rng = np.random.default_rng(params.seed)
    judge_fakes([lambda label, count: sample_class(model, label, count, rng)], judge, params, level,
                params.pca.max_ratio, files.fakes, files.summary, files.grid, "PCA", shape)

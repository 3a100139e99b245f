"""generate: class-balanced fakes from each of one level's GANs, scored and filtered by its judge.

    ganaug generate --level 500 --generators ... --judge ... --fakes ... --summary ... --grid ...

Every fake is kept with its judge score, an ``accepted`` flag (score >= filter.threshold) and
the GAN seed that made it, so the retrain grid can serve any GAN's fakes with the filter off
or on from one file. For each GAN, each class is generated until enough fakes pass the filter
for the largest ratio, or until ``generate.max_attempts`` times that many were tried; a
shortfall is logged and reported.
The PCA baseline (``stages/pca.py``) makes and judges its fakes the same way (``fakes/judged.py``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganaug.pipeline import stage_files
from ganaug.pipeline.io import load_model
from ganaug.fakes.judged import Sampler, judge_fakes
from ganaug.models import LeNet5
from ganaug.params.project import Params
from ganaug.pipeline.runtime import resolve_device, seed_everything, to_uint8
from ganaug.generators.gan_models import build_generators, sample, shape_of


def load_models(generators_path: Path, judge_path: Path, device: torch.device) -> tuple[nn.ModuleList, LeNet5]:
    generators = load_model(build_generators, generators_path, made_by="dvc repro train_generator")
    judge = load_model(LeNet5, judge_path, made_by="dvc repro judge")
    return generators.to(device), judge.to(device)


def gan_sampler(generator: nn.Module, rng: torch.Generator) -> Sampler:
    device = next(generator.parameters()).device

    def draw(label: int, count: int) -> np.ndarray:
        return to_uint8(sample(generator, torch.full((count,), label, dtype=torch.long, device=device), rng))

    return draw


def run(params: Params, level: int, files: stage_files.Generate) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    generators, judge = load_models(files.generators, files.judge, device)
    # Each GAN samples from its own stream, so adding a GAN seed leaves the others' fakes as they were.
    samplers = [gan_sampler(g, torch.Generator(device=device).manual_seed(params.seed + number))
                for number, g in enumerate(generators)]
    judge_fakes(samplers, judge, params, level, params.generate.max_ratio, files.fakes, files.summary, files.grid, "GAN",
                shape_of(generators[0]))

"""Warnings about a GAN that trains without error but fails: D wins outright, or G collapses.

Both are logged as warnings while or after training and written into the stage's health
metrics, so `dvc metrics show` lists them next to the numbers they would explain.
"""
from __future__ import annotations

import logging

import torch
from torch import nn

from ganaug.params.gan import TrainGeneratorParams
from ganaug.generators.losses import LOSSES
from ganaug.metrics.quality import mean_pairwise_distance
from ganaug.generators.gan_models import sample

logger = logging.getLogger(__name__)


def discriminator_wins_at(log: list[dict], params: TrainGeneratorParams) -> int | None:
    """The first logged step ending ``d_wins_intervals`` intervals with mean D(G(z)) under ``d_wins_floor``.

    None when that never happened, when the loss's D(G(z)) is a critic score, not a probability, or when
    there is no discriminator (a flow).
    """
    if not LOSSES[params.loss].probabilities or params.arch == "flow":
        return None
    run = 0
    for row in log:
        run = run + 1 if row["d_fake"] < params.d_wins_floor else 0
        if run == params.d_wins_intervals:
            return row["step"]
    return None


def warn_if_discriminator_wins(log: list[dict], params: TrainGeneratorParams) -> None:
    """Warn once, at the logged interval where :func:`discriminator_wins_at` first holds."""
    if log and discriminator_wins_at(log, params) == log[-1]["step"]:
        logger.warning("the discriminator wins outright: mean D(G(z)) under %g for the %d intervals to step %d",
                       params.d_wins_floor, params.d_wins_intervals, log[-1]["step"])


def class_diversity(generator: nn.Module, real_images: torch.Tensor, real_labels: torch.Tensor, seed: int,
                    per_class: int = 100) -> list[float]:
    """Per class: mean pixel distance between fakes / the same between real images (1 = as diverse).

    A collapsed class, whose fakes are nearly identical, scores near 0. The fakes come from
    their own random generator, so measuring never moves the training stream.
    """
    rng = torch.Generator(device=real_images.device).manual_seed(seed)
    ratios = []
    for label in range(generator.n_classes):
        real = real_images[real_labels == label][:per_class].flatten(1).float()
        labels = torch.full((per_class,), label, dtype=torch.long, device=real_images.device)
        fakes = sample(generator, labels, rng).flatten(1).float()
        ratios.append(round(mean_pairwise_distance(fakes) / max(mean_pairwise_distance(real), 1e-12), 4))
    return ratios


def health(log: list[dict], diversity: list[float], params: TrainGeneratorParams, collapse_threshold: float) -> dict:
    """The health metrics; logs a warning for each class under ``collapse_threshold`` (``evaluate``'s, which
    flags the same in feature space)."""
    collapsed = [label for label, ratio in enumerate(diversity) if ratio < collapse_threshold]
    for label in collapsed:
        logger.warning("the generator collapses on class %d: its fakes are %.2f as diverse as its real images "
                       "(evaluate.collapse_threshold %g)", label, diversity[label], collapse_threshold)
    return {
        "discriminator_wins_at": discriminator_wins_at(log, params),
        "collapsed_classes": collapsed,
        "diversity": diversity,
        "final": log[-1] if log else None,
    }

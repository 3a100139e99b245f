"""Cells of the retrain grid: LeNet-5s on real + fakes, one per (variant, ratio, seed), scored on the real test set.

Shared by the retrain grid and the headline experiment, so both train a cell the same way.
Cells trained from scratch step together (two-stage cells among them, on real + fakes);
fine-tuned cells then continue the real-only model of their seed, so the real-only row must
be among the cells whenever one fine-tunes, and two-stage cells continue their own first
stage on the real images only.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import torch

from ganaug.data.tensors import Labelled, gan_of, serve
from ganaug.params.project import REAL_ONLY, AugmentParams, ClassifierParams, VariantParams
from ganaug.training.batched import accuracies, train_lenets
from ganaug.training.classifier import finetune_steps, lenet_steps
from ganaug.training.recipes import FakeTerms

REAL = VariantParams(fakes="none", filter=False)  # the real_only row


class Cell(NamedTuple):
    variant: str  # a name of ``variants``, or REAL_ONLY
    ratio: float  # fakes per real image
    seed: int  # initial weights, batch order and warps


def variant_cells(variants: dict[str, VariantParams], seeds: tuple[int, ...]) -> list[Cell]:
    """Real only, then every variant at each of its ratios; each for every seed."""
    rows = [(REAL_ONLY, 0.0)] + [(name, r) for name, v in variants.items() for r in v.cell_ratios()]
    return [Cell(name, ratio, seed) for name, ratio in rows for seed in seeds]


def train_cells(
    real: Labelled, test: Labelled, sources: dict[str, dict[str, np.ndarray]], variants: dict[str, VariantParams],
    cells: list[Cell], recipe: ClassifierParams, strength: AugmentParams, desc: str, n_classes: int,
    precision: torch.dtype | None = None,
) -> list[dict]:
    """Train every cell and return its row of results, in the order of ``cells``.

    ``sources`` maps a fake source (gan, pca, leaky) to its fakes. Every cell takes the
    recipe's steps for the level (the number of real images), or its fine-tuning steps, or a
    two-stage cell both (its row reports their sum, as many as finetune_real's model took).
    ``precision``: the forward passes' dtype (``runtime.resolve_precision``), None for float32.
    """
    variants = {REAL_ONLY: REAL, **variants}
    spec = [variants[c.variant] for c in cells]
    scratch = [i for i, v in enumerate(spec) if v.init in ("scratch", "pretrain")]
    tuned = [i for i, v in enumerate(spec) if v.init == "finetune"]
    pretrained = [i for i, v in enumerate(spec) if v.init == "pretrain"]
    missing = sorted({cells[i].seed for i in tuned} - {c.seed for c in cells if c.variant == REAL_ONLY})
    if missing:
        raise ValueError(f"fine-tuning needs the real_only cell of seeds {missing}")
    pool, served = serve(real, sources, [(v.fakes, c.ratio, v.filter, c.seed) for c, v in zip(cells, spec)], n_classes)
    terms = [FakeTerms(s.n_fake, v.fake_weight, v.fake_smoothing, v.fake_share, v.real_smoothing) if v.custom_loss
             else None for s, v in zip(served, spec)]
    level = len(real.labels)
    models, steps = {}, dict.fromkeys(range(len(cells)), 0)

    def train(indices: list[int], n_steps: int, how: ClassifierParams, label: str, init=(), real_only=False) -> None:
        trained = train_lenets(
            pool, [served[i].rows[:level] if real_only else served[i].rows for i in indices],
            [cells[i].seed for i in indices], n_steps, how, n_classes, label,
            augment=[strength if spec[i].augment else None for i in indices], init=init,
            terms=[None if real_only else terms[i] for i in indices],  # two-stage cells: no real_smoothing (params)
            precision=precision,
        )
        models.update(zip(indices, trained))
        for i in indices:
            steps[i] += n_steps

    train(scratch, lenet_steps(recipe, level), recipe, desc)
    finetune = dataclasses.replace(recipe, lr=recipe.finetune_lr)
    if tuned:
        base = {cells[i].seed: models[i] for i in scratch if cells[i].variant == REAL_ONLY}
        # Stacking copies the weights, so the real-only models are scored as they were.
        starts = [base[cells[i].seed] for i in tuned]
        train(tuned, finetune_steps(recipe, level), finetune, f"{desc} fine-tune", starts)
    if pretrained:  # second stage: the real images only, as many steps as fine-tuning takes
        train(pretrained, finetune_steps(recipe, level), finetune, f"{desc} two-stage",
              [models[i] for i in pretrained], real_only=True)
    scores = accuracies([models[i] for i in range(len(cells))], test)
    return [
        {
            "level": level,
            "variant": cell.variant,
            "ratio": cell.ratio,
            "seed": cell.seed,
            "n_real": level,
            "gan_seed": gan_of(sources[variants[cell.variant].fakes], cell.seed) if s.n_fake else None,
            "n_fake": s.n_fake,
            "shortfall": s.shortfall,
            "steps": steps[i],
            "accuracy": round(scores[i], 4),
        }
        for i, (cell, s) in enumerate(zip(cells, served))
    ]


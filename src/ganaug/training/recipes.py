"""How a LeNet-5 treats the fakes it trains on: their loss weight, soft targets, their share of each batch;
and soft targets for its real images, what the soft-label recipes' counterpart (label smoothing alone) needs.

Recipes that made synthetic data pay in other work, as per-model terms of the batched
training (``batched.train_lenets``). A model without terms trains on its rows pooled, every
image alike, exactly as before; the terms say how the fakes among its rows differ, and how soft
the real images' targets are.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F


class FakeTerms(NamedTuple):
    """The fakes of one model (the last ``n_fake`` of its rows), how it learns from them, its real images' targets."""

    n_fake: int
    weight: float = 1.0  # loss weight of a fake image; a real image weighs 1
    smoothing: float = 0.0  # a fake's target: 1 - smoothing on its label, smoothing spread over every class
    share: float | None = None  # None: batches drawn from all rows alike; else this share of each batch is fakes
    real_smoothing: float = 0.0  # a real image's target: as ``smoothing``, for the other rows


def draw_shared(rows: torch.Tensor, terms: FakeTerms, steps: int, batch_size: int, seed: int) -> torch.Tensor:
    """Rows of the pool (steps, batch_size) for one model with a fake share, drawn up front from ``seed``:
    exactly round(share * batch_size) fakes and the rest real images in every batch."""
    n_real, n_fake = len(rows) - terms.n_fake, terms.n_fake
    fakes = round(terms.share * batch_size)
    if n_fake == 0 or n_real == 0:
        raise ValueError(f"a fake share of {terms.share} needs real images and fakes ({n_real} real, {n_fake} fakes)")
    generator = torch.Generator(device=rows.device).manual_seed(seed)
    real_draws = torch.randint(n_real, (steps, batch_size - fakes), generator=generator, device=rows.device)
    fake_draws = n_real + torch.randint(n_fake, (steps, fakes), generator=generator, device=rows.device)
    return rows[torch.cat([real_draws, fake_draws], dim=1)]


def fake_masks(rows: list[torch.Tensor], terms: list[FakeTerms], pool_size: int) -> torch.Tensor:
    """(K, pool_size) bool: which rows of the pool are model k's fakes (the last ``n_fake`` of its rows)."""
    masks = torch.zeros(len(rows), pool_size, dtype=torch.bool, device=rows[0].device)
    for k, (r, t) in enumerate(zip(rows, terms)):
        masks[k, r[len(r) - t.n_fake:]] = True
    return masks


def fake_aware_loss(logits: torch.Tensor, labels: torch.Tensor, is_fake: torch.Tensor, weight: torch.Tensor,
                    smoothing: torch.Tensor, real_smoothing: torch.Tensor) -> torch.Tensor:
    """Sum over models of each model's weighted mean cross-entropy; logits (K, B, C), the rest (K, B) / (K, 1).

    A fake's term is weighted by its model's ``weight`` and its target smoothed by its model's
    ``smoothing``; real images keep weight 1, and their target is smoothed by ``real_smoothing``.
    With weight 1 and no smoothing it is the plain mean cross-entropy of each model.
    """
    log_p = F.log_softmax(logits, dim=2)
    nll = -log_p.gather(2, labels.unsqueeze(2)).squeeze(2)  # (K, B)
    spread = -log_p.mean(dim=2)  # cross-entropy against the uniform target
    eps = torch.where(is_fake, smoothing, real_smoothing)
    w = torch.where(is_fake, weight, torch.ones_like(weight))
    return ((w * ((1 - eps) * nll + eps * spread)).sum(dim=1) / w.sum(dim=1)).sum()

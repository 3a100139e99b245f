"""generate: class-balanced fakes from one level's GAN, scored and filtered by its judge.

    ganaug generate --level 500 --generator ... --judge ... --fakes ... --summary ... --grid ...

Every fake is kept with its judge score and an ``accepted`` flag (score >= filter.threshold),
so the retrain grid can serve fakes with the filter off or on from one file. Each class is
generated until enough fakes pass the filter for the largest ratio, or until
``generate.max_attempts`` times that many were tried; a shortfall is logged and reported.
The PCA baseline (``stages/pca.py``) makes and judges its fakes with the same ``judge_fakes``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ganaug.data import per_class_counts
from ganaug.figures import save_sample_grid
from ganaug.io import load_model, save_json, save_npz
from ganaug.models import LeNet5
from ganaug.params import N_CLASSES, Params
from ganaug.runtime import resolve_device, seed_everything, to_uint8, to_unit_range
from ganaug.training.classifier import predict_proba
from ganaug.training.gan_models import build_generator, sample

log = logging.getLogger(__name__)


def load_models(generator_path: Path, judge_path: Path, device: torch.device) -> tuple[nn.Module, LeNet5]:
    generator = load_model(build_generator, generator_path, made_by="dvc repro train_gan")
    judge = load_model(LeNet5, judge_path, made_by="dvc repro judge")
    return generator.to(device), judge.to(device)


Sampler = Callable[[int, int], np.ndarray]  # (label, count) -> uint8 images (count, 28, 28)


def gan_sampler(generator: nn.Module, rng: torch.Generator) -> Sampler:
    device = next(generator.parameters()).device

    def draw(label: int, count: int) -> np.ndarray:
        return to_uint8(sample(generator, torch.full((count,), label, dtype=torch.long, device=device), rng))

    return draw


def generate_class(sampler: Sampler, judge, label: int, needed: int, params: Params):
    """(images uint8 (N, 28, 28), judge probabilities (N, classes)) for one class.

    Generates in batches until ``needed`` pass the filter or ``max_attempts * needed`` were made.
    """
    device = next(judge.parameters()).device
    limit = max(needed, int(np.ceil(params.generate.max_attempts * needed)))
    images, probs = [np.zeros((0, 28, 28), np.uint8)], [np.zeros((0, N_CLASSES), np.float32)]
    made = accepted = 0
    while made < limit and (made < needed or accepted < needed):
        count = min(params.generate.batch_size, limit - made)
        batch = sampler(label, count)  # uint8: score exactly what retrain will see
        batch_probs = predict_proba(judge, to_unit_range(batch).to(device)).cpu().numpy()
        images.append(batch)
        probs.append(batch_probs)
        made += count
        accepted += int((batch_probs[:, label] >= params.filter.threshold).sum())
    return np.concatenate(images), np.concatenate(probs)


def class_summary(label: int, needed: int, probs: np.ndarray, threshold: float) -> dict:
    score = probs[:, label]
    n_accepted = int((score >= threshold).sum())
    return {
        "class": label,
        "generated": len(score),
        "needed": needed,
        "accepted": n_accepted,
        "acceptance_rate": round(n_accepted / max(len(score), 1), 4),
        "tarr": round(float((probs.argmax(axis=1) == label).mean()) if len(score) else 0.0, 4),
        "shortfall": max(needed - n_accepted, 0),
    }


def run(
    params: Params, level: int, generator_path: Path, judge_path: Path,
    fakes_path: Path, summary_path: Path, grid_path: Path,
) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    rng = torch.Generator(device=device).manual_seed(params.seed)
    generator, judge = load_models(generator_path, judge_path, device)
    sampler = gan_sampler(generator, rng)
    judge_fakes(sampler, judge, params, level, params.generate.max_ratio, fakes_path, summary_path, grid_path, "GAN")


def judge_fakes(
    sampler: Sampler, judge: LeNet5, params: Params, level: int, max_ratio: float,
    fakes_path: Path, summary_path: Path, grid_path: Path, name: str,
) -> None:
    """Sample class-balanced fakes for ``max_ratio``, score them with the judge; write fakes, summary, grid."""
    threshold = params.filter.threshold
    needs = per_class_counts(round(max_ratio * level), N_CLASSES)
    images, probs, summaries = [], [], []
    for label in tqdm(range(N_CLASSES), desc=f"{name} fakes@{level}", unit="class", disable=None):
        class_images, class_probs = generate_class(sampler, judge, label, needs[label], params)
        images.append(class_images)
        probs.append(class_probs)
        summaries.append(class_summary(label, needs[label], class_probs, threshold))
        if summaries[-1]["shortfall"]:
            log.warning("class %d: the filter accepted %d of the %d fakes needed", label, summaries[-1]["accepted"], needs[label])

    labels = np.concatenate([np.full(len(x), c, np.uint8) for c, x in enumerate(images)])
    all_probs = np.concatenate(probs)
    scores = all_probs[np.arange(len(labels)), labels].astype(np.float32)
    accepted = scores >= threshold
    save_npz(fakes_path, images=np.concatenate(images), labels=labels, scores=scores, accepted=accepted)
    save_sample_grid(
        grid_path,
        rows=[x[:10] for x in images],
        rejected=[p[:10, c] < threshold for c, p in enumerate(probs)],
        title=f"{level} real images: {name} fakes per class (red frame = rejected by the judge)",
    )
    save_json(summary_path, {
        "level": level,
        "threshold": threshold,
        "generated": len(labels),
        "accepted": int(accepted.sum()),
        "acceptance_rate": round(float(accepted.mean()), 4) if len(labels) else 0.0,
        # TARR: share of fakes the judge labels as their conditioning class.
        "tarr": round(float((all_probs.argmax(axis=1) == labels).mean()), 4) if len(labels) else 0.0,
        "shortfall": sum(s["shortfall"] for s in summaries),
        "per_class": summaries,
    })

"""Fakes from any sampler (a GAN seed, the PCA model), class-balanced, scored and filtered by a level's judge.

Shared by the generate and pca stages, so both make, judge and write their fakes the same way.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ganaug.data.mnist import per_class_counts
from ganaug.report.figures import save_sample_grid
from ganaug.pipeline.io import save_json, save_npz
from ganaug.models import LeNet5
from ganaug.data.description import ModelShape
from ganaug.params.project import Params
from ganaug.pipeline.progress import progress
from ganaug.pipeline.runtime import to_unit_range
from ganaug.training.classifier import predict_proba

log = logging.getLogger(__name__)


Sampler = Callable[[int, int], np.ndarray]  # (label, count) -> stored uint8 images (count, H, W[, C])


def generate_class(sampler: Sampler, judge, label: int, needed: int, params: Params, shape: ModelShape):
    """(stored uint8 images (N, H, W[, C]), judge probabilities (N, classes)) for one class.

    Generates in batches until ``needed`` pass the filter or ``max_attempts * needed`` were made.
    """
    device = next(judge.parameters()).device
    limit = max(needed, int(np.ceil(params.generate.max_attempts * needed)))
    images, probs = [np.zeros((0, *shape.stored), np.uint8)], [np.zeros((0, shape.n_classes), np.float32)]
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


def judge_fakes(
    samplers: list[Sampler], judge: LeNet5, params: Params, level: int, max_ratio: float,
    fakes_path: Path, summary_path: Path, grid_path: Path, name: str, shape: ModelShape,
) -> None:
    """For each sampler (a GAN seed), class-balanced fakes for ``max_ratio``, scored by the judge;
    write the fakes (with the seed that made each), the summary and seed 0's grid."""
    threshold = params.filter.threshold
    k = shape.n_classes
    needs = per_class_counts(round(max_ratio * level), k)
    images, probs, seeds, summaries = [], [], [], []
    for number, sampler in enumerate(samplers):
        for label in progress(range(k), desc=f"{name} {number} fakes@{level}", unit="class"):
            class_images, class_probs = generate_class(sampler, judge, label, needs[label], params, shape)
            images.append(class_images)
            probs.append(class_probs)
            seeds.append(np.full(len(class_images), number, np.uint8))
            summaries.append({"gan_seed": number, **class_summary(label, needs[label], class_probs, threshold)})
            if summaries[-1]["shortfall"]:
                log.warning("GAN %d, class %d: the filter accepted %d of the %d fakes needed", number, label,
                            summaries[-1]["accepted"], needs[label])

    labels = np.concatenate([np.full(len(x), i % k, np.uint8) for i, x in enumerate(images)])
    all_probs, gan_seeds = np.concatenate(probs), np.concatenate(seeds)
    scores = all_probs[np.arange(len(labels)), labels].astype(np.float32)
    accepted = scores >= threshold
    save_npz(fakes_path, images=np.concatenate(images), labels=labels, scores=scores, accepted=accepted,
             gan_seeds=gan_seeds)
    save_sample_grid(
        grid_path,
        rows=[x[:10] for x in images[:k]],  # ten fakes per class
        rejected=[p[:10, c] < threshold for c, p in enumerate(probs[:k])],
        title=f"{level} real images: {name} fakes per class (red frame = rejected by the judge)",
    )
    per_seed = [{"gan_seed": number, **totals(labels[gan_seeds == number], all_probs[gan_seeds == number],
                                              summaries[number * k:(number + 1) * k], threshold)}
                for number in range(len(samplers))]
    save_json(summary_path, {"level": level, "threshold": threshold, "gan_seeds": len(samplers),
                             **totals(labels, all_probs, summaries, threshold),
                             "per_gan_seed": per_seed, "per_class": summaries})


def totals(labels: np.ndarray, probs: np.ndarray, summaries: list[dict], threshold: float) -> dict:
    """Generated, accepted, acceptance rate, TARR and shortfall of a set of fakes."""
    accepted = probs[np.arange(len(labels)), labels] >= threshold
    return {
        "generated": len(labels),
        "accepted": int(accepted.sum()),
        "acceptance_rate": round(float(accepted.mean()), 4) if len(labels) else 0.0,
        # TARR: share of fakes the judge labels as their conditioning class.
        "tarr": round(float((probs.argmax(axis=1) == labels).mean()), 4) if len(labels) else 0.0,
        "shortfall": sum(s["shortfall"] for s in summaries),
    }

"""generate: class-balanced fakes from each of one level's GANs, scored and filtered by its judge.

    ganaug generate --level 500 --generators ... --judge ... --fakes ... --summary ... --grid ...

Every fake is kept with its judge score, an ``accepted`` flag (score >= filter.threshold) and
the GAN seed that made it, so the retrain grid can serve any GAN's fakes with the filter off
or on from one file. For each GAN, each class is generated until enough fakes pass the filter
for the largest ratio, or until ``generate.max_attempts`` times that many were tried; a
shortfall is logged and reported.
The PCA baseline (``stages/pca.py``) makes and judges its fakes with the same ``judge_fakes``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganaug.data import per_class_counts
from ganaug.figures import save_sample_grid
from ganaug.io import load_model, save_json, save_npz
from ganaug.models import LeNet5
from ganaug.params import N_CLASSES, Params
from ganaug.progress import progress
from ganaug.runtime import resolve_device, seed_everything, to_uint8, to_unit_range
from ganaug.training.classifier import predict_proba
from ganaug.training.gan_models import build_generators, sample

log = logging.getLogger(__name__)


def load_models(generators_path: Path, judge_path: Path, device: torch.device) -> tuple[nn.ModuleList, LeNet5]:
    generators = load_model(build_generators, generators_path, made_by="dvc repro train_gan")
    judge = load_model(LeNet5, judge_path, made_by="dvc repro judge")
    return generators.to(device), judge.to(device)


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
    params: Params, level: int, generators_path: Path, judge_path: Path,
    fakes_path: Path, summary_path: Path, grid_path: Path,
) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    generators, judge = load_models(generators_path, judge_path, device)
    # Each GAN samples from its own stream, so adding a GAN seed leaves the others' fakes as they were.
    samplers = [gan_sampler(g, torch.Generator(device=device).manual_seed(params.seed + number))
                for number, g in enumerate(generators)]
    judge_fakes(samplers, judge, params, level, params.generate.max_ratio, fakes_path, summary_path, grid_path, "GAN")


def judge_fakes(
    samplers: list[Sampler], judge: LeNet5, params: Params, level: int, max_ratio: float,
    fakes_path: Path, summary_path: Path, grid_path: Path, name: str,
) -> None:
    """For each sampler (a GAN seed), class-balanced fakes for ``max_ratio``, scored by the judge;
    write the fakes (with the seed that made each), the summary and seed 0's grid."""
    threshold = params.filter.threshold
    needs = per_class_counts(round(max_ratio * level), N_CLASSES)
    images, probs, seeds, summaries = [], [], [], []
    for number, sampler in enumerate(samplers):
        for label in progress(range(N_CLASSES), desc=f"{name} {number} fakes@{level}", unit="class"):
            class_images, class_probs = generate_class(sampler, judge, label, needs[label], params)
            images.append(class_images)
            probs.append(class_probs)
            seeds.append(np.full(len(class_images), number, np.uint8))
            summaries.append({"gan_seed": number, **class_summary(label, needs[label], class_probs, threshold)})
            if summaries[-1]["shortfall"]:
                log.warning("GAN %d, class %d: the filter accepted %d of the %d fakes needed", number, label,
                            summaries[-1]["accepted"], needs[label])

    labels = np.concatenate([np.full(len(x), i % N_CLASSES, np.uint8) for i, x in enumerate(images)])
    all_probs, gan_seeds = np.concatenate(probs), np.concatenate(seeds)
    scores = all_probs[np.arange(len(labels)), labels].astype(np.float32)
    accepted = scores >= threshold
    save_npz(fakes_path, images=np.concatenate(images), labels=labels, scores=scores, accepted=accepted,
             gan_seeds=gan_seeds)
    save_sample_grid(
        grid_path,
        rows=[x[:10] for x in images[:N_CLASSES]],
        rejected=[p[:10, c] < threshold for c, p in enumerate(probs[:N_CLASSES])],
        title=f"{level} real images: {name} fakes per class (red frame = rejected by the judge)",
    )
    per_seed = [{"gan_seed": number, **totals(labels[gan_seeds == number], all_probs[gan_seeds == number],
                                              summaries[number * N_CLASSES:(number + 1) * N_CLASSES], threshold)}
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

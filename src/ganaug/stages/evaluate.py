"""evaluate: how recognisable, diverse and realistic one level's fakes are, with pictures.

    ganaug evaluate --level 500 --mnist ... --subsets ... --fakes ... --judge ... --reference ...
        --metrics reports/levels/500/quality.json --per-class reports/levels/500/quality_per_class.csv
        --figures reports/figures/500

Comparisons use equal-sized, class-balanced samples: n = min(level, evaluate.samples) fakes
(as generated, unfiltered), n real test images, and, as the real-vs-real floor, n of the
level's real training images. Features and the reference TARR come from the reference
LeNet, which saw all 60000 real images and is used here only to measure.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ganaug.data import per_class_counts
from ganaug.datasets import Labelled, to_labelled, load_fakes, load_level, load_test_set, take_per_class
from ganaug.figures import plot_confidences, plot_per_class_quality, save_sample_grid
from ganaug.io import load_model, save_csv, save_json
from ganaug.metrics.quality import fid, inception_score, mean_pairwise_distance, prdc, tarr
from ganaug.models import LeNet5
from ganaug.params import N_CLASSES, Params
from ganaug.runtime import resolve_device, seed_everything
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy, predict_proba

log = logging.getLogger(__name__)


def load_lenet(path: Path, made_by: str, device: torch.device) -> LeNet5:
    return load_model(LeNet5, path, made_by).to(device)


def sample(data: Labelled, n: int) -> Labelled:
    """The first n // 10 (+ remainder) images of each class: class-balanced and deterministic."""
    index = np.concatenate(take_per_class(data.labels.cpu().numpy(), per_class_counts(n, N_CLASSES)))
    return Labelled(data.images[index], data.labels[index])


@torch.no_grad()
def features(model: LeNet5, images: torch.Tensor) -> torch.Tensor:
    return torch.cat([model.features(chunk) for chunk in images.split(4096)])


MANIFOLD_KEYS = ("fid", "precision", "recall", "density", "coverage")


def compare(real_features: torch.Tensor, other_features: torch.Tensor, k: int) -> dict[str, float | None]:
    """FID and precision/recall/density/coverage of ``other`` against ``real`` (None with too few images)."""
    if min(len(real_features), len(other_features)) <= k:
        return dict.fromkeys(MANIFOLD_KEYS)
    return {"fid": fid(real_features, other_features), **prdc(real_features, other_features, k)}


class Embedded(NamedTuple):
    features: torch.Tensor  # (N, 84) reference-LeNet features
    labels: torch.Tensor  # (N,)

    def of_class(self, label: int) -> torch.Tensor:
        return self.features[self.labels == label]


def embed(reference: LeNet5, data: Labelled) -> Embedded:
    return Embedded(features(reference, data.images), data.labels)


def per_class_rows(fakes: Labelled, judge_probs, reference_probs, test: Embedded, fake: Embedded, real: Embedded, params: Params):
    """Per class: TARR by judge and reference, acceptance, diversity against real, FID (floor) and PRDC."""
    rows = []
    for c in range(N_CLASSES):
        fake_c = fakes.labels == c
        test_c, fake_s, real_s = test.of_class(c), fake.of_class(c), real.of_class(c)
        manifold = compare(test_c, fake_s, params.evaluate.k)
        rows.append({
            "class": c,
            "tarr_judge": round(tarr(judge_probs[fake_c], fakes.labels[fake_c]), 4),
            "tarr_reference": round(tarr(reference_probs[fake_c], fakes.labels[fake_c]), 4),
            "acceptance": round(float((judge_probs[fake_c, c] >= params.filter.threshold).float().mean()), 4),
            "diversity": round(mean_pairwise_distance(fake_s) / max(mean_pairwise_distance(real_s), 1e-12), 4),
            "fid": _round(manifold["fid"]),
            "fid_floor": _round(compare(test_c, real_s, params.evaluate.k)["fid"]),
            **{key: _round(manifold[key]) for key in MANIFOLD_KEYS[1:]},
        })
    return rows


def gan_train_accuracy(fakes: Labelled, test: Labelled, level: int, params: Params) -> tuple[float, int]:
    """GAN-train: LeNet-5 on fakes only (as many as the level has real images), on real test images."""
    served = sample(fakes, level)
    steps = params.classifier.steps_for(level)
    model = train_lenet_on(served, steps, params.classifier, params.seed, "GAN-train")
    return accuracy(model, *test), len(served.labels)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def run(
    params: Params, level: int, mnist_path: Path, subsets_path: Path, fakes_path: Path,
    judge_path: Path, reference_path: Path, metrics_path: Path, per_class_path: Path, figures: Path,
) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    settings = params.evaluate
    real, test = load_level(mnist_path, subsets_path, level, device), load_test_set(mnist_path, device)
    arrays = load_fakes(fakes_path)
    fakes = to_labelled(arrays["images"], arrays["labels"], device)
    judge = load_lenet(judge_path, f"dvc repro judge@{level}", device)
    reference = load_lenet(reference_path, "dvc repro reference", device)
    judge_probs, reference_probs = predict_proba(judge, fakes.images), predict_proba(reference, fakes.images)

    n = min(level, settings.samples, len(fakes.labels))
    test_sample, fake_sample, real_sample = sample(test, n), sample(fakes, n), sample(real, n)
    test_embedded, fake_embedded, real_embedded = (embed(reference, x) for x in (test_sample, fake_sample, real_sample))
    accepted = Labelled(*(t[torch.as_tensor(arrays["accepted"], device=device)] for t in fakes))
    accepted_features = features(reference, sample(accepted, n).images)
    rows = per_class_rows(fakes, judge_probs, reference_probs, test_embedded, fake_embedded, real_embedded, params)
    gan_train, n_gan_train = gan_train_accuracy(fakes, test, level, params)
    quality = compare(test_embedded.features, fake_embedded.features, settings.k)
    floor = compare(test_embedded.features, real_embedded.features, settings.k)
    collapsed = [r["class"] for r in rows if r["diversity"] < settings.collapse_threshold]
    low_acceptance = [r["class"] for r in rows if r["acceptance"] < settings.acceptance_floor]
    for name, classes in (("diversity below collapse_threshold", collapsed), ("acceptance below floor", low_acceptance)):
        if classes:
            log.warning("level %d: %s for classes %s", level, name, classes)

    metrics = {
        "level": level,
        "samples": n,
        "tarr_judge": round(tarr(judge_probs, fakes.labels), 4),
        "tarr_reference": round(tarr(reference_probs, fakes.labels), 4),
        "gan_train_accuracy": round(gan_train, 4),
        "gan_train_images": n_gan_train,
        "real_train_accuracy": round(accuracy(judge, *test), 4),  # the judge: same LeNet on `level` real images
        **{key: _round(value) for key, value in quality.items()},
        **{f"{key}_floor": _round(value) for key, value in floor.items()},
        "fid_accepted": _round(fid(test_embedded.features, accepted_features)) if len(accepted_features) > settings.k else None,
        "inception_score": round(inception_score(predict_proba(reference, fake_sample.images)), 4),
        "inception_score_real": round(inception_score(predict_proba(reference, test.images)), 4),
        "diversity_min": min(r["diversity"] for r in rows),
        "collapsed_classes": collapsed,
        "low_acceptance_classes": low_acceptance,
    }
    save_csv(per_class_path, rows)
    save_json(metrics_path, metrics)
    draw(figures, level, arrays, rows, params.filter.threshold)


def draw(folder: Path, level: int, arrays: dict[str, np.ndarray], rows: list[dict], threshold: float) -> None:
    """Best and worst 10 fakes per class by judge score, rejected fakes, per-class bars, score histogram."""
    best_worst, rejected = [], []
    for c in range(N_CLASSES):
        index = np.flatnonzero(arrays["labels"] == c)
        order = index[np.argsort(-arrays["scores"][index], kind="stable")]
        best_worst.append(np.concatenate([order[:10], order[-10:]]))
        rejected.append(index[~arrays["accepted"][index]][:10])
    save_sample_grid(
        folder / "best_worst.png", rows=[arrays["images"][i] for i in best_worst],
        rejected=[~arrays["accepted"][i] for i in best_worst],
        title=f"{level} real images: 10 best | 10 worst fakes per class by judge score (red = rejected)",
    )
    save_sample_grid(
        folder / "rejected.png", rows=[arrays["images"][i] for i in rejected],
        rejected=[np.ones(len(i), bool) for i in rejected], title=f"{level} real images: fakes the judge filtered out",
    )
    plot_per_class_quality(folder / "per_class.png", rows, title=f"{level} real images")
    plot_confidences(folder / "confidence.png", arrays["scores"], threshold, title=f"{level} real images")

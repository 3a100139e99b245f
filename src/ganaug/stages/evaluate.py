"""evaluate: how recognisable, diverse and realistic one level's fakes are, with pictures.

    ganaug evaluate --level 500 --data ... --subsets ... --fakes ... --judge ... --reference ...
        --metrics reports/levels/500/quality.json --per-class reports/levels/500/quality_per_class.csv
        --figures reports/figures/500

Each GAN seed's fakes are measured apart, and each metric is written as its mean over the
level's GANs with its spread; per-class rows and pictures show GAN seed 0. Comparisons use
equal-sized, class-balanced samples: n = min(level, evaluate.samples) fakes
(as generated, unfiltered), n real test images, and, as the real-vs-real floor, n of the
level's real training images. Features and the reference TARR come from the reference
LeNet, which saw every real training image and is used here only to measure.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ganaug.pipeline import stage_files
from ganaug.data.mnist import per_class_counts
from ganaug.data.tensors import Labelled, gan_count, load_fakes, load_level, load_test_set, take_per_class, to_labelled
from ganaug.report.figures import plot_confidences, plot_per_class_quality, save_sample_grid
from ganaug.pipeline.io import load_model, save_csv, save_json
from ganaug.metrics.quality import fid, inception_score, mean_pairwise_distance, prdc, tarr
from ganaug.models import LeNet5
from ganaug.data.description import load_description
from ganaug.params.project import Params
from ganaug.pipeline.runtime import resolve_device, resolve_precision, seed_everything
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy, lenet_steps, predict_proba

log = logging.getLogger(__name__)


def load_lenet(path: Path, made_by: str, device: torch.device) -> LeNet5:
    return load_model(LeNet5, path, made_by).to(device)


def sample(data: Labelled, n: int, n_classes: int) -> Labelled:
    """The first n // classes (+ remainder) images of each class: class-balanced and deterministic."""
    index = np.concatenate(take_per_class(data.labels.cpu().numpy(), per_class_counts(n, n_classes)))
    return Labelled(data.images[index], data.labels[index])


@torch.no_grad()
def features(model: LeNet5, images: torch.Tensor) -> torch.Tensor:
    return torch.cat([model.features(chunk) for chunk in images.split(4096)])


MANIFOLD_KEYS = ("fid", "precision", "recall", "density", "coverage")


def manifold_scores(real_features: torch.Tensor, other_features: torch.Tensor, k: int) -> dict[str, float | None]:
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


def per_class_rows(fakes: Labelled, judge_probs, reference_probs, test: Embedded, fake: Embedded, real: Embedded,
                   params: Params):
    """Per class: TARR by judge and reference, acceptance, diversity against real, FID (floor) and PRDC."""
    rows = []
    for c in range(judge_probs.shape[1]):
        fake_c = fakes.labels == c
        test_c, fake_s, real_s = test.of_class(c), fake.of_class(c), real.of_class(c)
        manifold = manifold_scores(test_c, fake_s, params.evaluate.k)
        rows.append({
            "class": c,
            "tarr_judge": round(tarr(judge_probs[fake_c], fakes.labels[fake_c]), 4),
            "tarr_reference": round(tarr(reference_probs[fake_c], fakes.labels[fake_c]), 4),
            "acceptance": round(float((judge_probs[fake_c, c] >= params.filter.threshold).float().mean()), 4),
            "diversity": round(mean_pairwise_distance(fake_s) / max(mean_pairwise_distance(real_s), 1e-12), 4),
            "fid": _round(manifold["fid"]),
            "fid_floor": _round(manifold_scores(test_c, real_s, params.evaluate.k)["fid"]),
            **{key: _round(manifold[key]) for key in MANIFOLD_KEYS[1:]},
        })
    return rows


def gan_train_accuracy(fakes: Labelled, test: Labelled, level: int, params: Params, n_classes: int) -> tuple[float, int]:
    """GAN-train: LeNet-5 on fakes only (as many as the level has real images), on real test images."""
    served = sample(fakes, level, n_classes)
    steps = lenet_steps(params.classifier, level)
    model = train_lenet_on(served, steps, params.classifier, params.seed, n_classes, "GAN-train",
                           precision=resolve_precision(params.precision, test.labels.device))
    return accuracy(model, *test), len(served.labels)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


SEED_KEYS = ("tarr_judge", "tarr_reference", "gan_train_accuracy", *MANIFOLD_KEYS, "fid_accepted", "inception_score")


def gan_metrics(fakes: Labelled, accepted: torch.Tensor, judge: LeNet5, reference: LeNet5, test: Labelled,
                test_embedded: Embedded, n: int, level: int, params: Params) -> dict[str, float | None]:
    """The SEED_KEYS of one GAN's fakes (``accepted``: the judge's flags)."""
    n_classes = judge.classifier.out_features
    fake_sample = sample(fakes, n, n_classes)
    accepted_features = features(reference, sample(Labelled(fakes.images[accepted], fakes.labels[accepted]), n,
                                                   n_classes).images)
    k = params.evaluate.k
    return {
        "tarr_judge": tarr(predict_proba(judge, fakes.images), fakes.labels),
        "tarr_reference": tarr(predict_proba(reference, fakes.images), fakes.labels),
        "gan_train_accuracy": gan_train_accuracy(fakes, test, level, params, n_classes)[0],
        **manifold_scores(test_embedded.features, features(reference, fake_sample.images), k),
        "fid_accepted": fid(test_embedded.features, accepted_features) if len(accepted_features) > k else None,
        "inception_score": inception_score(predict_proba(reference, fake_sample.images)),
    }


def across_seeds(per_seed: list[dict]) -> dict[str, float | None]:
    """Each key's mean over the GANs, and its spread (sample standard deviation; None for one GAN)."""
    summary = {}
    for key in SEED_KEYS:
        values = [row[key] for row in per_seed if row[key] is not None]
        summary[key] = _round(float(np.mean(values))) if values else None
        summary[f"{key}_spread"] = _round(float(np.std(values, ddof=1))) if len(values) > 1 else None
    return summary


def run(params: Params, level: int, files: stage_files.Evaluate) -> None:
    """Metrics per GAN seed, with their mean and spread; per-class rows and pictures of GAN seed 0."""
    seed_everything(params.seed)
    device = resolve_device(params.device)
    settings = params.evaluate
    real, test = load_level(files.data, files.subsets, level, device), load_test_set(files.data, device)
    description = load_description(files.data)
    k = description.n_classes
    arrays = load_fakes(files.fakes, description)
    judge = load_lenet(files.judge, f"dvc repro judge@{level}", device)
    reference = load_lenet(files.reference, "dvc repro reference", device)
    n_gans = gan_count(arrays)
    of_seed = [{key: value[arrays["gan_seeds"] == g] for key, value in arrays.items()} for g in range(n_gans)]
    gans = [to_labelled(a["images"], a["labels"], device) for a in of_seed]

    n = min(level, settings.samples, min(len(g.labels) for g in gans))
    test_sample, real_sample = sample(test, n, k), sample(real, n, k)
    test_embedded, real_embedded = embed(reference, test_sample), embed(reference, real_sample)
    per_seed = [
        {"gan_seed": g, **{key: _round(value) for key, value in gan_metrics(
            fakes, torch.as_tensor(a["accepted"], device=device), judge, reference, test, test_embedded, n, level,
            params).items()}}
        for g, (fakes, a) in enumerate(zip(gans, of_seed))
    ]
    first = gans[0]
    rows = per_class_rows(first, predict_proba(judge, first.images), predict_proba(reference, first.images),
                          test_embedded, embed(reference, sample(first, n, k)), real_embedded, params)
    floor = manifold_scores(test_embedded.features, real_embedded.features, settings.k)
    collapsed = [r["class"] for r in rows if r["diversity"] < settings.collapse_threshold]
    low_acceptance = [r["class"] for r in rows if r["acceptance"] < settings.acceptance_floor]
    for name, classes in (("diversity below collapse_threshold", collapsed), ("acceptance below floor", low_acceptance)):
        if classes:
            log.warning("level %d: %s for classes %s (GAN seed 0)", level, name, classes)

    metrics = {
        "level": level,
        "samples": n,
        "gan_seeds": n_gans,
        **across_seeds(per_seed),
        "gan_train_images": sample(first, level, k).labels.numel(),
        "real_train_accuracy": round(accuracy(judge, *test), 4),  # the judge: same LeNet on `level` real images
        **{f"{key}_floor": _round(value) for key, value in floor.items()},
        "inception_score_real": round(inception_score(predict_proba(reference, test.images)), 4),
        "diversity_min": min(r["diversity"] for r in rows),
        "collapsed_classes": collapsed,
        "low_acceptance_classes": low_acceptance,
        "per_gan_seed": per_seed,
    }
    save_csv(files.per_class, rows)
    save_json(files.metrics, metrics)
    draw(files.figures, level, of_seed[0], rows, params.filter.threshold, k)


def draw(folder: Path, level: int, arrays: dict[str, np.ndarray], rows: list[dict], threshold: float,
         n_classes: int) -> None:
    """Best and worst 10 fakes per class by judge score, rejected fakes, per-class bars, score histogram."""
    best_worst, rejected = [], []
    for c in range(n_classes):
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

"""experiment: the headline cell (``scarcity``, ``ratio``) as a DVC metric.

    ganaug experiment --data ... --subsets ... --fakes data/levels/1000/fakes.npz --metrics reports/metrics.json

Trains the real-only LeNet and the real + GAN fakes LeNet for each of ``experiment.seeds``
and writes their mean accuracies, the paired gain with its 95% CI and its (unadjusted) p-value,
and what the cell is worth in real images off the real-only learning curve (``report.exchange``),
so ``dvc exp run -S ratio=0.1`` reruns only this. Params are not echoed: DVC shows them beside
the metrics, and a metric named like a param makes ``dvc exp show --sort-by`` ambiguous.
"""
from __future__ import annotations

import math

import numpy as np

from ganaug.pipeline import stage_files
from ganaug.data.tensors import load_fakes, load_level, load_test_set
from ganaug.data.description import load_description
from ganaug.pipeline.io import save_csv, save_json
from ganaug.params.project import REAL_ONLY, Params, VariantParams
from ganaug.pipeline.runtime import resolve_device, resolve_precision, seed_everything
from ganaug.report.exchange import load_curve, worth
from ganaug.report.stats import paired, summarise
from ganaug.training.cells import Cell, train_cells

HEADLINE = "headline"


def run(params: Params, files: stage_files.Experiment) -> dict:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    level, ratio, use_filter = params.scarcity, params.ratio, params.experiment.filter
    real = load_level(files.data, files.subsets, level, device)
    test, description = load_test_set(files.data, device), load_description(files.data)
    curve = load_curve(files.curve)  # before training: a missing curve stops the stage at once
    seeds = params.experiment.seeds
    variants = {HEADLINE: VariantParams(fakes="gan", filter=use_filter)}
    cells = [Cell(HEADLINE, ratio, seed) for seed in seeds] + [Cell(REAL_ONLY, 0.0, seed) for seed in seeds]
    rows = train_cells(real, test, {"gan": load_fakes(files.fakes, description)}, variants, cells, params.classifier,
                       params.augment, "experiment", description.n_classes, resolve_precision(params.precision, device))
    with_fakes = {r["seed"]: r["accuracy"] for r in rows if r["variant"] == HEADLINE}
    real_only = {r["seed"]: r["accuracy"] for r in rows if r["variant"] == REAL_ONLY}
    fake, base, compared = summarise(list(with_fakes.values())), summarise(list(real_only.values())), paired(with_fakes, real_only)
    gains = [with_fakes[s] - real_only[s] for s in seeds]
    worth_of = worth(gains, level, curve, params.report.resamples, np.random.default_rng(params.seed))
    metrics = {
        "accuracy": round(fake.mean, 4),
        "accuracy_std": round(fake.std, 4),
        "real_only_accuracy": round(base.mean, 4),
        "real_only_std": round(base.std, 4),
        "gain": round(compared.gain.mean, 4),
        # The 95% CI of the paired gain says more than a p-value: a tiny gain can be "significant".
        "gain_ci_low": _rounded(compared.gain.mean - compared.gain.half_width),
        "gain_ci_high": _rounded(compared.gain.mean + compared.gain.half_width),
        # One paired t-test, not adjusted for the many cells of the report's tables.
        "gain_p_value_unadjusted": _rounded(compared.p_value),
        # Real images real only needs for this accuracy (null beyond the curve's levels: the table says which way).
        "worth": _images(worth_of.real),
        "worth_low": _images(worth_of.low),
        "worth_high": _images(worth_of.high),
    }
    save_json(files.metrics, metrics)
    save_csv(files.per_seed, [{"seed": s, "real_only": real_only[s], "with_fakes": with_fakes[s]} for s in seeds])
    return metrics


def _rounded(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def _images(value: float) -> int | None:
    return round(value) if math.isfinite(value) else None

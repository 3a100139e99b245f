"""experiment: the headline cell (``scarcity``, ``ratio``) as a DVC metric.

    ganaug experiment --mnist ... --subsets ... --fakes data/levels/1000/fakes.npz --metrics reports/metrics.json

Trains the real-only LeNet and the real + fakes LeNet for each of ``experiment.seeds`` and
writes their mean accuracies and the gain, so ``dvc exp run -S ratio=0.1`` reruns only this.
"""
from __future__ import annotations

from pathlib import Path

from ganaug.datasets import load_fakes, load_level, load_test_set
from ganaug.io import save_json
from ganaug.params import Params
from ganaug.runtime import resolve_device, seed_everything
from ganaug.training.cells import filter_name, train_cells
from ganaug.stats import mean_std


def run(params: Params, mnist_path: Path, subsets_path: Path, fakes_path: Path, metrics_path: Path) -> dict:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    level, ratio, use_filter = params.scarcity, params.ratio, params.experiment.filter
    real = load_level(mnist_path, subsets_path, level, device)
    test = load_test_set(mnist_path, device)
    fakes = load_fakes(fakes_path)
    steps = params.classifier.steps_for(level)
    seeds = params.experiment.seeds
    cells = [(ratio, use_filter, seed) for seed in seeds] + [(0.0, None, seed) for seed in seeds]
    rows = train_cells(real, test, fakes, cells, params.classifier, steps, "experiment")
    with_fakes, real_only = [r["accuracy"] for r in rows[: len(seeds)]], [r["accuracy"] for r in rows[len(seeds):]]
    (mean, std), (real_mean, real_std) = mean_std(with_fakes), mean_std(real_only)
    metrics = {
        "scarcity": level,
        "ratio": ratio,
        "filter": filter_name(use_filter),
        "seeds": len(params.experiment.seeds),
        "accuracy": round(mean, 4),
        "accuracy_std": round(std, 4),
        "real_only_accuracy": round(real_mean, 4),
        "real_only_std": round(real_std, 4),
        "gain": round(mean - real_mean, 4),
    }
    save_json(metrics_path, metrics)
    return metrics

"""Label smoothing of the real images alone: the control the soft-label recipes (fake_smoothing) need.
The grid now trains it as variants (``real_smoothing``: smoothing10, smoothing30); this is how it was first measured.

    python benchmarks/smoothing_control.py --levels 100 200 500 1000 --smoothing 0 0.1 0.3 --json reports/smoothing_control.json

Soft-label variants that smooth only the fakes' targets are compared with real only. Soft
targets regularise a small-data LeNet by themselves, so a gain there may be the smoothing, not
the fakes. This trains real only with the same recipe, steps and seeds as the grid's real-only
row, every real image's target smoothed by s (``recipes.FakeTerms`` with every row marked, weight
1), and prints the mean test accuracy per level and s. It reads the test set, so it only
measures; nothing in the pipeline is chosen by it. Needs `dvc repro prepare` first.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from common import load_project, print_markdown, record, rows_arguments, save_rows

from ganaug.data.tensors import load_level, load_test_set
from ganaug.training.batched import accuracies, train_lenets
from ganaug.training.classifier import lenet_steps
from ganaug.training.recipes import FakeTerms


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--levels", type=int, nargs="+", default=[100, 200, 500, 1000])
    parser.add_argument("--smoothing", type=float, nargs="+", default=[0.0, 0.1, 0.3])


def main() -> None:
    args = rows_arguments(__doc__, options)
    if args.markdown:
        return print_markdown(args.markdown, markdown)
    project, device = load_project(), torch.device("cpu")
    params, test = project.params, load_test_set(project.data, device)
    rows = []
    for level in args.levels:
        real = load_level(project.data, project.subsets(level), level, device)
        every, seeds = torch.arange(level), list(params.grid.seeds_for(level))
        steps = lenet_steps(params.classifier, level)
        for s in args.smoothing:
            terms = [FakeTerms(level, smoothing=s) if s else None] * len(seeds)  # every row smoothed, weight 1
            models = train_lenets(real, [every] * len(seeds), seeds, steps, params.classifier, project.n_classes,
                                  f"smooth {s}@{level}", terms=terms, precision=project.precision(device))
            scores = np.array(accuracies(models, test))
            row = {"level": level, "smoothing": s, "seeds": len(seeds), "steps": steps,
                   "mean": round(float(scores.mean()), 4), "min": round(float(scores.min()), 4),
                   "max": round(float(scores.max()), 4)}
            record(rows, row)
    save_rows(args.json, rows)


def markdown(rows: list[dict]) -> list[str]:
    lines = ["| real images | label smoothing (real images) | steps | test accuracy, mean (min-max over seeds) |",
             "|---|---|---|---|"]
    return lines + [f"| {r['level']} | {r['smoothing']:g} | {r['steps']} | {r['mean']:.4f} ({r['min']:.4f}-{r['max']:.4f}) |"
                    for r in rows]


if __name__ == "__main__":
    main()

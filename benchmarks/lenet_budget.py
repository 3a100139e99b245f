"""Real-only LeNet-5 test accuracy against its step budget, per level: where does it converge?

    python benchmarks/lenet_budget.py --levels 10000 60000 --steps 1500 3000 4500 6000 --seeds 0 1 2

Trains the pipeline's recipe (``classifier`` in params.yaml, one-cycle Adam) on each level's
real images for each budget, several seeds stacked as the grid does, and prints the mean and
spread of test accuracy. It reads the test set, so it only measures: the budget it informs is
the same at every ratio of a level and is chosen once for the whole grid, never per cell.
Needs `dvc repro prepare` first.
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch
from common import load_project, print_markdown, record, rows_arguments, save_rows

from ganaug.data.tensors import load_level, load_test_set
from ganaug.training.batched import accuracies, train_lenets


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--levels", type=int, nargs="+", default=[10000, 60000])
    parser.add_argument("--steps", type=int, nargs="+", default=[1500, 3000, 4500, 6000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])


def main() -> None:
    args = rows_arguments(__doc__, options)
    if args.markdown:
        return print_markdown(args.markdown, markdown)
    project, device = load_project(), torch.device("cpu")
    params, test = project.params, load_test_set(project.data, device)
    rows = []
    for level in args.levels:
        real = load_level(project.data, project.subsets(level), level, device)
        every = torch.arange(len(real.labels))
        for steps in args.steps:
            started = time.perf_counter()
            recipe = dataclasses.replace(params.classifier, min_steps=steps, max_steps=steps)
            models = train_lenets(real, [every] * len(args.seeds), args.seeds, steps, recipe, project.n_classes,
                                  f"real@{level}", precision=project.precision(device))
            scores = np.array(accuracies(models, test))
            row = {"level": level, "steps": steps, "epochs": round(steps * recipe.batch_size / level, 2),
                   "mean": round(float(scores.mean()), 4), "min": round(float(scores.min()), 4),
                   "max": round(float(scores.max()), 4), "seconds": round(time.perf_counter() - started, 1)}
            record(rows, row)
    save_rows(args.json, rows)


def markdown(rows: list[dict]) -> list[str]:
    lines = ["| real images | steps | epochs | test accuracy, mean (min-max over seeds) |", "|---|---|---|---|"]
    return lines + [f"| {r['level']} | {r['steps']} | {r['epochs']} | {r['mean']:.4f} ({r['min']:.4f}-{r['max']:.4f}) |"
                    for r in rows]


if __name__ == "__main__":
    main()

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
import json
import time

import numpy as np
import torch

from ganaug.data.tensors import load_level, load_test_set
from ganaug.params.project import load_params
from ganaug.training.batched import accuracies, train_lenets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[10000, 60000])
    parser.add_argument("--steps", type=int, nargs="+", default=[1500, 3000, 4500, 6000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", default=None, help="Also write the rows here.")
    parser.add_argument("--markdown", default=None, help="Print the table of this JSON of rows and stop.")
    args = parser.parse_args()
    if args.markdown:
        with open(args.markdown) as handle:
            print("\n".join(markdown(json.load(handle))))
        return
    params = load_params("params.yaml")
    device = torch.device("cpu")
    test = load_test_set("data/prepared/dataset.npz", device)
    rows = []
    for level in args.levels:
        real = load_level("data/prepared/dataset.npz", f"data/levels/{level}/subset.npz", level, device)
        every = torch.arange(len(real.labels))
        for steps in args.steps:
            started = time.perf_counter()
            recipe = dataclasses.replace(params.classifier, min_steps=steps, max_steps=steps)
            models = train_lenets(real, [every] * len(args.seeds), args.seeds, steps, recipe, f"real@{level}")
            scores = np.array(accuracies(models, test))
            row = {"level": level, "steps": steps, "epochs": round(steps * recipe.batch_size / level, 2),
                   "mean": round(float(scores.mean()), 4), "min": round(float(scores.min()), 4),
                   "max": round(float(scores.max()), 4), "seconds": round(time.perf_counter() - started, 1)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


def markdown(rows: list[dict]) -> list[str]:
    lines = ["| real images | steps | epochs | test accuracy, mean (min-max over seeds) |", "|---|---|---|---|"]
    return lines + [f"| {r['level']} | {r['steps']} | {r['epochs']} | {r['mean']:.4f} ({r['min']:.4f}-{r['max']:.4f}) |"
                    for r in rows]


if __name__ == "__main__":
    main()

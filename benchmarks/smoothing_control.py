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
import json

import numpy as np
import torch

from ganaug.data.tensors import load_level, load_test_set
from ganaug.params.project import load_params
from ganaug.training.batched import accuracies, train_lenets
from ganaug.training.recipes import FakeTerms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[100, 200, 500, 1000])
    parser.add_argument("--smoothing", type=float, nargs="+", default=[0.0, 0.1, 0.3])
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
        every, seeds = torch.arange(level), list(params.grid.seeds_for(level))
        steps = params.classifier.steps_for(level)
        for s in args.smoothing:
            terms = [FakeTerms(level, smoothing=s) if s else None] * len(seeds)  # every row smoothed, weight 1
            models = train_lenets(real, [every] * len(seeds), seeds, steps, params.classifier, f"smooth {s}@{level}",
                                  terms=terms)
            scores = np.array(accuracies(models, test))
            row = {"level": level, "smoothing": s, "seeds": len(seeds), "steps": steps,
                   "mean": round(float(scores.mean()), 4), "min": round(float(scores.min()), 4),
                   "max": round(float(scores.max()), 4)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


def markdown(rows: list[dict]) -> list[str]:
    lines = ["| real images | label smoothing (real images) | steps | test accuracy, mean (min-max over seeds) |",
             "|---|---|---|---|"]
    return lines + [f"| {r['level']} | {r['smoothing']:g} | {r['steps']} | {r['mean']:.4f} ({r['min']:.4f}-{r['max']:.4f}) |"
                    for r in rows]


if __name__ == "__main__":
    main()

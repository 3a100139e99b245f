"""retrain: LeNet-5 from scratch on real + fakes for every ratio, filter setting and seed.

    ganaug retrain --level 500 --mnist ... --subsets ... --fakes ... --results ...

Every cell at a level gets the same number of optimizer steps, so a difference between
ratios comes from the data, not from more training. Ratio 0 has no fakes, so it is trained
once per seed (filter "none") and serves as the real-only column of both filter tables.
"""
from __future__ import annotations

from pathlib import Path

from ganaug.datasets import load_fakes, load_level, load_test_set
from ganaug.io import save_csv
from ganaug.params import Params
from ganaug.runtime import resolve_device, seed_everything
from ganaug.training.cells import train_cells


def grid_cells(params: Params) -> list[tuple[float, bool | None]]:
    """(ratio, filter) pairs: ratio 0 once with filter None, other ratios once per filter setting."""
    return [(r, None) for r in params.grid.ratios if r == 0] + [
        (r, f) for r in params.grid.ratios if r > 0 for f in params.grid.filters
    ]


def run(params: Params, level: int, mnist_path: Path, subsets_path: Path, fakes_path: Path, results_path: Path) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    real = load_level(mnist_path, subsets_path, level, device)
    test = load_test_set(mnist_path, device)
    fakes = load_fakes(fakes_path)
    steps = params.classifier.steps_for(level)
    cells = [(ratio, f, seed) for ratio, f in grid_cells(params) for seed in params.grid.seeds]
    save_csv(results_path, train_cells(real, test, fakes, cells, params.classifier, steps, f"retrain@{level}"))

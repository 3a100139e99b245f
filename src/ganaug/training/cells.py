"""Cells of the retrain grid: fresh LeNet-5s on real + fakes, scored on the real test set.

Shared by the retrain grid and the headline experiment, so both train a cell the same way.
"""
from __future__ import annotations

import numpy as np

from ganaug.datasets import Labelled, serve
from ganaug.params import ClassifierParams
from ganaug.training.batched import train_lenets
from ganaug.training.classifier import accuracy

Cell = tuple[float, bool | None, int]  # (ratio, filter, seed); filter None: ratio 0, no fakes


def filter_name(use_filter: bool | None) -> str:
    return {None: "none", False: "off", True: "on"}[use_filter]


def train_cells(
    real: Labelled, test: Labelled, fakes: dict[str, np.ndarray], cells: list[Cell],
    recipe: ClassifierParams, steps: int, desc: str = "cells",
) -> list[dict]:
    """Train one LeNet per cell on real + round(ratio * n_real) fakes, all together; their rows of results."""
    pool, served = serve(real, fakes, [(ratio, bool(use_filter)) for ratio, use_filter, _ in cells])
    models = train_lenets(pool, [s.rows for s in served], [seed for *_, seed in cells], steps, recipe, desc)
    return [
        {
            "level": len(real.labels),
            "ratio": ratio,
            "filter": filter_name(use_filter),
            "seed": seed,
            "n_real": len(real.labels),
            "n_fake": s.n_fake,
            "shortfall": s.shortfall,
            "steps": steps,
            "accuracy": round(accuracy(model, *test), 4),
        }
        for (ratio, use_filter, seed), s, model in zip(cells, served, models)
    ]

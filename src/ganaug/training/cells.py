"""One cell of the retrain grid: a fresh LeNet-5 on real + fakes, scored on the real test set.

Shared by the retrain grid and the headline experiment, so both train a cell the same way.
"""
from __future__ import annotations

import numpy as np

from ganaug.datasets import Labelled, compose_training_set
from ganaug.params import ClassifierParams
from ganaug.training.classifier import accuracy, train_lenet


def filter_name(use_filter: bool | None) -> str:
    return {None: "none", False: "off", True: "on"}[use_filter]


def train_cell(
    real: Labelled, test: Labelled, fakes: dict[str, np.ndarray], ratio: float,
    use_filter: bool | None, seed: int, recipe: ClassifierParams, steps: int,
) -> dict:
    """Train one LeNet on real + round(ratio * n_real) fakes; return its row of results."""
    served = compose_training_set(real, fakes, ratio, bool(use_filter))
    model = train_lenet(served.data.images, served.data.labels, steps, recipe, seed)
    return {
        "level": len(real.labels),
        "ratio": ratio,
        "filter": filter_name(use_filter),
        "seed": seed,
        "n_real": len(real.labels),
        "n_fake": served.n_fake,
        "shortfall": served.shortfall,
        "steps": steps,
        "accuracy": round(accuracy(model, *test), 4),
    }

"""A LeNet-5 on real images only, scored on the real test set: the level's judge and the reference."""
from __future__ import annotations

from pathlib import Path

from ganaug.data.description import Description
from ganaug.data.tensors import Labelled
from ganaug.models import LeNet5
from ganaug.params.project import Params
from ganaug.pipeline.live import Curves
from ganaug.pipeline.runtime import resolve_precision
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy, lenet_steps


def train_real_only(real: Labelled, test: Labelled, params: Params, description: Description, desc: str,
                    curves_path: Path) -> tuple[LeNet5, dict]:
    """The classifier recipe's LeNet-5 on ``real``, its loss by step to ``curves_path`` (DVCLive); the model
    and its metrics (steps, test accuracy)."""
    steps = lenet_steps(params.classifier, len(real.labels))
    curves = Curves(curves_path)
    model = train_lenet_on(real, steps, params.classifier, params.seed, description.n_classes, desc,
                           on_loss=lambda step, loss: curves.log("", step, {"train_loss": loss}),
                           precision=resolve_precision(params.precision, real.images.device))
    curves.close()
    return model, {"steps": steps, "test_accuracy": round(accuracy(model, *test), 4)}

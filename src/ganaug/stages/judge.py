"""judge: LeNet-5 on one level's real images: the real-only baseline and the fake filter.

    ganaug judge --level 500 --data ... --subsets ... --judge ... --metrics ... --curves ...
"""
from __future__ import annotations

from pathlib import Path

from ganaug.datasets import load_level, load_test_set
from ganaug.description import load_description
from ganaug.io import save_checkpoint, save_json
from ganaug.live import Curves
from ganaug.models.lenet import lenet_config
from ganaug.params import Params
from ganaug.runtime import resolve_device, seed_everything
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy


def run(params: Params, level: int, data_path: Path, subsets_path: Path, judge_path: Path, metrics_path: Path,
        curves_path: Path) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    real, description = load_level(data_path, subsets_path, level, device), load_description(data_path)
    steps = params.classifier.steps_for(level)
    curves = Curves(curves_path)
    model = train_lenet_on(real, steps, params.classifier, params.seed, description.n_classes, "judge",
                           on_loss=lambda step, loss: curves.log("", step, {"train_loss": loss}))
    curves.close()
    test_accuracy = accuracy(model, *load_test_set(data_path, device))
    save_checkpoint(judge_path, model.cpu().state_dict(), lenet_config(description.n_classes, description.channels, description.height))
    save_json(metrics_path, {"level": level, "steps": steps, "test_accuracy": round(test_accuracy, 4)})

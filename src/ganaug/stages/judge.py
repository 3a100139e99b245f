"""judge: LeNet-5 on one level's real images: the real-only baseline and the fake filter.

    ganaug judge --level 500 --data ... --subsets ... --judge ... --metrics ... --curves ...
"""
from __future__ import annotations


from ganaug.pipeline import stage_files
from ganaug.data.tensors import load_level, load_test_set
from ganaug.data.description import load_description
from ganaug.pipeline.io import save_checkpoint, save_json
from ganaug.pipeline.live import Curves
from ganaug.models.lenet import lenet_config
from ganaug.params.project import Params
from ganaug.pipeline.runtime import resolve_device, seed_everything
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy


def run(params: Params, level: int, files: stage_files.Judge) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    real, description = load_level(files.data, files.subsets, level, device), load_description(files.data)
    steps = params.classifier.steps_for(level)
    curves = Curves(files.curves)
    model = train_lenet_on(real, steps, params.classifier, params.seed, description.n_classes, "judge",
                           on_loss=lambda step, loss: curves.log("", step, {"train_loss": loss}))
    curves.close()
    test_accuracy = accuracy(model, *load_test_set(files.data, device))
    save_checkpoint(files.judge, model.cpu().state_dict(), lenet_config(description.n_classes, description.channels, description.height))
    save_json(files.metrics, {"level": level, "steps": steps, "test_accuracy": round(test_accuracy, 4)})

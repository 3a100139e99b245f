"""judge: LeNet-5 on one level's real images: the real-only baseline and the fake filter.

    ganaug judge --level 500 --data ... --subsets ... --judge ... --metrics ... --curves ...
"""
from __future__ import annotations

from ganaug.data.description import load_description
from ganaug.data.tensors import load_level, load_test_set
from ganaug.models.lenet import lenet_config
from ganaug.params.project import Params
from ganaug.pipeline import stage_files
from ganaug.pipeline.io import save_checkpoint, save_json
from ganaug.pipeline.runtime import resolve_device, seed_everything
from ganaug.training.real_only import train_real_only


def run(params: Params, level: int, files: stage_files.Judge) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    real, description = load_level(files.data, files.subsets, level, device), load_description(files.data)
    model, scores = train_real_only(real, load_test_set(files.data, device), params, description, "judge", files.curves)
    save_checkpoint(files.judge, model.cpu().state_dict(), lenet_config(description.n_classes, description.channels, description.height))
    save_json(files.metrics, {"level": level, **scores})

"""reference: LeNet-5 on every real training image, used only to measure fakes.

    ganaug reference --data ... --reference data/reference/reference.pt --metrics reports/reference.json

Its features and probabilities give FID, precision/recall and the reference TARR. Nothing the
pipeline trains on depends on it: it sees every real image, so it must never filter or label.
"""
from __future__ import annotations

from ganaug.data.description import load_description
from ganaug.data.tensors import load_full_train, load_test_set
from ganaug.models.lenet import lenet_config
from ganaug.params.project import Params
from ganaug.pipeline import stage_files
from ganaug.pipeline.io import save_checkpoint, save_json
from ganaug.pipeline.runtime import resolve_device, seed_everything
from ganaug.training.real_only import train_real_only


def run(params: Params, files: stage_files.Reference) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    real, description = load_full_train(files.data, device), load_description(files.data)
    model, scores = train_real_only(real, load_test_set(files.data, device), params, description, "reference",
                                    files.curves)
    save_checkpoint(files.reference, model.cpu().state_dict(), lenet_config(description.n_classes, description.channels, description.height))
    save_json(files.metrics, scores)

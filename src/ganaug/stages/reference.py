"""reference: LeNet-5 on every real training image, used only to measure fakes.

    ganaug reference --data ... --reference data/reference/reference.pt --metrics reports/reference.json

Its features and probabilities give FID, precision/recall and the reference TARR. Nothing the
pipeline trains on depends on it: it sees every real image, so it must never filter or label.
"""
from __future__ import annotations


from ganaug.pipeline import stage_files
from ganaug.data.tensors import load_full_train, load_test_set
from ganaug.data.description import load_description
from ganaug.pipeline.io import save_checkpoint, save_json
from ganaug.pipeline.live import Curves
from ganaug.models.lenet import lenet_config
from ganaug.params.project import Params
from ganaug.pipeline.runtime import resolve_device, seed_everything
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy


def run(params: Params, files: stage_files.Reference) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    real, description = load_full_train(files.data, device), load_description(files.data)
    steps = params.classifier.steps_for(len(real.labels))
    curves = Curves(files.curves)
    model = train_lenet_on(real, steps, params.classifier, params.seed, description.n_classes, "reference",
                           on_loss=lambda step, loss: curves.log("", step, {"train_loss": loss}))
    curves.close()
    test_accuracy = accuracy(model, *load_test_set(files.data, device))
    save_checkpoint(files.reference, model.cpu().state_dict(), lenet_config(description.n_classes, description.channels, description.height))
    save_json(files.metrics, {"steps": steps, "test_accuracy": round(test_accuracy, 4)})

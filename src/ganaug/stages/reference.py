"""reference: LeNet-5 on all 60000 real training images, used only to measure fakes.

    ganaug reference --mnist ... --reference data/reference/reference.pt --metrics reports/reference.json

Its features and probabilities give FID, precision/recall and the reference TARR. Nothing the
pipeline trains on depends on it: it sees every real image, so it must never filter or label.
"""
from __future__ import annotations

from pathlib import Path

from ganaug.datasets import load_full_train, load_test_set
from ganaug.io import save_checkpoint, save_json
from ganaug.live import Curves
from ganaug.params import MNIST_TRAIN_SIZE, N_CLASSES, Params
from ganaug.runtime import resolve_device, seed_everything
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy


def run(params: Params, mnist_path: Path, reference_path: Path, metrics_path: Path, curves_path: Path) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    real = load_full_train(mnist_path, device)
    steps = params.classifier.steps_for(MNIST_TRAIN_SIZE)
    curves = Curves(curves_path)
    model = train_lenet_on(real, steps, params.classifier, params.seed, "reference",
                           on_loss=lambda step, loss: curves.log("", step, {"train_loss": loss}))
    curves.close()
    test_accuracy = accuracy(model, *load_test_set(mnist_path, device))
    save_checkpoint(reference_path, model.cpu().state_dict(), {"n_classes": N_CLASSES})
    save_json(metrics_path, {"steps": steps, "test_accuracy": round(test_accuracy, 4)})

"""curve: the real-only learning curve, LeNet-5 test accuracy against real training images.

    ganaug curve --data data/prepared/dataset.npz --table reports/learning_curve.csv
        --figure reports/figures/learning_curve.png

The grid's real-only recipe (``classifier``, its step rule, seeds 0 .. ``curve.seeds`` - 1) at
each of ``curve.levels``, so at the grid's levels the curve is the grid's real only (up to the
rounding of a different batching of models). Each level's images are the stratified subset that
``prepare`` would draw (the same function and seed, so the grid's levels are the same images).
No GAN: these levels only serve the curve. The test set only tests.
"""
from __future__ import annotations


import torch

from ganaug.pipeline import stage_files
from ganaug.data.mnist import stratified_subsets
from ganaug.data.tensors import load_full_train, load_test_set
from ganaug.data.description import load_description
from ganaug.report.figures import plot_learning_curve
from ganaug.pipeline.io import save_csv
from ganaug.params.project import Params
from ganaug.pipeline.runtime import resolve_device, seed_everything
from ganaug.report.stats import summarise
from ganaug.training.batched import accuracies, train_lenets
from ganaug.training.classifier import lenet_steps


def run(params: Params, files: stage_files.Curve) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    train, test = load_full_train(files.data, device), load_test_set(files.data, device)
    subsets = stratified_subsets(train.labels.cpu().numpy(), params.curve.levels, params.seed)
    seeds, n_classes = list(range(params.curve.seeds)), load_description(files.data).n_classes
    rows, points = [], []
    for level in sorted(params.curve.levels):
        images = torch.as_tensor(subsets[level], device=device)
        steps = lenet_steps(params.classifier, level)
        models = train_lenets(train, [images] * len(seeds), seeds, steps, params.classifier, n_classes, f"curve@{level}")
        scores = [round(a, 4) for a in accuracies(models, test)]
        rows += [{"level": level, "seed": s, "steps": steps, "accuracy": a} for s, a in zip(seeds, scores)]
        summary = summarise(scores)
        points.append((level, summary.mean, summary.half_width))
    save_csv(files.table, rows)
    plot_learning_curve(files.figure, points, len(seeds))

"""curve: the real-only learning curve, LeNet-5 test accuracy against real training images.

    ganaug curve --data data/prepared/dataset.npz --grid_results 'reports/levels/{level}/results.csv'
        --table reports/learning_curve.csv --figure reports/figures/learning_curve.png

The grid's real-only recipe (``classifier``, its step rule, seeds 0 .. ``curve.seeds`` - 1) at
each of ``curve.levels``. At a level of the grid (``prepare.levels``) the curve reads retrain's
real-only rows instead of training the same models again (same images, recipe, steps and seeds),
and trains only the seeds the grid has not (``grid.seeds`` may be fewer). Each other level's images
are the stratified subset that ``prepare`` would draw (the same function and seed). No GAN: these
levels only serve the curve. The test set only tests.
"""
from __future__ import annotations


import torch

from ganaug.pipeline import stage_files
from ganaug.data.mnist import stratified_subsets
from ganaug.data.tensors import load_full_train, load_test_set
from ganaug.data.description import load_description
from ganaug.report.figures import plot_learning_curve
from ganaug.pipeline.io import ArtifactError, load_csv, save_csv
from ganaug.params.project import Params
from ganaug.params.table import REAL_ONLY
from ganaug.pipeline.runtime import resolve_device, resolve_precision, seed_everything
from ganaug.report.stats import summarise
from ganaug.training.batched import accuracies, train_lenets
from ganaug.training.classifier import lenet_steps


def run(params: Params, files: stage_files.Curve) -> None:
    seed_everything(params.seed)
    device = resolve_device(params.device)
    precision = resolve_precision(params.precision, device)
    train, test = load_full_train(files.data, device), load_test_set(files.data, device)
    subsets = stratified_subsets(train.labels.cpu().numpy(), params.curve.levels, params.seed)
    seeds, n_classes = list(range(params.curve.seeds)), load_description(files.data).n_classes
    rows, points = [], []
    for level in sorted(params.curve.levels):
        steps = lenet_steps(params.classifier, level)
        scores = grid_real_only(files.grid_results, level, steps) if level in params.prepare.levels else {}
        missing = [s for s in seeds if s not in scores]
        if missing:
            images = torch.as_tensor(subsets[level], device=device)
            models = train_lenets(train, [images] * len(missing), missing, steps, params.classifier, n_classes,
                                  f"curve@{level}", precision=precision)
            scores.update(zip(missing, (round(a, 4) for a in accuracies(models, test))))
        rows += [{"level": level, "seed": s, "steps": steps, "accuracy": scores[s]} for s in seeds]
        summary = summarise([scores[s] for s in seeds])
        points.append((level, summary.mean, summary.half_width))
    save_csv(files.table, rows)
    plot_learning_curve(files.figure, points, len(seeds))


def grid_real_only(template: str, level: int, steps: int) -> dict[int, float]:
    """Test accuracy by seed of the grid's real-only LeNet-5s at ``level`` (retrain's results)."""
    path = template.format(level=level)
    rows = load_csv(path, f"dvc repro retrain@{level}", ("variant", "seed", "steps", "accuracy"))
    real_only = [r for r in rows if r["variant"] == REAL_ONLY]
    wrong = sorted({int(r["steps"]) for r in real_only} - {steps})
    if wrong:
        raise ArtifactError(f"{path}: real-only LeNets of {wrong} steps where the classifier recipe gives {steps}; "
                            f"rerun `dvc repro retrain@{level}`")
    return {int(r["seed"]): float(r["accuracy"]) for r in real_only}

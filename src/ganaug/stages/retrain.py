"""retrain: LeNet-5s on real + fakes for every variant, ratio and seed of a level.

    ganaug retrain --level 500 --data ... --subsets ... --fakes ... --pca_fakes ... --leaky_fakes ... --results ...

Every from-scratch cell at a level gets the same number of optimizer steps, so a difference
between cells comes from the data, not from more training. The real-only row is trained
once per seed; every variant is compared with it, seed by seed, in the report.
"""
from __future__ import annotations

from pathlib import Path

from ganaug.datasets import load_fakes, load_level, load_test_set
from ganaug.description import load_description
from ganaug.io import save_csv
from ganaug.params import Params
from ganaug.runtime import resolve_device, seed_everything
from ganaug.training.cells import train_cells, variant_cells

MADE_BY = {"gan": "dvc repro generate", "pca": "dvc repro pca", "leaky": "dvc repro generate"}  # rerun hints


def run(params: Params, level: int, data_path: Path, subsets_path: Path, fakes_paths: dict[str, Path], results_path: Path) -> None:
    """``fakes_paths`` maps each fake source (gan, pca, leaky) to its fakes file; only the used ones are read."""
    seed_everything(params.seed)
    device = resolve_device(params.device)
    variants = params.enabled_variants()
    real = load_level(data_path, subsets_path, level, device)
    test, description = load_test_set(data_path, device), load_description(data_path)
    used = sorted({v.fakes for v in variants.values()} - {"none"})
    sources = {name: load_fakes(fakes_paths[name], description, made_by=MADE_BY[name]) for name in used}
    cells = variant_cells(variants, params.grid.seeds_for(level))
    rows = train_cells(real, test, sources, variants, cells, params.classifier, params.augment, f"retrain@{level}",
                       description.n_classes)
    save_csv(results_path, rows)

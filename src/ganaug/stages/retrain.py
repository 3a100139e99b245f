"""retrain: LeNet-5s on real + fakes for every variant, ratio and seed of a level.

    ganaug retrain --level 500 --data ... --subsets ... --fakes ... --pca_fakes ... --leaky_fakes ... --results ...

Every from-scratch cell at a level gets the same number of optimizer steps, so a difference
between cells comes from the data, not from more training. The real-only row is trained
once per seed; every variant is compared with it, seed by seed, in the report.
"""
from __future__ import annotations


from ganaug.pipeline import stage_files
from ganaug.data.tensors import load_fakes, load_level, load_test_set
from ganaug.data.description import load_description
from ganaug.pipeline.io import save_csv
from ganaug.params.project import Params, ParamsError
from ganaug.pipeline.runtime import resolve_device, resolve_precision, seed_everything
from ganaug.training.cells import train_cells, variant_cells

MADE_BY = {"gan": "dvc repro generate", "pca": "dvc repro pca", "leaky": "dvc repro generate"}  # rerun hints


def run(params: Params, level: int, files: stage_files.Retrain) -> None:
    """Only the fakes that an enabled variant uses are read (the leaky ones only by an enabled leaky variant)."""
    leaky = [name for name, variant in params.enabled_variants().items() if variant.fakes == "leaky"]
    if leaky and files.leaky_fakes is None:
        raise ParamsError(f"--leaky_fakes: needed by the enabled variant {leaky[0]}; give the fakes of grid.leaky_level")
    seed_everything(params.seed)
    device = resolve_device(params.device)
    variants = params.enabled_variants()
    real = load_level(files.data, files.subsets, level, device)
    test, description = load_test_set(files.data, device), load_description(files.data)
    used = sorted({v.fakes for v in variants.values()} - {"none"})
    fakes_paths = {"gan": files.fakes, "pca": files.pca_fakes, "leaky": files.leaky_fakes}
    sources = {name: load_fakes(fakes_paths[name], description, made_by=MADE_BY[name]) for name in used}
    cells = variant_cells(variants, params.grid.seeds_for(level))
    rows = train_cells(real, test, sources, variants, cells, params.classifier, params.augment, f"retrain@{level}",
                       description.n_classes, resolve_precision(params.precision, device))
    save_csv(files.results, rows)

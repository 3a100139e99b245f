"""``ganaug sweep SWEEP.yaml``: every point of a grid as a DVC experiment, on Ray; ``ganaug sweep report``."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ganaug.cli.support import user_errors
from ganaug.pipeline.errors import ParamsError, UserError


class DefaultRun(click.Group):
    """``ganaug sweep FILE`` means ``ganaug sweep run FILE``; ``report`` is the other command."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def project_root() -> Path:
    root = Path.cwd()
    if not (root / "dvc.yaml").exists() or not (root / ".git").exists():
        raise UserError(f"{root}: run ganaug sweep at the root of a git + DVC project (dvc.yaml and .git here)")
    return root


@click.group("sweep", cls=DefaultRun)
def sweep() -> None:
    """Sweeps: `ganaug sweep SWEEP.yaml` runs a grid of experiments on Ray; `ganaug sweep report SWEEP.yaml` tables them."""


@sweep.command("run")
@click.argument("sweep_file", type=click.Path(path_type=Path))
@click.option("--address", envvar="RAY_ADDRESS", help="A running Ray cluster (or RAY_ADDRESS); none: Ray on this machine.")
@click.option("--cpus", type=int, help="Without --address: the CPUs Ray may use here (default: all).")
def run_command(sweep_file: Path, address: str | None, cpus: int | None) -> None:
    """Run every point of SWEEP_FILE not done before, each as a DVC experiment; pull them all back."""
    from ganaug.sweep.engine import plan, run_sweep
    from ganaug.sweep.spec import load_spec

    with user_errors():
        spec, root = load_spec(sweep_file), project_root()
        try:
            commit, points, waits = plan(spec, root)
            failed = run_sweep(spec, root, commit, points, waits, address, cpus)
        except ParamsError as error:
            raise ParamsError(f"{sweep_file}: {error}") from None
        except KeyboardInterrupt:
            sys.exit(130)  # the engine said what was cancelled and kept
    if failed:
        click.echo(f"Error: {len(failed)} point(s) failed: {', '.join(failed)} (their errors are above and in "
                   f"{spec.out_dir}/points.json)", err=True)
        sys.exit(1)
    click.echo(f"every point done: `dvc exp show` or `ganaug show` lists them; `ganaug sweep report {sweep_file}` tables them")


@sweep.command("report")
@click.argument("sweep_file", type=click.Path(path_type=Path))
def report_command(sweep_file: Path) -> None:
    """Table every point of SWEEP_FILE: per dataset, generator and level, does it pay (CSV, Markdown, figure)."""
    from ganaug.sweep.report import write_report
    from ganaug.sweep.spec import load_spec

    with user_errors():
        spec = load_spec(sweep_file)
        written = write_report(spec, project_root())
    click.echo("\n".join(str(path) for path in written))

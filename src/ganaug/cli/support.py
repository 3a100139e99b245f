"""What every ``ganaug`` command shares: its path options, params loading and one-line errors.

``stage`` wraps a stage's command: it loads and validates the whole params file, refuses a
``--level`` outside ``prepare.levels``, and turns the project's own errors into one line on stderr.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from collections.abc import Iterator
from pathlib import Path

import click

from ganaug.params.strict import ParamsError
from ganaug.pipeline.errors import UserError

log = logging.getLogger("ganaug")

PathOption = functools.partial(click.option, type=click.Path(path_type=Path), required=True)
params_option = click.option(
    "--params", "params_path", type=click.Path(path_type=Path), default="params.yaml",
    show_default=True, help="Params file to validate and read.",
)
level_option = click.option("--level", type=int, required=True, help="Scarcity level: real training images.")


def files_options(cls):
    """One ``--<field>`` option per field of a stage's files (:mod:`ganaug.pipeline.stage_files`), given to it as ``files``."""

    def decorate(function):
        fields = dataclasses.fields(cls)

        @functools.wraps(function)
        def wrapper(**kwargs):
            return function(files=cls(**{f.name: kwargs.pop(f.name) for f in fields}), **kwargs)

        for f in reversed(fields):
            kind = click.STRING if f.metadata["template"] else click.Path(path_type=Path)
            help = f.metadata["help"] + (f" With {f.metadata['template']}." if f.metadata["template"] else "")
            wrapper = click.option(f"--{f.name}", f.name, type=kind, required=f.default is not None, help=help)(wrapper)
        return wrapper

    return decorate


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """The project's own errors become a one-line message and exit 1; anything else is a bug."""
    try:
        yield
    except UserError as error:
        raise click.ClickException(str(error)) from None


def stage(function):
    """Load params, then call the stage, under :func:`user_errors`."""

    @params_option
    @functools.wraps(function)
    def wrapper(params_path: Path, **kwargs):
        import torch  # here, not at the top: `ganaug show` and `ganaug check` start without it

        from ganaug.params.project import load_params

        with user_errors():
            params = load_params(params_path)
            if "level" in kwargs and kwargs["level"] not in params.prepare.levels:
                raise ParamsError(f"--level {kwargs['level']}: not in prepare.levels {list(params.prepare.levels)}")
            # Says whether OMP_NUM_THREADS reached a `dvc queue` worker (see README, Performance).
            log.info("%s on %d CPU threads", function.__name__.removesuffix("_command"), torch.get_num_threads())
            return function(params, **kwargs)

    return wrapper

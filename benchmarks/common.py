"""What the benchmarks share: the project's params and paths (``paths.yaml``, as dvc.yaml reads them),
and the options of a benchmark that prints rows: ``--json`` to keep them, ``--markdown`` to tabulate them.

Run from the project's root after ``dvc repro`` (the prepared dataset and each level's subset and fakes).
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ganaug.params.project import Params, load_params


@dataclass(frozen=True)
class Project:
    """The pipeline's params and the files its stages wrote, by the names paths.yaml gives them."""

    root: Path
    params: Params
    paths: dict

    @property
    def data(self) -> Path:
        return self.root / self.paths["prepared"]

    def level_file(self, level: int, name: str) -> Path:
        """A level's artefact by its file name in dvc.yaml (fakes.npz, judge.pt)."""
        return self.root / self.paths["levels_data"] / str(level) / name

    def subsets(self, level: int) -> Path:
        return self.level_file(level, self.paths["subset"])

    @property
    def n_classes(self) -> int:
        from ganaug.data.description import load_description  # reads the prepared dataset's header only
        return load_description(self.data).n_classes

    def precision(self, device):
        """The dtype the pipeline trains in on ``device`` (params.yaml's precision), None for float32."""
        from ganaug.pipeline.runtime import resolve_precision  # imports torch: not for --markdown
        return resolve_precision(self.params.precision, device)


def load_project(root: Path = Path(".")) -> Project:
    return Project(root, load_params(root / "params.yaml"), yaml.safe_load((root / "paths.yaml").read_text()))


def rows_arguments(doc: str, add: Callable[[argparse.ArgumentParser], None]) -> argparse.Namespace:
    """A benchmark's own options (``add``), then ``--json`` and ``--markdown``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    add(parser)
    parser.add_argument("--json", default=None, help="Also write the rows here.")
    parser.add_argument("--markdown", default=None, help="Print the table of this JSON of rows and stop.")
    return parser.parse_args()


def print_markdown(path: str, markdown: Callable[[list[dict]], list[str]]) -> None:
    with open(path) as handle:
        print("\n".join(markdown(json.load(handle))))


def record(rows: list[dict], row: dict) -> None:
    """Print a finished row at once (a long benchmark shows progress) and keep it."""
    print(json.dumps(row), flush=True)
    rows.append(row)


def save_rows(path: str | None, rows: list[dict]) -> None:
    if path:
        with open(path, "w") as handle:
            json.dump(rows, handle, indent=2)

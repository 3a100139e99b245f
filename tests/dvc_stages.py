"""The real dvc.yaml and compare/dvc.yaml, their stages resolved by DVC itself, run in-process.

``dvc repro`` starts a process per stage (a few seconds of imports each); the fast tests run the
very commands DVC would run, in DVC's order and working directories, through the click CLI in this
process. A command, option or path that is wrong in dvc.yaml is wrong here too.
"""
from __future__ import annotations

import contextlib
import hashlib
import shlex
import shutil
from pathlib import Path

import networkx as nx
import yaml
from click.testing import CliRunner
from dvc.repo import Repo

from ganaug.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
PIPELINE_FILES = ("dvc.yaml", "compare/dvc.yaml", "paths.yaml")
PATHS = yaml.safe_load((ROOT / "paths.yaml").read_text())


def make_project(work: Path, params: dict) -> Path:
    """A DVC project (no git) at ``work``: the pipeline files and ``params`` as its params.yaml."""
    for name in PIPELINE_FILES:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, work / name)
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    Repo.init(str(work), no_scm=True).close()
    return work


def tree_digests(project: Path) -> dict[str, str]:
    """sha256 of every file of a project, the DVC cache included; git's and DVC's own scratch (.dvc/tmp) left out."""
    return {str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(project.rglob("*"))
            if path.is_file() and not {".git", "tmp"} & set(path.relative_to(project).parts[:2])}


def resolved_stages(project: Path) -> list:
    """Every stage of the project's pipelines, foreach expanded, in an order that runs dependencies first."""
    with Repo(str(project)) as repo:
        return list(nx.topological_sort(repo.index.graph.reverse()))


def split(cmd: str) -> tuple[str, dict[str, str]]:
    """``ganaug <command> --a x --b y`` -> (command, {a: x, b: y})."""
    program, command, *words = shlex.split(cmd)
    assert program == "ganaug" and len(words) % 2 == 0, cmd
    return command, {key.removeprefix("--"): value for key, value in zip(words[::2], words[1::2])}


def run_stages(project: Path) -> list[str]:
    """Run every stage's command as DVC would (in its wdir), failing on the first error; the stages run."""
    ran = []
    for stage in resolved_stages(project):
        with contextlib.chdir(stage.wdir):
            result = CliRunner().invoke(main, shlex.split(stage.cmd)[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{stage.name}: {result.output}"
        ran.append(stage.name)
    return ran

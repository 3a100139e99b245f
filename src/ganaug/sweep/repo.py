"""The head's side of the shared remotes: the sweep's commit, where the remotes are, what is done.

The points run a commit, not the working tree: ``snapshot`` gives the pipeline files and the base
params as that commit has them, so the points are checked and planned against what will run.
"""
from __future__ import annotations

import contextlib
import logging
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ganaug.pipeline.errors import ParamsError, UserError
from ganaug.sweep.plan import PIPELINE_FILES
from ganaug.sweep.spec import SweepSpec

log = logging.getLogger("ganaug.sweep")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+@[\w.-]+:")  # s3://, ssh://, https://, git@host:path


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise UserError(f"git {' '.join(args)}: {lines[-1] if lines else 'failed'}")
    return done.stdout.strip()


def located(root: Path, where: str | None, default: Path | None) -> str | None:
    """A remote or folder as every node must read it: a URL as given, a path made absolute against the head's root."""
    if where is None:
        return None if default is None else str(default)
    return where if URL.match(where) else str((root / where).resolve())


def remotes(spec: SweepSpec, root: Path) -> tuple[str, str]:
    """The shared git and DVC remotes: the sweep file's, else folders under build/sweeps/<name>/."""
    folder = root / "build" / "sweeps" / spec.name
    git_remote = located(root, spec.remotes.git, folder / "git.git")
    if spec.remotes.git is None and not Path(git_remote).exists():
        git(root, "init", "--quiet", "--bare", git_remote)
    return git_remote, located(root, spec.remotes.dvc, folder / "dvc")


def publish(root: Path, spec: SweepSpec, git_remote: str, commit: str) -> None:
    """Push the sweep's commit (this repository's HEAD) to the git remote as sweeps/<name>."""
    if git(root, "status", "--porcelain", "--untracked-files=no"):
        log.warning("uncommitted changes are not part of the sweep: its points run commit %s", commit[:7])
    git(root, "push", "--quiet", "--force", git_remote, f"{commit}:refs/heads/sweeps/{spec.name}")


def done_before(git_remote: str, root: Path, commit: str) -> dict[str, str]:
    """Experiments on the git remote with this commit as baseline: name -> commit. How a rerun skips them."""
    prefix = f"refs/exps/{commit[:2]}/{commit[2:]}/"
    listed = git(root, "ls-remote", git_remote, f"{prefix}*")
    return {ref.removeprefix(prefix): sha for sha, ref in (line.split() for line in listed.splitlines())}


def show(root: Path, commit: str, path: str) -> bytes | None:
    """``path`` as ``commit`` has it; None when it has no such file."""
    done = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True)
    return done.stdout if done.returncode == 0 else None


@contextlib.contextmanager
def snapshot(root: Path, commit: str, base: str) -> Iterator[Path]:
    """A folder with the pipeline files and ``base`` as ``commit`` has them."""
    with tempfile.TemporaryDirectory() as folder:
        for name in (*PIPELINE_FILES, base):
            content = show(root, commit, name)
            if content is None:
                if name == base:
                    raise ParamsError(f"base: {base} is not in commit {commit[:7]}, which every point runs; commit it first")
                continue
            (Path(folder) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_bytes(content)
        yield Path(folder)

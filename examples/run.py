"""Run the pipeline on another params file, in a project of its own, and keep its reports apart.

    python examples/run.py examples/digits.yaml reports/digits

Builds a fresh git + DVC project under ``build/<name>/`` (git-ignored) with this repository's
``dvc.yaml``, ``paths.yaml`` and ``src/`` and the given file as its ``params.yaml``, runs
``dvc repro`` there, and copies its ``reports/`` to the output folder, with the params it ran
with and ``run.json`` (the repro's wall time and the machine). The committed MNIST run in
``reports/`` is never touched, and the project is the one a user of DVC would have: the same
stages, the same deps, its own lock and cache. The end-to-end tests build their projects the
same way (``make_project``).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's dvc and ganaug


def sh(*command: str, cwd: Path, ok: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a command in the project with the venv first on PATH (and ``env`` set); output captured, failure shown."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1", **(env or {})}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if ok and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def make_project(params: Path, work: Path) -> Path:
    """A committed git + DVC project at ``work`` with the pipeline and ``params`` as its params.yaml."""
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("dvc.yaml", "paths.yaml", "compare/dvc.yaml"):  # DVC parses every dvc.yaml, compare's too
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, work / name)
    shutil.copy(params, work / "params.yaml")
    (work / ".gitignore").write_text("/data/\n__pycache__/\n")
    sh("git", "init", "-q", cwd=work)
    sh("git", "config", "user.email", "ganaug@example.com", cwd=work)
    sh("git", "config", "user.name", "ganaug", cwd=work)
    sh("dvc", "init", "-q", cwd=work)
    shutil.copytree(ROOT / ".dvc" / "plots", work / ".dvc" / "plots")  # the dashboard's templates (dvc.yaml's plots)
    sh("git", "add", "-A", cwd=work)
    sh("git", "commit", "-qm", "the pipeline", cwd=work)  # as a clone has: DVCLive names its run after a commit
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("params", type=Path, help="the params file to run with")
    parser.add_argument("out", type=Path, help="where its reports go (replaced)")
    args = parser.parse_args()
    work = ROOT / "build" / args.params.stem
    shutil.rmtree(work, ignore_errors=True)
    make_project(args.params.resolve(), work)
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "dvc"), "repro"], cwd=work)  # progress on the terminal
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"dvc repro failed in {work}; its outputs are kept there")
    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(work / "reports", args.out)
    shutil.copy(work / "params.yaml", args.out / "params.yaml")
    shutil.copy(work / "dvc.lock", args.out / "dvc.lock")
    # How long the whole `dvc repro` took from a fresh project (MNIST's fetch included), and where.
    timing = {"dvc_repro_seconds": round(seconds, 1), **json.loads((work / "reports" / "machine.json").read_text())}
    (args.out / "run.json").write_text(json.dumps(timing, indent=2) + "\n")
    print(f"reports of {args.params} in {args.out}")


if __name__ == "__main__":
    main()

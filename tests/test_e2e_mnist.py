"""One small real run: `dvc repro` on real MNIST with the CI profile, then the accuracy gate.

Copies the pipeline (dvc.yaml, src/, tests/e2e/params.yaml as params.yaml) into a fresh git +
DVC project in tmp_path, so it exercises exactly what a user runs, MNIST download included.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's dvc and ganaug


def sh(*command: str, cwd: Path) -> str:
    """Run a command in the project with the venv first on PATH; return its stdout."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "dvc.yaml", work / "dvc.yaml")
    shutil.copy(ROOT / "tests/e2e/params.yaml", work / "params.yaml")
    (work / ".gitignore").write_text("/data/\n__pycache__/\n")
    sh("git", "init", "-q", cwd=work)
    sh("git", "config", "user.email", "ci@example.com", cwd=work)
    sh("git", "config", "user.name", "ci", cwd=work)
    sh("dvc", "init", "-q", cwd=work)
    sh("dvc", "repro", cwd=work)
    sh("git", "add", "-A", cwd=work)
    sh("git", "commit", "-qm", "ci run", cwd=work)
    return work


@pytest.mark.slow
def test_repro_produces_the_report(project):
    for name in ("accuracy_table.md", "accuracy_table.csv", "figures/accuracy_vs_ratio.png", "metrics.json"):
        assert (project / "reports" / name).exists(), name
    summary = json.loads((project / "reports/levels/500/generate.json").read_text())
    assert summary["tarr"] > 0.5, "the CI GAN should already draw digits its judge mostly recognises"


@pytest.mark.slow
def test_headline_accuracy_meets_the_committed_floor(project):
    output = sh("ganaug", "check", "--metrics", "reports/metrics.json", "--floor", str(ROOT / "tests/e2e/floor.json"), cwd=project)
    assert "pass" in output


@pytest.mark.slow
def test_changing_ratio_reruns_only_the_experiment(project):
    output = sh("dvc", "exp", "run", "-S", "ratio=0.25", cwd=project)
    ran = {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")}
    assert ran == {"experiment"}, output
    shown = json.dumps(json.loads(sh("dvc", "exp", "show", "--json", cwd=project)))
    assert '"ratio": 0.25' in shown and '"ratio": 0.5' in shown  # the new experiment beside the old

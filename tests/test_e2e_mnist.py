"""The small real run: `dvc repro` on real MNIST with the CI profile, and the regression gate.

Copies the pipeline (dvc.yaml, src/, tests/e2e/params.yaml as params.yaml) into a fresh git +
DVC project, so it exercises what a user runs, MNIST download included. Then it proves the
gate: the committed baseline passes, an injected regression (a learning rate of 1e-6, as good
as zero) fails and a harmless change (other seeds) passes. That the same params give the same
numbers, every report byte for byte, is checked through the same dvc.yaml on tiny data
(tests/test_pipeline_tiny.py), at a tenth of the cost.
"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from examples import run
from tests.dvc_stages import tree_digests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's dvc and ganaug

pytestmark = pytest.mark.slow


def sh(*command: str, cwd: Path, ok: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a command in the project with the venv first on PATH (and ``env`` set)."""
    done = run.sh(*command, cwd=cwd, ok=False, env=env)
    if ok:
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = run.make_project(ROOT / "tests/e2e/params.yaml", tmp_path_factory.mktemp("project"))
    sh("dvc", "repro", cwd=work)
    sh("git", "add", "-A", cwd=work)
    sh("git", "commit", "-qm", "baseline run", cwd=work)
    return work


@pytest.fixture
def clean(project):
    """The project as committed, before and after each test that changes it."""
    yield project
    sh("git", "reset", "--hard", "-q", cwd=project)
    # The main pipeline's outputs only: the comparison (compare/dvc.yaml) never ran here, so it has none.
    sh("dvc", "checkout", "--force", "-q", "dvc.yaml", cwd=project)


def check(project: Path, *baseline: str) -> subprocess.CompletedProcess:
    return sh("ganaug", "check", "--metrics", "reports/metrics.json", *baseline, cwd=project, ok=False)


def test_repro_produces_the_report(project):
    for name in ("accuracy_table.md", "accuracy_table.csv", "figures/accuracy_vs_ratio.png", "figures/exchange_rate.png",
                 "metrics.json"):
        assert (project / "reports" / name).exists(), name
    summary = json.loads((project / "reports/levels/500/generate.json").read_text())
    assert summary["tarr"] > 0.5, "the CI GAN should already draw digits its judge mostly recognises"


def test_headline_accuracy_meets_the_committed_baseline(project):
    done = check(project, "--baseline", str(ROOT / "tests/e2e/baseline.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout and "pass" in done.stdout


def test_a_fresh_clone_pulls_the_cache_and_reruns_only_the_experiment(clean, tmp_path):
    """With a remote (a local folder here; S3 or SSH alike): push, clone, pull, then `dvc exp run -S ratio=...`
    reruns only validate and experiment, and the documented `dvc exp show` (docs/dvc.md) fits 120 columns."""
    remote = ("dvc", "remote", "add", "--local", "-d", "store", str(tmp_path / "remote"))  # committed: without --local
    sh(*remote, cwd=clean)
    sh("dvc", "push", "-q", cwd=clean)
    sh("git", "clone", "-q", str(clean), str(tmp_path / "clone"), cwd=tmp_path)
    clone = tmp_path / "clone"
    sh(*remote, cwd=clone)
    sh("dvc", "pull", "-q", "dvc.yaml", cwd=clone)  # the main pipeline's: the comparison never ran here
    assert "up to date" in sh("dvc", "status", "dvc.yaml", cwd=clone).stdout.lower()
    gate = sh("bash", str(ROOT / ".ci/gate"), cwd=clone, env={"GATE_BASE": "origin/HEAD"})  # CI's steps, as committed
    assert "| accuracy |" in (clone / "gate.md").read_text() and "FAIL" not in gate.stdout, gate.stdout
    (clone / "gate.md").unlink()
    output = sh("dvc", "exp", "run", "-S", "ratio=0.25", cwd=clone).stdout
    ran = {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")}
    assert ran == {"validate", "experiment"}, output  # validate reruns on every params change, and nothing else
    shown = json.dumps(json.loads(sh("dvc", "exp", "show", "--json", cwd=clone).stdout))
    assert '"ratio": 0.25' in shown and '"ratio": 0.5' in shown  # the new experiment beside the old
    diff = json.loads(sh("dvc", "plots", "diff", "HEAD", "--json", "-o", str(tmp_path / "plots"), cwd=clone).stdout)
    (headline,) = [entries for name, entries in diff["data"].items() if name.startswith("The headline cell")]
    assert sorted(headline[0]["revisions"]) == ["HEAD", "workspace"]  # both drawn
    documented = re.search(r"^(dvc exp show .+)$", (ROOT / "docs/dvc.md").read_text(), re.MULTILINE).group(1)
    table = sh(*shlex.split(documented), cwd=clone, env={"COLUMNS": "120"}).stdout.splitlines()  # a terminal that wide
    assert len(table) >= 4 and max(map(len, table)) <= 120, "\n".join(table)
    assert any("0.25" in line for line in table) and "worth" in table[0] + table[1]


def drop_section(text: str, name: str) -> str:
    lines, out, inside = text.splitlines(keepends=True), [], False
    for line in lines:
        inside = line.startswith(f"{name}:") or (inside and (line.startswith(" ") or not line.strip()))
        if not inside:
            out.append(line)
    return "".join(out)


def tamper_mnist(project: Path) -> None:
    import numpy as np

    path = project / "data/prepared/dataset.npz"
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["x_train"][0, 0, 0] ^= 1  # one pixel
    tampered = path.with_suffix(".tmp.npz")
    np.savez(tampered, **arrays)
    os.replace(tampered, path)  # a new file: the DVC cache behind a link must stay intact


@pytest.mark.parametrize("fault, message", [
    ("threshold", "Error: filter.threshold = 1.5: allowed: a probability in [0, 1]"),
    ("missing section", "Error: params.yaml: lacks filter, which stage generate of dvc.yaml tracks"),
    ("tampered mnist", "Error: MNIST from existing copy data/prepared/dataset.npz: x_train has sha256"),
])
def test_refused_input_under_dvc_repro_changes_no_file(clean, fault, message):
    """Refused by validate (a value, a tracked section missing) or fetch (one pixel of MNIST changed):
    every file of the project as it was, those of the refusing stage included (persist), and one
    `Error:` line."""
    params = clean / "params.yaml"
    if fault == "threshold":
        params.write_text(params.read_text().replace("threshold: 0.9", "threshold: 1.5", 1))
    elif fault == "missing section":
        params.write_text(drop_section(params.read_text(), "filter"))
    else:
        tamper_mnist(clean)
    before = tree_digests(clean)
    done = sh("dvc", "repro", cwd=clean, ok=False)
    errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("Error:")]
    assert done.returncode != 0 and len(errors) == 1 and message in errors[0], done.stdout + done.stderr
    assert tree_digests(clean) == before


def test_gate_fails_on_an_injected_regression(clean):
    # The stages the gate reads only (validate, experiment): upstream, the judge, GANs and grid would
    # retrain at this rate too, a minute more for the same verdict.
    sh("dvc", "exp", "run", "--single-item", "-S", "classifier.lr=0.000001", "validate", "experiment", cwd=clean)
    done = check(clean, "--rev", "HEAD")
    assert done.returncode == 1, done.stdout
    assert "FAIL" in done.stdout and "accuracy regression" in done.stderr
    markdown = check(clean, "--rev", "HEAD", "--format", "markdown")
    assert "**FAIL**" in markdown.stdout and markdown.returncode == 1
    report = json.loads(check(clean, "--rev", "HEAD", "--format", "json").stdout)
    assert report["passed"] is False and not report["metrics"][0]["passed"]


def test_gate_passes_a_harmless_change(clean):
    sh("dvc", "exp", "run", "-S", "experiment.seeds=[4,5,6,7]", cwd=clean)
    assert json.loads((clean / "reports/metrics.json").read_text()) != json.loads(
        sh("git", "show", "HEAD:reports/metrics.json", cwd=clean).stdout
    ), "other seeds should change the numbers a little"
    done = check(clean, "--rev", "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr


def wait_for_stage(pid: int, command: str, timeout: float = 60) -> None:
    """Block until the process ``pid`` has a descendant running ``command`` (psutil comes with DVC)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in psutil.Process(pid).children(recursive=True):
            try:
                if command in " ".join(child.cmdline()):
                    return
            except psutil.Error:  # it ended while we looked
                continue
        time.sleep(0.1)
    raise AssertionError(f"{command} did not start within {timeout} s")


def test_a_second_repro_is_refused_and_a_killed_repro_finishes_on_rerun(clean):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    first = subprocess.Popen(
        ["dvc", "repro", "--force", "--single-item", "experiment"], cwd=clean, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    wait_for_stage(first.pid, "ganaug experiment")
    time.sleep(1)  # into its training
    second = sh("dvc", "repro", cwd=clean, ok=False)
    assert second.returncode != 0 and "lock" in (second.stdout + second.stderr).lower()
    os.killpg(first.pid, signal.SIGKILL)  # dvc and the stage it runs, mid-work
    first.wait()
    sh("dvc", "repro", cwd=clean)
    assert sh("dvc", "status", "--quiet", "dvc.yaml", cwd=clean, ok=False).returncode == 0  # compare's never ran
    changed = sh("git", "status", "--porcelain", "reports", cwd=clean).stdout
    assert changed == "", f"the rerun after a kill changed committed results:\n{changed}"

"""`ganaug sweep` on a real Ray cluster of three nodes on 127.0.0.1, with a bare git remote and a folder DVC remote.

One tiny sweep (one npz of synthetic digits x 2 ratios) runs on the cluster while the worker node its
first point starts on is SIGKILLed mid-point: the point starts again on the other worker node.
Every point must be in `dvc exp show` on the head, its metrics those of a plain `dvc exp run` of the
same params (one thread, as the points have) byte for byte, and the point that differs only in ratio
must not retrain what it shares. The same sweep on the local default (no address: Ray on this
machine, the same remotes) then finds those 2 points done, runs 2 more on a broken npz that fail
with their one line, and is reported; Ctrl-C cancels a third ratio's point and keeps the 2.
Ray's processes are stopped by pid (never `ray stop`, which stops every Ray on the machine).
"""
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml
from ray.cluster_utils import Cluster

from examples import run
from ganaug.sweep.spec import override_value
from tests.test_pipeline_tiny import pipeline_params, tiny_npz

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
SHARED = {"prepare@100", "judge@100", "train_generator@100", "generate@100", "pca@100", "retrain@100", "reference",
          "curve", "evaluate@100", "report"}  # what two points that differ only in ratio have in common
NAME = "tiny"  # one sweep: the cluster runs it, the local default finds its points done


def sh(*command: str, cwd: Path, **env: str) -> str:
    done = run.sh(*command, cwd=cwd, ok=False, env=env)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def sweep_params(data: Path) -> dict:
    """The tiny profile at one level, with only the filtered GAN variant: a point is about 13 stage processes."""
    tiny = pipeline_params({"name": "npz", "path": str(data / "a.npz")})
    return {**tiny, "scarcity": 100, "prepare": {**tiny["prepare"], "levels": [100]}, "curve": {"levels": [100], "seeds": 2},
            "train_generator": {**tiny["train_generator"], "seeds": {100: 1}},
            "grid": {**tiny["grid"], "seeds": {100: 2}, "leaky_level": 100},
            "variants": {"gan_filtered": {"fakes": "gan", "ratios": [0.5, 1]},
                         "leaky": {"fakes": "leaky", "ratios": [0.5], "enabled": False}}}


def write_sweep(project: Path, name: str, data: Path, ratios=(0.5, 1.0), datasets=("a.npz",), **settings) -> Path:
    grid = {"dataset.path": [str(data / name) for name in datasets], "ratio": list(ratios)}
    path = project / "build" / f"{name}.yaml"  # build/ is git-ignored: the sweep file need not be committed
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump({"name": name, "grid": grid, **settings}))
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    tiny_npz(folder / "a.npz")
    (folder / "broken.npz").write_bytes(b"not a zip file")  # passes the params check; fetch refuses it
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory, data) -> Path:
    params = tmp_path_factory.mktemp("params") / "params.yaml"
    params.write_text(yaml.safe_dump(sweep_params(data)))
    work = run.make_project(params, tmp_path_factory.mktemp("head") / "project")
    (work / ".gitignore").write_text("/data/\n__pycache__/\n/build/\n")
    sh("git", "commit", "-qam", "ignore build/", cwd=work)
    return work


@pytest.fixture(scope="module")
def cluster():
    """A head without CPUs (the driver's) and two worker nodes of one CPU each: a point runs on a worker node (the
    ratio-1.0 point waits for its sibling), so a point on a killed node starts again at once on the idle one. Stopped
    by pid, SIGKILL, at the end (raylets ignore SIGTERM)."""
    cluster = Cluster(initialize_head=True, connect=False, head_node_args={"num_cpus": 0, "include_dashboard": False})
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    yield cluster, workers
    pids = [p.process.pid for node in cluster.list_all_nodes() for kind in node.all_processes.values() for p in kind]
    cluster.shutdown()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def watched(command: list[str], project: Path, stderr=subprocess.PIPE) -> subprocess.Popen:
    """The sweep driver, its lines to read as they come; killed after 10 minutes, so a hung sweep fails the test."""
    driver = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=stderr, text=True,
                              env={**os.environ, "PATH": f"{run.BIN}{os.pathsep}{os.environ['PATH']}"})
    timer = threading.Timer(600, driver.kill)
    timer.daemon = True
    timer.start()
    return driver


def points(project: Path, name: str) -> list[dict]:
    manifest = json.loads((project / "reports" / "sweeps" / name / "points.json").read_text())
    return manifest["points"]


def metrics_at(project: Path, commit: str) -> bytes:
    return subprocess.run(["git", "show", f"{commit}:reports/metrics.json"], cwd=project, capture_output=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def serial(tmp_path_factory, project, data) -> dict[tuple[str, ...], bytes]:
    """Plain `dvc exp run -S ...` of every point, one thread as the points have, one after another in a clone of
    the project: point overrides -> metrics bytes."""
    clone = tmp_path_factory.mktemp("serial") / "clone"
    sh("git", "clone", "-q", str(project), str(clone), cwd=project)
    runs = {}
    for ratio in (0.5, 1.0):
        overrides = (f"dataset.path={override_value(str(data / 'a.npz'))}", f"ratio={override_value(ratio)}")
        sh("dvc", "exp", "run", *[a for o in overrides for a in ("-S", o)], cwd=clone, OMP_NUM_THREADS="1",
           MKL_NUM_THREADS="1")
        runs[overrides] = (clone / "reports" / "metrics.json").read_bytes()
    return runs


def check_sweep(project: Path, name: str, reference, shown: str) -> None:
    """Every point is in `dvc exp show`, equals the serial reference, and reused what it shares with its parent."""
    done = [p for p in points(project, name) if "broken" not in p["axes"]["dataset.path"]]
    assert len(done) == 2 and all(p["result"]["ok"] for p in done)
    assert all(p["name"] in shown for p in done)
    for point in done:
        assert metrics_at(project, point["result"]["exp"]) == reference[tuple(point["overrides"])], point
    assert sorted(p["axes"]["ratio"] for p in done) == [0.5, 1.0]
    for point in done:
        if point["axes"]["ratio"] == 1.0:  # waits for its ratio-0.5 sibling, and trains nothing it shares with it
            assert point["waits_for"] is not None
            assert SHARED <= set(point["result"]["stages_reused"]), point["result"]
            assert set(point["result"]["stages_run"]) <= {"validate", "experiment"}


def test_a_bad_sweep_file_is_one_line_and_makes_nothing(project, data):
    bad = write_sweep(project, "bad", data, ratios=(7.5, 1.0))
    done = run.sh("ganaug", "sweep", str(bad), cwd=project, ok=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"Error: {bad}: point dataset.path={data / 'a.npz'} ratio=7.5: "
                                                "ratio = 7.5: allowed: a number in [0, generate.max_ratio=1.0]"]
    assert not (project / "build" / "sweeps" / "bad").exists()
    assert sh("git", "for-each-ref", "refs/exps", cwd=project) == ""


def test_a_sweep_on_a_cluster_survives_a_worker_node_killed(project, data, cluster, serial):
    ray_cluster, workers = cluster
    sweep = write_sweep(project, NAME, data, max_retries=2)
    driver = watched([str(run.BIN / "ganaug"), "sweep", str(sweep), "--address", ray_cluster.address], project,
                     stderr=subprocess.STDOUT)
    lines, killed, dead = [], None, None
    for line in driver.stdout:
        lines.append(line)
        on = [w for w in workers if f"/{w.node_id[:6]}" in line]
        if killed is None and " start " in line and on:
            dead = on[0]
            time.sleep(5)  # mid-point: its clone made, its first stages running
            raylet = psutil.Process(dead.all_processes["raylet"][0].process.pid)
            rest = raylet.children(recursive=True)  # its Ray workers, the point's supervisor, dvc, the stage
            raylet.kill()  # SIGKILL, by pid
            for process in rest:  # a worker outlives its raylet long enough to finish a point: a dead node's don't
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
            killed = line.split()[2]
    assert driver.wait(timeout=600) == 0, "".join(lines)
    assert killed, "no point started on a worker node:\n" + "".join(lines)
    assert sum(f" start  {killed} " in line for line in lines) == 2, "".join(lines)  # started again, on a live node
    assert all(f"/{dead.node_id[:6]}" not in p["result"]["node"] for p in points(project, NAME))
    check_sweep(project, NAME, serial, sh("dvc", "exp", "show", "--no-pager", "--csv", cwd=project))


def test_the_local_default_finds_the_points_done_and_reports_a_failed_one(project, data):
    """The cluster's sweep with a broken npz added: its 2 points are found in the remotes (their names are the
    commit's, the base's and the overrides' digest), the 2 new ones fail with their one line, and it is reported."""
    sweep = write_sweep(project, NAME, data, datasets=("a.npz", "broken.npz"))
    done = run.sh("ganaug", "sweep", str(sweep), "--cpus", "2", cwd=project, ok=False)
    broken = [p["name"] for p in points(project, NAME) if "broken" in p["axes"]["dataset.path"]]
    assert done.returncode == 1 and len(broken) == 2, done.stdout + done.stderr
    assert "2 of 4 points done before" in done.stdout
    assert done.stderr.strip().splitlines()[-1].startswith(f"Error: 2 point(s) failed: {', '.join(broken)} ")
    failed = [line for line in done.stdout.splitlines() if "FAIL" in line]  # each with its one error line
    assert len(failed) == 2 and all("broken.npz" in line for line in failed), done.stdout
    kept = [p for p in points(project, NAME) if "broken" not in p["axes"]["dataset.path"]]
    assert len(kept) == 2 and all(p["result"]["ok"] and p["result"]["skipped"] for p in kept)
    report = run.sh("ganaug", "sweep", "report", str(sweep), cwd=project, ok=False)
    assert report.returncode == 0, report.stderr
    rows = (project / f"reports/sweeps/{NAME}/report.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[0].startswith("dataset.path,level,real_only,")  # ratio is not the grid's: 1 row


def test_ctrl_c_cancels_what_is_left_and_keeps_what_finished(project, data):
    """The sweep again on the local default with a third ratio: its 2 points are done before; Ctrl-C once the
    new one runs its stages. The command exits 130 and the 2 stay."""
    sweep = write_sweep(project, NAME, data, ratios=(0.5, 1.0, 0.25))
    driver = watched([str(run.BIN / "ganaug"), "sweep", str(sweep), "--cpus", "2"], project)
    clones = Path(tempfile.gettempdir()) / "ganaug-sweeps" / NAME
    lines = []
    for line in driver.stdout:
        lines.append(line)
        if " start " in line:
            started = line.split()[2]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any("Running stage" in log.read_text()
                                                          for log in clones.glob(f"{started}-*.log")):
                time.sleep(0.2)
            driver.send_signal(signal.SIGINT)
            break
    assert driver.wait(timeout=120) == 130, "".join(lines) + driver.stderr.read()
    assert "2 of 3 points done before" in lines[0]
    assert "points cancelled; the finished ones are kept" in driver.stderr.read()
    # Not asserted: that nothing the cancelled point started runs on. Its `dvc exp run` was seen running
    # seconds after the exit (docs/scaling.md); `ps` shows it by its clone's folder.
    kept = {p["name"] for p in points(project, NAME) if p["result"]["ok"]}
    assert len(kept) == 2 and started not in kept
    shown = sh("dvc", "exp", "show", "--no-pager", "--csv", cwd=project)
    assert all(name in shown for name in kept)

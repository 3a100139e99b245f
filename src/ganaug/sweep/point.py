"""One point of a sweep, on whichever node runs it: a clone, `dvc exp run -S ...`, then push.

In order, in a fresh clone of the sweep's git remote at the sweep's commit:
1. the shared DVC remote becomes the clone's default;
2. the experiment this point waits for (``plan``), if any, is pulled (`dvc exp pull`) and its files
   and the pipeline's outputs checked out (as `dvc exp apply` would, but of dvc.yaml only: the
   comparison's outputs are not an experiment's): its outputs and dvc.lock are the workspace, so every stage the two share is
   unchanged and skipped. The run-cache alone cannot do this here: DVC saves no run-cache entry
   for a stage with an uncached output that is not a metric or plot (dvc/stage/__init__.py,
   ``no_cache_outs``), and most stages keep their small results in git;
3. params.yaml is the base params file (the sweep's commit's own, or ``base``), nothing inherited;
4. `dvc exp run --pull -n NAME -S ...`, torch's threads at the CPUs Ray gave the point; --pull also
   fetches the remote's run-cache, so a stage another point ran whose outputs are all in the
   cache (prepare) is checked out from it;
5. `dvc push --run-cache` (outputs and run-cache) and `dvc exp push` (the experiment's ref).
The clone is removed when the point is pushed; a failed point keeps it, and its log, for a look.
Nothing here imports Ray: the benchmark runs points one after another without it.
"""
from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ganaug.sweep.spec import Point

RAN = re.compile(r"Running stage '([^']+)'")
RESTORED = re.compile(r"Stage '([^']+)' is cached - skipping run")  # from the run-cache
UNCHANGED = re.compile(r"Stage '([^']+)' didn't change, skipping")  # as the parent experiment left it


@dataclass(frozen=True)
class PointJob:
    sweep: str
    point: Point
    commit: str  # the sweep's commit, on the git remote
    base: str | None  # params file in the repository copied onto params.yaml first
    git_remote: str
    dvc_remote: str
    threads: int  # OMP_NUM_THREADS for the point's stages
    workdir: str | None  # where to clone; None = the temp dir
    headline: str  # the headline metrics file in the project (paths.yaml: headline)
    parent: str | None = None  # the finished experiment whose workspace this point starts from


class PointFailed(Exception):
    """A command of the point failed; the message is its last error line."""


def point_env(threads: int | None = None) -> dict[str, str]:
    """This interpreter's dvc and ganaug first on PATH; torch's threads at ``threads`` when given."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "DVC_NO_ANALYTICS": "1"}
    return env if threads is None else {**env, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


def last_error(text: str) -> str:
    """The line a person needs: ganaug's own `Error: ...` (it names the key or file), else DVC's or git's, else the last."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for prefixes in (("Error:",), ("ERROR:", "fatal:"), ("",)):
        found = [line for line in lines if line.startswith(prefixes)]
        if found:
            return found[-1]
    return "(no output)"


def sh(command: list[str], cwd: Path, log: Path, threads: int) -> str:
    """Run ``command`` under the supervisor (its processes die with this one); its output goes to ``log`` as it
    comes (`tail -f` follows a point) and is returned."""
    supervised = [sys.executable, "-m", "ganaug.sweep.supervise", str(os.getpid()), *command]
    with open(log, "ab") as handle:
        handle.write(f"$ {' '.join(command)}\n".encode())
        handle.flush()
        start = handle.tell()
        # A session of its own: Ray kills a worker's whole process group, and the supervisor must outlive
        # that to kill what it started.
        done = subprocess.run(supervised, cwd=cwd, env=point_env(threads), stdout=handle, stderr=subprocess.STDOUT,
                              start_new_session=True)
    with open(log, "rb") as handle:
        handle.seek(start)
        output = handle.read().decode(errors="replace")
    if done.returncode != 0:
        raise PointFailed(f"{command[0]} {command[1]}: {last_error(output)}")
    return output


def clone(job: PointJob, work: Path, log: Path) -> None:
    """A clone at the sweep's commit, the DVC remote its default; the parent experiment's workspace; the base params."""
    sh(["git", "clone", "--quiet", "--no-checkout", job.git_remote, str(work)], work.parent, log, job.threads)
    sh(["git", "checkout", "--quiet", "--detach", job.commit], work, log, job.threads)
    for key, value in (("user.name", "ganaug sweep"), ("user.email", "sweep@ganaug.invalid")):
        if subprocess.run(["git", "config", key], cwd=work, capture_output=True).returncode != 0:
            sh(["git", "config", key, value], work, log, job.threads)  # the experiment is a commit
    sh(["dvc", "remote", "add", "--local", "--default", "--force", "sweep", job.dvc_remote], work, log, job.threads)
    if job.parent:
        sh(["dvc", "exp", "pull", "origin", job.parent], work, log, job.threads)
        # restore, not checkout: a file the experiment deleted (a GAN seed fewer) must go too
        parent = experiment_commit(work, job.parent, log, job.threads)
        if parent is None:
            raise PointFailed(f"dvc exp pull: {job.parent}, which this point starts from, is not on {job.git_remote}")
        sh(["git", "restore", "--source", parent, "--staged", "--worktree", "--", "."], work, log, job.threads)
        sh(["dvc", "checkout", "--quiet", "dvc.yaml"], work, log, job.threads)
    sh(["git", "checkout", "--quiet", job.commit, "--", "params.yaml"], work, log, job.threads)  # not the parent's
    if job.base:
        shutil.copy(work / job.base, work / "params.yaml")


def experiment_commit(work: Path, name: str, log: Path, threads: int, remote: bool = False) -> str | None:
    """The commit of experiment ``name`` here, or on the git remote (None when it has none)."""
    command = (["git", "ls-remote", "origin", "refs/exps/*"] if remote
               else ["git", "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps"])
    refs = sh(command, work, log, threads)
    return next((line.split()[0] for line in refs.splitlines() if line.endswith("/" + name)), None)


def run_and_push(job: PointJob, work: Path, log: Path, result: dict) -> None:
    """`dvc exp run` in the prepared clone, then its outputs, run-cache and experiment to the remotes."""
    sets = [arg for override in job.point.overrides for arg in ("-S", override)]
    output = sh(["dvc", "exp", "run", "--pull", "-n", job.point.name, *sets], work, log, job.threads)
    result["stages_run"] = RAN.findall(output)
    result["stages_reused"] = RESTORED.findall(output) + UNCHANGED.findall(output)
    result["metrics"] = (work / job.headline).read_text()
    sh(["dvc", "push", "--run-cache", "--quiet"], work, log, job.threads)
    sh(["dvc", "exp", "push", "origin", job.point.name], work, log, job.threads)
    result["exp"] = experiment_commit(work, job.point.name, log, job.threads)
    if experiment_commit(work, job.point.name, log, job.threads, remote=True) != result["exp"]:
        # DVC warns and exits 0 when the remote already has the name: a retry raced an attempt that pushed
        raise PointFailed(f"dvc exp push: {job.git_remote} holds another {job.point.name}; rerun the sweep to use it")


def run_point(job: PointJob) -> dict:
    """Run one point; a dict of what happened (``ok`` false with the error line when it failed)."""
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    root = Path(job.workdir or tempfile.gettempdir()) / "ganaug-sweeps" / job.sweep
    root.mkdir(parents=True, exist_ok=True)
    work = root / f"{job.point.name}-{uuid.uuid4().hex[:6]}"  # a retry on the same node gets a clone of its own
    log = root / f"{work.name}.log"
    result = {"name": job.point.name, "ok": False, "stages_run": [], "stages_reused": [], "log": str(log),
              "parent": job.parent}
    try:
        clone(job, work, log)
        result["exp"] = experiment_commit(work, job.point.name, log, job.threads, remote=True)
        if result["exp"] is None:
            run_and_push(job, work, log, result)
        # else: a retry of an attempt that pushed before its node died; that experiment stands
        result["ok"] = True
    except (PointFailed, OSError) as error:
        result["error"] = str(error)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["cpu_seconds"] = round(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, 1)
    if result["ok"]:
        shutil.rmtree(work, ignore_errors=True)
        log.unlink(missing_ok=True)
    else:
        result["clone"] = str(work)
    return result

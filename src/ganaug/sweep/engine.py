"""The sweep's driver, on the head: Ray core tasks, one per point, and the experiments pulled back.

Locally (no address) ``ray.init`` starts Ray on this machine; with an address (or RAY_ADDRESS)
the same tasks go to a running cluster, started by Ray's own launchers (docs/scaling.md). Each
point is a task with the sweep's ``num_cpus``/``num_gpus`` and ``max_retries``: a point whose node
dies runs again on another node. A point that fails (a refused value, a diverged GAN) is not
retried: it is reported, the sweep goes on, and the command ends non-zero naming it. A point
waits for the earlier point whose workspace has most of its stages (``plan``). Ctrl-C cancels what is left;
what finished stays on the remotes and comes back to the head all the same.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from urllib.parse import urlsplit
import time
from dataclasses import asdict, replace
from pathlib import Path

import yaml

from ganaug.pipeline.errors import UserError
from ganaug.pipeline.io import atomic_path
from ganaug.sweep.plan import parents, stage_reads
from ganaug.sweep.point import PointJob, point_env, run_point
from ganaug.sweep.repo import done_before, git, located, publish, remotes, snapshot
from ganaug.sweep.spec import Point, SweepSpec, expand

log = logging.getLogger("ganaug.sweep")
MANIFEST = "points.json"


def headline(result: dict) -> str:
    if not result.get("ok"):
        return f"FAILED: {result.get('error', '?')}"
    metrics = json.loads(result["metrics"]) if result.get("metrics") else {}
    ran, reused = len(result.get("stages_run", [])), len(result.get("stages_reused", []))
    accuracy = (f"accuracy {metrics['accuracy']:.4f}, real only {metrics['real_only_accuracy']:.4f}; "
                if {"accuracy", "real_only_accuracy"} <= set(metrics) else "")
    return f"{accuracy}{ran} stages run, {reused} reused"


class Progress:
    """One line per point started and finished, with the count done out of all."""

    def __init__(self, total: int, done: int):
        self.total, self.done = total, done

    def started(self, point: Point, node: str) -> None:
        print(f"[{self.done}/{self.total}] start  {point.name} ({point.label()}) on {node}", flush=True)

    def finished(self, point: Point, result: dict) -> None:
        self.done += 1
        print(f"[{self.done}/{self.total}] {'done ' if result.get('ok') else 'FAIL '} {point.name} on "
              f"{result.get('node', '?')} in {result.get('seconds', 0):.0f} s: {headline(result)}", flush=True)


def _remote_point(job: PointJob, events) -> dict:
    """The Ray task: tell the driver where it started, then run the point there."""
    import ray

    node = f"{ray.util.get_node_ip_address()}/{ray.get_runtime_context().get_node_id()[:6]}"
    events.put((job.point.name, node))
    return {**run_point(job), "node": node}


def plan(spec: SweepSpec, root: Path) -> tuple[str, list[Point], dict[str, str | None]]:
    """The commit the points run, every point checked against that commit's files, and whom each waits for.

    A bad value stops here, before anything is made.
    """
    commit = git(root, "rev-parse", "HEAD")
    with snapshot(root, commit, spec.base_path) as files:
        points = expand(spec, files / spec.base_path, commit)
        return commit, points, parents(points, stage_reads(files, files / spec.base_path))


KEPT = ("name", "ok", "exp", "node", "seconds", "cpu_seconds", "stages_run", "stages_reused", "metrics")


def run_sweep(spec: SweepSpec, root: Path, commit: str, points: list[Point], waits: dict[str, str | None],
              address: str | None, cpus: int | None) -> list[str]:
    """Run every point not done before; the names of the points that failed (empty: all done)."""
    started = time.perf_counter()
    git_remote, dvc_remote = remotes(spec, root)
    publish(root, spec, git_remote, commit)
    earlier, manifest = done_before(git_remote, root, commit), _read_manifest(spec, root)
    results = {p.name: {**{k: v for k, v in manifest.get(p.name, {}).items() if k in KEPT},
                        "name": p.name, "ok": True, "exp": earlier[p.name], "skipped": True}
               for p in points if p.name in earlier}
    todo = [p for p in points if p.name not in earlier]
    if results:
        print(f"{len(results)} of {len(points)} points done before (same commit and params): skipped", flush=True)
    headline_path = yaml.safe_load((root / "paths.yaml").read_text())["headline"]
    jobs = {p.name: PointJob(sweep=spec.name, point=p, commit=commit, base=spec.base, git_remote=git_remote,
                             dvc_remote=dvc_remote, threads=spec.resources.num_cpus,
                             workdir=located(root, spec.workdir, None), headline=headline_path) for p in todo}
    save = functools.partial(_write, spec, root, points, waits, results, commit, started)
    pulled = None
    try:
        if todo:
            ray = connect(address, cpus, spec)
            _drive(spec, todo, waits, jobs, results, Progress(len(points), len(results)), ray, save)
    except KeyboardInterrupt:
        print(f"interrupted: {len(todo) - sum(p.name in results for p in todo)} points cancelled; "
              "the finished ones are kept", file=sys.stderr, flush=True)
        raise
    finally:
        save()
        finished = [name for name, result in results.items() if result.get("ok")]
        if finished:
            print(f"pulling {len(finished)} experiments into this repository (dvc exp pull)", flush=True)
            pulled = _pull(root, git_remote, dvc_remote, finished)
    if pulled:
        raise UserError(f"the points finished, but pulling them here failed: {pulled}; `dvc exp pull -r ganaug-sweep "
                        f"{git_remote} NAME...` tries again")
    return [p.name for p in points if not results.get(p.name, {}).get("ok")]


def connect(address: str | None, cpus: int | None, spec: SweepSpec):
    """Ray, started here (no address) or joined at ``address`` / RAY_ADDRESS; a one-line error when it cannot be."""
    try:
        import ray
    except ImportError:
        raise UserError("ganaug sweep runs on Ray: pip install 'ganaug[ray]' (make install includes it)") from None
    address = address or os.environ.get("RAY_ADDRESS")
    parts = urlsplit(f"//{address}") if address and "://" not in address else None
    if parts and parts.hostname and parts.port:  # host:port: Ray itself retries an unreachable one for minutes
        try:
            socket.create_connection((parts.hostname, parts.port), timeout=10).close()
        except OSError as error:
            raise UserError(f"--address {address}: no Ray cluster answers there ({error.strerror or error})") from None
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            # "local": a Ray of its own here, never a `ray start` cluster that happens to run on this machine
            ray.init(address="local", num_cpus=cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise UserError(f"--address {address or 'local'}: cannot start or join Ray ({str(error).splitlines()[0]})") from None
    need = spec.resources
    if not any(n["Resources"].get("CPU", 0) >= need.num_cpus and n["Resources"].get("GPU", 0) >= need.num_gpus
               for n in ray.nodes() if n["Alive"]):
        message = (f"resources: num_cpus={need.num_cpus}, num_gpus={need.num_gpus} per point, more than any node of "
                   "this Ray has")
        if not address:  # here nothing will join: the points would wait for ever
            ray.shutdown()
            raise UserError(f"{message}; lower them (or --cpus)")
        log.warning("%s: the points wait until such a node joins", message)
    return ray


def _drive(spec, todo, waits, jobs, results, progress, ray, save) -> None:
    """Submit each point once the point it waits for is done; report starts and ends until none is left."""
    from ray.util.queue import Queue
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    # Ctrl-C sets a flag the loop reads: a KeyboardInterrupt raised inside Ray's calls can be swallowed there.
    interrupted = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.set())
    try:
        # On the driver's node: a queue on a worker node would die with it, and the sweep with the queue.
        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        events = Queue(actor_options={"num_cpus": 0, "scheduling_strategy": here})
        task = ray.remote(_remote_point).options(
            num_cpus=spec.resources.num_cpus, num_gpus=spec.resources.num_gpus, max_retries=spec.max_retries)
        by_name = {p.name: p for p in todo}
        pending, running = list(todo), {}
        while pending or running:
            if interrupted.is_set():
                for ref in running:
                    ray.cancel(ref, force=True)
                # Their workers gone before Ray shuts down (a worker outlives a stopped Ray for seconds): each
                # point's supervisor then kills the stages it started.
                ray.wait(list(running), num_returns=len(running), timeout=30)
                raise KeyboardInterrupt
            for point in [p for p in pending if waits[p.name] is None or waits[p.name] in results]:
                parent = waits[point.name] if results.get(waits[point.name], {}).get("ok") else None  # else anew
                running[task.remote(replace(jobs[point.name], parent=parent), events)] = point
                pending.remove(point)
            ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
            while not events.empty():
                name, node = events.get()
                progress.started(by_name[name], node)
            for ref in ready:
                point = running.pop(ref)
                try:
                    results[point.name] = ray.get(ref)
                except ray.exceptions.RayError as error:  # its node died more often than max_retries
                    results[point.name] = {"name": point.name, "ok": False, "error": str(error).splitlines()[0]}
                progress.finished(point, results[point.name])
                save()
    finally:
        signal.signal(signal.SIGINT, previous)
        ray.shutdown()


def _pull(root: Path, git_remote: str, dvc_remote: str, names: list[str]) -> str | None:
    """Every finished point's experiment (and its outputs) into this repository: dvc exp pull. The error, if any."""
    for command in (["dvc", "remote", "add", "--local", "--force", "ganaug-sweep", dvc_remote],
                    ["dvc", "exp", "pull", "--force", "-r", "ganaug-sweep", git_remote, *names]):
        done = subprocess.run(command, cwd=root, env=point_env(), capture_output=True, text=True)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            return f"{' '.join(command[:3])}: {lines[-1] if lines else 'failed'}"
    return None


def _read_manifest(spec: SweepSpec, root: Path) -> dict[str, dict]:
    path = root / spec.out_dir / MANIFEST
    try:
        return {point["name"]: point["result"] for point in json.loads(path.read_text())["points"]}
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError) as error:
        raise UserError(f"{path}: not a sweep's points ({error}); delete it, the remotes say what is done") from None


def _write(spec: SweepSpec, root: Path, points: list[Point], waits: dict, results: dict, commit: str, started: float) -> None:
    """points.json: every point, its parent, and what happened to it (what `ganaug sweep report` reads)."""
    path = root / spec.out_dir / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"sweep": spec.name, "commit": commit, "base": spec.base_path, "grid": asdict(spec)["grid"],
            "seconds": round(time.perf_counter() - started, 1),
            "points": [{"name": p.name, "axes": p.axes, "overrides": list(p.overrides), "waits_for": waits.get(p.name),
                        "result": results.get(p.name, {"ok": False, "error": "not run"})} for p in points]}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")

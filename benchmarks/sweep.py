"""Benchmark a sweep: its points one after another on every core, then through local Ray workers, in one run.

    python benchmarks/sweep.py examples/sweeps/bench.yaml --json reports/benchmark_sweep.json

Run from the root of this repository (a git + DVC project) with the venv's ``dvc`` and ``ganaug``
on PATH, alone on the machine. Both sides run the sweep's points at HEAD, each with remotes of its
own under build/sweeps/ (so neither reuses the other's work), the same waiting order and the same
reuse of a parent experiment's stages:
- serial: ``point.run_point`` for each point in turn, torch on every core (what one machine does
  without the sweep engine: `dvc exp run` after `dvc exp run`);
- Ray: ``ganaug sweep``'s engine on this machine, ``resources.num_cpus`` per point, so
  cores / num_cpus points run at once.
Printed and written: each side's wall time, its CPU share (the points' CPU seconds over wall x
cores), the wall ratio, and the stages each side ran against those it reused. The Ray side's
experiments are removed from this repository afterwards (`dvc exp remove`): a benchmark's, not
results.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import yaml

from ganaug.pipeline.machine import describe
from ganaug.sweep.engine import plan, run_sweep
from ganaug.sweep.point import PointJob, run_point
from ganaug.sweep.repo import git, publish, remotes
from ganaug.sweep.spec import load_spec


def summary(results: list[dict], wall: float, cores: int) -> dict:
    cpu = sum(r.get("cpu_seconds", 0) for r in results)
    return {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "cpu_share": round(cpu / (wall * cores), 3),
            "stages_run": sum(len(r.get("stages_run", [])) for r in results),
            "stages_reused": sum(len(r.get("stages_reused", [])) for r in results),
            "points": [{k: r.get(k) for k in ("name", "ok", "seconds", "cpu_seconds", "stages_run", "stages_reused")}
                       for r in results]}


def serial(spec, root: Path, cores: int) -> dict:
    spec = replace(spec, name=f"{spec.name}-serial")
    commit, points, waits = plan(spec, root)
    git_remote, dvc_remote = remotes(spec, root)
    publish(root, spec, git_remote, commit)
    headline = yaml.safe_load((root / "paths.yaml").read_text())["headline"]
    started, results, ok = time.perf_counter(), [], set()
    for point in points:  # plan order: a parent always comes before the points that wait for it
        job = PointJob(sweep=spec.name, point=point, commit=commit, base=spec.base, git_remote=git_remote,
                       dvc_remote=dvc_remote, threads=cores, workdir=spec.workdir, headline=headline,
                       parent=waits[point.name] if waits[point.name] in ok else None)
        results.append(run_point(job))
        if results[-1]["ok"]:
            ok.add(point.name)
        print(f"serial {point.name} ({point.label()}): {results[-1]['seconds']:.0f} s", flush=True)
    return summary(results, time.perf_counter() - started, cores)


def on_ray(spec, root: Path, cores: int) -> dict:
    spec = replace(spec, name=f"{spec.name}-ray", out=f"build/sweeps/{spec.name}-ray/reports")
    commit, points, waits = plan(spec, root)
    started = time.perf_counter()
    failed = run_sweep(spec, root, commit, points, waits, None, cores)
    wall = time.perf_counter() - started
    manifest = json.loads((root / spec.out_dir / "points.json").read_text())
    subprocess.run(["dvc", "exp", "remove", *[p.name for p in points]], cwd=root, capture_output=True)
    return {**summary([p["result"] for p in manifest["points"]], wall, cores), "failed": failed,
            "workers": cores // spec.resources.num_cpus}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    root, cores = Path.cwd(), os.cpu_count()
    spec = load_spec(args.sweep)
    for side in ("serial", "ray"):  # fresh remotes: each side computes everything it does not share within itself
        shutil.rmtree(root / "build" / "sweeps" / f"{spec.name}-{side}", ignore_errors=True)
    figures = {"sweep": str(args.sweep), "commit": git(root, "rev-parse", "HEAD"), "cores": cores,
               "points": len(plan(spec, root)[1])}
    figures["serial"] = serial(spec, root, cores)
    figures["ray"] = on_ray(spec, root, cores)
    figures["wall_ratio"] = round(figures["serial"]["wall_seconds"] / figures["ray"]["wall_seconds"], 2)
    figures["machine"] = describe()
    for side in ("serial", "ray"):
        s = figures[side]
        print(f"{side:6s}: {s['wall_seconds']:7.1f} s wall, CPU share {s['cpu_share']:.2f}, "
              f"{s['stages_run']} stages run, {s['stages_reused']} reused")
    print(f"wall ratio serial / Ray: {figures['wall_ratio']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

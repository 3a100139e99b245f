"""Time the DVC pipeline stage by stage and report the peak memory of each.

    python benchmarks/pipeline.py            # run what is out of date, in DAG order
    python benchmarks/pipeline.py --force    # rerun every stage after prepare

Runs ``dvc repro --single-item <stage>`` for each stage in topological order and prints a
table of wall time and peak resident memory (of the stage's process tree, from wait4),
then the totals and the machine. Run from the project root with the venv's ``dvc`` on PATH.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time

import torch
from dvc.repo import Repo


def stages_in_order() -> list[str]:
    import networkx as nx

    with Repo() as repo:
        position = {stage.addressing: i for i, stage in enumerate(repo.index.stages)}
        # DVC's graph points from a stage to the stages it depends on; reverse it, and break
        # ties in dvc.yaml order so the table reads like the pipeline.
        ordered = nx.lexicographical_topological_sort(repo.index.graph.reverse(), key=lambda s: position[s.addressing])
        return [stage.addressing for stage in ordered]


def run_stage(name: str, force: bool) -> tuple[float, float, int]:
    """(wall seconds, peak RSS GiB, exit code) of ``dvc repro -s name``."""
    command = ["dvc", "repro", "--single-item", name] + (["--force"] if force else [])
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 2**20, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rerun every stage except prepare")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    rows, started = [], time.perf_counter()
    print(f"{'stage':<18} {'wall s':>8} {'peak GiB':>9}", flush=True)
    for name in stages_in_order():
        wall, peak, code = run_stage(name, force=args.force and name != "prepare")
        rows.append({"stage": name, "wall_s": round(wall, 1), "peak_rss_gib": round(peak, 2)})
        print(f"{name:<18} {wall:>8.1f} {peak:>9.2f}", flush=True)
        if code != 0:
            raise SystemExit(f"stage {name} failed with exit code {code}")
    total = time.perf_counter() - started
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, " + (
        torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU only"
    )
    peak = max(r["peak_rss_gib"] for r in rows)
    print(f"{'total':<18} {total:>8.1f} {peak:>9.2f}\nmachine: {machine}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"stages": rows, "total_s": round(total, 1), "peak_rss_gib": peak, "machine": machine}, out, indent=2)


if __name__ == "__main__":
    main()

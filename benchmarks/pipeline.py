"""Benchmark the pipeline: training throughput, then every stage's wall time and peak memory.

    python benchmarks/pipeline.py --force --json bench.json   # what the README's figures come from
    python benchmarks/pipeline.py --skip_throughput           # stage timings only, out-of-date stages
    python benchmarks/pipeline.py --plan plan.json            # write the stage commands, run nothing
    python benchmarks/pipeline.py --direct plan.json --force  # run them without DVC (a GPU box without it)
    python benchmarks/pipeline.py --startup                   # the start-up figures only

First measures images/s of LeNet-5 and GAN training, the pipeline's way against a bare loop
(``throughput.py``), then runs ``dvc repro --single-item <stage>`` for each stage in topological
order and prints its wall time and peak resident memory, of the largest process (exact, from
wait4) and of the whole process tree, DVC included (sampled every 0.1 s), then the totals and
the machine. It also times a fresh process importing torch, one importing the CLI and every
stage module, and the sha256 of the prepared arrays: the start-up each stage pays. ``--direct``
runs the same stage commands, taken from DVC beforehand with ``--plan``, without DVC's hashing
and caching. Run from the project root with the venv's ``dvc`` and ``ganaug`` on PATH.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from common import load_project
from throughput import add_arguments, measure, print_throughput

from ganaug.pipeline.machine import describe

STAGES = Path(__file__).resolve().parents[1] / "src" / "ganaug" / "stages"


def planned_stages() -> list[dict]:
    """Each stage of the default pipeline (dvc.yaml, not compare/dvc.yaml): name and command, in DAG order."""
    import networkx as nx
    from dvc.repo import Repo

    with Repo() as repo:
        position = {stage.addressing: i for i, stage in enumerate(repo.index.stages)}
        # DVC's graph points from a stage to the stages it depends on; reverse it.
        ordered = nx.lexicographical_topological_sort(repo.index.graph.reverse(), key=lambda s: position[s.addressing])
        # Stages of another dvc.yaml are addressed "path/dvc.yaml:name"; `dvc repro` runs only the root's.
        return [{"stage": stage.addressing, "cmd": stage.cmd} for stage in ordered if ":" not in stage.addressing]


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants now (0 for any that just ended)."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_stage(stage: dict, force: bool, direct: bool) -> tuple[float, float, float, int]:
    """(wall s, peak RSS GiB of the largest process, peak GiB of the whole tree, exit code).

    The largest process comes from wait4 and is exact; the tree (DVC plus the stage it runs)
    is sampled every 0.1 s, so it can miss a peak shorter than that.
    """
    if direct:
        command = ["bash", "-c", stage["cmd"]]
    else:
        command = ["dvc", "repro", "--single-item", stage["stage"]] + (["--force"] if force else [])
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    watched, tree_peak = psutil.Process(process.pid), 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)  # reaps it once it has ended
        if pid:
            break
        tree_peak = max(tree_peak, tree_rss(watched))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 2**20, tree_peak / 2**30, process.returncode


def startup_seconds(code: str, rounds: int = 3) -> float:
    """Best wall time of a fresh Python process running ``code``: what every stage pays before work."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def digest_seconds(rounds: int = 3) -> float | None:
    """Best time of the sha256 check every stage makes of the prepared arrays it reads (all four here); None
    before fetch has written them."""
    from ganaug.data.description import ARRAY_KEYS, sha256_of
    from ganaug.pipeline.io import load_npz

    prepared = load_project().data
    if not prepared.exists():
        return None
    arrays = load_npz(prepared, ARRAY_KEYS, made_by="dvc repro fetch")
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for array in arrays.values():
            sha256_of(array)
        times.append(time.perf_counter() - start)
    return round(min(times), 3)


def startup() -> dict:
    """Start-up of a stage process: torch alone, the CLI with every stage module imported, and the
    digest check of the prepared dataset."""
    stages = ", ".join(f"ganaug.stages.{path.stem}" for path in sorted(STAGES.glob("[a-z]*.py")))
    figures = {"torch_s": round(startup_seconds("import torch"), 2),
               "ganaug_s": round(startup_seconds(f"import ganaug.cli.main, {stages}"), 2),
               "digests_s": digest_seconds()}
    print(f"start-up of a process: import torch {figures['torch_s']} s; "
          f"the CLI and every stage module {figures['ganaug_s']} s; "
          f"the sha256 of every prepared array {figures['digests_s']} s", flush=True)
    return figures


def machine() -> str:
    described = describe()
    device = described["cuda_device"] or "CPU only"
    return (f"{described['cpu']} ({described['cpu_capability']}), {os.cpu_count()} cores, "
            f"torch {described['torch']}, {device}")


def run_stages(stages: list[dict], force: bool, direct: bool) -> dict:
    rows, started = [], time.perf_counter()
    print(f"{'stage':<18} {'wall s':>8} {'peak GiB':>9} {'tree GiB':>9}", flush=True)
    for stage in stages:
        if direct and stage["stage"] == "fetch" and not force:
            continue
        wall, peak, tree, code = run_stage(stage, force=force and stage["stage"] != "fetch", direct=direct)
        rows.append({"stage": stage["stage"], "wall_s": round(wall, 1), "peak_rss_gib": round(peak, 2),
                     "tree_rss_gib": round(tree, 2)})
        print(f"{stage['stage']:<18} {wall:>8.1f} {peak:>9.2f} {tree:>9.2f}", flush=True)
        if code != 0:
            raise SystemExit(f"stage {stage['stage']} failed with exit code {code}")
    total = time.perf_counter() - started
    peak, tree = max(r["peak_rss_gib"] for r in rows), max(r["tree_rss_gib"] for r in rows)
    print(f"{'total':<18} {total:>8.1f} {peak:>9.2f} {tree:>9.2f}")
    return {"stages": rows, "total_s": round(total, 1), "peak_rss_gib": peak, "tree_rss_gib": tree}


def markdown(figures: dict) -> list[str]:
    """The README's table: each stage's wall time per level, the total and the peak memory."""
    times = {}
    for row in figures["stages"]:
        times.setdefault(row["stage"].partition("@")[0], []).append(f"{row['wall_s']:.0f}")
    lines = ["| stage | wall s, per level |", "|---|---|"]
    lines += [f"| {name} | {' / '.join(walls)} |" for name, walls in times.items()]
    return lines + [f"| **total** | **{figures['total_s']:.0f}** ({figures['total_s'] / 60:.1f} min); peak "
                    f"{figures['peak_rss_gib']} GiB in one process, {figures['tree_rss_gib']} GiB for the tree |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rerun every stage except fetch (MNIST)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--skip_throughput", action="store_true", help="only time the stages")
    parser.add_argument("--plan", help="write the stage commands to this JSON file and stop")
    parser.add_argument("--direct", help="run the stage commands in this plan file, without DVC")
    parser.add_argument("--markdown", help="print the stage table of this --json file and stop")
    parser.add_argument("--startup", action="store_true", help="measure the start-up figures only")
    add_arguments(parser)
    args = parser.parse_args()

    if args.markdown:
        with open(args.markdown) as handle:
            print("\n".join(markdown(json.load(handle))))
        return
    if args.plan:
        with open(args.plan, "w") as out:
            json.dump(planned_stages(), out, indent=2)
        return
    figures = {"machine": machine(), "startup": startup()}
    if args.startup:
        return
    if not args.skip_throughput:
        figures["throughput"] = measure(args.level, args.steps, args.gan_steps, args.rounds, args.device)
        print_throughput(figures["throughput"])
    if args.direct:
        with open(args.direct) as plan:
            stages = json.load(plan)
    else:
        stages = planned_stages()
    figures.update(run_stages(stages, args.force, direct=bool(args.direct)))
    print(f"machine: {figures['machine']}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()

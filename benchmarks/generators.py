"""Two generator classes per level, side by side: the committed runs' reports of each, read, not retrained.

    python benchmarks/generators.py --runs GAN=reports flow=reports/flow --json reports/generators.json
    python benchmarks/generators.py --markdown reports/generators.json

``--runs``: name=folder, each a run's ``reports/`` (the committed MNIST run; ``make flow``'s
reports/flow/, the same pipeline with train_generator.arch flow). For every level the runs share, from
``evaluate`` (``levels/L/quality.json``: FID in the reference LeNet's features, TARR by the level's judge
and by the reference LeNet, GAN-train against the same LeNet on as many real images, precision and
recall), ``train_generator`` (``generator_health.json``: the generators' training seconds and the kept snapshots'
near-copy share), ``generate`` (the filter's acceptance) and ``report`` (``accuracy_stats.csv``: the
headline cell, gan_filtered at ratio 0.5, against real only; and the cell with fakes that gains most
over the same training without fakes, with its Benjamini-Hochberg q over that run's cells with fakes).
Each run is its own test family: its q values are not comparable across runs cell by cell.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from common import print_markdown, record, rows_arguments, save_rows
from ganaug.pipeline.stage_files import recorded

HEADLINE = ("gan_filtered", 0.5)
QUALITY = ("gan_seeds", "fid", "tarr_judge", "tarr_reference", "gan_train_accuracy", "real_train_accuracy",
           "precision", "recall")


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", nargs="+", default=["GAN=reports", "flow=reports/flow"], help="name=reports folder, one per run")


def fakes_cells(stats: list[dict], level: int) -> list[dict]:
    """The level's cells with fakes of this level's own generator (leaky rows borrow another level's)."""
    return [r for r in stats if int(r["level"]) == level and r["fakes_vs"] and r["variant"] != "leaky"]


def worth(cell: dict) -> str:
    """A cell's worth in real images (its accuracy read off the real-only learning curve), or where it falls off."""
    if cell["worth_range"] != "in":
        return f"{cell['worth_range']} the curve"
    return f"{float(cell['worth']):.0f} ({float(cell['exchange']):.2f}x)"


def level_row(run: str, folder: Path, level: int, stats: list[dict]) -> dict:
    level_reports = folder / "levels" / str(level)
    quality = json.loads((level_reports / "quality.json").read_text())
    health = json.loads(recorded(level_reports, "generator_health.json").read_text())  # reports/flow: gan_health.json
    generated = json.loads((level_reports / "generate.json").read_text())
    cells = fakes_cells(stats, level)
    headline = next(r for r in cells if (r["variant"], float(r["ratio"])) == HEADLINE)
    best = max(cells, key=lambda r: float(r["fakes_gain"]))
    return {
        "run": run, "level": level, "arch": health["arch"], **{key: quality[key] for key in QUALITY},
        "train_seconds": health["train_seconds"], "near_copies": health["chosen_near_copies"],
        "acceptance": generated["acceptance_rate"],
        "headline_gain": float(headline["gain"]), "headline_q": float(headline["q_value"]),
        "best_cell": f"{best['variant']} at {float(best['ratio']):g}", "best_gain": float(best["fakes_gain"]),
        "best_q": float(best["fakes_q_value"]), "best_worth": worth(best),
        "counterpart": best["fakes_vs"], "counterpart_worth": worth(next(
            r for r in stats if int(r["level"]) == level and r["variant"] == best["fakes_vs"])),
        "cells": len(cells), "paying": sum(float(r["fakes_q_value"]) < 0.05 and float(r["fakes_gain"]) > 0
                                           for r in cells),
    }


def main() -> None:
    args = rows_arguments(__doc__, options)
    if args.markdown:
        return print_markdown(args.markdown, markdown)
    runs = {name: Path(folder) for name, folder in (run.split("=", 1) for run in args.runs)}
    rows: list[dict] = []
    for row in compared(runs):
        record(rows, row)
    save_rows(args.json, rows)


def compared(runs: dict[str, Path]) -> list[dict]:
    """A row per level the runs share and run (name -> reports folder), the runs in their order."""
    levels = sorted(set.intersection(*({int(p.name) for p in (f / "levels").iterdir()} for f in runs.values())))
    stats = {}
    for name, folder in runs.items():
        with open(folder / "accuracy_stats.csv") as handle:
            stats[name] = list(csv.DictReader(handle))
    return [level_row(name, folder, level, stats[name]) for level in levels for name, folder in runs.items()]


def markdown(rows: list[dict]) -> list[str]:
    lines = ["| real images | generator | models | training s | FID | TARR judge / reference | GAN-train (real) | "
             "precision / recall | near-copies | accepted | gan_filtered at 0.5 vs real only (q) | "
             "largest gain from fakes (q): worth in real images | cells paying |", "|---|---|---:|---:|---:|---|---|---|---:|---:|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['level']} | {r['run']} | {r['gan_seeds']} | {r['train_seconds']:.0f} | {r['fid']:.2f} | "
            f"{r['tarr_judge']:.3f} / {r['tarr_reference']:.3f} | {r['gan_train_accuracy']:.3f} "
            f"({r['real_train_accuracy']:.3f}) | {r['precision']:.3f} / {r['recall']:.3f} | {r['near_copies']:.3f} | "
            f"{r['acceptance']:.3f} | {r['headline_gain']:+.4f} ({r['headline_q']:.3f}) | "
            f"{r['best_cell']}: {r['best_gain']:+.4f} ({r['best_q']:.3f}): {r['best_worth']} against "
            f"{r['counterpart_worth']} for {r['counterpart']} | "
            f"{r['paying']} of {r['cells']} |")
    return lines


if __name__ == "__main__":
    main()

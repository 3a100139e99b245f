"""report: the accuracy table, per-run CSV and figures, from results only; never trains.

    ganaug report --results 'reports/levels/{level}/results.csv' ... --table reports/accuracy_table.md

Per-level inputs are given as path templates with ``{level}`` and filled in for each of
``prepare.levels``.
"""
from __future__ import annotations

import math
import os
from collections import defaultdict
from pathlib import Path

from ganaug.figures import plot_accuracy, plot_gan_logs
from ganaug.io import ArtifactError, atomic_path, load_csv, load_json, save_csv
from ganaug.params import Params
from ganaug.stats import mean_std
from ganaug.training.gan import LOG_FIELDS

RESULT_NUMBERS = ("level", "ratio", "seed", "steps", "accuracy")


QUALITY_KEYS = (
    "tarr_judge", "tarr_reference", "gan_train_accuracy", "real_train_accuracy", "fid", "fid_floor", "fid_accepted",
    "precision", "precision_floor", "recall", "recall_floor", "density", "coverage", "inception_score",
    "inception_score_real", "diversity_min", "collapsed_classes", "low_acceptance_classes",
)


def load_json_with(path: Path, made_by: str, keys: tuple[str, ...]) -> dict:
    """A JSON object with at least ``keys``, or ArtifactError naming the file and what to rerun."""
    data = load_json(path, made_by=made_by)
    missing = [k for k in keys if not isinstance(data, dict) or k not in data]
    if missing:
        raise ArtifactError(f"{path}: lacks {missing}; rerun `{made_by}`")
    return data


def load_numeric_csv(path: Path, made_by: str, numbers: tuple[str, ...], text: tuple[str, ...] = ()) -> list[dict]:
    """A non-empty CSV with ``numbers`` columns that parse as numbers and ``text`` columns, or ArtifactError."""
    rows = load_csv(path, made_by=made_by, columns=numbers + text)
    try:
        for row in rows:
            [float(row[key]) for key in numbers]
    except (TypeError, ValueError) as error:
        raise ArtifactError(f"{path}: not a number ({error}); rerun `{made_by}`") from None
    if not rows:
        raise ArtifactError(f"{path}: no rows; rerun `{made_by}`")
    return rows


def cell_values(rows: list[dict]) -> dict[tuple[int, str, float], dict[int, float]]:
    """(level, filter, ratio) -> {seed: accuracy}; ratio-0 (real-only) rows count for every filter."""
    values = defaultdict(dict)
    filters = sorted({r["filter"] for r in rows if r["filter"] != "none"}) or ["none"]
    for row in rows:
        for name in filters if row["filter"] == "none" else [row["filter"]]:
            values[int(row["level"]), name, float(row["ratio"])][int(row["seed"])] = float(row["accuracy"])
    return values


def cell_stats(values) -> dict[tuple[int, str, float], tuple[float, float, int]]:
    """(level, filter, ratio) -> (mean, std, n seeds)."""
    return {key: (*mean_std(list(by_seed.values())), len(by_seed)) for key, by_seed in values.items()}


def paired_gain(cell: dict[int, float], base: dict[int, float]) -> tuple[float, float]:
    """Mean and standard error of the per-seed difference from real only (same seed = same init)."""
    diffs = [cell[seed] - base[seed] for seed in cell if seed in base]
    mean, std = mean_std(diffs)
    return mean, std / math.sqrt(len(diffs))


def verdict(gain: float, stderr: float) -> str:
    # Two standard errors of the paired difference: rough with 3 seeds, but honest about noise.
    if gain > 2 * stderr:
        return "helps"
    if gain < -2 * stderr:
        return "hurts"
    return "no clear effect (within 2 standard errors)"


def accuracy_tables(stats, levels: list[int]) -> list[str]:
    ratios = sorted({ratio for _, _, ratio in stats})
    lines = []
    for name in sorted({f for _, f, _ in stats}):
        lines += [f"### Filter {name}", "", "| real images \\ fake/real ratio | " + " | ".join(f"{r:g}" for r in ratios) + " |"]
        lines.append("|---" * (len(ratios) + 1) + "|")
        for level in levels:
            cells = [stats.get((level, name, r)) for r in ratios]
            lines.append(f"| {level} | " + " | ".join(f"{c[0]:.4f} ± {c[1]:.4f}" if c else "" for c in cells) + " |")
        lines.append("")
    return lines


def findings(values, levels: list[int]) -> list[str]:
    """Plain sentences per level and filter: the best and the worst ratio against real only."""
    lines = [
        "## Does synthetic data help?", "",
        "Gain = mean over seeds of (accuracy with fakes - real-only accuracy with the same seed) ± its standard error.", "",
    ]
    for level in levels:
        for name in sorted({f for lv, f, _ in values if lv == level}):
            base = values.get((level, name, 0.0))
            gains = {r: paired_gain(v, base) for (lv, f, r), v in values.items() if lv == level and f == name and r > 0}
            if base is None or not gains:
                continue
            best, worst = max(gains, key=lambda r: gains[r][0]), min(gains, key=lambda r: gains[r][0])
            described = [f"best ratio {best:g}: {gains[best][0]:+.4f} ± {gains[best][1]:.4f}, **{verdict(*gains[best])}**"]
            if worst != best:
                described.append(f"worst ratio {worst:g}: {gains[worst][0]:+.4f} ± {gains[worst][1]:.4f}, **{verdict(*gains[worst])}**")
            lines.append(f"- {level} real images, filter {name}: " + "; ".join(described) + ".")
    return lines + [""]


def gan_section(summaries: dict[int, dict], judges: dict[int, dict], grids: dict[int, str], curves: str) -> list[str]:
    lines = [
        "## GAN fakes per level", "",
        "TARR = share of fakes the level's judge labels as their conditioning class.", "",
        "| real images | judge test accuracy | fakes generated | TARR | accepted (threshold) | shortfall |",
        "|---|---|---|---|---|---|",
    ]
    for level, s in summaries.items():
        short = {c["class"]: c["shortfall"] for c in s["per_class"] if c["shortfall"]}
        lines.append(
            f"| {level} | {judges[level]['test_accuracy']:.4f} | {s['generated']} | {s['tarr']:.4f} | "
            f"{s['acceptance_rate']:.4f} ({s['threshold']:g}) | {s['shortfall']}"
            + (f" (per class: {short})" if short else "") + " |"
        )
    lines += [""] + [f"![{level} real images]({grid})" for level, grid in grids.items()] + [""]
    lines += [f"GAN training curves: ![GAN losses]({curves})", ""]
    return lines


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def quality_section(quality: dict[int, dict], figures: dict[int, str]) -> list[str]:
    """Generator quality per level (from the evaluate stage), with the real-vs-real floor beside each FID."""
    lines = [
        "## Generator quality per level", "",
        "Fakes as generated (unfiltered), compared with real test images in the feature space of a reference",
        "LeNet-5 trained on all 60000 real images (used only to measure). Floor = the level's own real training",
        "images measured the same way. GAN-train = LeNet-5 trained on fakes only, next to the same LeNet on as",
        "many real images.", "",
        "| real images | TARR judge / reference | GAN-train vs real | FID (floor) | FID accepted | precision (floor) "
        "| recall (floor) | density | coverage | IS fakes / real test | min diversity | flags |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level, q in quality.items():
        flags = [f"collapse: classes {q['collapsed_classes']}"] if q["collapsed_classes"] else []
        flags += [f"low acceptance: classes {q['low_acceptance_classes']}"] if q["low_acceptance_classes"] else []
        cells = [
            f"{q['tarr_judge']:.3f} / {q['tarr_reference']:.3f}",
            f"{q['gan_train_accuracy']:.3f} vs {q['real_train_accuracy']:.3f}",
            f"{_fmt(q['fid'])} ({_fmt(q['fid_floor'])})", _fmt(q["fid_accepted"]),
            f"{_fmt(q['precision'], 3)} ({_fmt(q['precision_floor'], 3)})",
            f"{_fmt(q['recall'], 3)} ({_fmt(q['recall_floor'], 3)})",
            _fmt(q["density"], 3), _fmt(q["coverage"], 3),
            f"{q['inception_score']:.2f} / {q['inception_score_real']:.2f}", f"{q['diversity_min']:.2f}",
            "; ".join(flags) or "none",
        ]
        lines.append(f"| {level} | " + " | ".join(cells) + " |")
    lines.append("")
    for level, folder in figures.items():
        lines += [f"**{level} real images:** best and worst fakes, rejected fakes, per-class TARR and diversity, judge scores", ""]
        lines += [f"![{name}]({folder}/{name}.png)" for name in ("best_worst", "rejected", "per_class", "confidence")] + [""]
    return lines


def run(params: Params, templates: dict[str, str], table_path: Path, csv_path: Path, accuracy_plot: Path, gan_plot: Path) -> None:
    levels = list(params.prepare.levels)
    paths = {key: {level: Path(t.format(level=level)) for level in levels} for key, t in templates.items()}
    rows = [
        row for lv, path in paths["results"].items()
        for row in load_numeric_csv(path, f"dvc repro retrain@{lv}", RESULT_NUMBERS, text=("filter",))
    ]
    summaries = {
        lv: load_json_with(p, f"dvc repro generate@{lv}", ("generated", "tarr", "acceptance_rate", "threshold", "shortfall", "per_class"))
        for lv, p in paths["summaries"].items()
    }
    judges = {lv: load_json_with(p, f"dvc repro judge@{lv}", ("test_accuracy",)) for lv, p in paths["judges"].items()}
    quality = {lv: load_json_with(p, f"dvc repro evaluate@{lv}", QUALITY_KEYS) for lv, p in paths["quality"].items()}
    logs = {lv: load_numeric_csv(p, f"dvc repro train_gan@{lv}", LOG_FIELDS) for lv, p in paths["gan_logs"].items()}
    values = cell_values(rows)
    stats = cell_stats(values)

    save_csv(csv_path, rows)
    series = defaultdict(list)
    for (level, name, ratio), (mean, std, _) in sorted(stats.items()):
        series[level, name].append((ratio, mean, std))
    plot_accuracy(accuracy_plot, series)
    plot_gan_logs(gan_plot, logs)

    seeds = max(n for _, _, n in stats.values())
    steps = {int(r["level"]): r["steps"] for r in rows}
    relative = {lv: os.path.relpath(p, table_path.parent) for lv, p in paths["grids"].items()}
    lines = [
        "# Does GAN data help a small-data LeNet-5?", "",
        "LeNet-5 test accuracy on the 10000 real MNIST test images, mean ± std over "
        f"{seeds} seeds. Columns: fakes per real image. Optimizer steps per level (equal at every ratio): "
        + ", ".join(f"{lv}: {s}" for lv, s in steps.items()) + ".", "",
        f"![accuracy against ratio]({os.path.relpath(accuracy_plot, table_path.parent)})", "",
        *accuracy_tables(stats, levels),
        *findings(values, levels),
        *gan_section(summaries, judges, relative, os.path.relpath(gan_plot, table_path.parent)),
        *quality_section(quality, {lv: os.path.relpath(p, table_path.parent) for lv, p in paths["quality_figures"].items()}),
    ]
    with atomic_path(table_path) as tmp:
        tmp.write_text("\n".join(lines))

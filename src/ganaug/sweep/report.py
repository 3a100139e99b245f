"""``ganaug sweep report``: one table over every point of a sweep. Does it pay, on which data, with which generator?

For each combination of the grid's values that the grid of LeNets depends on (``ratio``, read only
by the headline experiment, drops out: points that differ only there share one grid) and each
level: real only; the best cell with the GAN's fakes (PCA's are the same for every GAN) against its
counterpart (the same training without the fakes), with its q in the report's one family of tests; that cell's exchange rate (its worth
in real images over the real images it had); the GAN's TARR, GAN-train and FID; and the verdict.
Everything is read from the experiments' commits (``git show``), which the sweep pulled.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml

from ganaug.pipeline.errors import UserError
from ganaug.pipeline.io import atomic_path, save_csv
from ganaug.sweep.engine import MANIFEST
from ganaug.sweep.plan import stage_reads, touches
from ganaug.sweep.repo import show
from ganaug.sweep.spec import CONFIG_AXIS, SweepSpec

Q = 0.05  # the report's own significance level (report/stats.py): a verdict needs q below it


def read_at(root: Path, commit: str, path: str) -> str:
    content = show(root, commit, path)
    if content is None:
        raise UserError(f"{path} at experiment {commit[:7]}: not found (was the sweep's experiment pulled? rerun the sweep)")
    return content.decode()


def grid_axes(spec: SweepSpec, root: Path) -> list[str]:
    """The grid keys the report stage (and so every cell of the table) depends on."""
    report = stage_reads(root, root / spec.base_path).get("report")
    if report is None:
        raise UserError("dvc.yaml has no report stage: ganaug sweep report tables what it writes")
    return [axis for axis in spec.grid if touches(report, "train_generator" if axis == CONFIG_AXIS else axis)]


def num(text: str) -> float:
    """A number of accuracy_stats.csv; an empty cell (no test: every seed scored the same) is NaN."""
    return float(text) if text != "" else float("nan")


def verdict(gain: float, q: float) -> str:
    if q < Q:  # NaN is never below it
        return "pays" if gain > 0 else "costs"
    return "no difference"


def level_rows(stats: list[dict], quality: dict[str, dict], gan_variants: set[str]) -> list[dict]:
    """One row per level of one point's accuracy_stats.csv; the cells with the GAN's fakes (not PCA's)."""
    rows = []
    for level in sorted({int(r["level"]) for r in stats}):
        at = [r for r in stats if int(r["level"]) == level]
        real = next((r for r in at if r["variant"] == "real_only"), None)
        fakes = [r for r in at if r["fakes_vs"] and r["variant"] in gan_variants]
        if real is None or not fakes:  # no variant with the GAN's fakes here: nothing to say about the generator
            continue
        best = max(fakes, key=lambda r: num(r["fakes_gain"]))
        counterpart = next((r for r in at if r["variant"] == best["fakes_vs"]), real)
        q = num(best["fakes_q_value"])
        gan = quality.get(str(level), {})
        rows.append({
            "level": level, "real_only": float(real["mean"]), "real_only_ci": float(real["ci_high"]) - float(real["mean"]),
            "best_with_fakes": f"{best['variant']}@{float(best['ratio']):g}", "accuracy": float(best["mean"]),
            "counterpart": best["fakes_vs"], "counterpart_accuracy": float(counterpart["mean"]),
            "gain": num(best["fakes_gain"]), "gain_ci": num(best["fakes_gain_ci"]), "q": q, "exchange": num(best["exchange"]),
            "tarr": gan.get("tarr_reference", ""), "gan_train": gan.get("gan_train_accuracy", ""), "fid": gan.get("fid", ""),
            "significant": f"{sum(verdict(num(r['fakes_gain']), num(r['fakes_q_value'])) == 'pays' for r in fakes)} gains, "
                           f"{sum(verdict(num(r['fakes_gain']), num(r['fakes_q_value'])) == 'costs' for r in fakes)} costs "
                           f"of {len(fakes)}",
            "verdict": verdict(num(best["fakes_gain"]), q),
        })
    return rows


def point_rows(root: Path, exp: str) -> list[dict]:
    paths = yaml.safe_load((root / "paths.yaml").read_text())
    stats = list(csv.DictReader(io.StringIO(read_at(root, exp, paths["stats_csv"]))))
    levels = sorted({r["level"] for r in stats})
    quality = {level: json.loads(read_at(root, exp, f"{paths['levels_reports']}/{level}/quality.json")) for level in levels}
    variants = yaml.safe_load(read_at(root, exp, "params.yaml"))["variants"]
    return level_rows(stats, quality, {name for name, v in variants.items() if v.get("fakes") == "gan"})


def table(spec: SweepSpec, root: Path) -> list[dict]:
    manifest = root / spec.out_dir / MANIFEST
    if not manifest.exists():
        raise UserError(f"{manifest}: no such file; run `ganaug sweep` on this sweep file first")
    axes = grid_axes(spec, root)
    rows, seen = [], set()
    for point in json.loads(manifest.read_text())["points"]:
        key = tuple(str(point["axes"][axis]) for axis in axes)
        if key in seen or not point["result"].get("ok"):
            continue
        seen.add(key)  # points differing only in keys the grid does not read have the same grid
        rows += [{**dict(zip(axes, key)), **row} for row in point_rows(root, point["result"]["exp"])]
    if not rows:
        raise UserError(f"{manifest}: no finished point to report")
    return rows


def markdown(rows: list[dict], axes: list[str]) -> str:
    def number(value, digits=4):
        if isinstance(value, float):
            return "—" if value != value else f"{value:.{digits}f}"  # NaN: no test (every seed the same)
        return str(value)

    header = [*axes, "level", "real only", "best with fakes", "vs counterpart", "gain (95% CI)", "q", "exchange",
              "TARR", "GAN-train", "FID", "cells q<0.05", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join([
            *(str(r[a]) for a in axes), str(r["level"]), f"{r['real_only']:.4f} ± {r['real_only_ci']:.4f}",
            f"{r['best_with_fakes']}: {r['accuracy']:.4f}", f"{r['counterpart']}: {r['counterpart_accuracy']:.4f}",
            f"{r['gain']:+.4f} ± {r['gain_ci']:.4f}", number(r["q"], 3), number(r["exchange"], 3),
            number(r["tarr"]), number(r["gan_train"]), number(r["fid"], 2), r["significant"], f"**{r['verdict']}**"]) + " |")
    return "\n".join(lines) + "\n"


def write_report(spec: SweepSpec, root: Path) -> list[Path]:
    from ganaug.sweep.figure import plot_sweep

    rows = table(spec, root)
    axes = [key for key in rows[0] if key in spec.grid]
    out = root / spec.out_dir
    paths = out / "report.csv", out / "report.md", out / "report.png"
    save_csv(paths[0], rows)
    pays = [r for r in rows if r["verdict"] == "pays"]
    summary = (f"Fakes pay (the best cell with the GAN's fakes above its counterpart at q < {Q}) in {len(pays)} "
               f"of {len(rows)} combinations of {', '.join(axes)} and level.")
    with atomic_path(paths[1]) as tmp:
        tmp.write_text(f"# Sweep {spec.name}: does it pay, on which data, with which generator?\n\n{summary}\n\n"
                       f"{markdown(rows, axes)}")
    plot_sweep(paths[2], rows, axes, Q)
    return list(paths)

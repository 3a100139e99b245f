"""report: the accuracy table, per-run CSV and figures, from results only; never trains.

    ganaug report --results 'reports/levels/{level}/results.csv' ... --table reports/accuracy_table.md

Per-level inputs are given as path templates with ``{level}`` and filled in for each of
``prepare.levels``.
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from ganaug.pipeline import machine, stage_files
from ganaug.report.answer import answer
from ganaug.data.description import load_description_json
from ganaug.report.exchange import Curve, Worth, load_curve, worth
from ganaug.report.figures import plot_accuracy, plot_gan_logs
from ganaug.report.answer_figures import plot_exchange, plot_gain_vs_quality
from ganaug.pipeline.io import ArtifactError, atomic_path, load_json_with, load_numeric_csv, save_csv, save_json
from ganaug.pipeline.live import read_curves
from ganaug.params.project import FAKE_SOURCES, REAL_ONLY, Params
from ganaug.report.quality_gain import per_gan_gains, quality_points, trend
from ganaug.report.sections import class_shortfalls, gan_section, quality_section, snapshot_section
from ganaug.report.tables import (
    CellKey, cell_stats, cell_values, fake_effects, findings, headline_table, level_tables, published_table, stats_rows,
)

RESULT_NUMBERS = ("level", "ratio", "seed", "steps", "accuracy")
LOG_CURVES = ("d_loss", "g_loss", "d_real", "d_fake")  # train_generator's curves every log_every steps (a GAN's) ...
FLOW_CURVES = ("loss",)  # ... or a flow's (train_generator.arch: flow)
CRITERION_CURVES = ("fid", "tarr_judge", "near_copies")  # ... and at every snapshot
HEALTH_KEYS = ("gan_seeds", "chosen_step", "chosen_fid", "chosen_tarr_judge", "chosen_near_copies",
               "per_seed")
SUMMARY_KEYS = ("generated", "tarr", "acceptance_rate", "threshold", "shortfall", "per_class")
PER_CLASS_NUMBERS = ("tarr_judge",)  # what the dashboard draws; the other columns are copied as they are


QUALITY_KEYS = (
    "tarr_judge", "tarr_reference", "gan_train_accuracy", "real_train_accuracy", "fid", "fid_floor", "fid_accepted",
    "precision", "precision_floor", "recall", "recall_floor", "density", "coverage", "inception_score",
    "inception_score_real", "diversity_min", "collapsed_classes", "low_acceptance_classes",
)


def seed_rows(curves: dict[str, dict[str, list[tuple[int, float]]]], names: tuple[str, ...], folder: Path) -> list[dict]:
    """Rows {gan_seed, step, name: value, ...} of every GAN seed's DVCLive curves, at the steps the named curves share."""
    rows = []
    for prefix, by_name in sorted(curves.items()):
        missing = [name for name in names if name not in by_name]
        if not prefix.startswith("seed") or missing:
            raise ArtifactError(f"{folder}: {prefix or 'the top level'} lacks curves {missing or list(names)}; "
                                f"rerun `dvc repro train_generator`")
        values = [dict(by_name[name]) for name in names]
        steps = sorted(set.intersection(*(set(v) for v in values)))
        rows += [{"gan_seed": int(prefix.removeprefix("seed")), "step": step, **{n: v[step] for n, v in zip(names, values)}}
                 for step in steps]
    return rows


def worths(values: dict[CellKey, dict[int, float]], curve: Curve, resamples: int, seed: int) -> dict[CellKey, Worth]:
    """Every cell's worth in real images, from its per-seed gains over real only at its level."""
    rng = np.random.default_rng(seed)
    out = {}
    for key in sorted(values):
        base = values.get((key[0], REAL_ONLY, 0.0), {})
        gains = [values[key][s] - base[s] for s in sorted(values[key]) if s in base]
        if gains:
            out[key] = worth(gains, key[0], curve, resamples, rng)
    return out


def run(params: Params, out: stage_files.Report) -> None:
    table_path = out.table
    data = load_description_json(out.description)
    levels = list(params.prepare.levels)
    paths = {key: {lv: Path(t.format(level=lv)) for lv in levels} for key, t in stage_files.templates(out).items()}
    rows = [
        row for lv, path in paths["results"].items()
        for row in load_numeric_csv(path, f"dvc repro retrain@{lv}", RESULT_NUMBERS, text=("variant",))
    ]
    summaries = {
        source: {lv: load_json_with(p, f"dvc repro {stage}@{lv}", SUMMARY_KEYS) for lv, p in paths[key].items()}
        for source, key, stage in (("GAN", "summaries", "generate"), ("PCA", "pca_summaries", "pca"))
    }
    judges = {lv: load_json_with(p, f"dvc repro judge@{lv}", ("test_accuracy",)) for lv, p in paths["judges"].items()}
    quality = {lv: load_json_with(p, f"dvc repro evaluate@{lv}", QUALITY_KEYS) for lv, p in paths["quality"].items()}
    curves = {lv: (read_curves(p, f"dvc repro train_generator@{lv}"), p) for lv, p in paths["generator_curves"].items()}
    flows = any("loss" in by_name for c, _ in curves.values() for by_name in c.values())  # a GAN's are d_/g_loss
    log_curves = FLOW_CURVES if flows else LOG_CURVES
    logs = {lv: seed_rows(c, log_curves, p) for lv, (c, p) in curves.items()}
    criteria = {lv: seed_rows(c, CRITERION_CURVES, p) for lv, (c, p) in curves.items()}
    health = {lv: load_json_with(p, f"dvc repro train_generator@{lv}", HEALTH_KEYS)
              for lv, p in paths["generator_health"].items()}
    curve = load_curve(out.curve)
    values = cell_values(rows)
    stats = cell_stats(values)
    worth_of = worths(values, curve, params.report.resamples, params.seed)
    variants = params.enabled_variants()
    fake_variants = {name for name, v in variants.items() if v.fakes != "none"}
    leaky = {name for name, v in variants.items() if v.fakes == "leaky"}
    # What practitioners try without fakes, for scale: classical augmentation, label smoothing.
    baselines = {name: baseline(name, v) for name, v in variants.items() if v.fakes == "none" and v.init == "scratch"}
    classical = next((name for name in baselines if variants[name].augment and not variants[name].real_smoothing), None)
    pairs = counterparts(variants)
    effects = fake_effects(values, pairs)

    save_csv(out.table_csv, rows)
    save_csv(out.stats, stats_rows(stats, effects, worth_of))
    series = defaultdict(list)
    for (level, variant, ratio), s in sorted(stats.items()):
        series[level, variant].append((ratio, s.accuracy.mean, s.accuracy.half_width))
    plot_accuracy(out.accuracy_plot, dict(series), fake_variants, params.grid.headline, takeaway(effects, leaky))
    exchange = defaultdict(list)
    for (level, variant, ratio), w in worth_of.items():
        if variant not in leaky:
            exchange[level, variant].append((ratio, w))
    plot_exchange(out.exchange_plot, dict(exchange), (curve.levels[0], curve.levels[-1]), params.grid.headline,
                  "What each cell is worth in real images, over the real images it has (1× = real only; "
                  "▲ / ▼ beyond the real-only curve)")
    points = quality_points(per_gan_gains(rows, params.grid.headline), quality, curve, params.report.resamples, params.seed)
    save_csv(out.quality_csv, points)
    plot_gain_vs_quality(out.quality_plot, points, params.grid.headline)
    plot_gan_logs(out.generator_plot, logs, criteria,
                  {lv: {s["gan_seed"]: s["chosen"]["step"] for s in h["per_seed"]} for lv, h in health.items()})
    # Long tables with a level column: the dashboard (dvc.yaml's plots) draws a panel per level from one file.
    save_csv(out.snapshots, [{"level": lv, **row} for lv, level_rows in criteria.items() for row in level_rows])
    save_csv(out.per_class_csv, [{"level": lv, **row} for lv, path in paths["per_class"].items()
                                 for row in load_numeric_csv(path, f"dvc repro evaluate@{lv}", PER_CLASS_NUMBERS,
                                                             text=("class",))])
    save_json(out.answer, answer_numbers(effects, leaky))

    seeds = {lv: max(s.accuracy.n for k, s in stats.items() if k[0] == lv) for lv in levels}
    init_of = {name: v.init for name, v in variants.items()}
    steps = {(int(r["level"]), init_of.get(r["variant"], "scratch")): r["steps"] for r in rows}
    relative = {
        source: {lv: os.path.relpath(p, table_path.parent) for lv, p in paths[key].items()}
        for source, key in (("GAN", "grids"), ("PCA", "pca_grids"))
    }
    noun = params.train_generator.noun  # its fakes are the rows' "gan"
    described = [f"- **{name}**: {describe(v, noun)}" for name, v in variants.items()]
    lines = [
        f"# Does {noun} data help a small-data LeNet-5?", "",
        *answer(effects, worth_of, curve, levels, baselines, leaky,
                {lv: class_shortfalls(s) for lv, s in summaries["GAN"].items()}, soft_only(variants, pairs)),
        f"![worth in real images]({os.path.relpath(out.exchange_plot, table_path.parent)})", "",
        f"LeNet-5 test accuracy on the {data.test_count} real test images of {data.name}, mean ± 95% confidence "
        "half-width over seeds "
        f"({', '.join(f'{lv}: {n}' for lv, n in seeds.items())} seeds per level). Ratio = fakes per real image. "
        "Optimizer steps per level, equal in every from-scratch cell: " + steps_text(steps)
        + f". Fakes come from several {noun}s per level, LeNet seed s training on the fakes of {noun} s mod k, so a "
        f"cell's interval covers {noun} and LeNet seeds alike; {noun}s per level: "
        + ", ".join(f"{lv}: {h['gan_seeds']}" for lv, h in health.items())
        + ". ↑ / ↓: significantly better / worse than real only (see Findings).", "",
        f"- **{REAL_ONLY}**: the level's real images only, no augmentation.", *described, "",
        f"## Headline: {params.grid.headline} against real only and classical augmentation", "",
        *headline_table(stats, levels, params.grid.headline, classical), "",
        *(published_comparison() if data.name == "mnist" else []),  # published on MNIST: quoted for MNIST only
        f"![accuracy against ratio]({os.path.relpath(out.accuracy_plot, table_path.parent)})", "",
        "## Every variant, per level", "",
        *level_tables(stats, levels, list(variants)),
        *snapshot_section(health),
        *gan_section(summaries, judges, relative, os.path.relpath(out.generator_plot, table_path.parent)),
        *quality_section(quality, {lv: os.path.relpath(p, table_path.parent) for lv, p in paths["quality_figures"].items()}),
        *quality_axis_section(points, params.grid.headline, os.path.relpath(out.quality_plot, table_path.parent)),
        *findings(stats, effects, levels, leaky),  # last: what the numbers above say
    ]
    with atomic_path(table_path) as tmp:
        tmp.write_text("\n".join(lines))
    save_json(out.machine, machine.describe())  # what a byte-identical rerun needs to share (README)


def answer_numbers(effects: dict, leaky: set[str]) -> dict[str, int]:
    """The answer as DVC metrics: of the cells with fakes (leaky ones aside), how many beat the same training
    without them and how many lose to it (significant, q < 0.05)."""
    honest = [effect for (_, variant, _), effect in effects.items() if variant not in leaky]
    return {"cells_with_fakes": len(honest), "significant_gains": sum(e.mark == "+" for e in honest),
            "significant_costs": sum(e.mark == "-" for e in honest)}


def takeaway(effects: dict, leaky: set[str]) -> str:
    """The accuracy figure's title: how many cells with fakes beat (or lose to) the same training without them."""
    counts = answer_numbers(effects, leaky)
    return (f"Fakes beat the same training without them in {counts['significant_gains']} of "
            f"{counts['cells_with_fakes']} cells and lose in {counts['significant_costs']} (significant, q < 0.05); "
            "bold: headline variant and real only")


def quality_axis_section(points: list[dict], variant: str, figure: str) -> list[str]:
    """Gain against generator quality, one point per GAN: the figure and a sentence per ratio."""
    return [
        "## How good must the generator be?", "",
        f"Each GAN of a level against what its fakes add in {variant}: GAN-train (LeNet-5 on its fakes only) as a "
        "share of real-train (on as many real images), and the mean paired gain of the LeNet seeds that trained "
        "on its fakes (one or two per GAN; `gain_vs_quality.csv`). Quality and level move together here (the "
        "large levels' GANs are the best and have the least to add), so read it per colour.", "",
        *[f"- {trend(points, ratio)}" for ratio in sorted({p['ratio'] for p in points})], "",
        f"![gain against generator quality]({figure})", "",
    ]


def published_comparison() -> list[str]:
    return ["For comparison, the report we build on (LeNet-5 from scratch on real + GAN fakes, the GAN trained on",
            "all real training images, so not the same protocol; quoted, not run here):", "", *published_table(), ""]


def steps_text(steps: dict[tuple[int, str], str]) -> str:
    """'500: 500, 1000: 1000; fine-tuning: 500: 125, ...; two-stage (both): ...' from (level, init) -> steps."""
    parts = []
    for init, label in (("scratch", ""), ("finetune", "fine-tuning: "), ("pretrain", "two-stage (both stages): ")):
        here = [f"{lv}: {s}" for (lv, i), s in steps.items() if i == init]
        if here:
            parts.append(label + ", ".join(here))
    return "; ".join(parts)


def counterparts(variants: dict) -> dict[str, str]:
    """Each variant with fakes -> the enabled variant trained the same way without fakes (else real_only).

    A two-stage variant's counterpart fine-tunes: the same steps in all, on real images only.
    """
    without = {v.counterpart_key: name for name, v in variants.items() if v.fakes == "none"}
    without.setdefault((False, "scratch", 0.0), REAL_ONLY)
    return {name: without.get(v.counterpart_key, REAL_ONLY) for name, v in variants.items() if v.fakes != "none"}


def soft_only(variants: dict, pairs: dict[str, str]) -> set[str]:
    """Variants with fakes whose fakes learn from softer targets than their counterpart (``pairs``: ``counterparts``)
    does on its real images: soft targets regularise by themselves, so a gain there is not credited to the fakes."""
    softness = {name: v.real_smoothing for name, v in variants.items()}
    return {name for name, other in pairs.items()
            if max(variants[name].fake_smoothing, variants[name].real_smoothing) > softness.get(other, 0.0)}


def baseline(name: str, variant) -> str:
    """What a variant without fakes is, in the summary's words: 'classical augmentation', 'smoothing30 (label
    smoothing of the real images by 0.3)'."""
    if not variant.real_smoothing:
        return f"{name} augmentation" if variant.augment else name
    smoothing = f"label smoothing of the real images by {variant.real_smoothing:g}"
    return f"{name} ({'classical augmentation, ' if variant.augment else ''}{smoothing})"


def describe(variant, generator: str = "GAN") -> str:
    """One line on how a variant's LeNet-5s are trained (``generator``: what the level's generator is called)."""
    source = FAKE_SOURCES[variant.fakes].format(generator=generator)
    parts = [f"fakes from {source}" if variant.fakes != "none" else "no fakes"]
    if variant.fakes != "none":
        parts.append("judge-filtered" if variant.filter else "unfiltered")
    if variant.augment:
        parts.append("classical augmentation of every image")
    if variant.init == "finetune":
        parts.append("fine-tunes the real-only LeNet-5 of the same seed")
    if variant.init == "pretrain":
        parts.append("two stages: real + fakes, then fine-tuned on real images only")
    if variant.fake_share is not None:
        parts.append(f"{variant.fake_share:.0%} of every batch fakes")
    if variant.fake_weight != 1.0:
        parts.append(f"fakes weigh {variant.fake_weight:g} in the loss")
    if variant.fake_smoothing:
        parts.append(f"fakes' labels smoothed by {variant.fake_smoothing:g}")
    if variant.real_smoothing:
        parts.append(f"real images' labels smoothed by {variant.real_smoothing:g}")
    return ", ".join(parts)

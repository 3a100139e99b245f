"""compare: GAN configurations side by side at one level (``dvc repro compare/dvc.yaml``).

    ganaug compare_lenet --config wgan-gp --data ... --subsets ... --fakes ... --results ...
    ganaug compare_table --health 'reports/compare/{config}/generator_health.json' ... --table ...

Each configuration of ``compare.configs`` is the train_generator section with a few keys changed.
Its GAN trains on ``compare.level``'s real images only (``ganaug compare_gan --config``), its
fakes are made and judged by that level's judge (``ganaug generate``), and ``compare.seeds``
LeNet-5s train on real + fakes at ``compare.ratio`` (``compare_lenet``). Real only trains with
the same seeds, so each configuration's gain is paired seed by seed. ``compare_table`` only
reads those results: one row per configuration with its training time, TARR, acceptance,
health warnings, LeNet accuracy and gain, and a link to its sample grid.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from ganaug.pipeline import stage_files
from ganaug.data.tensors import load_fakes, load_level, load_test_set
from ganaug.data.description import load_description
from ganaug.pipeline.io import atomic_path, load_json_with, save_csv, save_json
from ganaug.params.project import REAL_ONLY, Params, VariantParams
from ganaug.pipeline.runtime import resolve_device, resolve_precision, seed_everything
from ganaug.report.stats import ALPHA, adjusted, paired, summarise
from ganaug.training.cells import Cell, train_cells

MADE_BY = "dvc repro compare/dvc.yaml"


def run_lenets(params: Params, config: str | None, files: stage_files.CompareLenet) -> None:
    """LeNet-5s of one configuration (real + its fakes at compare.ratio), or of real only when ``config`` is None."""
    seed_everything(params.seed)
    settings, device = params.compare, resolve_device(params.device)
    level = settings.level
    real = load_level(files.data, files.subsets, level, device)
    test = load_test_set(files.data, device)
    name, ratio = (config, settings.ratio) if config else (REAL_ONLY, 0.0)
    variants = {config: VariantParams(fakes="gan", filter=settings.filter)} if config else {}
    description = load_description(files.data)
    sources = {"gan": load_fakes(files.fakes, description)} if config else {}
    cells = [Cell(name, ratio, seed) for seed in range(settings.seeds)]
    rows = train_cells(real, test, sources, variants, cells, params.classifier, params.augment,
                       desc=f"compare {name}", n_classes=description.n_classes,
                       precision=resolve_precision(params.precision, device))
    save_json(files.results, {
        "config": name, "level": level, "ratio": ratio, "filter": settings.filter,
        "n_fake": rows[0]["n_fake"], "shortfall": rows[0]["shortfall"],
        "accuracy": {row["seed"]: row["accuracy"] for row in rows},
    })


HEALTH_KEYS = ("train_seconds", "collapsed_classes", "per_seed", "chosen_fid", "chosen_near_copies")
SUMMARY_KEYS = ("tarr", "acceptance_rate")


def _accuracies(path: str, made_by: str) -> dict[int, float]:
    data = load_json_with(path, made_by, ("accuracy",))
    return {int(seed): value for seed, value in data["accuracy"].items()}


def config_row(params: Params, name: str, templates: dict[str, str], base: dict[int, float]) -> dict:
    paths = {key: template.format(config=name) for key, template in templates.items()}
    health = load_json_with(paths["health"], f"{MADE_BY} (gan@{name})", HEALTH_KEYS)
    summary = load_json_with(paths["summaries"], f"{MADE_BY} (fakes@{name})", SUMMARY_KEYS)
    accuracy = _accuracies(paths["results"], made_by=f"{MADE_BY} (lenet@{name})")
    diversity = [ratio for gan in health["per_seed"] for ratio in gan["diversity"]]  # every class of every GAN
    d_wins = [gan["discriminator_wins_at"] for gan in health["per_seed"] if gan["discriminator_wins_at"]]
    fake, gain = summarise(list(accuracy.values())), paired(accuracy, base)
    return {
        "config": name,
        "settings": " ".join(f"{k}={v}" for k, v in params.compare.configs[name].items()) or "(train_generator as is)",
        "arch": params.compare_gan(name).arch,
        "train_seconds": health["train_seconds"],
        "tarr": summary["tarr"],
        "acceptance_rate": summary["acceptance_rate"],
        "gans": len(health["per_seed"]),
        # Each GAN's kept snapshot, of the steps it trained (generators/snapshots.py), and their mean FID.
        "kept_steps": " ".join(f"{gan['chosen']['step']}/{gan['steps_trained']}" for gan in health["per_seed"]),
        "fid": health["chosen_fid"],
        "near_copies": health["chosen_near_copies"],
        "diversity_mean": round(sum(diversity) / len(diversity), 3),
        "diversity_min": min(diversity),
        "collapsed_classes": " ".join(map(str, health["collapsed_classes"])),
        "discriminator_wins_at": min(d_wins, default=""),
        "accuracy": round(fake.mean, 4),
        "accuracy_std": round(fake.std, 4),
        "gain": round(gain.gain.mean, 4),
        "gain_std": round(gain.gain.std, 4),
        "p_value": gain.p_value,
        "grid": paths["grids"],
    }


def with_q_values(rows: list[dict]) -> list[dict]:
    """The rows with Benjamini-Hochberg q values over the configurations (one comparison each with real
    only), as the main table does, and p and q rounded for the table ("" where undefined)."""
    table = []
    for row, q in zip(rows, adjusted([row["p_value"] for row in rows])):
        q = "" if math.isnan(q) else round(q, 4)
        mark = "" if q == "" or q >= ALPHA else ("↑" if row["gain"] > 0 else "↓")
        p = "" if math.isnan(row["p_value"]) else round(row["p_value"], 4)
        table.append({**row, "p_value": p, "q_value": q, "mark": mark})
    return table


def markdown(rows: list[dict], base: dict[int, float], params: Params, table_path: Path) -> str:
    settings = params.compare
    real = summarise(list(base.values()))
    lines = [
        f"# Generator configurations at {settings.level} real images (the GANs and the flow-matching model)",
        "",
        f"Every generator trained on the same {settings.level} real images only; TARR and acceptance are by that level's "
        f"judge (threshold {params.filter.threshold}). LeNet-5 accuracy: {settings.seeds} seeds on real + "
        f"{'judge-accepted ' if settings.filter else ''}fakes at ratio {settings.ratio}; the gain is paired with real "
        f"only seed by seed (real only: {real.mean:.4f} ± {real.std:.4f}). Training time is wall-clock on the machine "
        "that ran it. Generated by `dvc repro compare/dvc.yaml`.",
        "",
        f"↑ / ↓: a significant gain / loss, q < {ALPHA} after Benjamini-Hochberg over the configurations.",
        "",
        "Diversity: per class, the mean pixel distance between fakes over that between real images (1 = as varied"
        " as real; mean and worst class); a class under evaluate.collapse_threshold is listed as collapsed.",
        "",
        "GANs: the configuration's GAN seeds (train_generator.seeds at this level), each trained until its snapshots"
        " stop improving; kept at step: each GAN's kept snapshot / the steps it trained; FID: the kept snapshots' mean, in"
        " the judge's features against the level's real images (the selection criterion); near-copies: the kept"
        " snapshots' mean share of fakes nearer a training image than train_generator.copy_quantile of the training"
        " images are to each other (memorisation; never kept above train_generator.max_copy_share). TARR, acceptance"
        " and diversity cover the fakes of every GAN; LeNet seed s trains on the fakes of GAN s mod GANs.",
        "",
        "| configuration | arch | settings | GANs | kept at step | GAN training (s) | FID | near-copies | TARR "
        "| accepted | diversity mean / min | collapsed classes | D wins at step | LeNet accuracy | gain vs real only "
        "| p | q | samples |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        link = os.path.relpath(r["grid"], table_path.parent)
        gain = f"{r['gain']:+.4f} ± {r['gain_std']:.4f}" + (f" {r['mark']}" if r["mark"] else "")
        lines.append(
            f"| {r['config']} | {r['arch']} | `{r['settings']}` | {r['gans']} | {r['kept_steps']} "
            f"| {r['train_seconds']:.0f} | {r['fid']:.2f} | {r['near_copies']:.3f} | {r['tarr']:.4f} "
            f"| {r['acceptance_rate']:.4f} | {r['diversity_mean']:.3f} / {r['diversity_min']:.3f} "
            f"| {r['collapsed_classes'] or 'none'} | {r['discriminator_wins_at'] or ('n/a' if r['arch'] == 'flow' else 'never')} "
            f"| {r['accuracy']:.4f} ± {r['accuracy_std']:.4f} | {gain} "
            f"| {_shown(r['p_value'])} | {_shown(r['q_value'])} | [grid]({link}) |"
        )
    return "\n".join(lines + ["", "**Reading:** " + reading(rows, settings.ratio), ""])


def _shown(value: float | str) -> str:
    return "n/a" if value == "" else f"{value:.4f}"


def reading(rows: list[dict], ratio: float) -> str:
    """What the table says, in words, from its marks only: says plainly when no fakes help."""
    helped = [r["config"] for r in rows if r["mark"] == "↑"]
    hurt = [r["config"] for r in rows if r["mark"] == "↓"]
    said = (f"fakes from {', '.join(helped)} gave a significant gain over real only at ratio {ratio}" if helped else
            f"no configuration's fakes gave a significant gain over real only at ratio {ratio}")
    return said + (f"; fakes from {', '.join(hurt)} cost significant accuracy." if hurt else ".")


def run_table(params: Params, files: stage_files.CompareTable) -> None:
    templates, table_path = stage_files.templates(files), files.table
    base = _accuracies(files.real_results, made_by=f"{MADE_BY} (lenet_real)")
    rows = with_q_values([config_row(params, name, templates, base) for name in params.compare.configs])
    save_csv(files.table_csv, rows)
    with atomic_path(table_path) as tmp:
        tmp.write_text(markdown(rows, base, params, table_path))

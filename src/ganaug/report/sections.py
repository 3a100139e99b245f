"""The report's sections on the generators: fakes per level, the snapshots kept, generator quality.

Markdown lines from the stages' summaries (generate, pca, judge, train_generator, evaluate); the
report stage (``stages/report.py``) assembles them with the accuracy tables.
"""
from __future__ import annotations

from collections import defaultdict


def class_shortfalls(summary: dict) -> dict[int, int]:
    """Class -> fakes the filter could not serve, summed over the level's GANs (a generate.json)."""
    short = defaultdict(int)
    for c in summary["per_class"]:
        short[c["class"]] += c["shortfall"]
    return {c: n for c, n in short.items() if n}


def gan_section(summaries: dict[str, dict[int, dict]], judges: dict[int, dict], grids: dict[str, dict[int, str]], curves: str) -> list[str]:
    lines = [
        "## Fakes per level", "",
        "TARR = share of fakes the level's judge labels as their conditioning class. GAN and PCA model see only",
        "the level's real images, and so does the judge that filters them.", "",
        "| real images | source | judge test accuracy | fakes generated | TARR | accepted (threshold) | shortfall |",
        "|---|---|---|---|---|---|---|",
    ]
    for source, by_level in summaries.items():
        for level, s in by_level.items():
            short = class_shortfalls(s)
            lines.append(
                f"| {level} | {source} | {judges[level]['test_accuracy']:.4f} | {s['generated']} | {s['tarr']:.4f} | "
                f"{s['acceptance_rate']:.4f} ({s['threshold']:g}) | {s['shortfall']}"
                + (f" (per class: {short})" if short else "") + " |"
            )
    for source, by_level in grids.items():
        lines += [""] + [f"![{source} fakes, {level} real images]({grid})" for level, grid in by_level.items()]
    lines.append("")
    lines += [f"GAN training curves and snapshot scores: ![GAN losses]({curves})", ""]
    return lines


def snapshot_section(health: dict[int, dict]) -> list[str]:
    """Per level: the GANs, the steps they trained and the snapshots kept, by the level's own criterion."""
    lines = [
        "## GANs per level: the snapshots kept", "",
        "Each GAN is scored every few hundred steps on the level's own real images only: FID in the level",
        "judge's features, the judge's TARR, and the share of fakes that are near-copies of a training image",
        "(nearer than the closest 1% of training images are to each other). The snapshot kept has the lowest",
        "FID among those within the near-copy limit. Means over the level's GANs; training times are in",
        "each level's generator_health.json (measured, so they differ from run to run).", "",
        "| real images | GANs | steps trained (allowed) | kept at step | FID, judge features | TARR judge "
        "| near-copies |",
        "|---|---|---|---|---|---|---|",
    ]
    for level, h in health.items():
        trained = ", ".join(str(s["steps_trained"]) for s in h["per_seed"])
        lines.append(
            f"| {level} | {h['gan_seeds']} | {trained} ({h['per_seed'][0]['steps_allowed']}) | "
            + ", ".join(str(s["chosen"]["step"]) for s in h["per_seed"])
            + f" | {h['chosen_fid']:.2f} | {h['chosen_tarr_judge']:.3f} | {h['chosen_near_copies']:.3f} |"
        )
    return lines + [""]


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _spread(quality: dict, key: str, digits: int = 2) -> str:
    """A metric's mean over the level's GANs, ± their standard deviation when there are several."""
    spread = quality.get(f"{key}_spread")
    return _fmt(quality[key], digits) + ("" if spread is None else f" ± {_fmt(spread, digits)}")


def quality_section(quality: dict[int, dict], figures: dict[int, str]) -> list[str]:
    """Generator quality per level (from the evaluate stage), with the real-vs-real floor beside each FID."""
    lines = [
        "## Generator quality per level", "",
        "Fakes as generated (unfiltered), compared with real test images in the feature space of a reference",
        "LeNet-5 trained on all real training images (used only to measure). Floor = the level's own real training",
        "images measured the same way. GAN-train = LeNet-5 trained on fakes only, next to the same LeNet on as",
        "many real images. With several GANs at a level: mean ± standard deviation over them.", "",
        "| real images | TARR judge / reference | GAN-train vs real | FID (floor) | FID accepted | precision (floor) "
        "| recall (floor) | density | coverage | IS fakes / real test | min diversity | flags |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level, q in quality.items():
        flags = [f"collapse: classes {q['collapsed_classes']}"] if q["collapsed_classes"] else []
        flags += [f"low acceptance: classes {q['low_acceptance_classes']}"] if q["low_acceptance_classes"] else []
        cells = [
            f"{_spread(q, 'tarr_judge', 3)} / {_spread(q, 'tarr_reference', 3)}",
            f"{_spread(q, 'gan_train_accuracy', 3)} vs {q['real_train_accuracy']:.3f}",
            f"{_spread(q, 'fid')} ({_fmt(q['fid_floor'])})", _spread(q, "fid_accepted"),
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

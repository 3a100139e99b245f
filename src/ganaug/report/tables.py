"""The accuracy tables, their statistics and the findings, from the retrain results only.

Every cell is summarised over its seeds (mean, standard deviation, 95% t interval) and every
variant is compared with real only at the same level, seed by seed, by a paired t-test; the
p-values of a whole table are adjusted together (Benjamini-Hochberg) before a gain or loss is
marked, since a table makes dozens of comparisons at once.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

from ganaug.report.exchange import worth_columns
from ganaug.params.project import REAL_ONLY
from ganaug.report.stats import ALPHA, Paired, Summary, adjusted, mark, paired, summarise

CellKey = tuple[int, str, float]  # (level, variant, ratio)
ARROWS = {"+": " ↑", "-": " ↓", "": ""}
VERDICT = {"+": "helps", "-": "hurts", "": "no significant effect"}

# The report we build on: LeNet-5 from scratch on real + GAN fakes, the GAN trained on all of
# MNIST (so its small levels saw more real data than their real images). Quoted, not run here.
PUBLISHED = {
    "ratios": (0, 0.01, 0.1, 0.5, 1, 2),
    500: (0.3468, 0.3827, 0.4494, 0.4423, 0.4346, 0.5978),
    1000: (0.6279, 0.5608, 0.6080, 0.5872, 0.6833, 0.6560),
    10000: (0.8695, 0.8788, 0.8706, 0.8813, 0.8901, 0.8685),
}


class CellStats(NamedTuple):
    accuracy: Summary
    versus_real: Paired | None  # None for the real-only cell itself
    q_value: float  # Benjamini-Hochberg adjusted p-value over the whole table (nan: no test)

    @property
    def mark(self) -> str:
        return mark(self.versus_real.gain.mean, self.q_value) if self.versus_real else ""


def cell_values(rows: list[dict]) -> dict[CellKey, dict[int, float]]:
    """(level, variant, ratio) -> {seed: accuracy}."""
    values = defaultdict(dict)
    for row in rows:
        values[int(row["level"]), row["variant"], float(row["ratio"])][int(row["seed"])] = float(row["accuracy"])
    return dict(values)


def cell_stats(values: dict[CellKey, dict[int, float]]) -> dict[CellKey, CellStats]:
    compared = {
        key: paired(by_seed, values[key[0], REAL_ONLY, 0.0])
        for key, by_seed in values.items() if key[1] != REAL_ONLY and (key[0], REAL_ONLY, 0.0) in values
    }
    keys = list(compared)
    q_values = dict(zip(keys, adjusted([compared[k].p_value for k in keys])))
    return {
        key: CellStats(summarise(list(by_seed.values())), compared.get(key), q_values.get(key, math.nan))
        for key, by_seed in values.items()
    }


def stats_rows(stats: dict[CellKey, CellStats], effects: dict, worths: dict) -> list[dict]:
    """One CSV row per cell: its summary, its comparison with real only and, for fakes, with its
    counterpart, and its worth in real images (``exchange.worth_columns``)."""
    rows = []
    for (level, variant, ratio), s in sorted(stats.items()):
        a, versus, effect = s.accuracy, s.versus_real, effects.get((level, variant, ratio))
        rows.append({
            "level": level, "variant": variant, "ratio": ratio, "seeds": a.n,
            "mean": round(a.mean, 4), "std": round(a.std, 4),
            "ci_low": round(a.mean - a.half_width, 4), "ci_high": round(a.mean + a.half_width, 4),
            "gain": round(versus.gain.mean, 4) if versus else "",
            "gain_ci": round(versus.gain.half_width, 4) if versus else "",
            "p_value": _round(versus.p_value) if versus else "", "q_value": _round(s.q_value) if versus else "",
            "significant": {"+": "gain", "-": "loss", "": ""}[s.mark],
            "fakes_vs": effect.counterpart if effect else "",
            "fakes_gain": round(effect.versus.gain.mean, 4) if effect else "",
            "fakes_gain_ci": round(effect.versus.gain.half_width, 4) if effect else "",
            "fakes_q_value": _round(effect.q_value) if effect else "",
            **worth_columns(worths.get((level, variant, ratio))),
        })
    return rows


def _round(value: float) -> float | str:
    return "" if math.isnan(value) else round(value, 4)


def fmt(s: CellStats | None, digits: int = 4) -> str:
    if s is None:
        return ""
    return f"{s.accuracy.mean:.{digits}f} ± {s.accuracy.half_width:.{digits}f}{ARROWS[s.mark]}"


def level_tables(stats: dict[CellKey, CellStats], levels: list[int], variants: list[str]) -> list[str]:
    """Per level: a row per variant, a column per ratio; ratio 0 = no fakes."""
    lines = []
    for level in levels:
        ratios = sorted({r for lv, _, r in stats if lv == level})
        lines += [f"### {level} real images", "", "| variant \\ fake/real ratio | " + " | ".join(f"{r:g}" for r in ratios) + " |"]
        lines.append("|---" * (len(ratios) + 1) + "|")
        for variant in [REAL_ONLY, *variants]:
            if any((level, variant, r) in stats for r in ratios):
                lines.append(f"| {variant} | " + " | ".join(fmt(stats.get((level, variant, r))) for r in ratios) + " |")
        lines.append("")
    return lines


def headline_table(stats: dict[CellKey, CellStats], levels: list[int], headline: str, classical: str | None) -> list[str]:
    """Rows = real images, columns = real only, classical augmentation, then the headline variant per ratio."""
    ratios = sorted({r for _, v, r in stats if v == headline})
    extra = [classical] if classical else []
    lines = [
        "| real images | real only | " + "".join(f"{v} | " for v in extra) + " | ".join(f"{headline} {r:g}" for r in ratios) + " |",
        "|---" * (2 + len(extra) + len(ratios)) + "|",
    ]
    for level in levels:
        cells = [stats.get((level, REAL_ONLY, 0.0))] + [stats.get((level, v, 0.0)) for v in extra]
        cells += [stats.get((level, headline, r)) for r in ratios]
        lines.append(f"| {level} | " + " | ".join(fmt(c) for c in cells) + " |")
    return lines


def published_table() -> list[str]:
    ratios = PUBLISHED["ratios"]
    lines = ["| real \\ fake/real ratio | " + " | ".join(f"{r:g}" for r in ratios) + " |", "|---" * (len(ratios) + 1) + "|"]
    return lines + [f"| {level} | " + " | ".join(f"{a:.4f}" for a in PUBLISHED[level]) + " |" for level in (500, 1000, 10000)]


class FakeEffect(NamedTuple):
    """A variant with fakes against the same training without them (its counterpart)."""

    counterpart: str  # real_only, or e.g. classical for fakes + classical augmentation
    versus: Paired
    q_value: float  # Benjamini-Hochberg adjusted over every such comparison of the table

    @property
    def mark(self) -> str:
        return mark(self.versus.gain.mean, self.q_value)


def fake_effects(values: dict[CellKey, dict[int, float]], counterparts: dict[str, str]) -> dict[CellKey, FakeEffect]:
    """What the fakes themselves add: each cell of a variant with fakes against its counterpart, seed by seed.

    ``counterparts`` maps a variant with fakes to the variant trained the same way without
    them (real_only, classical, finetune_real), so augmentation or fine-tuning alone is not
    credited to the fakes.
    """
    pairs = {
        key: counterparts[key[1]] for key in values
        if key[1] in counterparts and (key[0], counterparts[key[1]], 0.0) in values
    }
    compared = {key: paired(values[key], values[key[0], other, 0.0]) for key, other in pairs.items()}
    q_values = adjusted([c.p_value for c in compared.values()])
    return {key: FakeEffect(pairs[key], c, q) for (key, c), q in zip(compared.items(), q_values)}


def _where(key: CellKey) -> str:
    return f"{key[1]} at {key[2]:g}" if key[2] else key[1]


def _gain(key: CellKey, s: CellStats) -> str:
    g = s.versus_real.gain
    return f"{_where(key)}: {g.mean:+.4f} ± {g.half_width:.4f} (q = {s.q_value:.3f})"


def _effect(key: CellKey, e: FakeEffect) -> str:
    g = e.versus.gain
    return f"{_where(key)} vs {e.counterpart}: {g.mean:+.4f} ± {g.half_width:.4f} (q = {e.q_value:.3f})"


def findings(stats: dict[CellKey, CellStats], effects: dict[CellKey, FakeEffect], levels: list[int],
             leaky: set[str] = frozenset()) -> list[str]:
    """Sentences generated from the numbers: where fakes help or hurt, by how much, and the best cell per level.

    Fakes are judged against their counterpart (``fake_effects``); ``leaky`` variants borrow a
    GAN that saw more real images than the level has, so they are reported apart and never
    count as help.
    """
    lines = [
        "## Findings", "",
        "Gains are paired differences (same seed), mean ± 95% CI half-width; a gain or loss counts when its "
        f"Benjamini-Hochberg adjusted p-value q < {ALPHA}. The fakes are judged against the same training "
        "without them (real_only, or classical for fakes + classical augmentation, finetune_real for "
        "fine-tuning, label smoothing alone for soft labels), so what augmentation, longer training or soft "
        "targets alone do is not credited to them.", "",
    ]
    for level in levels:
        here = {k: s for k, s in stats.items() if k[0] == level}
        best = max(here, key=lambda k: here[k].accuracy.mean)
        fair = {k: e for k, e in effects.items() if k[0] == level and k[1] not in leaky and not math.isnan(e.q_value)}
        helps = sorted(k for k, e in fair.items() if e.mark == "+")
        hurts = sorted(k for k, e in fair.items() if e.mark == "-")
        lines.append(f"**{level} real images.** Best cell: {_where(best)}, {fmt(here[best])} "
                     f"(real only {fmt(here[level, REAL_ONLY, 0.0])}).")
        if helps:
            lines.append("- Fakes help: " + "; ".join(_effect(k, fair[k]) for k in helps) + ".")
        else:
            lines.append(f"- Fakes do not help: no variant with fakes beats its counterpart significantly ({len(fair)} cells tested).")
        if hurts:
            lines.append("- Fakes hurt: " + "; ".join(_effect(k, fair[k]) for k in hurts) + ".")
        no_fakes = sorted(k for k, s in here.items() if s.versus_real and k not in effects and k[1] not in leaky)
        for key in no_fakes:
            verdict = "no test (the same difference at every seed)" if math.isnan(here[key].q_value) else VERDICT[here[key].mark]
            lines.append(f"- No fakes, {_gain(key, here[key])} against real_only: {verdict}.")
        for key in sorted(k for k in effects if k[0] == level and k[1] in leaky):
            lines.append(f"- Leaky protocol (GAN and judge saw all real training images), {_effect(key, effects[key])}: "
                         f"{VERDICT[effects[key].mark]}.")
        lines.append("")
    return lines

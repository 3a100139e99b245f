"""The answer on one screen: where fakes pay and where they cost, in real images, generated.

The report opens with it and the README quotes it. Every sentence comes from the table's
statistics: a cell's effect of fakes against the same training without them (``FakeEffect``,
Benjamini-Hochberg adjusted over the table) and every cell's worth in real images (``Worth``).
"""
from __future__ import annotations

import math

from ganaug.report.exchange import Curve, Worth, count, describe
from ganaug.report.stats import ALPHA
from ganaug.report.tables import CellKey, FakeEffect

LISTED = 3  # cells named per sentence; the rest are counted (every cell is in accuracy_stats.csv)


def _cell(key: CellKey) -> str:
    level, variant, ratio = key
    return f"{variant} at {ratio:g} ({level} real images)" if ratio else f"{variant} ({level} real images)"


def _versus(key: CellKey, effect: FakeEffect, worths: dict[CellKey, Worth], curve: Curve) -> str:
    g = effect.versus.gain
    other = worths.get((key[0], effect.counterpart, 0.0))
    against = f" against {count(other.real, curve)} for {effect.counterpart}" if other else ""
    return (f"{_cell(key)}: {describe(worths[key], curve)}{against}; "
            f"{g.mean:+.4f} ± {g.half_width:.4f} accuracy (q = {effect.q_value:.3f})")


def _listed(keys: list[CellKey], effects: dict[CellKey, FakeEffect], worths: dict[CellKey, Worth], curve: Curve) -> str:
    """The ``LISTED`` cells of largest effect, then how many more."""
    shown = sorted(keys, key=lambda k: -abs(effects[k].versus.gain.mean))[:LISTED]
    more = len(keys) - len(shown)
    return "; ".join(_versus(k, effects[k], worths, curve) for k in shown) + (f"; and {more} more" if more else "")


def answer(effects: dict[CellKey, FakeEffect], worths: dict[CellKey, Worth], curve: Curve, levels: list[int],
           baselines: dict[str, str], leaky: set[str] = frozenset(),
           shortfalls: dict[int, dict[int, int]] | None = None, smoothed: set[str] = frozenset()) -> list[str]:
    """The summary's lines: where fakes pay, where they cost, how close they come per level, the ``baselines``
    (variants without fakes, by name -> what they are: classical augmentation, label smoothing) for scale,
    and where the judge's filter could not serve every class (``shortfalls``: level -> class -> fakes missing).

    ``leaky`` variants borrow a GAN that saw more real images than the level has; they never count.
    ``smoothed`` variants learn the fakes with soft targets, a regulariser of its own that their
    counterpart (the same training without fakes) lacks: their gains are listed apart, not credited.
    """
    fair = {k: e for k, e in effects.items() if k[1] not in leaky and not math.isnan(e.q_value)}
    pays = [k for k, e in fair.items() if e.mark == "+" and k[1] not in smoothed]
    soft = [k for k, e in fair.items() if e.mark == "+" and k[1] in smoothed]
    costs = [k for k, e in fair.items() if e.mark == "-"]
    lines = [
        "## The answer, in real images", "",
        "What a cell is worth: the real images with which real only reaches its accuracy on the real-only "
        "learning curve (its mean gain over real only, seed by seed, added to the curve at its level), and that "
        "over the images it has (×), with a 95% interval from resampling seeds. Fakes pay where they beat the "
        f"same training without them (Benjamini-Hochberg adjusted q < {ALPHA} over the {len(fair)} cells "
        "with fakes).", "",
    ]
    if pays:
        lines.append(f"- **Fakes pay in {len(pays)} of {len(fair)} cells**: {_listed(pays, effects, worths, curve)}.")
    else:
        lines.append(f"- **Fakes pay nowhere**: none of the {len(fair)} cells with fakes beats the same training "
                     "without them.")
    if soft:
        lines.append(f"- **Soft labels gain in {len(soft)} cells, not credited to the fakes** (soft targets regularise "
                     "by themselves; label smoothing of the real images alone is the control: docs/training.md): "
                     f"{_listed(soft, effects, worths, curve)}.")
    if costs:
        lines.append(f"- **Fakes cost in {len(costs)} of {len(fair)} cells**: {_listed(costs, effects, worths, curve)}.")
    closest = []
    for level in levels:
        here = [k for k in fair if k[0] == level and k[1] not in smoothed]
        if here:
            best = max(here, key=lambda k: fair[k].versus.gain.mean)
            closest.append(_versus(best, fair[best], worths, curve))
    if closest:
        lines.append("- **Closest they come**, per level (the largest gain over the same training without fakes, "
                     "soft labels aside): "
                     + "; ".join(closest) + ".")
    scale = [f"{label} is " + "; ".join(f"{describe(worths[lv, name, 0.0], curve)} at {lv}"
                                         for lv in levels if (lv, name, 0.0) in worths)
             for name, label in baselines.items() if any((lv, name, 0.0) in worths for lv in levels)]
    if scale:
        lines.append("- **For scale, without fakes**: " + ". ".join(scale) + ".")
    short = {lv: by_class for lv, by_class in (shortfalls or {}).items() if by_class}
    if short:
        lines.append("- **The filter falls short** of the fakes asked for (filtered cells then train on fewer): "
                     + "; ".join(f"at {lv} real images, {sum(c.values())} fakes of classes {sorted(c)}"
                                 for lv, c in sorted(short.items())) + ".")
    return lines + [""]

"""What a cell is worth in real images: its accuracy read off the real-only learning curve.

A cell's accuracy is mapped to the fewest real images with which real only reaches it
(``reports/learning_curve.csv``: the grid's recipe at ``curve.levels``), interpolating linearly in
log n between the curve's levels. Divided by the cell's own real images that is its exchange
rate: 1.15x means the cell is as good as real only with 15% more real images than it has.

The curve's means are made non-decreasing first (pool adjacent violators): a dip between two
levels is seed noise, and only a monotone curve has an inverse. A cell below the curve's first
point or above its last is out of its range, and says so instead of extrapolating. The 95%
interval resamples seeds (bootstrap percentiles): the cell's seeds and each curve level's seeds
independently, so it covers the noise of both.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

import numpy as np

from ganaug.pipeline.io import load_numeric_csv
from ganaug.report.stats import CONFIDENCE

BELOW, ABOVE = -math.inf, math.inf  # real_equivalent of an accuracy outside the curve's range


class Curve(NamedTuple):
    levels: np.ndarray  # real training images per point, increasing
    seeds: list[np.ndarray]  # per point, the accuracy of every seed


def curve_from_rows(rows: list[dict]) -> Curve:
    """The learning curve from the curve stage's rows {level, seed, accuracy, ...}."""
    by_level = defaultdict(list)
    for row in rows:
        by_level[int(row["level"])].append(float(row["accuracy"]))
    levels = sorted(by_level)
    return Curve(np.array(levels, dtype=float), [np.array(by_level[lv]) for lv in levels])


CURVE_NUMBERS = ("level", "seed", "steps", "accuracy")


def load_curve(path) -> Curve:
    """The learning curve the curve stage wrote (reports/learning_curve.csv), its numbers checked."""
    return curve_from_rows(load_numeric_csv(path, "dvc repro curve", CURVE_NUMBERS))


def monotone(values: np.ndarray) -> np.ndarray:
    """The least-squares non-decreasing fit of equally weighted ``values`` (pool adjacent violators)."""
    if np.all(np.diff(values) >= 0):
        return np.asarray(values, dtype=float)  # the usual case: nothing to pool
    blocks: list[list[float]] = []  # [sum, count] of each pooled block
    for value in values:
        blocks.append([float(value), 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    return np.concatenate([np.full(int(count), total / count) for total, count in blocks])


def real_equivalent(levels: np.ndarray, means: np.ndarray, accuracy: float) -> float:
    """Fewest real images with which the monotone curve through (levels, means) reaches ``accuracy``.

    Linear in log n between points; BELOW (-inf) under the first point, ABOVE (inf) over the last.
    """
    return _inverse(levels, monotone(means), accuracy)


def _inverse(levels: np.ndarray, fit: np.ndarray, accuracy: float) -> float:
    if accuracy < fit[0]:
        return BELOW
    if accuracy > fit[-1]:
        return ABOVE
    i = int(np.searchsorted(fit, accuracy, side="left"))  # first point at or above the accuracy
    if i == 0:
        return float(levels[0])
    share = (accuracy - fit[i - 1]) / (fit[i] - fit[i - 1])
    low, high = math.log(levels[i - 1]), math.log(levels[i])
    return math.exp(low + share * (high - low))


def _forward(levels: np.ndarray, fit: np.ndarray, n: float) -> float:
    return float(np.interp(math.log(n), np.log(levels), fit))


class Worth(NamedTuple):
    level: int  # the cell's own real images
    real: float  # real images real only needs for the cell's mean accuracy (BELOW / ABOVE out of range)
    low: float  # 95% bootstrap interval of ``real``; either end may be BELOW or ABOVE
    high: float

    @property
    def rate(self) -> float:
        return self.real / self.level

    @property
    def in_range(self) -> bool:
        return math.isfinite(self.real)


def worth(gains: list[float], level: int, curve: Curve, resamples: int, rng: np.random.Generator) -> Worth:
    """A cell's worth in real images, from its gains over real only seed by seed (same seed, same real subset).

    The cell's accuracy is taken as the curve's at its level plus its mean paired gain: the
    real-only cell is then worth exactly its own images, and the seed noise a cell shares with
    real only cancels. The CI resamples the cell's seeds and each curve level's seeds.
    """
    gains_ = np.asarray(gains, dtype=float)

    def invert(means: np.ndarray, gain: float) -> float:
        fit = monotone(means)
        return _inverse(curve.levels, fit, _forward(curve.levels, fit, level) + gain)

    means = np.array([s.mean() for s in curve.seeds])
    real = invert(means, float(gains_.mean()))
    gain_draws = rng.choice(gains_, (resamples, len(gains_))).mean(axis=1)
    curve_draws = np.stack([rng.choice(s, (resamples, len(s))).mean(axis=1) for s in curve.seeds], axis=1)
    draws = np.array([invert(m, g) for m, g in zip(curve_draws, gain_draws)])
    tail = 100 * (1 - CONFIDENCE) / 2
    # "lower" / "higher" keep the percentiles on drawn values, so an infinite end stays infinite.
    low = float(np.percentile(draws, tail, method="lower"))
    high = float(np.percentile(draws, 100 - tail, method="higher"))
    return Worth(level, real, low, high)


def worth_columns(w: Worth | None) -> dict:
    """The accuracy_stats.csv columns of a cell's worth; empty where out of the curve's range."""
    def cell(value: float, scale: float = 1.0, digits: int = 0) -> float | str:
        return round(value / scale, digits) if math.isfinite(value) else ""

    if w is None:
        return {key: "" for key in ("worth", "worth_low", "worth_high", "exchange", "exchange_low",
                                    "exchange_high", "worth_range")}
    return {
        "worth": cell(w.real), "worth_low": cell(w.low), "worth_high": cell(w.high),
        "exchange": cell(w.real, w.level, 3), "exchange_low": cell(w.low, w.level, 3),
        "exchange_high": cell(w.high, w.level, 3),
        "worth_range": "in" if w.in_range else ("below" if w.real == BELOW else "above"),
    }


def count(value: float, curve: Curve) -> str:
    """A number of real images in words: three significant digits, or where it leaves the curve."""
    if value == BELOW:
        return f"under {int(curve.levels[0])}"
    if value == ABOVE:
        return f"over {int(curve.levels[-1])}"
    return f"{float(f'{value:.3g}'):.0f}"


def describe(w: Worth, curve: Curve) -> str:
    """'worth 230 real images (1.15×, CI 1.05–1.26)'; an end beyond the curve reads 'over 6.00' or 'under 0.01'."""
    def rate(value: float) -> str:
        if math.isfinite(value):
            return f"{value / w.level:.2f}"
        end = curve.levels[0] if value == BELOW else curve.levels[-1]
        return f"{'under' if value == BELOW else 'over'} {end / w.level:.2f}"

    return f"worth {count(w.real, curve)} real images ({rate(w.real)}×, CI {rate(w.low)}–{rate(w.high)})"

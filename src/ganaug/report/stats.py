"""Summaries over seeds and paired comparisons with real only, by scipy."""
from __future__ import annotations

import math
import statistics
from typing import NamedTuple

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05  # a gain or loss is marked when its false-discovery-adjusted p-value is below this


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


class Summary(NamedTuple):
    mean: float
    std: float  # sample standard deviation over seeds
    half_width: float  # of the 95% t confidence interval of the mean (nan for one seed)
    n: int


def summarise(values: list[float]) -> Summary:
    """Mean, standard deviation and the half-width of its 95% confidence interval (Student t)."""
    mean, std = mean_std(values)
    n = len(values)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * std / math.sqrt(n) if n > 1 else math.nan
    return Summary(mean, std, float(half), n)


class Paired(NamedTuple):
    gain: Summary  # of the per-seed differences (variant - real only)
    p_value: float  # two-sided paired t-test; nan when the differences do not vary (no test is possible)


def paired(cell: dict[int, float], base: dict[int, float]) -> Paired:
    """Compare a cell with real only seed by seed (same seed = same real-subset order and initialisation)."""
    seeds = sorted(set(cell) & set(base))
    a, b = np.array([cell[s] for s in seeds]), np.array([base[s] for s in seeds])
    diff = summarise((a - b).tolist())
    # Accuracies are stored to 4 decimals; compare differences on that grid, or float noise
    # (1e-17) would pass for a spread and a constant difference would get p = 0.
    varies = len(seeds) > 1 and np.ptp(np.round(a - b, 4)) > 0
    p = stats.ttest_rel(a, b).pvalue if varies else math.nan
    return Paired(diff, float(p))


def adjusted(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (nan stays nan): a table makes many comparisons at once."""
    finite = [i for i, p in enumerate(p_values) if not math.isnan(p)]
    out = [math.nan] * len(p_values)
    if finite:
        for i, q in zip(finite, stats.false_discovery_control([p_values[i] for i in finite])):
            out[i] = float(q)
    return out


def mark(gain: float, q_value: float) -> str:
    """'+' a significant gain, '-' a significant loss, '' neither."""
    if math.isnan(q_value) or q_value >= ALPHA:
        return ""
    return "+" if gain > 0 else "-"

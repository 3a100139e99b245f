"""Figures only the report draws: what each cell is worth in real images; gain against generator quality.

Apart from ``figures.py`` so that the stages that draw samples do not rerun when these change.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ganaug.report.exchange import Worth
from ganaug.report.figures import _save, finish_panels, plt
from ganaug.params.table import REAL_ONLY


def plot_exchange(path: Path, series: dict[tuple[int, str], list[tuple[float, Worth]]], span: tuple[float, float],
                  headline: str, takeaway: str) -> None:
    """Exchange rate (worth / real images, log axis) against fakes per real image, one panel per level.

    ``series`` maps (level, variant) to [(ratio, worth), ...]; ``span`` is the real-only curve's
    range of real images. A variant without fakes (ratio 0) is a horizontal line. A worth beyond
    the curve is drawn at the panel's edge as a triangle pointing out of it, since the curve
    cannot say how far beyond; error bars are the 95% intervals, cut at the same edges.
    """
    levels = sorted({level for level, _ in series})
    variants = [v for v in dict.fromkeys(v for _, v in series) if v != REAL_ONLY]
    palette = [c for i, c in enumerate(plt.cm.tab10.colors) if i != 3]  # red (3) is the headline's alone
    colours = {v: palette[i % len(palette)] for i, v in enumerate(w for w in variants if w != headline)}
    colours[headline] = "tab:red"
    figure, axes = plt.subplots(1, len(levels), figsize=(4.2 * len(levels), 3.8), squeeze=False)
    for ax, level in zip(axes[0], levels):
        low, high = span[0] / level, span[1] / level
        clip = lambda v: min(max(v / level, low), high)  # noqa: E731  (an edge stands for "beyond")
        for variant in variants:
            points = sorted(series.get((level, variant), []))
            if not points:
                continue
            bold = variant == headline
            style = {"color": colours[variant], "linewidth": 2.2 if bold else 0.9, "alpha": 1.0 if bold else 0.7}
            rates = np.array([clip(w.real) for _, w in points])
            if points[0][0] == 0:  # no fakes: one value, no ratio
                ax.axhline(rates[0], linestyle="--", label=variant, **style)
                continue
            ratios = np.array([r for r, _ in points])
            errors = np.abs(np.array([[clip(w.low), clip(w.high)] for _, w in points]).T - rates)
            ax.errorbar(ratios, rates, yerr=errors, capsize=2, label=variant, **style)
            for ratio, rate, (_, w) in zip(ratios, rates, points):
                if not w.in_range:
                    ax.plot(ratio, rate, marker="^" if w.real == math.inf else "v", markersize=7, color=colours[variant])
        ax.axhline(1.0, color="black", linewidth=1.5, label=f"{REAL_ONLY} (1×)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=2))  # 0.5x, 1x, 2x, 4x: halving and doubling read alike
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        drawn = [clip(v) for variant in variants for _, w in series.get((level, variant), []) for v in (w.low, w.high)]
        ax.set_ylim(min(drawn + [1.0]) / 1.15, max(drawn + [1.0]) * 1.15)
        ax.set_title(f"{level} real images", fontsize=9)
        ax.set_xlabel("fakes per real image")
        ax.grid(alpha=0.3, which="both")
    finish_panels(figure, axes, path, "worth in real images / real images (×)", takeaway)


def plot_gain_vs_quality(path: Path, points: list[dict], variant: str) -> None:
    """Per GAN (one point per GAN and ratio): the gain of its fakes over real only against its GAN-train.

    x = GAN-train as a share of real-train (LeNet-5 on fakes only against as many real images),
    y = the mean paired gain of the LeNet seeds that trained on that GAN's fakes; colour = level.
    """
    levels = sorted({p["level"] for p in points})
    ratios = sorted({p["ratio"] for p in points})
    markers = dict(zip(ratios, "osD^vP*X"))
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for i, level in enumerate(levels):
        for ratio in ratios:
            here = [p for p in points if p["level"] == level and p["ratio"] == ratio]
            axes.scatter([p["gan_train_share"] for p in here], [p["gain"] for p in here], color=plt.cm.viridis(i / max(len(levels) - 1, 1)),
                         marker=markers[ratio], s=30, label=f"{level} real, ratio {ratio:g}" if here else None)
    axes.axhline(0, color="black", linewidth=1)
    axes.set_xlabel("GAN-train / real-train (LeNet-5 on fakes only vs as many real images)")
    axes.set_ylabel(f"{variant}: gain over real only (accuracy)")
    axes.set_title("How good must the generator be? One point per GAN and ratio", fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=6, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the points, not on them
    _save(figure, path)

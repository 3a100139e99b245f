"""PNG figures: sample grids, GAN training curves and accuracy against ratio.

Each function draws one figure and writes it atomically; none computes results.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ganaug.pipeline.io import atomic_path  # noqa: E402
from ganaug.params.table import REAL_ONLY  # noqa: E402


def _save(figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)


def finish_panels(figure, axes, path: Path, ylabel: str, takeaway: str) -> None:
    """A row of panels: the y label on the first, the takeaway as the title, one legend below all, saved."""
    axes[0][0].set_ylabel(ylabel)
    figure.suptitle(takeaway, fontsize=10)
    entries = {}  # every panel's entries once: a variant absent from the first panel still gets one
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    figure.legend(list(entries.values()), list(entries), loc="lower center", ncol=min(len(entries), 8), fontsize=8,
                  bbox_to_anchor=(0.5, -0.02))
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    _save(figure, path)


def save_sample_grid(path: Path, rows: Sequence[np.ndarray], rejected: Sequence[np.ndarray], title: str) -> None:
    """One row of stored uint8 images (K, H, W) or (K, H, W, 3) per class; rejected images get a red frame.

    Grayscale is drawn as dark ink on white (digits read best so); colour as it is.
    """
    side = next((r.shape[1] for r in rows if len(r)), 0)  # an empty grid gets one blank cell
    cell = side + 2  # a one-pixel frame around each image
    n_cols = max((len(r) for r in rows), default=0)
    canvas = np.full((len(rows) * cell, max(n_cols, 1) * cell, 3), 255, np.uint8)
    for i, (images, flags) in enumerate(zip(rows, rejected)):
        for j, (image, is_rejected) in enumerate(zip(images, flags)):
            top, left = i * cell, j * cell
            if is_rejected:
                canvas[top:top + cell, left:left + cell] = (220, 30, 30)
            canvas[top + 1:top + cell - 1, left + 1:left + cell - 1] = (255 - image)[..., None] if image.ndim == 2 else image
    figure, axes = plt.subplots(figsize=(0.5 * max(n_cols, 1) + 0.6, 0.5 * len(rows) + 0.6))
    axes.imshow(canvas, interpolation="nearest")
    axes.set_yticks(np.arange(len(rows)) * cell + (cell - 1) / 2, [str(c) for c in range(len(rows))])
    axes.set_xticks([])
    axes.set_title(title, fontsize=8)
    _save(figure, path)


def plot_gan_logs(path: Path, logs: dict[int, list[dict[str, str]]], criteria: dict[int, list[dict[str, str]]],
                  chosen: dict[int, dict[int, int]]) -> None:
    """Per level: GAN seed 0's losses and mean D(x), D(G(z)) by step (a flow's loss, and no D panel), and
    every seed's snapshot FID (in the level judge's features) with the kept snapshot marked."""
    figure, axes = plt.subplots(len(logs), 3, figsize=(14, 2.8 * len(logs)), squeeze=False)
    for (level, rows), (loss_axes, d_axes, fid_axes) in zip(logs.items(), axes):
        rows = [r for r in rows if int(r["gan_seed"]) == 0]
        step = [int(r["step"]) for r in rows]
        if rows and "d_loss" not in rows[0]:  # a flow: its flow-matching loss, and no discriminator to draw
            loss_axes.plot(step, [float(r["loss"]) for r in rows], label="flow-matching loss")
            loss_axes.set(title=f"{level} real images: loss (seed 0)", ylabel="loss")
            d_axes.set_axis_off()
            d_axes.text(0.5, 0.5, "flow matching: no discriminator", ha="center", va="center", fontsize=9)
        else:
            _plot_gan_log(loss_axes, d_axes, level, step, rows)
        for seed, kept in sorted(chosen[level].items()):
            curve = [r for r in criteria[level] if int(r["gan_seed"]) == seed]
            line, = fid_axes.plot([int(r["step"]) for r in curve], [float(r["fid"]) for r in curve],
                                  label=f"GAN seed {seed}")
            at = [float(r["fid"]) for r in curve if int(r["step"]) == kept]
            fid_axes.plot([kept] * len(at), at, "o", color=line.get_color())
        fid_axes.set(title=f"{level} real images: snapshot FID (dot = kept)", ylabel="FID, judge features")
        fid_axes.set_yscale("log")
        for ax in (ax for ax in (loss_axes, d_axes, fid_axes) if ax.axison):
            ax.title.set_fontsize(9)
            ax.set_xlabel("generator step")
            ax.legend(fontsize=7)
    figure.suptitle("GAN training per level: a healthy run keeps D(x) above D(G(z)) without either reaching 0 or 1;\n"
                    "the kept generator is the snapshot of lowest FID on the level's own images (right)", fontsize=10)
    figure.tight_layout()
    _save(figure, path)


def _plot_gan_log(loss_axes, d_axes, level: int, step: list[int], rows: list[dict[str, str]]) -> None:
    """A GAN's losses, and its discriminator's mean outputs on real images and fakes."""
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        loss_axes.plot(step, [float(r[key]) for r in rows], label=label)
    for key, label in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        d_axes.plot(step, [float(r[key]) for r in rows], label=label)
    loss_axes.set(title=f"{level} real images: losses (GAN seed 0)", ylabel="loss")
    d_axes.set(title=f"{level} real images: discriminator outputs", ylabel="mean D output (1 = real)")
    # Probabilities get the full [0, 1] scale; a Wasserstein critic's raw scores keep their own.
    if all(0 <= float(r[key]) <= 1 for r in rows for key in ("d_real", "d_fake")):
        d_axes.set_ylim(0, 1)


def plot_accuracy(path: Path, series: dict[tuple[int, str], list[tuple[float, float, float]]], fake_variants: set[str],
                  headline: str, takeaway: str) -> None:
    """Test accuracy against fake/real ratio, one panel per level, under a title that says what to take away.

    ``series`` maps (level, variant) to [(ratio, mean, CI half-width), ...]. A variant with
    fakes is a line over its ratios; one without (real only, classical augmentation) is a
    horizontal line, since it has no ratio. Only the headline variant and real only get their
    95% confidence band, drawn boldly: eight overlapping bands would hide every line. One panel
    per level, because accuracies at the smallest and the largest level differ by more than any effect of the fakes.
    """
    levels = sorted({level for level, _ in series})
    variants = list(dict.fromkeys(v for _, v in series))
    palette = [c for i, c in enumerate(plt.cm.tab10.colors) if i != 3]  # red (3) is the headline's alone
    colours = {v: palette[i % len(palette)] for i, v in enumerate(v for v in variants if v not in (REAL_ONLY, headline))}
    colours[REAL_ONLY], colours[headline] = "black", "tab:red"
    figure, axes = plt.subplots(1, len(levels), figsize=(4.2 * len(levels), 3.8), squeeze=False)
    for ax, level in zip(axes[0], levels):
        for variant in variants:
            points = series.get((level, variant))
            if not points:
                continue
            ratio, mean, half = (np.array(x) for x in zip(*sorted(points)))
            half = np.nan_to_num(half)
            bold = variant in (REAL_ONLY, headline)
            style = {"color": colours[variant], "linewidth": 2.2 if bold else 0.9, "alpha": 1.0 if bold else 0.65,
                     "label": f"{variant} (95% CI band)" if bold else variant, "zorder": 3 if bold else 2}
            if variant in fake_variants:
                ax.plot(ratio, mean, marker="o", markersize=4 if bold else 2.5, **style)
                if bold:
                    ax.fill_between(ratio, mean - half, mean + half, color=colours[variant], alpha=0.18, zorder=1)
            else:
                ax.axhline(mean[0], linestyle="--", **style)
                if bold:
                    ax.axhspan(mean[0] - half[0], mean[0] + half[0], color=colours[variant], alpha=0.12, zorder=1)
        ax.set_xscale("log")
        ax.set_title(f"{level} real images", fontsize=9)
        ax.set_xlabel("fakes per real image")
        ax.grid(alpha=0.3)
    finish_panels(figure, axes, path, "LeNet-5 test accuracy", takeaway)


def plot_learning_curve(path: Path, points: list[tuple[int, float, float]], seeds: int) -> None:
    """Real-only test accuracy against real training images (log axis), with its 95% confidence band."""
    levels, mean, half = (np.array(x, dtype=float) for x in zip(*points))
    figure, axes = plt.subplots(figsize=(6, 3.8))
    axes.plot(levels, mean, marker="o", color="black", label=f"real only, mean of {seeds} seeds")
    axes.fill_between(levels, mean - half, mean + half, color="black", alpha=0.15, label="95% CI")
    axes.set_xscale("log")
    axes.set_xlabel("real training images")
    axes.set_ylabel("LeNet-5 test accuracy")
    axes.set_title("What each extra real image is worth: the real-only learning curve", fontsize=9)
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8, loc="lower right")
    _save(figure, path)


def plot_per_class_quality(path: Path, rows: list[dict], title: str) -> None:
    """Per class: how many fakes are recognised and accepted, and how diverse they are relative to real."""
    classes = np.array([r["class"] for r in rows])
    figure, (tarr_axes, diversity_axes) = plt.subplots(1, 2, figsize=(11, 3.6))
    legend = (("tarr_judge", "labelled as their class by the level's judge"),
              ("tarr_reference", "... by the reference LeNet (all real training images)"),
              ("acceptance", "accepted by the filter"))
    for offset, (key, label) in zip((-0.27, 0, 0.27), legend):
        tarr_axes.bar(classes + offset, [r[key] for r in rows], width=0.27, label=label)
    tarr_axes.set_ylim(0, 1.0)
    tarr_axes.set_ylabel("share of the class's fakes")
    tarr_axes.set_title(f"{title}: are the fakes the digit asked for?", fontsize=9)
    tarr_axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    diversity_axes.bar(classes, [r["diversity"] for r in rows], color="tab:green")
    diversity_axes.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    diversity_axes.set_ylabel("spread of fakes / spread of real")
    diversity_axes.set_title(f"{title}: diversity (1 = as varied as the real images;\n"
                             "above 1 = more spread, e.g. odd strokes; near 0 = collapse)", fontsize=9)
    for ax in (tarr_axes, diversity_axes):
        ax.set_xticks(classes)
        ax.set_xlabel("digit class")
    figure.tight_layout()
    _save(figure, path)


def plot_confidences(path: Path, scores: np.ndarray, threshold: float, title: str) -> None:
    """Histogram of the judge's probability for each fake's own label, with the filter threshold."""
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.hist(scores, bins=50, range=(0, 1), color="tab:blue")
    axes.axvline(threshold, color="tab:red", label=f"threshold {threshold:g}")
    axes.set_yscale("log")
    axes.set_xlabel("judge probability of the conditioning label")
    axes.set_ylabel("fakes")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=8)
    _save(figure, path)

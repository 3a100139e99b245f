"""How good must the generator be? Each GAN's quality against what its fakes are worth downstream.

Every level has several GANs (``train_generator.seeds``) and LeNet seed s trains on the fakes of
GAN s mod k, so each GAN has its own quality (``evaluate``'s per-GAN metrics: GAN-train, TARR by
the reference) and its own paired gains over real only (the LeNet seeds that used its fakes).
Those GANs of graded quality are the points: one per (level, GAN, ratio) of one variant.
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from scipy import stats

from ganaug.report.exchange import Curve, worth
from ganaug.params.project import REAL_ONLY


def per_gan_gains(rows: list[dict], variant: str) -> dict[tuple[int, int, float], list[float]]:
    """(level, GAN seed, ratio) -> the paired gains over real only of the LeNet seeds that used that GAN's fakes."""
    real = {(int(r["level"]), int(r["seed"])): float(r["accuracy"]) for r in rows if r["variant"] == REAL_ONLY}
    gains = defaultdict(list)
    for r in rows:
        if r["variant"] == variant and r["gan_seed"] not in ("", None):
            level, seed = int(r["level"]), int(r["seed"])
            if (level, seed) in real:
                gains[level, int(r["gan_seed"]), float(r["ratio"])].append(float(r["accuracy"]) - real[level, seed])
    return dict(sorted(gains.items()))


def quality_points(gains: dict[tuple[int, int, float], list[float]], quality: dict[int, dict], curve: Curve,
                   resamples: int, seed: int) -> list[dict]:
    """One row per (level, GAN, ratio): the GAN's quality, its fakes' mean gain and worth in real images."""
    rng = np.random.default_rng(seed)
    rows = []
    for (level, gan, ratio), values in gains.items():
        q = next(p for p in quality[level]["per_gan_seed"] if p["gan_seed"] == gan)
        w = worth(values, level, curve, resamples, rng)
        rows.append({
            "level": level, "gan_seed": gan, "ratio": ratio, "lenets": len(values),
            "gan_train_accuracy": q["gan_train_accuracy"], "real_train_accuracy": quality[level]["real_train_accuracy"],
            "gan_train_share": round(q["gan_train_accuracy"] / quality[level]["real_train_accuracy"], 4),
            "tarr_reference": q["tarr_reference"], "fid": q["fid"],
            "gain": round(float(np.mean(values)), 4),
            "exchange": round(w.rate, 3) if w.in_range else "",
        })
    return rows


def trend(points: list[dict], ratio: float) -> str:
    """A sentence: does the gain at ``ratio`` rise with GAN-train (relative to real) across the GANs?"""
    here = [p for p in points if p["ratio"] == ratio]
    if len(here) < 3:
        return f"At ratio {ratio:g}: {len(here)} GANs, too few to tell."
    x, y = [q["gan_train_share"] for q in here], [q["gain"] for q in here]
    rho, p = stats.spearmanr(x, y) if len(set(x)) > 1 and len(set(y)) > 1 else (math.nan, math.nan)
    if math.isnan(rho):
        return f"At ratio {ratio:g}: the gains or the GAN-train shares do not vary over the {len(here)} GANs."
    best = max(here, key=lambda q: q["gain"])
    return (f"At ratio {ratio:g}, over {len(here)} GANs at {len({q['level'] for q in here})} levels: Spearman ρ = {rho:+.2f} "
            f"(p = {p:.3f}) between GAN-train (as a share of real-train) and the gain; the best GAN "
            f"({best['level']} real images, seed {best['gan_seed']}, GAN-train {best['gan_train_share']:.1%} of real) "
            f"gains {best['gain']:+.4f}.")

"""Gain against generator quality: each GAN's gains come from the LeNet seeds that used its fakes."""
import numpy as np

from ganaug.report.exchange import Curve
from ganaug.report.quality_gain import per_gan_gains, quality_points, trend


def _row(variant, seed, accuracy, gan_seed="", ratio=0.0, level=500):
    return {"level": str(level), "variant": variant, "ratio": str(ratio), "seed": str(seed), "gan_seed": str(gan_seed),
            "accuracy": str(accuracy)}


def test_each_gan_gets_the_gains_of_the_lenet_seeds_that_used_its_fakes():
    rows = [_row("real_only", s, 0.90) for s in range(4)]
    rows += [_row("gan_filtered", s, 0.90 + 0.01 * s, gan_seed=s % 2, ratio=0.5) for s in range(4)]
    rows += [_row("gan", 0, 0.5, gan_seed=0, ratio=0.5)]  # another variant: not counted
    gains = per_gan_gains(rows, "gan_filtered")
    assert list(gains) == [(500, 0, 0.5), (500, 1, 0.5)]
    np.testing.assert_allclose(gains[500, 0, 0.5], [0.00, 0.02])  # LeNet seeds 0 and 2
    np.testing.assert_allclose(gains[500, 1, 0.5], [0.01, 0.03])


def test_points_carry_the_gans_own_quality_and_the_trend_reads_them():
    quality = {500: {"real_train_accuracy": 0.9, "per_gan_seed": [
        {"gan_seed": g, "gan_train_accuracy": 0.6 + 0.1 * g, "tarr_reference": 0.9, "fid": 10.0} for g in range(3)]}}
    gains = {(500, g, 1.0): [0.001 * g, 0.001 * g + 0.002] for g in range(3)}
    curve = Curve(np.array([100.0, 500.0, 1000.0]), [np.array([0.8, 0.82]), np.array([0.9, 0.9]), np.array([0.95, 0.95])])
    points = quality_points(gains, quality, curve, resamples=100, seed=0)
    assert [p["gan_train_share"] for p in points] == [round(0.6 / 0.9, 4), round(0.7 / 0.9, 4), round(0.8 / 0.9, 4)]
    assert [p["gain"] for p in points] == [0.001, 0.002, 0.003]
    assert trend(points, 1.0).startswith("At ratio 1, over 3 GANs at 1 levels: Spearman ρ = +1.00")
    assert trend(points[:2], 1.0) == "At ratio 1: 2 GANs, too few to tell."

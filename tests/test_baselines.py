"""The baselines and the statistics: classical augmentation, the PCA generator, paired tests."""
import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import special

from ganaug.training.augment import draw_warps, generator_for, warp
from ganaug.params.project import AugmentParams, parse_params
from ganaug.fakes.pca import fit_class_gaussians, sample_class
from ganaug.report.stats import adjusted, mark, paired, summarise
from ganaug.report.tables import cell_stats

from .conftest import synthetic_digits

STRENGTH = parse_params({}).augment


def test_zero_strength_is_the_identity():
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    none = AugmentParams(rotation=0, shear=0, scale=0, translate=0, elastic=0)
    warped = warp(images, draw_warps(8, none, generator_for(0, torch.device("cpu"))))
    torch.testing.assert_close(warped, images, atol=1e-5, rtol=0)


def test_warp_matches_affine_grid_and_bicubic_upsampling():
    images = torch.rand(16, 1, 28, 28) * 2 - 1
    warps = draw_warps(16, STRENGTH, generator_for(3, torch.device("cpu")))
    grid = F.affine_grid(warps.theta, [16, 1, 28, 28], align_corners=False)
    grid = grid + F.interpolate(warps.field, size=(28, 28), mode="bicubic", align_corners=False).permute(0, 2, 3, 1)
    expected = F.grid_sample(images + 1, grid, align_corners=False) - 1
    torch.testing.assert_close(warp(images, warps), expected, atol=1e-4, rtol=0)


def test_a_pure_shift_moves_a_pixel_and_fills_with_background():
    images = torch.full((1, 1, 28, 28), -1.0)
    images[0, 0, 10, 10] = 1.0
    shift_only = AugmentParams(rotation=0, shear=0, scale=0, translate=0.5, elastic=0)
    warps = draw_warps(1, shift_only, generator_for(1, torch.device("cpu")))
    dx, dy = (warps.theta[0, :, 2] * 14).round().tolist()  # [-1, 1] coordinates -> pixels
    warps.theta[0, :, 2] = torch.tensor([dx, dy]) / 14  # a whole-pixel shift, so no blur
    out = warp(images, warps)[0, 0]
    assert out[int(10 - dy), int(10 - dx)] == pytest.approx(1.0, abs=1e-5)  # theta maps output -> input
    assert out.min() == pytest.approx(-1.0, abs=1e-5) and (out > -0.99).sum() == 1


def test_warps_repeat_for_a_seed_and_differ_between_seeds():
    def draw(seed):
        return draw_warps(4, STRENGTH, generator_for(seed, torch.device("cpu"))).theta

    assert torch.equal(draw(0), draw(0)) and not torch.equal(draw(0), draw(1))


def test_pca_samples_have_the_shape_class_and_range_of_digits():
    images, labels = synthetic_digits(200, seed=0)  # class c: a bright bar at rows 2c + 4 and 2c + 5
    model = fit_class_gaussians(images, labels, components=12, seed=0, n_classes=10)
    rng = np.random.default_rng(0)
    for label in (0, 3, 9):
        fakes = sample_class(model, label, 50, rng)
        assert fakes.shape == (50, 28, 28) and fakes.dtype == np.uint8
        assert fakes.max() > 200 and fakes.min() < 40  # bright strokes on a dark background
        rows = fakes[:, :, 4:24].mean(axis=(0, 2))
        assert set(np.argsort(rows)[-2:]) == {2 * label + 4, 2 * label + 5}  # the bar of its own class
    with pytest.raises(ValueError, match="at least 2 images"):
        fit_class_gaussians(images[:11], labels[:11], components=4, seed=0, n_classes=10)


def test_paired_test_known_answer():
    base = {seed: acc for seed, acc in enumerate([0.90, 0.92, 0.94, 0.91, 0.93])}
    diffs = [0.010, 0.012, 0.008, 0.011, 0.009]  # mean 0.01, sd sqrt(2.5e-6), t = 0.01 / (sd / sqrt 5) = sqrt(200)
    cell = {seed: base[seed] + d for seed, d in enumerate(diffs)}
    result = paired(cell, base)
    t, dof = math.sqrt(200), 4
    expected_p = special.betainc(dof / 2, 0.5, dof / (dof + t * t))  # two-sided, by the incomplete beta function
    assert result.gain.mean == pytest.approx(0.01)
    assert result.p_value == pytest.approx(expected_p, rel=1e-6) and result.p_value < 0.001
    assert result.gain.half_width == pytest.approx(2.776445 * math.sqrt(2.5e-6 / 5), rel=1e-5)  # t(0.975, 4)
    assert mark(result.gain.mean, result.p_value) == "+"
    loss = paired(base, cell)
    assert loss.p_value == pytest.approx(result.p_value) and mark(loss.gain.mean, loss.p_value) == "-"


def test_noise_is_not_marked_and_identical_cells_are_not_tested():
    base = {0: 0.90, 1: 0.95, 2: 0.92}
    noisy = paired({0: 0.91, 1: 0.94, 2: 0.925}, base)
    assert noisy.p_value > 0.5 and mark(noisy.gain.mean, noisy.p_value) == ""
    same = paired(dict(base), base)
    assert math.isnan(same.p_value) and mark(same.gain.mean, same.p_value) == ""
    # The same 12 more correct test images at every seed: float subtraction leaves ~1e-17 of
    # spread, which must not pass for a test with p ~ 0.
    shifted = paired({s: round(a + 0.0012, 4) for s, a in base.items()}, base)
    assert math.isnan(shifted.p_value) and shifted.gain.mean == pytest.approx(0.0012)


def test_summary_interval_and_benjamini_hochberg():
    s = summarise([0.90, 0.92, 0.94])
    assert s.mean == pytest.approx(0.92) and s.std == pytest.approx(0.02)
    assert s.half_width == pytest.approx(4.302653 * 0.02 / math.sqrt(3), rel=1e-5)  # t(0.975, 2)
    q = adjusted([0.01, 0.04, 0.03, math.nan, 0.005])
    assert q[:3] + q[4:] == pytest.approx([0.02, 0.04, 0.04, 0.02]) and math.isnan(q[3])


def test_table_compares_every_variant_with_real_only_at_its_level():
    values = {
        (500, "real_only", 0.0): {0: 0.90, 1: 0.92, 2: 0.94},
        (500, "gan", 1.0): {0: 0.80, 1: 0.821, 2: 0.839},  # about 0.1 worse at every seed
        (1000, "real_only", 0.0): {0: 0.95, 1: 0.96, 2: 0.97},
        (1000, "gan", 1.0): {0: 0.951, 1: 0.958, 2: 0.972},  # noise
    }
    stats = cell_stats(values)
    assert stats[500, "real_only", 0.0].versus_real is None
    assert stats[500, "gan", 1.0].mark == "-" and stats[1000, "gan", 1.0].mark == ""
    assert stats[500, "gan", 1.0].versus_real.gain.mean == pytest.approx(-0.1, abs=0.001)


def test_findings_credit_fakes_only_with_what_they_add_and_keep_the_leaky_protocol_apart():
    from ganaug.report.tables import fake_effects, findings

    values = {
        (500, "real_only", 0.0): {0: 0.90, 1: 0.92, 2: 0.94},
        (500, "classical", 0.0): {0: 0.95, 1: 0.971, 2: 0.989},
        (500, "gan_classical", 1.0): {0: 0.951, 1: 0.969, 2: 0.99},  # the augmentation's gain, not the fakes'
        (500, "gan", 1.0): {0: 0.80, 1: 0.821, 2: 0.839},
        (500, "leaky", 1.0): {0: 0.95, 1: 0.971, 2: 0.989},
    }
    stats = cell_stats(values)
    effects = fake_effects(values, {"gan_classical": "classical", "gan": "real_only", "leaky": "real_only"})
    assert stats[500, "gan_classical", 1.0].mark == "+" and effects[500, "gan_classical", 1.0].mark == ""
    text = "\n".join(findings(stats, effects, [500], {"leaky"}))
    assert "Best cell: classical, 0.9700" in text
    assert "- Fakes do not help" in text and "- Fakes hurt: gan at 1 vs real_only: -0.1000" in text
    assert "- No fakes, classical: +0.0500 ± 0.0025 (q = 0.000) against real_only: helps." in text
    assert "- Leaky protocol (GAN and judge saw all real training images), leaky at 1 vs real_only: +0.0500" in text


def test_fine_tuning_without_its_real_only_model_is_refused_before_training():
    from ganaug.data.tensors import to_labelled
    from ganaug.training.cells import Cell, train_cells

    data = to_labelled(*synthetic_digits(50, seed=0), torch.device("cpu"))
    params = parse_params({})
    with pytest.raises(ValueError, match=r"real_only cell of seeds \[1\]"):
        train_cells(data, data, {"gan": {}}, dict(params.variants), [Cell("real_only", 0.0, 0), Cell("finetune", 0.5, 1)],
                    params.classifier, params.augment, "test", 10)

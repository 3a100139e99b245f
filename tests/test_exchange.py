"""Worth in real images: the inverted learning curve, its interval, and the summary built on it."""
import math

import numpy as np
import pytest

from ganaug.report.answer import answer
from ganaug.report.exchange import (
    ABOVE, BELOW, Curve, Worth, curve_from_rows, describe, monotone, real_equivalent, worth, worth_columns,
)
from ganaug.params.project import ParamsError, parse_params
from ganaug.report.stats import Paired, Summary
from ganaug.report.tables import FakeEffect

# A synthetic curve linear in log10 n: 0.80 at 100, 0.90 at 1000, 0.95 at 10000.
LEVELS = np.array([100.0, 1000.0, 10000.0])
MEANS = np.array([0.80, 0.90, 0.95])


def test_known_answers_on_a_curve_linear_in_log_n():
    assert real_equivalent(LEVELS, MEANS, 0.90) == pytest.approx(1000)
    assert real_equivalent(LEVELS, MEANS, 0.85) == pytest.approx(math.sqrt(100 * 1000))  # halfway in log n
    assert real_equivalent(LEVELS, MEANS, 0.925) == pytest.approx(math.sqrt(1000 * 10000))
    assert real_equivalent(LEVELS, MEANS, 0.80) == pytest.approx(100)


def test_outside_the_curve_says_so_instead_of_extrapolating():
    assert real_equivalent(LEVELS, MEANS, 0.79) == BELOW
    assert real_equivalent(LEVELS, MEANS, 0.96) == ABOVE
    w = Worth(1000, ABOVE, 5000.0, ABOVE)
    assert not w.in_range and worth_columns(w)["worth_range"] == "above" and worth_columns(w)["worth"] == ""
    curve = Curve(LEVELS, [MEANS])
    assert describe(w, curve) == "worth over 10000 real images (over 10.00×, CI 5.00–over 10.00)"


def test_the_inverse_is_monotone_even_where_the_curve_dips():
    means = np.array([0.80, 0.90, 0.88, 0.95])  # seed noise: a dip at the third level
    levels = np.array([100.0, 200.0, 500.0, 1000.0])
    assert list(monotone(means)) == pytest.approx([0.80, 0.89, 0.89, 0.95])  # pooled, least squares
    found = [real_equivalent(levels, means, a) for a in np.linspace(0.80, 0.95, 61)]
    assert all(b >= a for a, b in zip(found, found[1:]))
    assert real_equivalent(levels, means, 0.89) == pytest.approx(200)  # the fewest images on the plateau


def test_real_only_is_worth_its_own_images_and_a_gain_is_read_off_the_curve():
    curve = Curve(LEVELS, [np.array([0.79, 0.81]), np.array([0.89, 0.91]), np.array([0.94, 0.96])])
    rng = np.random.default_rng(0)
    own = worth([0.0, 0.0, 0.0], 1000, curve, 500, rng)
    assert own.real == pytest.approx(1000) and own.rate == pytest.approx(1.0)
    better = worth([0.024, 0.026, 0.025], 1000, curve, 500, rng)  # 0.925 on the curve: sqrt(1000 * 10000)
    assert better.real == pytest.approx(math.sqrt(1e7))
    assert better.low <= better.real <= better.high and better.low < better.high  # the seeds' noise
    assert worth_columns(better)["exchange"] == round(math.sqrt(1e7) / 1000, 3)


def test_the_interval_resamples_the_seeds_reproducibly():
    curve = Curve(LEVELS, [np.array([0.78, 0.82]), np.array([0.88, 0.92]), np.array([0.93, 0.97])])
    draws = [worth([0.01, -0.01, 0.03], 1000, curve, 300, np.random.default_rng(5)) for _ in range(2)]
    assert draws[0] == draws[1]


def test_the_curve_is_read_from_the_curve_stages_rows():
    rows = [{"level": "1000", "seed": "0", "accuracy": "0.9"}, {"level": "100", "seed": "0", "accuracy": "0.8"},
            {"level": "100", "seed": "1", "accuracy": "0.82"}]
    curve = curve_from_rows(rows)
    assert list(curve.levels) == [100, 1000] and list(curve.seeds[0]) == [0.8, 0.82]


def test_a_grid_level_outside_the_curve_is_refused_naming_the_key():
    with pytest.raises(ParamsError, match=r"^curve\.levels = .*\[50000\] outside \[100, 20000\]"):
        parse_params({"curve": {"levels": [100, 20000]}, "prepare": {"levels": [500, 1000, 50000]},
                      "grid": {"seeds": {500: 2, 1000: 2, 50000: 2}, "leaky_level": 500}, "compare": {"level": 500}})


def _effect(gain: float, q: float, counterpart: str = "real_only") -> FakeEffect:
    return FakeEffect(counterpart, Paired(Summary(gain, 0.001, 0.002, 3), q), q)


def test_the_summary_says_where_fakes_pay_and_where_they_cost():
    curve = Curve(LEVELS, [np.array([m]) for m in MEANS])
    worths = {(1000, "real_only", 0.0): Worth(1000, 1000.0, 1000.0, 1000.0),
              (1000, "gan", 0.5): Worth(1000, 1150.0, 1050.0, 1260.0),
              (1000, "gan", 1.0): Worth(1000, 800.0, 700.0, 900.0),
              (1000, "gan", 2.0): Worth(1000, 990.0, 900.0, 1100.0),
              (1000, "classical", 0.0): Worth(1000, 3000.0, 2500.0, ABOVE)}
    effects = {(1000, "gan", 0.5): _effect(0.004, 0.01), (1000, "gan", 1.0): _effect(-0.006, 0.02),
               (1000, "gan", 2.0): _effect(-0.001, 0.6)}
    text = "\n".join(answer(effects, worths, curve, [1000],
                                  {"classical": "classical augmentation", "smooth": "smooth (label smoothing)"}))
    assert ("**Fakes pay in 1 of 3 cells**: gan at 0.5 (1000 real images): worth 1150 real images "
            "(1.15×, CI 1.05–1.26) against 1000 for real_only; +0.0040 ± 0.0020 accuracy (q = 0.010).") in text
    assert "**Fakes cost in 1 of 3 cells**: gan at 1 (1000 real images): worth 800 real images (0.80×" in text
    assert "**Closest they come**, per level (the largest gain over the same training without fakes, soft labels aside): gan at 0.5" in text
    assert "classical augmentation is worth 3000 real images (3.00×, CI 2.50–over 10.00) at 1000." in text
    assert "smooth (label smoothing)" not in text  # a baseline without cells says nothing
    worths[1000, "smooth", 0.0] = Worth(1000, 2000.0, 1500.0, 2500.0)
    baselines = {"classical": "classical augmentation", "smooth": "smooth"}
    text = "\n".join(answer(effects, worths, curve, [1000], baselines))
    assert "at 1000. smooth is worth 2000 real images (2.00×, CI 1.50–2.50) at 1000." in text
    assert not any("falls short" in line for line in answer(effects, worths, curve, [1000], {}, shortfalls={1000: {}}))
    short = answer(effects, worths, curve, [1000], {}, shortfalls={1000: {3: 5, 7: 2}})
    assert "- **The filter falls short** of the fakes asked for (filtered cells then train on fewer): at 1000 real images, " \
           "7 fakes of classes [3, 7]." in short


def test_the_summary_says_plainly_when_fakes_never_pay_and_ignores_leaky_cells():
    curve = Curve(LEVELS, [np.array([m]) for m in MEANS])
    worths = {(1000, "gan", 0.5): Worth(1000, 990.0, 900.0, 1100.0), (1000, "leaky", 0.5): Worth(1000, 2e3, 1e3, 3e3)}
    effects = {(1000, "gan", 0.5): _effect(-0.001, 0.6), (1000, "leaky", 0.5): _effect(0.02, 0.001)}
    lines = answer(effects, worths, curve, [1000], {}, leaky={"leaky"})
    assert "- **Fakes pay nowhere**: none of the 1 cells with fakes beats the same training without them." in lines
    assert not any("cost" in line or "leaky" in line for line in lines)


def test_soft_label_gains_are_listed_apart_and_not_credited_to_the_fakes():
    curve = Curve(LEVELS, [np.array([m]) for m in MEANS])
    worths = {(1000, "smooth", 1.0): Worth(1000, 2000.0, 1500.0, 2500.0), (1000, "gan", 1.0): Worth(1000, 990.0, 900.0, 1100.0)}
    effects = {(1000, "smooth", 1.0): _effect(0.02, 0.001), (1000, "gan", 1.0): _effect(-0.001, 0.6)}
    text = "\n".join(answer(effects, worths, curve, [1000], {}, smoothed={"smooth"}))
    assert "**Fakes pay nowhere**" in text
    assert "- **Soft labels gain in 1 cells, not credited to the fakes**" in text and "smooth at 1 (1000 real images)" in text

"""The real-only learning curve: the grid's recipe at each level, the subsets prepare would draw."""
import csv

import numpy as np
import pytest

from ganaug.data.mnist import stratified_subsets
from ganaug.params.project import ParamsError, parse_params
from ganaug.pipeline.stage_files import Curve
from ganaug.stages import curve


def test_each_level_and_seed_is_a_row_of_the_curve(tiny_mnist, tmp_path, monkeypatch):
    mnist, _ = tiny_mnist
    params = parse_params({"prepare": {"levels": [100]}, "scarcity": 100, "grid": {"seeds": {100: 2}, "leaky_level": 100},
                           "train_gan": {"seeds": {100: 1}},
                           "compare": {"level": 100}, "curve": {"levels": [200, 100], "seeds": 2},
                           "classifier": {"batch_size": 16, "min_steps": 20, "max_steps": 20}})
    seen = []
    train_lenets = curve.train_lenets

    def spy(pool, rows, seeds, steps, recipe, n_classes, desc):
        seen.append((desc, [r.cpu().numpy() for r in rows], seeds, steps))
        return train_lenets(pool, rows, seeds, steps, recipe, n_classes, desc)

    monkeypatch.setattr(curve, "train_lenets", spy)
    curve.run(params, Curve(data=mnist, table=tmp_path / "curve.csv", figure=tmp_path / "curve.png"))
    with open(tmp_path / "curve.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["level"], r["seed"], r["steps"]) for r in rows] == [("100", "0", "20"), ("100", "1", "20"),
                                                                  ("200", "0", "20"), ("200", "1", "20")]
    assert all(0 <= float(r["accuracy"]) <= 1 for r in rows)
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
    # Each level trains on the subset prepare draws for it, whatever other levels are asked for.
    labels = np.load(mnist)["y_train"]
    for desc, image_rows, seeds, _ in seen:
        level = int(desc.split("@")[1])
        assert seeds == [0, 1] and all(np.array_equal(r, stratified_subsets(labels, (level,), 0)[level]) for r in image_rows)


def test_a_curve_needs_two_seeds_and_valid_levels():
    with pytest.raises(ParamsError, match="curve.seeds = 1: allowed: at least 2"):
        parse_params({"curve": {"seeds": 1}})
    with pytest.raises(ParamsError, match="curve.levels"):
        parse_params({"curve": {"levels": [105]}})

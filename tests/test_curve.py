"""The real-only learning curve: the grid's recipe at each level, the subsets prepare would draw."""
import csv

import numpy as np
import pytest

from ganaug.data.mnist import stratified_subsets
from ganaug.params.project import ParamsError, parse_params
from ganaug.pipeline.io import ArtifactError, save_csv
from ganaug.pipeline.stage_files import Curve
from ganaug.stages import curve


def curve_params():
    return parse_params({"prepare": {"levels": [100]}, "scarcity": 100, "grid": {"seeds": {100: 2}, "leaky_level": 100},
                         "train_generator": {"seeds": {100: 1}},
                         "compare": {"level": 100}, "curve": {"levels": [200, 100], "seeds": 3},
                         "classifier": {"batch_size": 16, "min_steps": 20, "max_steps": 20}})


def grid_results(folder, steps=20):
    """retrain's results at level 100: real only of seeds 0 and 1 (grid.seeds is 2 there) and a cell with fakes."""
    (folder / "100").mkdir(parents=True)
    save_csv(folder / "100" / "results.csv", [
        {"level": 100, "variant": "real_only", "ratio": 0.0, "seed": 0, "steps": steps, "accuracy": 0.1234},
        {"level": 100, "variant": "real_only", "ratio": 0.0, "seed": 1, "steps": steps, "accuracy": 0.2345},
        {"level": 100, "variant": "gan", "ratio": 1.0, "seed": 0, "steps": steps, "accuracy": 0.9},
    ])
    return str(folder / "{level}" / "results.csv")


def test_each_level_and_seed_is_a_row_of_the_curve_and_the_grids_real_only_is_read_not_retrained(
        tiny_mnist, tmp_path, monkeypatch):
    mnist, _ = tiny_mnist
    seen = []
    train_lenets = curve.train_lenets

    def spy(pool, rows, seeds, steps, recipe, n_classes, desc, **options):
        seen.append((desc, [r.cpu().numpy() for r in rows], seeds, steps))
        return train_lenets(pool, rows, seeds, steps, recipe, n_classes, desc, **options)

    monkeypatch.setattr(curve, "train_lenets", spy)
    files = Curve(data=mnist, grid_results=grid_results(tmp_path / "levels"), table=tmp_path / "curve.csv",
                  figure=tmp_path / "curve.png")
    curve.run(curve_params(), files)
    with open(tmp_path / "curve.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["level"], r["seed"], r["steps"]) for r in rows] == [(level, seed, "20") for level in ("100", "200")
                                                                  for seed in ("0", "1", "2")]
    assert [r["accuracy"] for r in rows[:2]] == ["0.1234", "0.2345"]  # the grid's models, not trained again
    assert all(0 <= float(r["accuracy"]) <= 1 for r in rows)
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
    # Only the seeds the grid lacks train; each level on the subset prepare draws for it.
    assert [(desc, seeds) for desc, _, seeds, _ in seen] == [("curve@100", [2]), ("curve@200", [0, 1, 2])]
    labels = np.load(mnist)["y_train"]
    for desc, image_rows, seeds, _ in seen:
        level = int(desc.split("@")[1])
        assert all(np.array_equal(r, stratified_subsets(labels, (level,), 0)[level]) for r in image_rows)


def test_grid_results_of_another_recipe_are_refused_by_name(tiny_mnist, tmp_path):
    mnist, _ = tiny_mnist
    files = Curve(data=mnist, grid_results=grid_results(tmp_path / "levels", steps=500), table=tmp_path / "curve.csv",
                  figure=tmp_path / "curve.png")
    with pytest.raises(ArtifactError, match=r"100/results.csv: real-only LeNets of \[500\] steps where the classifier "
                                            r"recipe gives 20; rerun `dvc repro retrain@100`"):
        curve.run(curve_params(), files)
    assert not (tmp_path / "curve.csv").exists()


def test_a_curve_needs_two_seeds_and_valid_levels():
    with pytest.raises(ParamsError, match="curve.seeds = 1: allowed: at least 2"):
        parse_params({"curve": {"seeds": 1}})
    with pytest.raises(ParamsError, match="curve.levels"):
        parse_params({"curve": {"levels": [105]}})

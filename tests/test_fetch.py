"""fetch and prepare on a real second dataset (scikit-learn's digits, no download) and on a user's npz."""
import json

import numpy as np
import pytest

from ganaug.data.mnist import DataIntegrityError
from ganaug.data.description import load_description
from ganaug.pipeline.io import save_npz
from ganaug.params.project import ParamsError, parse_params
from ganaug.data.registry import READERS, reader
from ganaug.pipeline.stage_files import Fetch, Prepare
from ganaug.stages import fetch, prepare

DIGITS = {"dataset": {"name": "digits", "size": 16}, "prepare": {"levels": [100, 500]}, "scarcity": 100,
          "curve": {"levels": [100, 500]}, "grid": {"seeds": {100: 2, 500: 2}, "leaky_level": 500},
          "train_generator": {"seeds": {100: 1, 500: 1}}, "compare": {"level": 100}}


def test_every_registered_reader_can_be_found():
    assert all(callable(reader(name)) for name in READERS)


def test_fetch_describes_the_digits_and_keeps_an_unchanged_file(tmp_path):
    data, description = tmp_path / "dataset.npz", tmp_path / "dataset.json"
    fetch.run(parse_params(DIGITS), Fetch(data=data, description=description))
    described = json.loads(description.read_text())
    assert (described["name"], described["channels"], described["height"], described["width"]) == ("digits", 1, 16, 16)
    assert sum(described["train_counts"]) == 1438 and described["test_count"] == 359
    assert load_description(data).sha256 == described["sha256"]
    before = data.stat().st_mtime_ns
    fetch.run(parse_params(DIGITS), Fetch(data=data, description=description))
    assert data.stat().st_mtime_ns == before, "the same data: the file is kept, nothing downstream reruns"


def test_prepare_refuses_arrays_changed_after_fetch(tmp_path):
    data = tmp_path / "dataset.npz"
    fetch.run(parse_params(DIGITS), Fetch(data=data, description=tmp_path / "dataset.json"))
    with np.load(data) as archive:
        arrays = dict(archive)
    arrays["y_train"] = np.roll(arrays["y_train"], 1)
    save_npz(data, **arrays)
    with pytest.raises(DataIntegrityError, match="dataset.npz: y_train has sha256 .* not what fetch recorded"):
        prepare.run(parse_params(DIGITS), 100, Prepare(data=data, subsets=tmp_path / "subset.npz"))


def test_a_level_the_data_cannot_give_is_named(tmp_path):
    data = tmp_path / "dataset.npz"
    params = parse_params({**DIGITS, "prepare": {"levels": [100, 2000]}, "curve": {"levels": [100, 2000]},
                           "grid": {"seeds": {100: 2, 2000: 2}, "leaky_level": 2000}})
    fetch.run(params, Fetch(data=data, description=tmp_path / "dataset.json"))
    with pytest.raises(ParamsError, match="level 2000 is more than the 1438 training images of digits"):
        prepare.run(params, 2000, Prepare(data=data, subsets=tmp_path / "subset.npz"))


def test_a_users_npz_with_class_names_is_prepared(tmp_path):
    rng = np.random.default_rng(0)
    source = tmp_path / "mine.npz"
    np.savez(source, x_train=rng.integers(0, 255, (60, 12, 12, 3), dtype=np.uint8), y_train=np.arange(60) % 3,
             x_test=rng.integers(0, 255, (9, 12, 12, 3), dtype=np.uint8), y_test=np.arange(9) % 3,
             classes=np.array(["ant", "bee", "cow"]))
    params = parse_params({**DIGITS, "dataset": {"name": "npz", "path": str(source), "size": 16},
                           "prepare": {"levels": [30, 60]}, "scarcity": 30, "curve": {"levels": [30, 60]},
                           "grid": {"seeds": {30: 2, 60: 2}, "leaky_level": 60}, "train_generator": {"seeds": {30: 1}},
                           "compare": {"level": 30}})
    data = tmp_path / "dataset.npz"
    description = fetch.run(params, Fetch(data=data, description=tmp_path / "dataset.json"))
    assert description.classes == ("ant", "bee", "cow") and description.model_shape == (3, 3, 16)
    prepare.run(params, 30, Prepare(data=data, subsets=tmp_path / "subset.npz"))
    assert np.bincount(np.load(data)["y_train"][np.load(tmp_path / "subset.npz")["30"]]).tolist() == [10, 10, 10]


def test_switching_to_mnist_does_not_verify_another_datasets_file_as_mnist(tmp_path, monkeypatch):
    from ganaug.data import sources

    data = tmp_path / "dataset.npz"
    fetch.run(parse_params(DIGITS), Fetch(data=data, description=tmp_path / "dataset.json"))
    seen = []

    def obtain(existing, *args):  # stands in for the download: what matters is the copy it is offered
        seen.append(existing)
        raise sources.SourceUnavailable("offline")

    monkeypatch.setattr(sources.data, "obtain_mnist", obtain)
    with pytest.raises(sources.SourceUnavailable):
        sources.read_mnist(parse_params({}), data)
    assert seen == [None], "a digits file is not an existing copy of MNIST to verify"


def test_unknown_datasets_and_misplaced_paths_are_refused():
    with pytest.raises(ParamsError, match="dataset.name = 'cifar'.*one of mnist, fashion-mnist"):
        parse_params({"dataset": {"name": "cifar"}})
    with pytest.raises(ParamsError, match="dataset.path = None: allowed: the folder to read"):
        parse_params({"dataset": {"name": "folder"}})
    with pytest.raises(ParamsError, match="dataset.size = 30: allowed: a multiple of 4"):
        parse_params({"dataset": {"size": 30}})

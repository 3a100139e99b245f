"""Artefacts of the right format with wrong contents: each reader names the file, the array and the rerun."""
import numpy as np
import pytest
import torch

from ganaug.data import tensors as datasets

from ganaug.pipeline import io
from ganaug.data.description import describe
from ganaug.pipeline.io import ArtifactError, save_checkpoint, save_npz
from ganaug.models import LeNet5
from ganaug.pipeline.io import load_numeric_csv
from tests.conftest import save_dataset, synthetic_digits

DIGITS = describe("synthetic", {"x_train": np.zeros((10, 28, 28), np.uint8), "y_train": np.arange(10),
                                "x_test": np.zeros((1, 28, 28), np.uint8), "y_test": np.zeros(1)}, tuple("0123456789"))


def fakes(n: int = 20) -> dict[str, np.ndarray]:
    images, labels = synthetic_digits(n, seed=2)
    return {"images": images, "labels": labels, "scores": np.full(n, 0.5, np.float32),
            "accepted": np.ones(n, bool), "gan_seeds": np.zeros(n, np.uint8)}


@pytest.mark.parametrize("change, message", [
    ({"images": np.zeros((20, 32, 32), np.uint8)}, r"images has shape \(20, 32, 32\), expected \(N, 28, 28\)"),
    ({"images": np.zeros((20, 28, 28), np.float32)}, "images is float32, expected uint8"),
    ({"labels": np.full(20, 10, np.uint8)}, "labels holds 10, above its largest allowed value 9"),
    ({"scores": np.full(20, np.nan, np.float32)}, "scores holds 20 NaN or infinite values"),
    ({"scores": np.full(20, 1.5, np.float32)}, "scores holds 1.5, above its largest allowed value 1.0"),
    ({"accepted": np.ones(19, bool)}, r"arrays of unequal length \{.*'accepted': 19, 'gan_seeds': 20\}"),
])
def test_fakes_with_wrong_contents_are_named(tmp_path, change, message):
    path = tmp_path / "fakes.npz"
    save_npz(path, **{**fakes(), **change})
    with pytest.raises(ArtifactError, match=f"fakes.npz: {message}; rerun `dvc repro generate`"):
        datasets.load_fakes(path, DIGITS, made_by="dvc repro generate")


def test_good_fakes_load(tmp_path):
    path = tmp_path / "fakes.npz"
    save_npz(path, **fakes())
    assert len(datasets.load_fakes(path, DIGITS)["labels"]) == 20


@pytest.mark.parametrize("indices, message", [
    (np.full(100, 7), "level 100 holds 1 distinct images, expected 100"),
    (np.arange(50), "level 100 holds 50 distinct images, expected 100"),
    (np.arange(100, dtype=np.float64), "100 is float64, expected int64"),
])
def test_subsets_with_wrong_indices_are_named(tiny_mnist, tmp_path, indices, message):
    mnist, _ = tiny_mnist
    subsets = tmp_path / "bad_subsets.npz"
    save_npz(subsets, **{"100": indices})
    with pytest.raises(ArtifactError, match=f"bad_subsets.npz: {message}; rerun `dvc repro prepare`"):
        datasets.load_level_arrays(mnist, subsets, 100)


def test_out_of_range_indices_are_refused(tiny_mnist, tmp_path):
    mnist, _ = tiny_mnist  # 600 training images: the largest index is 599
    subsets = tmp_path / "bad_subsets.npz"
    save_npz(subsets, **{"100": np.arange(550, 650)})
    with pytest.raises(ArtifactError, match="bad_subsets.npz: 100 holds 649, above its largest allowed value 599"):
        datasets.load_level_arrays(mnist, subsets, 100)


def test_prepared_data_with_wrong_labels_is_named(tmp_path):
    images, labels = synthetic_digits(30, seed=0)
    path = tmp_path / "mnist.npz"
    save_dataset(path, dict(x_train=images, y_train=labels, x_test=images, y_test=labels))
    with np.load(path) as archive:  # labels changed after fetch described them
        save_npz(path, **{**dict(archive), "y_test": labels + 10})
    with pytest.raises(ArtifactError, match="mnist.npz: y_test holds 19, above its largest allowed value 9; rerun `dvc repro fetch`"):
        datasets.load_test_set(path, torch.device("cpu"))


def test_a_nan_accuracy_in_results_is_named_with_its_line(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("level,seed,accuracy,variant\n500,0,0.9,real\n500,1,nan,real\n")
    with pytest.raises(ArtifactError, match="results.csv: line 3: accuracy = nan, not a finite number; rerun `dvc repro retrain@500`"):
        load_numeric_csv(path, "dvc repro retrain@500", ("level", "seed", "accuracy"), ("variant",))


def test_a_nan_in_a_json_metric_is_refused(tmp_path):
    path = tmp_path / "judge.json"
    path.write_text('{"test_accuracy": NaN}')
    with pytest.raises(ArtifactError, match=r"judge.json: unreadable \(NaN is not a number a stage writes\); rerun `dvc repro judge@500`"):
        io.load_json_with(path, "dvc repro judge@500", ("test_accuracy",))


def test_a_checkpoint_with_nan_weights_is_named(tmp_path):
    weights = LeNet5().state_dict()
    weights["features.0.weight"][0, 0, 0, 0] = float("nan")
    path = tmp_path / "judge.pt"
    save_checkpoint(path, weights, {})
    with pytest.raises(ArtifactError, match="judge.pt: LeNet5 weights features.0.weight hold NaN or infinite values; rerun `dvc repro judge@500`"):
        io.load_model(LeNet5, path, made_by="dvc repro judge@500")

import socket
import time

import numpy as np
import pytest
from PIL import Image

from ganaug.data.mnist import SourceUnavailable
from ganaug.pipeline.io import ArtifactError
from ganaug.data.npz import from_npz
from ganaug.data.sources import from_digits, from_folder, from_torchvision_dataset, resize, stratified_holdout
from ganaug.params.strict import ParamsError

KEYS = ("x_train", "y_train", "x_test", "y_test")


# --- resize and the holdout ------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 10, 8), (3, 10, 8, 3), (3, 10, 8, 1)])
def test_resize_shape_and_dtype(shape):
    images = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = resize(images, 16)
    assert out.shape == (3, 16, 16) + shape[3:] and out.dtype == np.uint8


@pytest.mark.parametrize("shape", [(2, 12, 12), (2, 12, 12, 3)])
def test_resize_to_the_same_size_is_the_identity(shape):
    images = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    assert resize(images, 12) is images


def test_resize_keeps_a_flat_image_flat():
    assert (resize(np.full((1, 8, 8), 77, np.uint8), 20) == 77).all()


@pytest.mark.parametrize("size", [0, -4, 12.0, True])
def test_bad_size_is_a_params_error(size):
    with pytest.raises(ParamsError, match="dataset.size"):
        resize(np.zeros((1, 8, 8), np.uint8), size)


def test_holdout_is_stratified_disjoint_complete_and_seeded():
    labels = np.repeat(np.arange(3), [10, 20, 7])[np.random.default_rng(0).permutation(37)]
    train, test = stratified_holdout(labels, 0.2, seed=5)
    assert np.bincount(labels[test]).tolist() == [2, 4, 1]  # round(0.2 * 7) = 1
    assert not set(train) & set(test) and sorted(np.concatenate([train, test])) == list(range(37))
    assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()
    again, other = stratified_holdout(labels, 0.2, seed=5), stratified_holdout(labels, 0.2, seed=6)
    assert np.array_equal(again[1], test) and not np.array_equal(other[1], test)


def test_holdout_takes_at_least_one_and_refuses_to_empty_a_class():
    assert len(stratified_holdout(np.array([0, 0, 0, 1, 1, 1]), 0.01, 0)[1]) == 2
    with pytest.raises(ParamsError, match="dataset.holdout: .* leaves none to train on"):
        stratified_holdout(np.array([0, 0, 1]), 0.2, 0)


# --- digits ----------------------------------------------------------------------------------


def test_digits_shapes_range_and_split():
    arrays, names = from_digits(size=8, holdout=0.2, seed=0)
    assert names == tuple(str(d) for d in range(10))
    assert len(arrays["x_train"]) + len(arrays["x_test"]) == 1797
    assert arrays["x_train"].shape[1:] == (8, 8) and arrays["x_train"].dtype == np.uint8
    assert arrays["x_train"].max() == 255 and arrays["x_train"].min() == 0
    counts = np.bincount(np.concatenate([arrays["y_train"], arrays["y_test"]]))
    assert np.array_equal(np.bincount(arrays["y_test"]), np.round(counts * 0.2).astype(int))
    again, _ = from_digits(size=8, holdout=0.2, seed=0)
    assert all(np.array_equal(arrays[k], again[k]) for k in KEYS)


def test_digits_are_resized():
    arrays, _ = from_digits(size=16, holdout=0.2, seed=0)
    assert arrays["x_test"].shape[1:] == (16, 16) and arrays["y_test"].dtype == np.uint8


# --- npz -------------------------------------------------------------------------------------


def _npz_arrays(rgb: bool = False) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    tail = (3,) if rgb else ()
    return {
        "x_train": rng.integers(0, 256, (6, 10, 10) + tail, dtype=np.uint8),
        "y_train": np.array([0, 1, 2, 0, 1, 2], np.int64),
        "x_test": rng.integers(0, 256, (3, 10, 10) + tail, dtype=np.uint8),
        "y_test": np.array([2, 1, 0], np.int64),
    }


def test_npz_round_trip(tmp_path):
    path = tmp_path / "mine.npz"
    given = _npz_arrays(rgb=True)
    np.savez(path, **given, classes=np.array(["cat", "dog", "owl"]))
    arrays, names = from_npz(path, size=10)
    assert names == ("cat", "dog", "owl")
    assert all(np.array_equal(arrays[k], given[k]) for k in KEYS)
    assert arrays["y_train"].dtype == np.uint8


def test_npz_one_channel_is_squeezed_and_names_come_from_labels(tmp_path):
    path = tmp_path / "mine.npz"
    given = _npz_arrays()
    np.savez(path, **{**given, "x_train": given["x_train"][..., None], "x_test": given["x_test"][..., None]})
    arrays, names = from_npz(path, size=12)
    assert names == ("0", "1", "2") and arrays["x_train"].shape == (6, 12, 12)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.pop("y_test"), r"lacks arrays \['y_test'\]"),
        (lambda a: a.update(x_train=a["x_train"].astype(np.float32)), "x_train is float32"),
        (lambda a: a.update(y_test=np.array([0, 1, -1])), r"y_test holds labels -1..1, expected 0..2"),
        (lambda a: a.update(y_test=np.array([0, 1, 3]), classes=np.array(["a", "b", "c"])), "labels 0..3"),
        (lambda a: a.update(y_test=np.array([0, 1, 3])), r"y_train has no image of class\(es\) \[3\]"),
        (lambda a: a.update(y_train=a["y_train"][:5]), "y_train has 5 labels for the 6 images"),
        (lambda a: a.update(y_train=a["y_train"].astype(np.float64)), "expected integer labels"),
        (lambda a: a.update(y_train=np.array([0, 0, 0, 0, 1, 1])), r"no image of class\(es\) \[2\]"),
        (lambda a: a.update(x_test=np.zeros((3, 10, 10, 3), np.uint8)), "not the same channels"),
        (lambda a: a.update(classes=np.array(["a", "a", "b"])), "repeated name"),
    ],
)
def test_npz_refusals_name_the_file(tmp_path, change, message):
    path = tmp_path / "bad.npz"
    arrays = _npz_arrays()
    change(arrays)
    np.savez(path, **arrays)
    with pytest.raises(ArtifactError, match=f"^{path}: .*{message}"):
        from_npz(path, size=10)


def test_npz_missing_or_garbage_file(tmp_path):
    with pytest.raises(ArtifactError, match=f"^{tmp_path / 'absent.npz'}: missing"):
        from_npz(tmp_path / "absent.npz", size=10)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="junk.npz: unreadable"):
        from_npz(tmp_path / "junk.npz", size=10)


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, **_npz_arrays(), classes=np.array(["a", 1, None], dtype=object))
    with pytest.raises(ArtifactError, match="objects.npz: unreadable"):
        from_npz(path, size=10)


# --- folders ---------------------------------------------------------------------------------


def _tree(root, mode="L", counts=(3, 2, 4), classes=("ant", "bee", "cat"), side=9, seed=0):
    rng = np.random.default_rng(seed)
    for name, count in zip(classes, counts):
        (root / name).mkdir(parents=True)
        for i in range(count):
            shape = (side, side + 1) if mode == "L" else (side, side + 1, 3)
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(root / name / f"{i}.png")
    return root


@pytest.mark.parametrize("mode, tail", [("L", ()), ("RGB", (3,))])
def test_folder_with_holdout(tmp_path, mode, tail):
    root = _tree(tmp_path / "train", mode)
    (root / "ant" / "notes.txt").write_text("skipped")
    arrays, names = from_folder(root, None, size=12, holdout=0.34, seed=0)
    assert names == ("ant", "bee", "cat")
    assert arrays["x_train"].shape == (6, 12, 12) + tail and arrays["x_test"].shape == (3, 12, 12) + tail
    assert np.bincount(arrays["y_test"]).tolist() == [1, 1, 1]
    again, _ = from_folder(root, None, size=12, holdout=0.34, seed=0)
    assert all(np.array_equal(arrays[k], again[k]) for k in KEYS)


def test_folder_with_test_tree_keeps_pixels_at_native_size(tmp_path):
    train = _tree(tmp_path / "train", "RGB", side=8)
    test = _tree(tmp_path / "test", "RGB", counts=(1, 1, 2), side=7, seed=1)
    arrays, names = from_folder(train, test, size=8, holdout=0.2, seed=0)
    assert arrays["y_train"].tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 2]
    assert arrays["y_test"].tolist() == [0, 1, 2, 2] and arrays["x_test"].shape == (4, 8, 8, 3)
    first = np.asarray(Image.open(train / "ant" / "0.png").resize((8, 8), Image.BILINEAR))
    assert np.array_equal(arrays["x_train"][0], first)


def test_folder_reads_jpeg_and_palette_images_as_rgb(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.new("RGB", (5, 5), (10, 200, 30)).save(tmp_path / "a" / "x.JPG")
    Image.new("P", (5, 5)).save(tmp_path / "b" / "y.png")
    Image.new("RGBA", (5, 5)).save(tmp_path / "b" / "z.png")
    arrays, _ = from_folder(tmp_path, tmp_path, size=5, holdout=0.2, seed=0)
    assert arrays["x_train"].shape == (3, 5, 5, 3)


def test_folder_refusals(tmp_path):
    with pytest.raises(ArtifactError, match="absent: missing"):
        from_folder(tmp_path / "absent", None, 12, 0.2, 0)
    (tmp_path / "flat").mkdir()
    with pytest.raises(ArtifactError, match="flat: holds no class folders"):
        from_folder(tmp_path / "flat", None, 12, 0.2, 0)


def test_empty_class_folder_is_named(tmp_path):
    root = _tree(tmp_path / "t")
    (root / "dog").mkdir()
    with pytest.raises(ArtifactError, match=f"^{root / 'dog'}: holds no .png"):
        from_folder(root, None, 12, 0.2, 0)


def test_corrupt_png_is_named(tmp_path):
    root = _tree(tmp_path / "t")
    (root / "bee" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ArtifactError, match=f"^{root / 'bee' / 'broken.png'}: unreadable as an image"):
        from_folder(root, None, 12, 0.2, 0)


def test_mixed_gray_and_rgb_names_the_first_file_that_differs(tmp_path):
    root = _tree(tmp_path / "t")
    Image.new("RGB", (4, 4)).save(root / "bee" / "1.png")  # replaces a gray image
    with pytest.raises(ArtifactError, match=f"^{root / 'bee' / '1.png'}: is RGB but .*ant/0.png is grayscale"):
        from_folder(root, None, 12, 0.2, 0)


def test_test_tree_of_other_channels_is_refused(tmp_path):
    train, test = _tree(tmp_path / "train"), _tree(tmp_path / "test", "RGB")
    with pytest.raises(ArtifactError, match=f"^{test / 'ant' / '0.png'}: is RGB but"):
        from_folder(train, test, 12, 0.2, 0)


def test_test_tree_with_a_different_class_is_named(tmp_path):
    train = _tree(tmp_path / "train")
    test = _tree(tmp_path / "test", classes=("ant", "bee", "cow"))
    with pytest.raises(ArtifactError, match=f"^{test}: lacks class folder 'cat'"):
        from_folder(train, test, 12, 0.2, 0)


# --- torchvision through a local mirror -----------------------------------------------------


def test_fashion_mnist_reads_a_local_mirror(mirror):
    url, resources, files = mirror
    before = socket.getdefaulttimeout()
    arrays, names = from_torchvision_dataset("fashion-mnist", timeout=5, mirrors=(url,), resources=resources)
    assert socket.getdefaulttimeout() == before
    assert names[0] == "T-shirt/top" and len(names) == 10
    np.testing.assert_array_equal(arrays["x_train"], files["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(arrays["y_train"], files["train-labels-idx1-ubyte.gz"])
    assert arrays["y_test"].dtype == np.uint8


def test_kmnist_resized_from_a_local_mirror(mirror):
    url, resources, files = mirror
    arrays, names = from_torchvision_dataset("kmnist", 5, (url,), resources, size=32)
    assert names[0] == "o" and arrays["x_test"].shape == (2, 32, 32)


def test_torchvision_dataset_offline_is_unavailable_quickly():
    start = time.monotonic()
    with pytest.raises(SourceUnavailable, match="^fashion-mnist: "):
        from_torchvision_dataset("fashion-mnist", timeout=1, mirrors=("http://127.0.0.1:9/",))
    assert time.monotonic() - start < 10


def test_unknown_torchvision_dataset_is_a_params_error():
    with pytest.raises(ParamsError, match="dataset.name: 'cifar10'"):
        from_torchvision_dataset("cifar10", 1, None)

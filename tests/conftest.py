"""Shared fixtures: tiny synthetic digits, so unit tests never need real MNIST."""
from __future__ import annotations

import numpy as np
import pytest

from ganaug.io import save_npz


def synthetic_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, 28, 28) images where class c is a bright bar at row 2c + 4, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.uint8) % 10
    images = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 * label + 4 : 2 * label + 6, 4:24] = 250
    return images, labels


@pytest.fixture
def tiny_mnist(tmp_path):
    """A synthetic MNIST-shaped .npz (600 train, 200 test) and subsets for levels 100 and 200."""
    x_train, y_train = synthetic_digits(600, seed=0)
    x_test, y_test = synthetic_digits(200, seed=1)
    mnist, subsets = tmp_path / "mnist.npz", tmp_path / "subsets.npz"
    save_npz(mnist, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    save_npz(subsets, **{"100": np.arange(100), "200": np.arange(200)})
    return mnist, subsets

"""Shared fixtures: tiny synthetic digits, so unit tests never need real MNIST.

The suite runs in two pytest-xdist workers, a test module each at a time (pyproject.toml): most of its
time is child processes starting and DVC bookkeeping, which leave a core idle. Each worker and its child
processes train on one thread, so the two never oversubscribe the cores (two 2-thread OpenMP jobs side by
side slow each other many-fold); the slowest modules are handed out first.
"""
from __future__ import annotations

import os

if os.environ.get("PYTEST_XDIST_WORKER"):  # before torch is imported: its thread count is read once
    os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import contextlib
import subprocess
import sys
from pathlib import Path
import gzip
import hashlib
import http.server
import struct
import threading
from functools import partial

import numpy as np
import pytest
import torch

from ganaug.data.description import describe, save_prepared
from ganaug.pipeline.io import save_npz


# The head of a child process that SIGKILLs itself right after the training loop saves the checkpoint of
# step ``KILL_AT`` (mid-way through a logged interval); the lines that train follow it (``killed_training``).
KILLING_CHILD = """
import os, signal, sys, torch
from ganaug.data.tensors import to_labelled
from ganaug.params.project import parse_params
from ganaug.generators import gan
from tests.conftest import synthetic_digits
torch.set_num_threads(1)
save = gan.save_state
def save_then_die(path, run, state):
    save(path, run, state)
    if state["step"] == KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)
gan.save_state = save_then_die
data = to_labelled(*synthetic_digits(200, seed=0), torch.device("cpu"))
checkpoint = sys.argv[1]
"""


def killed_training(checkpoint, kill_at: int, training: str) -> int:
    """Run ``training`` (code that trains on ``data`` with ``checkpoint``) in a child process killed right after
    the checkpoint of step ``kill_at``; its return code (-SIGKILL when it was)."""
    code = KILLING_CHILD.replace("KILL_AT", str(kill_at)) + training
    root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-c", code, str(checkpoint)], cwd=str(root), timeout=300).returncode


SLOWEST_FIRST = ("test_e2e_mnist.py", "test_sweep.py", "test_pipeline_tiny.py", "test_refusals.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules that take minutes go first, so they do not end the run alone on one worker."""
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FIRST.index(name) if name in SLOWEST_FIRST else len(SLOWEST_FIRST)
    items.sort(key=rank)  # stable: the order within a module and among the rest is kept


def save_dataset(path, arrays: dict, classes=tuple("0123456789"), name: str = "synthetic"):
    """A prepared dataset file as fetch writes it: the arrays and their description."""
    save_prepared(path, arrays, describe(name, arrays, tuple(classes)))
    return path


def synthetic_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, 28, 28) images where class c is a bright bar at row 2c + 4, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.uint8) % 10
    images = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 * label + 4 : 2 * label + 6, 4:24] = 250
    return images, labels


@pytest.fixture
def one_thread():
    """Train on one thread, as a test's child process does (the same rounding); the count is restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_mnist(tmp_path):
    """A synthetic MNIST-shaped .npz (600 train, 200 test) and subsets for levels 100 and 200."""
    x_train, y_train = synthetic_digits(600, seed=0)
    x_test, y_test = synthetic_digits(200, seed=1)
    mnist, subsets = tmp_path / "mnist.npz", tmp_path / "subsets.npz"
    save_dataset(mnist, dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test))
    save_npz(subsets, **{"100": np.arange(100), "200": np.arange(200)})
    return mnist, subsets


def _idx(array: np.ndarray) -> bytes:
    magic = 0x0800 + array.ndim  # unsigned byte data
    return gzip.compress(struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes())


IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz")  # the file names of torchvision's MNIST-like sets


@contextlib.contextmanager
def idx_mirror(folder, x_train, y_train, x_test, y_test):
    """A local HTTP mirror of the four arrays as IDX files: (its URL, the resources list with their md5)."""
    folder.mkdir(parents=True, exist_ok=True)
    resources = []
    for name, array in zip(IDX_NAMES, (x_train, y_train, x_test, y_test)):
        payload = _idx(array)
        (folder / name).write_bytes(payload)
        resources.append((name, hashlib.md5(payload).hexdigest()))
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", resources
    finally:
        server.shutdown()


@pytest.fixture
def mirror(tmp_path):
    """A mirror of tiny IDX files: its URL, the resources list with their md5, the arrays by file name."""
    rng = np.random.default_rng(0)
    arrays = (rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), np.array([0, 1, 2, 9], np.uint8),
              rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), np.array([4, 5], np.uint8))
    with idx_mirror(tmp_path, *arrays) as (url, resources):
        yield url, resources, dict(zip(IDX_NAMES, arrays))

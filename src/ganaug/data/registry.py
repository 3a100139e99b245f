"""The datasets ganaug reads: ``dataset.name`` -> its reader, one line each.

A reader is ``reader(params, existing) -> (arrays, class names)`` (``sources.Source``): the
arrays ``x_train, y_train, x_test, y_test`` with images stored uint8 at ``dataset.size``, and
``existing`` the prepared file a previous fetch wrote (MNIST reuses a verified copy). Readers
are named, not imported, so that loading params never imports one; adding a dataset is its
reader plus one line here (README, "Your own data").
"""
from __future__ import annotations

from collections.abc import Callable

from ganaug.pipeline.imports import load_named

READERS = {
    "mnist": "ganaug.data.sources:read_mnist",
    "fashion-mnist": "ganaug.data.sources:read_torchvision",
    "kmnist": "ganaug.data.sources:read_torchvision",
    "digits": "ganaug.data.sources:read_digits",
    "folder": "ganaug.data.sources:read_folder",
    "npz": "ganaug.data.npz:read_npz",
}


def reader(name: str) -> Callable:
    return load_named(READERS[name])

"""A user's ``.npz`` dataset: the four arrays (and optional ``classes``), checked, then resized.

Every refusal is an ``ArtifactError`` naming the file and what is wrong with it: a missing or
unreadable file, a missing array, wrong dtypes or shapes, labels out of range, unequal lengths,
a class without training images (``sources.Source`` is what the reader returns).
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ganaug.data.description import ARRAY_KEYS
from ganaug.data.sources import MAX_CLASSES, Source, resize
from ganaug.pipeline.io import ArtifactError


def from_npz(path: Path, size: int) -> Source:
    """The four arrays (and optional ``classes``) of a user's .npz, checked, then resized."""
    arrays = _load_user_npz(path)

    def refuse(what: str):
        raise ArtifactError(f"{path}: {what}")

    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        shape_ok = x.ndim == 3 or (x.ndim == 4 and x.shape[-1] in (1, 3))
        if x.dtype != np.uint8 or not shape_ok:
            refuse(f"x_{split} is {x.dtype} {x.shape}, expected uint8 images (N, H, W) or (N, H, W, 1 or 3)")
        if len(x) == 0:
            refuse(f"x_{split} holds no images")
        if y.dtype.kind not in "iu" or y.ndim != 1:
            refuse(f"y_{split} is {y.dtype} {y.shape}, expected integer labels (N,)")
        if len(y) != len(x):
            refuse(f"y_{split} has {len(y)} labels for the {len(x)} images of x_{split}")
        if x.ndim == 4 and x.shape[-1] == 1:
            arrays[f"x_{split}"] = x[..., 0]
    if arrays["x_train"].ndim != arrays["x_test"].ndim:
        refuse(f"x_train is {arrays['x_train'].shape} and x_test {arrays['x_test'].shape}: not the same channels")
    names = _npz_class_names(path, arrays)
    for key in ("y_train", "y_test"):
        low, high = int(arrays[key].min()), int(arrays[key].max())
        if low < 0 or high >= len(names):
            refuse(f"{key} holds labels {low}..{high}, expected 0..{len(names) - 1} ({len(names)} classes)")
    absent = sorted(set(range(len(names))) - set(np.unique(arrays["y_train"]).tolist()))
    if absent:
        refuse(f"y_train has no image of class(es) {absent}; every class needs training images")
    out = {k: resize(arrays[k], size) if k.startswith("x_") else arrays[k].astype(np.uint8) for k in ARRAY_KEYS}
    return out, names


def _load_user_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in ARRAY_KEYS if k not in archive.files]
            if missing:
                raise ArtifactError(f"{path}: lacks arrays {missing}; an npz dataset needs {', '.join(ARRAY_KEYS)}")
            keys = ARRAY_KEYS + (("classes",) if "classes" in archive.files else ())
            return {k: archive[k] for k in keys}  # object arrays refuse to load here, as ValueError
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; set dataset.path to an existing .npz") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ArtifactError(f"{path}: unreadable as a plain-array .npz ({' '.join(str(error).split())})") from None


def _npz_class_names(path: Path, arrays: dict[str, np.ndarray]) -> tuple[str, ...]:
    """The ``classes`` array's names if given, else "0".."K-1" for the labels' largest value K-1."""
    if "classes" not in arrays:
        count = int(max(arrays["y_train"].max(), arrays["y_test"].max())) + 1
        if count > MAX_CLASSES:  # before making a name per label value
            raise ArtifactError(f"{path}: labels up to {count - 1}, at most {MAX_CLASSES} classes are supported")
        names = tuple(str(c) for c in range(max(count, 1)))
    else:
        classes = arrays["classes"]
        if classes.dtype.kind != "U" or classes.ndim != 1:
            raise ArtifactError(f"{path}: classes is {classes.dtype} {classes.shape}, expected a 1-D array of str")
        names = tuple(str(c) for c in classes)
        if len(set(names)) != len(names) or "" in names:
            raise ArtifactError(f"{path}: classes {list(names)} holds an empty or repeated name")
    if len(names) > MAX_CLASSES:
        raise ArtifactError(f"{path}: {len(names)} classes, at most {MAX_CLASSES} are supported")
    return names


# The reader of ``ganaug.data.registry``: (params, the previous prepared file) -> Source.

def read_npz(params, existing: Path) -> Source:
    return from_npz(Path(params.dataset.path), params.dataset.size)

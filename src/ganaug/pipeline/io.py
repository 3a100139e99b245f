"""Atomic writes and guarded reads for every artefact a stage produces or consumes.

A stage killed mid-write must leave the old file or the new one, never half of one, so
every writer goes through :func:`atomic_path` (write to a temporary sibling, then rename).
A missing or unreadable input raises :class:`ArtifactError` naming the file and the stage
that makes it, rather than a traceback from deep inside numpy or torch.
"""
from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganaug.pipeline.errors import UserError

if TYPE_CHECKING:
    import torch


_UMASK = os.umask(0)
os.umask(_UMASK)


class ArtifactError(UserError, RuntimeError):
    """An input file is missing or unreadable; the message says what to run."""


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    A process killed mid-write leaves the old ``path`` (or none) plus a stray temporary,
    which the next write of the same path removes. Write failures (disk full, read-only
    folder) become an ArtifactError naming ``path``.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        tmp = Path(name)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs should read like any other file
        yield tmp
        _fsync(tmp)  # the bytes reach the disk before the rename makes them the output
        os.replace(tmp, path)
        _fsync(path.parent)  # ... and the rename itself survives a power loss
    except OSError as error:
        raise ArtifactError(f"{path}: cannot write ({error.strerror or error}); {path} is unchanged") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def save_npz(path: str | Path, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        np.savez(out, **arrays)  # uncompressed: digits compress little and load 5x faster


def load_npz(path: str | Path, keys: tuple[str, ...], made_by: str) -> dict[str, np.ndarray]:
    """Load the named arrays of an ``.npz`` file, refusing pickled objects."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise ArtifactError(f"{path}: lacks arrays {missing}; rerun `{made_by}`")
            return {k: archive[k] for k in keys}
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; run `{made_by}` first") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ArtifactError(f"{path}: unreadable ({error}); delete it and rerun `{made_by}`") from None


@dataclass(frozen=True)
class Spec:
    """What one array of an ``.npz`` must hold: its dtype, the shape of one row, its value range."""

    dtypes: tuple[str, ...]  # allowed numpy dtype names, e.g. ("uint8",)
    row_shape: tuple[int, ...] = ()  # the shape after the first axis
    low: float | None = None  # inclusive bounds; float arrays must also be finite
    high: float | None = None


def check_arrays(path: str | Path, arrays: dict[str, np.ndarray], specs: dict[str, Spec], made_by: str) -> None:
    """ArtifactError naming ``path`` and the array unless every array fits its spec and all have one length."""
    def refuse(what: str) -> None:
        raise ArtifactError(f"{path}: {what}; rerun `{made_by}`")

    for key, spec in specs.items():
        array = arrays[key]
        if array.dtype.name not in spec.dtypes:
            refuse(f"{key} is {array.dtype.name}, expected {' or '.join(spec.dtypes)}")
        if array.ndim != 1 + len(spec.row_shape) or array.shape[1:] != spec.row_shape:
            refuse(f"{key} has shape {array.shape}, expected (N, {', '.join(map(str, spec.row_shape))})".replace(", )", ")"))
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            refuse(f"{key} holds {int((~np.isfinite(array)).sum())} NaN or infinite values")
        if array.size and spec.low is not None and array.min() < spec.low:
            refuse(f"{key} holds {array.min()}, below its smallest allowed value {spec.low}")
        if array.size and spec.high is not None and array.max() > spec.high:
            refuse(f"{key} holds {array.max()}, above its largest allowed value {spec.high}")
    lengths = {key: len(arrays[key]) for key in specs}
    if len(set(lengths.values())) > 1:
        refuse(f"arrays of unequal length {lengths}")


def load_checked(path: str | Path, specs: dict[str, Spec], made_by: str) -> dict[str, np.ndarray]:
    """:func:`load_npz` of the arrays ``specs`` names, each checked by :func:`check_arrays`."""
    arrays = load_npz(path, tuple(specs), made_by)
    check_arrays(path, arrays, specs, made_by)
    return arrays


def save_json(path: str | Path, data: object) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def _not_finite(constant: str) -> float:
    raise ValueError(f"{constant} is not a number a stage writes")


def load_json(path: str | Path, made_by: str) -> dict:
    try:
        return json.loads(Path(path).read_text(), parse_constant=_not_finite)  # NaN, Infinity
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; run `{made_by}` first") from None
    except (OSError, ValueError) as error:
        raise ArtifactError(f"{path}: unreadable ({error}); rerun `{made_by}`") from None


def load_json_with(path: Path, made_by: str, keys: tuple[str, ...]) -> dict:
    """A JSON object with at least ``keys``, or ArtifactError naming the file and what to rerun."""
    data = load_json(path, made_by)
    missing = [k for k in keys if not isinstance(data, dict) or k not in data]
    if missing:
        raise ArtifactError(f"{path}: lacks {missing}; rerun `{made_by}`")
    return data


def save_csv(path: str | Path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def load_csv(path: str | Path, made_by: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a CSV file that must have at least ``columns``."""
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise ArtifactError(f"{path}: lacks columns {missing}; rerun `{made_by}`")
            return list(reader)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; run `{made_by}` first") from None
    except (OSError, csv.Error, UnicodeDecodeError) as error:
        raise ArtifactError(f"{path}: unreadable ({error}); rerun `{made_by}`") from None


def load_numeric_csv(path: Path, made_by: str, numbers: tuple[str, ...], text: tuple[str, ...] = ()) -> list[dict]:
    """A non-empty CSV with ``numbers`` columns that parse as numbers and ``text`` columns, or ArtifactError."""
    rows = load_csv(path, made_by=made_by, columns=numbers + text)
    try:
        for line, row in enumerate(rows, start=2):
            bad = [key for key in numbers if not math.isfinite(float(row[key]))]
            if bad:
                raise ArtifactError(f"{path}: line {line}: {bad[0]} = {row[bad[0]]}, not a finite number; rerun `{made_by}`")
    except (TypeError, ValueError) as error:
        raise ArtifactError(f"{path}: not a number ({error}); rerun `{made_by}`") from None
    if not rows:
        raise ArtifactError(f"{path}: no rows; rerun `{made_by}`")
    return rows


def save_checkpoint(path: str | Path, state_dict: dict, config: dict) -> None:
    """Save weights with the integer config needed to rebuild the model."""
    import torch  # the checkpoint functions import torch themselves: `ganaug check` reads JSON only

    with atomic_path(path) as tmp:
        try:
            # Through a file object, so the archive's inner folder is "archive" rather than the
            # random temporary name: the same weights then give the same bytes (and DVC hash).
            with open(tmp, "wb") as handle:
                torch.save({"config": config, "state_dict": state_dict}, handle)
        except RuntimeError as error:  # torch reports a full disk as RuntimeError, not OSError
            raise OSError(str(error).splitlines()[0]) from None


def load_checkpoint(path: str | Path, made_by: str) -> tuple[dict, dict]:
    """Return (config, state_dict); ``weights_only`` so a tampered file cannot run code."""
    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        return checkpoint["config"], checkpoint["state_dict"]
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; run `{made_by}` first") from None
    except Exception as error:  # torch raises many types for a corrupt file
        raise ArtifactError(f"{path}: unreadable checkpoint ({type(error).__name__}); rerun `{made_by}`") from None


def load_model(build: Callable[..., torch.nn.Module], path: str | Path, made_by: str) -> torch.nn.Module:
    """Rebuild a model with ``build`` (a class or factory) from a checkpoint's config and load its weights.

    A file that does not fit (another model's, an old format) raises ArtifactError.
    """
    import torch

    config, weights = load_checkpoint(path, made_by)
    what = build.__name__.removeprefix("build_")  # LeNet5; build_generator -> generator
    try:
        model = build(**config)
        model.load_state_dict(weights)
    except (TypeError, RuntimeError, KeyError) as error:
        reason = str(error).splitlines()[0][:200]
        raise ArtifactError(f"{path}: not a {what} checkpoint ({reason}); rerun `{made_by}`") from None
    broken = [name for name, tensor in weights.items() if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if broken:
        raise ArtifactError(f"{path}: {what} weights {broken[0]} hold NaN or infinite values; rerun `{made_by}`")
    return model.eval()

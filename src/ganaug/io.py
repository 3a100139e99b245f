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
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch


_UMASK = os.umask(0)
os.umask(_UMASK)


class ArtifactError(RuntimeError):
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


def save_json(path: str | Path, data: object) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def load_json(path: str | Path, made_by: str) -> dict:
    try:
        return json.loads(Path(path).read_text())
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


def save_checkpoint(path: str | Path, state_dict: dict, config: dict) -> None:
    """Save weights with the integer config needed to rebuild the model."""
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
    config, weights = load_checkpoint(path, made_by)
    try:
        model = build(**config)
        model.load_state_dict(weights)
    except (TypeError, RuntimeError, KeyError) as error:
        reason = str(error).splitlines()[0][:200]
        what = build.__name__.removeprefix("build_")  # LeNet5; build_generator -> generator
        raise ArtifactError(f"{path}: not a {what} checkpoint ({reason}); rerun `{made_by}`") from None
    return model.eval()

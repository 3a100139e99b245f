"""Readers of the image datasets other than MNIST (whose verified reader is ``ganaug.data.mnist``)
and a user's npz (``ganaug.data.npz``).

Every reader returns a :data:`Source`: the arrays ``x_train, y_train, x_test, y_test`` and the
class names. Images are uint8, (N, size, size) grayscale or (N, size, size, 3) RGB; labels are
uint8 in 0..K-1 for K class names. A user's file or folder that cannot be read is an
``ArtifactError`` naming it; a download that fails is ``SourceUnavailable``; a bad parameter a
``ParamsError`` naming ``dataset.<key>``. The dispatch by ``dataset.name`` lives elsewhere.
"""
from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from ganaug.data import mnist as data
from ganaug.data.mnist import SourceUnavailable, download_torchvision
from ganaug.pipeline.io import ArtifactError
from ganaug.pipeline.progress import progress
from ganaug.params.strict import ParamsError

log = logging.getLogger(__name__)

Source = tuple[dict[str, np.ndarray], tuple[str, ...]]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
GRAY_MODES = ("L", "1", "LA")  # read as one channel
COLOUR_MODES = ("RGB", "RGBA", "P", "CMYK", "YCbCr")  # read as RGB
TORCHVISION = {"fashion-mnist": "FashionMNIST", "kmnist": "KMNIST"}
MAX_CLASSES = 256  # labels are stored as uint8


def check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ParamsError(f"dataset.size: {size!r} is not a positive number of pixels per side")


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, H, W) or (N, H, W, C) at ``size`` x ``size``, bilinear; the input itself if already that size."""
    check_size(size)
    if images.shape[1:3] == (size, size):
        return images
    squeeze = images.ndim == 4 and images.shape[-1] == 1  # PIL has no (H, W, 1) mode
    frames = images[..., 0] if squeeze else images
    # PIL's BILINEAR widens its filter when shrinking, so downscaling is antialiased.
    out = np.stack([np.asarray(Image.fromarray(f).resize((size, size), Image.BILINEAR)) for f in frames])
    return out[..., None] if squeeze else out


def resize_images(arrays: dict[str, np.ndarray], size: int) -> dict[str, np.ndarray]:
    """The arrays with their images (x_train, x_test) resized, labels as they are."""
    return {key: resize(value, size) if key.startswith("x_") else value for key, value in arrays.items()}


def stratified_holdout(labels: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, test) indices: round(share * n) of each class's n images, at least 1, go to test."""
    if not 0 <= share < 1:
        raise ParamsError(f"dataset.holdout: {share!r} is not a share in [0, 1)")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = max(1, round(share * len(members))) if share > 0 else 0
        if n_test >= len(members):  # a class absent from training could not be learnt
            raise ParamsError(
                f"dataset.holdout: {share} of class {c}'s {len(members)} image(s) leaves none to train on; "
                "add images or give a test set"
            )
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _split(images: np.ndarray, labels: np.ndarray, holdout: float, seed: int) -> dict[str, np.ndarray]:
    train, test = stratified_holdout(labels, holdout, seed)
    return {"x_train": images[train], "y_train": labels[train], "x_test": images[test], "y_test": labels[test]}


def from_digits(size: int, holdout: float, seed: int) -> Source:
    """scikit-learn's bundled 8x8 digits (1797 images, no download), scaled to 0..255 and split per class."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.round(digits.images * 255 / 16).astype(np.uint8)  # (1797, 8, 8), values 0..16 before
    labels = digits.target.astype(np.uint8)
    return _split(resize(images, size), labels, holdout, seed), tuple(str(d) for d in range(10))


def from_folder(path: Path, test_path: Path | None, size: int, holdout: float, seed: int) -> Source:
    """An image tree with one subfolder per class; the test set is ``test_path``'s tree or a holdout.

    Hidden entries and files without an image suffix are skipped, so a stray ``.DS_Store`` or
    ``README`` does not stop a run. ``holdout`` is ignored when ``test_path`` is given.
    """
    check_size(size)
    names = _class_folders(path)
    if test_path is None:
        images, labels = _read_tree(path, names, size, channels=None)
        return _split(images, labels, holdout, seed), names
    test_names = _class_folders(test_path)
    for name in sorted(set(names) ^ set(test_names)):
        where, other = (test_path, path) if name in names else (path, test_path)
        raise ArtifactError(f"{where}: lacks class folder {name!r}, which {other} has; both need the same classes")
    x_train, y_train = _read_tree(path, names, size, channels=None)
    x_test, y_test = _read_tree(test_path, names, size, channels=(x_train.ndim - 1, path))
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}, names


def _class_folders(path: Path) -> tuple[str, ...]:
    if not path.is_dir():
        what = "not a folder" if path.exists() else "missing"
        raise ArtifactError(f"{path}: {what}; expected a folder with one subfolder of images per class")
    names = tuple(sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")))
    if not names:
        raise ArtifactError(f"{path}: holds no class folders; expected one subfolder of images per class")
    if len(names) > MAX_CLASSES:
        raise ArtifactError(f"{path}: {len(names)} class folders, at most {MAX_CLASSES} are supported")
    return names


def _read_tree(
    path: Path, names: tuple[str, ...], size: int, channels: tuple[int, Path] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Every image under ``path/<name>/``, in sorted order; all must share one channel count.

    ``channels`` is (ndim of one image, where it was seen) when another tree has fixed it already.
    """
    files, labels = [], []
    for label, name in enumerate(names):
        found = sorted(
            f for f in (path / name).iterdir()
            if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in IMAGE_SUFFIXES
        )
        if not found:
            raise ArtifactError(f"{path / name}: holds no .png, .jpg or .jpeg images; every class needs some")
        files += found
        labels += [label] * len(found)
    images = []
    for file in progress(files, desc=f"reading {path}", unit="image"):
        image = _read_image(file, size)
        if channels is None:
            channels = (image.ndim, file)
        elif image.ndim != channels[0]:
            kinds = {2: "grayscale", 3: "RGB"}
            raise ArtifactError(
                f"{file}: is {kinds[image.ndim]} but {channels[1]} is {kinds[channels[0]]}; "
                "convert the images to one kind"
            )
        images.append(image)
    log.info("read %d images of %d classes from %s", len(images), len(names), path)
    return np.stack(images), np.array(labels, np.uint8)


def _read_image(file: Path, size: int) -> np.ndarray:
    """One image as uint8 (size, size) grayscale or (size, size, 3) RGB."""
    try:
        with Image.open(file) as image:
            image.load()  # decode now, so a truncated file fails here with its name
            if image.mode in GRAY_MODES:
                image = image.convert("L")
            elif image.mode in COLOUR_MODES:
                image = image.convert("RGB")
            else:  # 16-bit or float pixels would be clipped, not scaled, by convert
                raise ArtifactError(f"{file}: pixel mode {image.mode} is not supported; save it as 8-bit gray or RGB")
            pixels = np.asarray(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ArtifactError(f"{file}: unreadable as an image ({' '.join(str(error).split())})") from None
    return resize(pixels[None], size)[0]


def from_torchvision_dataset(
    name: str, timeout: float, mirrors: tuple[str, ...] | None, resources: list[tuple[str, str]] | None = None,
    *, size: int = 28,
) -> Source:
    """Fashion-MNIST or KMNIST through torchvision into a temporary folder, as ``data.from_torchvision``."""
    if name not in TORCHVISION:
        raise ParamsError(f"dataset.name: {name!r} is not one of the torchvision sets {', '.join(TORCHVISION)}")
    check_size(size)
    import torchvision.datasets

    base = getattr(torchvision.datasets, TORCHVISION[name])
    try:
        raw = download_torchvision(base, timeout, mirrors, resources)
    except SourceUnavailable as error:
        raise SourceUnavailable(f"{name}: {error}") from None
    arrays = resize_images(raw, size)
    return arrays, tuple(base.classes)


# The readers of ``ganaug.data.registry``: (params, the previous prepared file) -> Source.

def read_mnist(params, existing: Path) -> Source:
    """The registry's reader: verified MNIST (an existing verified copy kept), resized to ``dataset.size``.

    A prepared file of another dataset, or of MNIST at another size, is not a copy to verify:
    switching datasets fetches again rather than refusing the file.
    """
    size = params.dataset.size
    reuse = size == data.MNIST_SIDE and _described_as(existing) in (None, ("mnist", data.MNIST_SIDE))
    arrays, _ = data.obtain_mnist(existing if reuse else None, params.prepare.download_timeout, params.prepare.mirrors)
    if size != data.MNIST_SIDE:
        arrays = resize_images(arrays, size)
    return arrays, data.MNIST_CLASSES


def _described_as(path: Path) -> tuple[str, int] | None:
    """(dataset name, side) in a prepared file's description; None for a file without one (a copy placed by hand)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "description" not in archive.files:
                return None
            description = json.loads(str(archive["description"]))
            return description["name"], description["height"]
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None  # missing or unreadable: verified_copy says which


def read_digits(params, existing: Path) -> Source:
    dataset = params.dataset
    return from_digits(dataset.size, dataset.holdout, params.seed)


def read_folder(params, existing: Path) -> Source:
    dataset = params.dataset
    test = Path(dataset.test_path) if dataset.test_path else None
    return from_folder(Path(dataset.path), test, dataset.size, dataset.holdout, params.seed)


def read_torchvision(params, existing: Path) -> Source:
    return from_torchvision_dataset(params.dataset.name, params.prepare.download_timeout, params.prepare.mirrors,
                                    size=params.dataset.size)

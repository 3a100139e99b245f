"""A sweep file: the grid of params overrides, the engine's settings, and its points.

    name: zoo                        # experiments are named zoo-<digest>; files go to reports/sweeps/zoo
    base: examples/sweeps/base.yaml  # every point's params before its overrides (at the sweep's commit)
    grid:                            # the cross product of these, in `dvc exp run -S` form
      dataset.name: [mnist, digits]
      gan: [dcgan, dcgan_ema]        # names in compare.configs: each is its train_generator keys
      ratio: [0.5, 1.0]

Every point's params are made the way `dvc exp run -S` makes them (DVC's own Hydra overrides) and
checked by the strict loader, so a bad value stops the sweep with one line before any point runs.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ganaug.params.project import parse_params
from ganaug.params.strict import ParamsError, build, read_params_file, require

CONFIG_AXIS = "gan"  # a grid key of its own: compare.configs names, each expanding to its train_generator keys
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,40}")  # part of a git ref and of a folder name


@dataclass(frozen=True)
class Resources:
    num_cpus: int = 1  # CPUs Ray reserves per point; its torch threads (OMP_NUM_THREADS) follow
    num_gpus: float = 0.0  # GPUs per point: 1 where the points run with device: cuda

    def __post_init__(self):
        require(self.num_cpus >= 1, "num_cpus", "an integer >= 1")
        require(self.num_gpus >= 0, "num_gpus", "a number >= 0")


@dataclass(frozen=True)
class Remotes:
    git: str | None = None  # a git remote every node reaches (path, ssh://, https://); null = build/sweeps/<name>/git.git
    dvc: str | None = None  # a DVC remote every node reaches (folder, s3://, ssh://); null = build/sweeps/<name>/dvc


@dataclass(frozen=True)
class SweepSpec:
    name: str  # experiments are <name>-<digest>; the default remotes and reports are named after it
    grid: dict[str, tuple[object, ...]]  # params key (dotted, as -S takes it) or `gan` -> its values
    base: str | None = None  # params file (path in the repository) every point starts from; null = params.yaml
    resources: Resources = field(default_factory=Resources)
    max_retries: int = 2  # a point whose node dies runs again elsewhere, this many times at most
    remotes: Remotes = field(default_factory=Remotes)
    workdir: str | None = None  # where a node clones its points; null = the node's temp dir
    out: str | None = None  # the sweep's table and points; null = reports/sweeps/<name>

    def __post_init__(self):
        require(NAME.fullmatch(self.name) is not None, "name", "letters, digits, _ and -, starting with a letter (41 at most)")
        require(bool(self.grid), "grid", "at least one key with values")
        for key, values in self.grid.items():
            require(len(values) > 0, f"grid.{key}", "a non-empty list of values")
            require(len(set(map(canonical, values))) == len(values), f"grid.{key}", "values without repeats")
        require(self.max_retries >= 0, "max_retries", "an integer >= 0")

    @property
    def out_dir(self) -> Path:
        return Path(self.out or f"reports/sweeps/{self.name}")

    @property
    def base_path(self) -> str:
        return self.base or "params.yaml"


@dataclass(frozen=True)
class Point:
    name: str  # the experiment's name: <sweep>-<digest of commit and overrides>
    axes: dict[str, object]  # grid key -> this point's value (what a person reads)
    overrides: tuple[str, ...]  # `dvc exp run -S` arguments, in order

    def label(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.axes.items())


def load_spec(path: str | Path) -> SweepSpec:
    """Read a sweep file; ParamsError naming the file and the key on anything wrong."""
    if not Path(path).is_file():
        raise ParamsError(f"{path}: no such sweep file")
    raw = read_params_file(path)
    try:
        return build(SweepSpec, raw, prefix="")
    except ParamsError as error:
        raise ParamsError(f"{path}: {error}") from None


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def override_value(value: object) -> str:
    """A YAML value as Hydra's override grammar reads it (what `dvc exp run -S key=<this>` takes)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(map(override_value, value)) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{key}:{override_value(item)}" for key, item in value.items()) + "}"
    text = str(value)
    if re.fullmatch(r"[A-Za-z_/.][A-Za-z0-9_./-]*", text) and yaml.safe_load(text) == text:
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _has_key(params: dict, dotted: str) -> bool:
    node = params
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def point_overrides(spec: SweepSpec, base: dict, axes: dict[str, object]) -> tuple[str, ...]:
    """The -S arguments of one point: each grid key's value, a configuration name as its train_generator keys."""
    overrides = []
    for key, value in axes.items():
        if key == CONFIG_AXIS:
            configs = base.get("compare", {}).get("configs", {})
            if value not in configs:
                raise ParamsError(f"grid.{CONFIG_AXIS}: {value!r} is not in compare.configs of {spec.base_path}; "
                                  f"allowed: {', '.join(configs)}")
            overrides += [f"train_generator.{k}={override_value(v)}" for k, v in (configs[value] or {}).items()]
        else:
            overrides.append(f"{key}={override_value(value)}")
    return tuple(overrides)


def experiment_name(spec: SweepSpec, commit: str, overrides: tuple[str, ...]) -> str:
    """The same sweep, commit and overrides give the same name: how a rerun knows a point is done."""
    digest = hashlib.sha256(canonical([commit, spec.base_path, list(overrides)]).encode()).hexdigest()
    return f"{spec.name}-{digest[:8]}"


def expand(spec: SweepSpec, base_file: Path, commit: str) -> list[Point]:
    """Every point of the grid, its params checked as `dvc exp run -S` would make them; ParamsError on the first bad one."""
    base = read_params_file(base_file)
    for key in spec.grid:
        if key != CONFIG_AXIS and not _has_key(base, key):
            raise ParamsError(f"grid.{key}: not a key of {spec.base_path}; a grid key is a dotted params key or {CONFIG_AXIS!r}")
    points = []
    for values in itertools.product(*spec.grid.values()):
        axes = dict(zip(spec.grid, values))
        overrides = point_overrides(spec, base, axes)
        point = Point(experiment_name(spec, commit, overrides), axes, overrides)
        check_point(base_file, point)
        points.append(point)
    return points


def check_point(base_file: Path, point: Point) -> None:
    """Apply the point's overrides to a copy of the base with DVC's own function, then load it strictly."""
    from dvc.exceptions import InvalidArgumentError
    from dvc.utils.hydra import apply_overrides

    with tempfile.TemporaryDirectory() as folder:
        params = Path(folder) / "params.yaml"
        shutil.copy(base_file, params)
        try:
            apply_overrides(params, list(point.overrides))
            parse_params(read_params_file(params))
        except (ParamsError, InvalidArgumentError) as error:
            cause = f"{error}: {error.__cause__}" if isinstance(error, InvalidArgumentError) else str(error)
            raise ParamsError(f"point {point.label()}: {cause}".replace("\n", " ")) from None

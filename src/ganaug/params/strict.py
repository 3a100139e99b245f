"""Strict loading of nested frozen dataclasses from YAML: the machinery behind ``params/``.

``build(cls, raw)`` converts a mapping into ``cls``, refusing unknown keys and wrong types and
turning a dataclass's own range checks (``require``) into one-line ``ParamsError``s that name
the dotted key, its value and what is allowed.
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path

import yaml

from ganaug.pipeline.errors import ParamsError


# Keys that moved, for a params file written before: old dotted key -> where it is now.
MOVED = {"train_gan": "train_generator (one section for every generator, GAN or flow)",
         "train_generator.collapse_floor":
             "evaluate.collapse_threshold (one threshold for train_generator's health and evaluate)"}


class Invalid(Exception):
    """Raised inside a section's checks; the loader adds the section name."""

    def __init__(self, key: str, allowed: str):
        super().__init__(key, allowed)
        self.key, self.allowed = key, allowed


def by_level(counts: dict[int, int], level: int) -> int | None:
    """A per-level count: that of the smallest key at or above ``level`` ({1000: 5, 60000: 3} gives 5 up to
    1000 images and 3 above), so a new level needs no key of its own; None above every key."""
    return next((counts[key] for key in sorted(counts) if key >= level), None)


def require(ok: bool, key: str, allowed: str) -> None:
    if not ok:
        raise Invalid(key, allowed)


class Yaml12FloatLoader(yaml.SafeLoader):
    """SafeLoader that also reads ``1e-06`` as a float, as YAML 1.2 does.

    PyYAML follows YAML 1.1, where a float needs a dot, so ``1e-06`` (which is how
    ``dvc exp run -S classifier.lr=0.000001`` writes it) would otherwise load as a string.
    """


class DuplicateKey(yaml.YAMLError):
    """A mapping names the same key twice: DVC refuses such a file, and last-wins would hide a typo."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    lines: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden, by design
            continue
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in lines:
            raise DuplicateKey(f"key {key!r} written twice (lines {lines[key]} and {line}); keep one")
        lines[key] = line
    return loader.construct_mapping(node, deep=deep)


Yaml12FloatLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)
Yaml12FloatLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def build(cls, raw: object, prefix: str):
    where = prefix.rstrip(".") or "params"
    if not isinstance(raw, dict):
        raise ParamsError(f"{where} = {raw!r}: allowed: a mapping of keys to values")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - fields)
    if unknown:
        key = f"{prefix}{unknown[0]}"
        if key in MOVED:
            raise ParamsError(f"{key}: moved to {MOVED[key]}; write it there")
        raise ParamsError(f"{key}: unknown key; allowed keys: {', '.join(sorted(fields))}")
    values = {name: _convert(hints[name], value, f"{prefix}{name}") for name, value in raw.items()}
    try:
        return cls(**values)
    except Invalid as bad:
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
    for part in rest.split(".") if rest else ():
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return list(value) if isinstance(value, tuple) else dict(value) if isinstance(value, dict) else value


def _convert(hint, value, key: str):
    if dataclasses.is_dataclass(hint):
        return build(hint, value, prefix=f"{key}.")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        if value is None:
            return None
        (hint,) = [a for a in args if a is not type(None)]
        return _convert(hint, value, key)
    if origin is dict:
        if not isinstance(value, dict):
            raise ParamsError(f"{key} = {value!r}: allowed: a mapping")
        key_hint, value_hint = args
        return {_convert(key_hint, k, f"{key} key {k!r}"): _convert(value_hint, v, f"{key}.{k}") for k, v in value.items()}
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


def read_params_file(path: str | Path) -> object:
    """A params file's YAML (YAML 1.2 floats, keys written twice refused); ParamsError naming the file."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(), Loader=Yaml12FloatLoader)
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such params file") from None
    except DuplicateKey as error:
        raise ParamsError(f"{path}: {error}") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML ({error})".replace("\n", " ")) from None
    return raw if raw is not None else {}

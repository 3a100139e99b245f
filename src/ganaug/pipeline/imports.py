"""The ganaug modules a module imports, statically and at any depth: what its numbers can depend on.

Every ``import`` of a ganaug module counts, inside functions too, and so does a module named in a
string for ``importlib`` (``"ganaug.data.npz:read_npz"``, as the dataset registry names its
readers); a name taken from a package resolves to the submodule it comes from. Used by
``tests/test_deps.py`` (every stage's DVC deps cover its command's closure) and by the GAN resume
fingerprint (``generators/state.py``), so neither keeps a list of files by hand. Plumbing (moving and checking bytes and params) is not
followed: what it imports is not a stage's code.
"""
from __future__ import annotations

import ast
import functools
import importlib
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
PACKAGES = frozenset({"ganaug", "ganaug.cli", "ganaug.data", "ganaug.fakes", "ganaug.generators", "ganaug.metrics",
                      "ganaug.models", "ganaug.params", "ganaug.pipeline", "ganaug.report", "ganaug.stages",
                      "ganaug.training"})
PLUMBING = PACKAGES - {"ganaug.models"} | {
    "ganaug.pipeline.io", "ganaug.params.project", "ganaug.params.table", "ganaug.params.strict",
    "ganaug.pipeline.progress", "ganaug.cli.main", "ganaug.cli.support", "ganaug.pipeline.imports",
    "ganaug.pipeline.stage_files", "ganaug.pipeline.errors"}

# "ganaug.data.npz:read_npz": a module named in a string, for importlib to load when it is needed.
NAMED = re.compile(r"^(ganaug(?:\.\w+)+):\w+$")


def load_named(spec: str):
    """The function ``"module:function"`` names, imported now (a dataset reader, a stage's ``run``)."""
    module, function = spec.split(":")
    return getattr(importlib.import_module(module), function)


def module_path(name: str) -> Path | None:
    base = SRC / Path(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _source_of(package: str, name: str) -> str | None:
    """The submodule a package's ``__init__`` re-exports ``name`` from (``ganaug.models`` -> ``.lenet``)."""
    for node in ast.parse(module_path(package).read_text()).body:
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
            return node.module
    return None


@functools.cache
def imported(name: str) -> frozenset[str]:
    """The ganaug modules that module ``name`` imports."""
    found = set()
    for node in ast.walk(ast.parse(module_path(name).read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ganaug")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ganaug"):
            if not module_path(node.module).name == "__init__.py":
                found.add(node.module)
                continue
            for alias in node.names:  # from a package: a submodule, or a name its __init__ re-exports
                sub = f"{node.module}.{alias.name}"
                found.add(sub if module_path(sub) else _source_of(node.module, alias.name) or node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= set(NAMED.findall(node.value))  # imported by name: the dataset registry's readers
    return frozenset(m for m in found if module_path(m))


def closure(start: str) -> set[str]:
    """``start`` and every ganaug module it reaches through imports, plumbing not followed."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if name not in PLUMBING:  # what plumbing imports (params/project.py: params/gan.py, say) is not a stage's code
                todo += imported(name)
    return seen


def code_of(start: str) -> list[Path]:
    """The files of ``start``'s closure that are code, not plumbing, sorted."""
    return sorted(module_path(m) for m in closure(start) - PLUMBING)

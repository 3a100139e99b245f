"""Every stage of dvc.yaml and compare/dvc.yaml declares, as deps, every ganaug module its command imports.

A module left out is code that can change a stage's numbers without DVC rerunning it. The
closure is static: every ``import`` of a ganaug module, at any depth and inside functions too,
from the stage module the command's click function imports. Plumbing (moving and checking
bytes and params, tracked through ``params:``) is left out, as dvc.yaml says.
"""
import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PLUMBING = {"ganaug.io", "ganaug.params", "ganaug.table_params", "ganaug.strict", "ganaug.progress", "ganaug.cli",
            "ganaug.cli_support", "ganaug", "ganaug.stages", "ganaug.training", "ganaug.metrics"}


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


def imported(name: str) -> set[str]:
    """The ganaug modules that module ``name`` imports; a name taken from a package resolves to its submodule."""
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
    return {m for m in found if module_path(m)}


def closure(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if name not in PLUMBING:  # what plumbing imports (params.py: gan_params, say) is not a stage's code
                todo += imported(name)
    return seen


def command_modules() -> dict[str, set[str]]:
    """CLI command name -> the stage modules its click function imports."""
    commands = {}
    for node in ast.parse((SRC / "ganaug/cli.py").read_text()).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        names = [d.args[0].value for d in node.decorator_list
                 if isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command" and d.args]
        if names:
            stages = {f"{n.module}.{a.name}" for n in ast.walk(node) if isinstance(n, ast.ImportFrom)
                      and n.module == "ganaug.stages" for a in n.names}
            commands[names[0]] = stages
    return commands


def stages():
    for pipeline in ("dvc.yaml", "compare/dvc.yaml"):
        for name, stage in yaml.safe_load((ROOT / pipeline).read_text())["stages"].items():
            stage = stage.get("do", stage)
            yield pytest.param(pipeline, stage, id=f"{pipeline}:{name}")


@pytest.mark.parametrize(("pipeline", "stage"), list(stages()))
def test_a_stages_deps_cover_the_modules_its_command_imports(pipeline, stage):
    command = stage["cmd"].split()[1]
    modules = set().union(*(closure(m) for m in command_modules()[command]))
    base = (ROOT / pipeline).parent / stage.get("wdir", ".")
    declared = {str((base / d).resolve().relative_to(ROOT)) for d in stage.get("deps", []) if isinstance(d, str)}
    needed = {str(module_path(m).relative_to(ROOT)) for m in modules - PLUMBING}
    assert not needed - declared, f"{command}: imports modules not in its deps: {sorted(needed - declared)}"


def test_the_closure_sees_imports_inside_functions():
    assert "ganaug.stages.report" in command_modules()["report"]
    assert "ganaug.exchange" in closure("ganaug.stages.report")

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

from ganaug.imports import PLUMBING, closure, module_path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


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

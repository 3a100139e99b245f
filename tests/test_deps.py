"""Every stage of dvc.yaml and compare/dvc.yaml declares, as deps, every ganaug module its command imports.

A module left out is code that can change a stage's numbers without DVC rerunning it. The
closure is static: every ``import`` of a ganaug module, at any depth and inside functions too,
from the stage module the command's click function imports. Plumbing (moving and checking
bytes and params, tracked through ``params:``) is left out, as dvc.yaml says.
"""
import ast
import shutil
from pathlib import Path

import pytest
import yaml

from ganaug.pipeline import imports
from ganaug.pipeline.imports import PLUMBING, closure, module_path
from ganaug.pipeline.stage_files import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def command_modules() -> dict[str, set[str]]:
    """CLI command name -> the stage modules it runs: those of stage_files.COMMANDS, and any a command of
    cli/main.py imports itself (validate)."""
    commands = {name: {command.run.split(":")[0]} for name, command in COMMANDS.items()}
    for node in ast.parse((SRC / "ganaug/cli/main.py").read_text()).body:
        names = [d.args[0].value for d in getattr(node, "decorator_list", [])
                 if isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command" and d.args]
        if names:
            stages = {f"{n.module}.{a.name}" for n in ast.walk(node) if isinstance(n, ast.ImportFrom)
                      and n.module == "ganaug.stages" for a in n.names}
            commands.setdefault(names[0], set()).update(stages)
    return commands


def stages():
    for pipeline in ("dvc.yaml", "compare/dvc.yaml"):
        for name, stage in yaml.safe_load((ROOT / pipeline).read_text())["stages"].items():
            stage = stage.get("do", stage)
            yield pytest.param(pipeline, stage, id=f"{pipeline}:{name}")


def missing_deps(pipeline: str, stage: dict, root: Path = ROOT) -> list[str]:
    """The code files ``stage``'s command imports that no dep declares (a folder dep declares its files)."""
    command = stage["cmd"].split()[1]
    modules = set().union(*(closure(m) for m in command_modules()[command]))
    base = (root / pipeline).parent / stage.get("wdir", ".")
    declared = [(base / d.split()[0]).resolve() for d in stage.get("deps", []) if isinstance(d, str)]
    needed = {module_path(m).resolve() for m in modules - PLUMBING}
    return sorted(str(path.relative_to(root)) for path in needed
                  if not any(path == dep or dep in path.parents for dep in declared))


@pytest.mark.parametrize(("pipeline", "stage"), list(stages()))
def test_a_stages_deps_cover_the_modules_its_command_imports(pipeline, stage):
    assert not missing_deps(pipeline, stage), f"imports modules not in its deps: {missing_deps(pipeline, stage)}"


def fetch_stage() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["fetch"]


@pytest.mark.parametrize(("package", "covered"), [("data", True), ("report", False)])
def test_a_reader_added_as_the_readme_says_is_a_dep_of_fetch_only_inside_the_data_package(
        tmp_path, monkeypatch, package, covered):
    """A user's reader in a module of its own, named by one registry line, reaches fetch's closure."""
    shutil.copytree(SRC, tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "src/ganaug" / package / "my_reader.py").write_text("def read(params, existing):\n    pass\n")
    registry = tmp_path / "src/ganaug/data/registry.py"
    registry.write_text(registry.read_text().replace(
        "READERS = {", f'READERS = {{\n    "mine": "ganaug.{package}.my_reader:read",'))
    monkeypatch.setattr(imports, "SRC", tmp_path / "src")
    imports.imported.cache_clear()
    try:
        assert f"ganaug.{package}.my_reader" in closure("ganaug.stages.fetch")
        expected = [] if covered else [f"src/ganaug/{package}/my_reader.py"]
        assert missing_deps("dvc.yaml", fetch_stage(), root=tmp_path) == expected
    finally:
        imports.imported.cache_clear()


def test_the_closure_sees_imports_inside_functions():
    assert "ganaug.stages.report" in command_modules()["report"]
    assert "ganaug.report.exchange" in closure("ganaug.stages.report")


def test_the_closure_follows_the_readers_that_the_registry_names():
    assert {"ganaug.data.registry", "ganaug.data.sources"} <= closure("ganaug.stages.fetch")

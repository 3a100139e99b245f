"""dvc.yaml against each stage's files (ganaug.pipeline.stage_files), stage by stage as DVC resolves them.

An input a command reads must be a declared dep (else a changed input reruns nothing), an output
it writes a declared out, metric or plot (else DVC neither caches nor removes it), every declared
out must be one of its outputs, and scratch must not be an out (it would turn off the run-cache).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from ganaug.pipeline import stage_files
from ganaug.pipeline.stage_files import INPUT, OUTPUT, SCRATCH
from tests.dvc_stages import ROOT, resolved_stages, split

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
FILLS = {stage_files.LEVEL: ("level", PARAMS["prepare"]["levels"]),
         stage_files.CONFIG: ("config", list(PARAMS["compare"]["configs"]))}
STAGES = [s for s in resolved_stages(ROOT) if split(s.cmd)[0] != "validate"]


def within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def named_files(stage) -> list[tuple[str, Path]]:
    """(role, absolute path) of every file the stage's command is given, templates filled in."""
    command, options = split(stage.cmd)
    cls = stage_files.COMMANDS[command].files
    named = []
    for field in dataclasses.fields(cls):
        value, template = options.get(field.name), field.metadata["template"]
        if value is None:
            assert field.default is None, f"{stage.name}: --{field.name} is required"
            continue
        values = [value.format(**{FILLS[template][0]: v}) for v in FILLS[template][1]] if template else [value]
        named += [(field.metadata["role"], Path(stage.wdir, v).resolve()) for v in values]
    assert not set(options) - {f.name for f in dataclasses.fields(cls)} - {"level", "config"}, stage.cmd
    return named


def problems(stage, deps: list[Path], outs: list[Path]) -> list[str]:
    """What dvc.yaml gets wrong about the files of ``stage``, given its declared deps and outs."""
    files, found = named_files(stage), []
    for role, path in files:
        if role == INPUT and not any(within(path, d) for d in deps):
            found.append(f"reads {path}, not a dep")
        if role == OUTPUT and not any(within(path, o) or within(o, path) for o in outs):
            found.append(f"writes {path}, not an out")
        if role == SCRATCH and any(within(o, path) or within(path, o) for o in outs):
            found.append(f"{path} is scratch, yet an out")
    written = [path for role, path in files if role == OUTPUT]
    found += [f"declares {out}, which it does not write" for out in outs if not any(within(out, p) for p in written)]
    return found


def declared(stage) -> tuple[list[Path], list[Path]]:
    return [Path(d.fs_path) for d in stage.deps], [Path(o.fs_path) for o in stage.outs]


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_dvc_yaml_declares_what_each_stage_reads_and_writes(stage):
    assert problems(stage, *declared(stage)) == [], stage.name


def test_every_command_of_the_pipelines_has_its_files_declared():
    commands = {split(s.cmd)[0] for s in STAGES}
    assert commands <= set(stage_files.COMMANDS)
    assert {"train_generator", "compare_gan", "report", "compare_table"} <= commands


def test_a_dep_or_out_left_out_of_dvc_yaml_is_found():
    generate = next(s for s in STAGES if s.name.startswith("generate@"))
    deps, outs = declared(generate)
    judge = next(d for d in deps if d.name == "judge.pt")
    assert problems(generate, [d for d in deps if d != judge], outs) == [f"reads {judge}, not a dep"]
    assert problems(generate, deps, outs[1:]) == [f"writes {outs[0]}, not an out"]
    assert problems(generate, deps, [*outs, judge]) == [f"declares {judge}, which it does not write"]


def test_a_record_made_before_the_rename_is_read_by_its_old_names(tmp_path):
    old, new, both = (tmp_path / name for name in ("old", "new", "both"))
    for folder, names in ((old, ["gan_health.json"]), (new, ["generator_health.json"]),
                          (both, ["gan_health.json", "generator_health.json"])):
        folder.mkdir()
        for name in names:
            (folder / name).write_text("{}")
    assert stage_files.recorded(old, "generator_health.json") == old / "gan_health.json"
    assert stage_files.recorded(new, "generator_health.json") == new / "generator_health.json"
    assert stage_files.recorded(both, "generator_health.json") == both / "generator_health.json"  # today's name first
    neither = tmp_path / "generator_health.json"
    assert stage_files.recorded(tmp_path, "generator_health.json") == neither  # neither: today's
    assert stage_files.recorded(old, "quality.json") == old / "quality.json"  # not renamed
    at_revision = {"gan_curves"}.__contains__  # a folder at an older git revision: exists is asked, not the disk
    assert stage_files.recorded(tmp_path, "generator_curves", lambda p: at_revision(p.name)) == tmp_path / "gan_curves"

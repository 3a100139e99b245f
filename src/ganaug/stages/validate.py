"""validate: the whole params file checked before any stage's outputs are touched.

    ganaug validate --pipelines dvc.yaml --pipelines compare/dvc.yaml --out data/validated.json

DVC deletes a stage's outputs before it runs the stage's command, so a value that a stage
refuses would still cost that stage's old outputs. Every stage depends on this stage's
output, so DVC runs it first whenever ``params.yaml`` changes; a refused value, or a key that a
stage of the pipelines tracks but the file lacks (DVC fails on it only after the stage ran),
stops ``dvc repro`` here, before anything is deleted. So does a ``device`` or ``precision`` this
machine cannot run (no CUDA, no bf16 in hardware), which only the training stages would find,
and a git repository without a commit, where DVCLive cannot start (it names its run after the
commit; dvclive#522), which the first stage that logs a curve would find.
The output never changes, so a valid change reruns only the stages whose own params changed.
"""
from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import yaml

from ganaug.pipeline.io import save_json
from ganaug.pipeline.runtime import resolve_device, resolve_precision
from ganaug.params.project import Params, ParamsError
from ganaug.pipeline.errors import UserError
from ganaug.params.strict import Yaml12FloatLoader

log = logging.getLogger(__name__)

FOREACH_KEY = "${key}"  # compare/dvc.yaml's stages run foreach over compare.configs: ${key} is each name


def tracked_params(pipeline: dict, raw: dict) -> dict[str, str]:
    """Each dotted params key a pipeline's stages track, with the first stage that tracks it."""
    tracked: dict[str, str] = {}
    for name, stage in (pipeline.get("stages") or {}).items():
        for key in stage.get("do", stage).get("params", []):
            if not isinstance(key, str):  # `- params.yaml:` (the whole file) names no key
                continue
            names = (raw.get("compare") or {}).get("configs") or {} if FOREACH_KEY in key else [None]
            for each in names:
                tracked.setdefault(key.replace(FOREACH_KEY, each) if each else key, name)
    return tracked


def lacks(raw: dict, dotted: str) -> bool:
    tree: object = raw
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return True
        tree = tree[part]
    return False


def git(folder: Path, *args: str) -> bool:
    """Whether ``git <args>`` succeeds in ``folder`` (False without git)."""
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True).returncode == 0
    except OSError:
        return False


def check_a_commit(folder: Path) -> None:
    """Refuse a git work tree without a commit: DVCLive, which logs the training curves, fails there."""
    if git(folder, "rev-parse", "--is-inside-work-tree") and not git(folder, "rev-parse", "--verify", "--quiet", "HEAD"):
        raise UserError(f"{folder.resolve()}: a git repository without a commit, where DVCLive cannot log the training "
                        "curves; commit once (`git add -A && git commit -m 'ganaug project'`), then rerun")


def run(params: Params, params_path: Path, pipelines: tuple[Path, ...], out: Path) -> None:
    """Refuse keys the pipelines track but ``params_path`` lacks, a device or precision this machine
    lacks, and a git repository without a commit; ``params`` is ``params_path`` loaded, its values validated."""
    resolve_precision(params.precision, resolve_device(params.device))
    check_a_commit(params_path.parent)
    raw = yaml.load(params_path.read_text(), Loader=Yaml12FloatLoader) or {}
    for pipeline_path in pipelines:
        pipeline = yaml.safe_load(pipeline_path.read_text()) or {}
        for key, stage in tracked_params(pipeline, raw).items():
            if lacks(raw, key):
                raise ParamsError(
                    f"{params_path}: lacks {key}, which stage {stage} of {pipeline_path} tracks; "
                    f"add it back (`git diff {params_path}` shows what changed)"
                )
    save_json(out, {"validated": str(params_path)})  # the same bytes for every valid file
    log.info("%s is valid for %s", params_path, ", ".join(map(str, pipelines)))

"""Training curves through DVCLive, so `dvc plots show`, `dvc exp show` and DVC Studio read them as DVC does.

One DVCLive folder per stage output: ``plots/metrics/<name>.tsv`` per curve (step, value) and
``metrics.json`` with the latest values, rewritten at every logged step so `dvc exp show` follows
a running experiment. Curves of several models share a folder under a prefix (``seed0/g_loss``).
A rerun starts the folder afresh and a resumed GAN replays its checkpointed rows first, so the
folder's bytes depend only on the run, not on whether it was interrupted.
"""
from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

from ganaug.pipeline.io import ArtifactError

CURVES = Path("plots") / "metrics"


class Curves:
    """A DVCLive run writing into ``folder``; ``log(prefix, step, values)`` appends one row per curve."""

    def __init__(self, folder: Path):
        from dvclive import Live  # imported here: only the stages that log curves pay for it
        from scmrepo.exceptions import SCMError

        try:
            # No dvc.yaml of its own (dvc.yaml declares the folder), no experiment of its own (the stage is in one).
            self.live = Live(str(folder), resume=False, save_dvc_exp=False, dvcyaml=None, report=None)
        except SCMError as error:  # DVCLive names its run after the current commit: a fresh `git init` has none
            raise ArtifactError(f"{folder}: DVCLive cannot start ({error}); commit once (`git commit`), then rerun") from None

    def log(self, prefix: str, step: int, values: dict[str, float]) -> None:
        self.live.step = step
        for name, value in values.items():
            self.live.log_metric(f"{prefix}/{name}" if prefix else name, value)
        self.live.make_summary()

    def close(self) -> None:
        self.live.end()


def read_curves(folder: Path, made_by: str) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """{prefix: {name: [(step, value), ...]}} of a Curves folder; ArtifactError naming a missing or bad file."""
    root = Path(folder) / CURVES
    if not root.is_dir():
        raise ArtifactError(f"{root}: missing; run `{made_by}` first")
    curves: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(dict)
    for path in sorted(root.rglob("*.tsv")):
        prefix = path.parent.relative_to(root).as_posix().replace(".", "")
        try:
            with open(path, newline="") as handle:
                rows = list(csv.DictReader(handle, delimiter="\t"))
            curve = [(int(r["step"]), float(r[path.stem])) for r in rows]
        except (OSError, KeyError, TypeError, ValueError, csv.Error) as error:
            raise ArtifactError(f"{path}: unreadable ({error}); rerun `{made_by}`") from None
        if not curve or not all(math.isfinite(value) for _, value in curve):
            raise ArtifactError(f"{path}: empty or not finite; rerun `{made_by}`")
        curves[prefix][path.stem] = curve
    return dict(curves)

"""``ganaug check``: the accuracy regression gate.

Compares this run's metrics (``reports/metrics.json``) with a baseline, either a committed
file or the same file at a git revision (``--rev main``, as ``dvc metrics diff`` does), using
the per-metric tolerances in ``params.yaml`` (``check.gates``). A metric fails when it drops
more than ``max(absolute, relative * baseline)`` below its baseline, or is missing. DVC itself
has no thresholds (``dvc metrics diff`` always exits 0); this exits 1 on any failure.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from ganaug.pipeline.io import ArtifactError, load_json
from ganaug.params.check import GateParams


@dataclass(frozen=True)
class Verdict:
    metric: str
    baseline: float | None
    now: float | None
    allowed: float | None  # the lowest passing value

    @property
    def change(self) -> float | None:
        return None if self.now is None or self.baseline is None else self.now - self.baseline

    @property
    def passed(self) -> bool:
        return self.now is not None and self.allowed is not None and self.now >= self.allowed


def _number(metrics: dict, name: str) -> float | None:
    value = metrics.get(name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def compare(now: dict, baseline: dict, gates: tuple[GateParams, ...]) -> list[Verdict]:
    verdicts = []
    for gate in gates:
        base = _number(baseline, gate.metric)
        allowed = None if base is None else base - gate.allowed_drop(base)
        verdicts.append(Verdict(gate.metric, base, _number(now, gate.metric), allowed))
    return verdicts


def baseline_at_revision(metrics_path: Path, revision: str) -> dict:
    """The metrics file as committed at ``revision`` (e.g. ``main``, ``HEAD~1``)."""
    command = ["git", "show", f"{revision}:./{metrics_path.name}"]
    done = subprocess.run(command, cwd=metrics_path.resolve().parent, capture_output=True, text=True)
    if done.returncode != 0:
        raise ArtifactError(f"{metrics_path} at git revision {revision!r}: {done.stderr.strip() or 'not found'}")
    try:
        metrics = json.loads(done.stdout)
    except ValueError as error:
        raise ArtifactError(f"{metrics_path} at git revision {revision!r}: not JSON ({error})") from None
    return _mapping(metrics, f"{metrics_path} at git revision {revision!r}")


def _mapping(metrics: object, where: str) -> dict:
    if not isinstance(metrics, dict):
        raise ArtifactError(f"{where}: expected a JSON object of metric names to numbers")
    return metrics


def _fmt(value: float | None, signed: bool = False) -> str:
    return "missing" if value is None else format(value, "+.4f" if signed else ".4f")


def _rows(verdicts: list[Verdict]) -> list[list[str]]:
    return [
        [v.metric, _fmt(v.baseline), _fmt(v.now), "" if v.change is None else _fmt(v.change, signed=True),
         "" if v.allowed is None else ">= " + _fmt(v.allowed), "pass" if v.passed else "FAIL"]
        for v in verdicts
    ]


HEADER = ["metric", "baseline", "now", "change", "allowed", "result"]


def format_table(verdicts: list[Verdict]) -> str:
    rows = [HEADER, *_rows(verdicts)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def format_markdown(verdicts: list[Verdict]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row[:-1] + ["pass" if row[-1] == "pass" else "**FAIL**"]) + " |" for row in _rows(verdicts)]
    return "\n".join(lines)


def format_json(verdicts: list[Verdict]) -> str:
    return json.dumps(
        {"passed": all(v.passed for v in verdicts), "metrics": [{**asdict(v), "passed": v.passed} for v in verdicts]},
        indent=2,
    )


FORMATS = {"table": format_table, "markdown": format_markdown, "json": format_json}


def load_metrics(path: Path) -> dict:
    return _mapping(load_json(path, made_by="dvc repro"), str(path))


def load_baseline(metrics_path: Path, baseline: Path | None, revision: str | None) -> dict:
    if (baseline is None) == (revision is None):
        raise ArtifactError("give exactly one of --baseline FILE or --rev REVISION")
    if baseline is not None:
        return _mapping(load_json(baseline, made_by="ganaug check (a baseline is a committed metrics file)"), str(baseline))
    return baseline_at_revision(metrics_path, revision)

"""``ganaug check``: fail (exit 1) when headline metrics fall below a committed floor.

The floor file is JSON: ``{"tolerance": 0.02, "floors": {"accuracy": 0.90, ...}}``. A metric
passes when ``now >= floor - tolerance``. DVC's own ``dvc metrics diff`` always exits 0, so
this is what lets CI stop a change that makes the classifier worse.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganaug.io import ArtifactError, load_json


@dataclass(frozen=True)
class Verdict:
    metric: str
    floor: float
    now: float | None
    allowed: float  # the lowest passing value

    @property
    def passed(self) -> bool:
        return self.now is not None and self.now >= self.allowed


def compare(metrics: dict, floors: dict[str, float], tolerance: float) -> list[Verdict]:
    return [Verdict(name, floor, metrics.get(name), floor - tolerance) for name, floor in floors.items()]


def load_floor(path: Path) -> tuple[dict[str, float], float]:
    floor = load_json(path, made_by="ganaug check (the floor file is committed by hand)")
    try:
        floors = {str(k): float(v) for k, v in floor["floors"].items()}
        tolerance = float(floor.get("tolerance", 0.0))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ArtifactError(f"{path}: expected {{\"tolerance\": number, \"floors\": {{metric: number}}}}") from None
    return floors, tolerance


def format_table(verdicts: list[Verdict]) -> str:
    header = f"{'metric':<22} {'floor':>8} {'now':>8} {'change':>8} {'allowed':>8}  result"
    lines = [header, "-" * len(header)]
    for v in verdicts:
        now = "missing" if v.now is None else f"{v.now:.4f}"
        change = "" if v.now is None else f"{v.now - v.floor:+.4f}"
        lines.append(
            f"{v.metric:<22} {v.floor:>8.4f} {now:>8} {change:>8} {'>= ' + format(v.allowed, '.4f'):>8}  "
            + ("pass" if v.passed else "FAIL")
        )
    return "\n".join(lines)

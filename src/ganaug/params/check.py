"""The ``check`` section: ``ganaug check``, the accuracy regression gate (not a DVC stage).

``ganaug check`` reads only this section (``load_gates``), so the gate starts without torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganaug.params.strict import build, read_params_file, require


@dataclass(frozen=True)
class GateParams:
    """One metric of the regression gate; higher is better."""

    metric: str = "accuracy"  # a key of the metrics file
    absolute: float = 0.02  # the largest drop allowed, in metric units
    relative: float = 0.0  # ... or as a share of the baseline value, whichever is larger

    def __post_init__(self):
        require(bool(self.metric), "metric", "a metric name")
        require(self.absolute >= 0, "absolute", "a number >= 0")
        require(0 <= self.relative <= 1, "relative", "a share in [0, 1]")

    def allowed_drop(self, baseline: float) -> float:
        return max(self.absolute, self.relative * abs(baseline))


@dataclass(frozen=True)
class CheckParams:
    """`ganaug check`, the accuracy regression gate (not a DVC stage)."""

    gates: tuple[GateParams, ...] = (GateParams("accuracy"), GateParams("real_only_accuracy"))

    def __post_init__(self):
        require(len(self.gates) > 0, "gates", "a non-empty list of {metric, absolute, relative}")
        names = [gate.metric for gate in self.gates]
        require(len(set(names)) == len(names), "gates", "one entry per metric")


def load_gates(path: str | Path) -> tuple[GateParams, ...]:
    """``check.gates`` of a params file, checked as ``load_params`` checks it."""
    raw = read_params_file(path)
    return build(CheckParams, raw.get("check", {}) if isinstance(raw, dict) else raw, prefix="check.").gates

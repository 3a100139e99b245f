"""What the training loop (``gan.train``) records of each of the GANs it trains: its log, the running
sums of the interval being logged, its snapshots and whether it still trains. One GAN, or K stacked,
are recorded alike; a record goes into the checkpoint and comes back out of it whole.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ganaug.params.gan import TrainGeneratorParams
from ganaug.generators.health import warn_if_discriminator_wins
from ganaug.generators.snapshots import Criterion, Selection

GAN_COLUMNS = ("d_loss", "d_real", "d_fake", "g_loss")  # a GAN's interval sums, in the order its step adds them
GAN_ROW = ("d_loss", "g_loss", "d_real", "d_fake")  # ... and its log row, in the order its files have always had
Report = Callable[[int, str, dict], None]  # report(k, "log" or "snapshot", row): GAN k's row, as it is made


def close_interval(log: list[dict], interval: torch.Tensor, step: int, params: TrainGeneratorParams,
                   columns: tuple[str, ...]) -> dict[str, float]:
    """Append the logged interval ending at ``step`` (means of its sums ``interval``, named ``columns``, then
    zeroed) to ``log``."""
    means = dict(zip(columns, (interval / (step - (log[-1]["step"] if log else 0))).tolist(), strict=True))
    order = GAN_ROW if columns == GAN_COLUMNS else columns
    log.append({"step": step, **{key: means[key] for key in order}})
    warn_if_discriminator_wins(log, params)
    interval.zero_()
    return log[-1]


class Record:
    """Each GAN's log, interval sums (K, columns: a GAN's d_loss, d_real, d_fake, g_loss), snapshots and
    whether it still trains; from a checkpoint's ``state`` when resuming."""

    def __init__(self, params: TrainGeneratorParams, count: int, device: torch.device, state: dict | None,
                 columns: tuple[str, ...]):
        self.params, self.columns = params, columns
        self.logs = state["log"] if state else [[] for _ in range(count)]
        self.intervals = state["interval"].to(device) if state else torch.zeros(count, len(columns), device=device)
        self.selections = [Selection(params.max_copy_share, params.patience, kept)
                           for kept in (state["selection"] if state else [None] * count)]
        self.active = [not selection.stopped() for selection in self.selections]
        self.running = torch.tensor(self.active, device=device)  # the same, on the device: no host copy per step

    def replay(self, report: Report) -> None:
        """Show a live view every row made so far (a resumed run's), so that it sees the uninterrupted run's."""
        for k, selection in enumerate(self.selections):
            for kind, rows in (("log", self.logs[k]), ("snapshot", selection.curve)):
                for row in rows:
                    report(k, kind, row)

    def state(self) -> dict:
        """What a checkpoint holds of the record."""
        return {"log": self.logs, "interval": self.intervals, "selection": [s.state() for s in self.selections]}

    def close(self, step: int, report: Report) -> list[dict[str, float]]:
        """Log the interval ending at ``step`` for every GAN still training; their new rows."""
        rows = []
        for k in self.training():
            rows.append(close_interval(self.logs[k], self.intervals[k], step, self.params, self.columns))
            report(k, "log", rows[-1])
        self.intervals.zero_()  # a stopped GAN's intervals are never logged
        return rows

    def score(self, step: int, models: Callable[[int], nn.Module], criterion: Criterion, report: Report) -> list[int]:
        """Offer each training GAN's snapshot (GAN k's sampled generator: ``models(k)``); the GANs that
        stop here (no better snapshot in ``patience``)."""
        stopped = []
        for k in self.training():
            selection, model = self.selections[k], models(k)
            selection.offer(step, model, criterion(model))
            report(k, "snapshot", selection.curve[-1])
            if selection.exhausted():
                self.active[k], self.running[k] = False, False
                stopped.append(k)
        return stopped

    def training(self) -> list[int]:
        """The GANs still training."""
        return [k for k, active in enumerate(self.active) if active]

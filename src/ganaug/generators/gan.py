"""Train conditional GANs of the zoo on one level's real images: the one training loop, :func:`train`.

One short step each for D and G (``gan_steps.py``), snapshots scored on the level's own images (the
best one kept), early stop, divergence checks, checkpoints and resume: written once, for one GAN
and for K GANs stacked alike. A trainer makes what differs, the parts and their random streams:
:func:`one_gan` (modules) or ``gan_stack.stacked_gans`` (K GANs' weights stacked, one step for all);
the steps take either. :func:`train_generator` trains one GAN.
"""
from __future__ import annotations

import copy
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import torch
from torch import nn

from ganaug.data.description import MNIST_SHAPE, ModelShape
from ganaug.params.gan import TrainGeneratorParams
from ganaug.pipeline.errors import UserError
from ganaug.pipeline.progress import progress
from ganaug.pipeline.runtime import autocast
from ganaug.generators.gan_models import build_discriminator, build_generator, generator_config, to_output_range
from ganaug.generators.record import GAN_COLUMNS, Record, Report
from ganaug.generators.snapshots import Criterion, Selection
from ganaug.generators.state import Parts, fingerprint, load_state, restore, save_state, state_of
from ganaug.generators.gan_steps import (Objective, Streams, discriminator_step, generator_step, objective, per_gan,
                                       update_average, warmed_decay)

logger = logging.getLogger(__name__)

CHANNELS_LAST = torch.channels_last
Trained = tuple[nn.Module, list[dict[str, float]], Selection]  # the generator to sample, its log, its snapshots


class TrainingDiverged(UserError, RuntimeError):
    """A loss became NaN or infinite; the message names the step and the last finite losses."""


def diverged(first_bad: int, log: list[dict], seed: int | None = None) -> TrainingDiverged:
    """The error of a GAN whose loss was first not finite at step ``first_bad``; ``seed`` names it among several."""
    last = log[-1] if log else None
    if last is None:
        finite = "no finite interval was logged before it"
    elif "d_loss" in last:
        finite = (f"last finite interval (to step {last['step']}): d_loss {last['d_loss']:.4f}, "
                  f"g_loss {last['g_loss']:.4f}, D(x) {last['d_real']:.3f}, D(G(z)) {last['d_fake']:.3f}")
    else:  # a flow
        finite = f"last finite interval (to step {last['step']}): loss {last['loss']:.4f}"
    which = "" if seed is None else f"GAN seed {seed}: "
    return TrainingDiverged(f"{which}GAN loss is not finite at step {first_bad}; {finite}. Try lower learning rates.")


class Gans(NamedTuple):
    """What a trainer makes for the loop: the GANs' parts and random streams, and how to reach GAN k; the step
    and what its log rows hold are the family's (a GAN's D and G steps, or ``flow.flow_step``)."""

    parts: Parts
    rng: Streams  # one GAN's stream, or K stacked GANs' streams (the steps' tensors then have a model axis)
    real_images: torch.Tensor  # in the generator's output range, in the layout the models want
    model: Callable[[int], nn.Module]  # GAN k's sampled generator (G, or its moving average) as a module
    code: ModuleType  # the trainer's module: the code it reaches is in the run's fingerprint
    step: Callable | None = None  # (gans, goal, params, step, labels, intervals, precision) -> a value to check
    columns: tuple[str, ...] = GAN_COLUMNS  # what ``step`` adds to the interval sums, in order

    @property
    def rngs(self) -> list[torch.Generator]:
        return [self.rng] if isinstance(self.rng, torch.Generator) else list(self.rng)


Trainer = Callable[[TrainGeneratorParams, Sequence[int], torch.Tensor, ModelShape], Gans]


def build_parts(params: TrainGeneratorParams, shape: ModelShape, device: torch.device) -> Parts:
    """Models (channels-last) and Adam optimizers; the moving average starts as a copy of G."""
    # Channels-last: about 8% more images/s on CPU (oneDNN) and the layout GPU kernels prefer.
    generator = build_generator(**generator_config(params, shape)).to(device, memory_format=CHANNELS_LAST)
    discriminator = build_discriminator(params, shape).to(device, memory_format=CHANNELS_LAST)
    return Parts(generator, discriminator, *optimizers(params, generator, discriminator, device),
                 copy.deepcopy(generator).requires_grad_(False) if params.ema else None)


def optimizers(params: TrainGeneratorParams, generator, discriminator, device: torch.device
               ) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """Adam for G and for D (modules, or stacked models: anything with ``parameters()``)."""
    return (adam(generator, params.lr_generator, params, device),
            adam(discriminator, params.lr_discriminator, params, device))


def adam(model, lr: float, params: TrainGeneratorParams, device: torch.device) -> torch.optim.Optimizer:
    """Adam with train_generator's betas for ``model`` (anything with ``parameters()``)."""
    fused = device.type == "cuda"  # one kernel per optimizer step: GPU steps here are launch-bound
    return torch.optim.Adam(model.parameters(), lr=lr, betas=(params.beta1, params.beta2), fused=fused)


def one_gan(params: TrainGeneratorParams, seeds: Sequence[int], real_images: torch.Tensor, shape: ModelShape) -> Gans:
    """The trainer of one GAN (``seeds``: its seed): plain modules, channels-last images, one random stream."""
    (seed,) = seeds
    torch.manual_seed(seed)
    parts = build_parts(params, shape, real_images.device)
    sampled = parts.generator if parts.average is None else parts.average
    images = to_output_range(real_images, params.output).contiguous(memory_format=CHANNELS_LAST)
    rng = torch.Generator(device=real_images.device).manual_seed(seed)
    return Gans(parts, rng, images, lambda k: sampled, sys.modules[__name__])


def one_trainer(params: TrainGeneratorParams) -> Trainer:
    """The trainer of one generator of ``params.arch``: a GAN's (:func:`one_gan`) or a flow's (``flow.one_flow``)."""
    from ganaug.generators.flow import one_flow  # imported here: the flow's module imports this one

    return one_flow if params.arch == "flow" else one_gan


def train_generator(
    real_images: torch.Tensor, real_labels: torch.Tensor, params: TrainGeneratorParams, seed: int, desc: str = "GAN",
    shape: ModelShape = MNIST_SHAPE, checkpoint: Path | None = None, criterion: Criterion | None = None,
    on_row: Callable[[str, dict], None] | None = None, precision: torch.dtype | None = None,
) -> Trained:
    """:func:`train` of one GAN of ``seed`` (or one flow, with ``arch: flow``); ``on_row(kind, row)`` sees its rows."""
    report = None if on_row is None else (lambda k, kind, row: on_row(kind, row))
    (trained,) = train(real_images, real_labels, params, [seed], one_trainer(params), desc, shape, checkpoint,
                       criterion, report, precision)
    return trained


def train(
    real_images: torch.Tensor, real_labels: torch.Tensor, params: TrainGeneratorParams, seeds: Sequence[int],
    trainer: Trainer, desc: str = "GANs", shape: ModelShape = MNIST_SHAPE, checkpoint: Path | None = None,
    criterion: Criterion | None = None, on_row: Report | None = None, precision: torch.dtype | None = None,
) -> list[Trained]:
    """Train a GAN per seed of ``seeds`` on ``real_images`` (N, C, S, S) in [-1, 1] of ``shape.n_classes``
    classes, with the parts ``trainer`` makes; return each one's generator to sample, log and snapshots.

    Trains ``params.steps_for(N)`` steps at most. With a ``criterion``, each GAN's sampled generator
    (the moving average of G's weights when ``ema`` > 0) is scored every ``snapshot_every`` steps, its
    best snapshot is the one returned, and it stops after ``patience`` snapshots without a better one
    (stacked, it trains on unrecorded until all have stopped); without, the last weights are returned.
    Each log has one row per ``log_every`` steps with mean losses and D scores. With a ``checkpoint``
    path, the whole training state is saved there every ``checkpoint_every`` steps, and an unfinished
    checkpoint of the same run is resumed from: the resumed run ends with the same weights as an
    uninterrupted one. ``on_row(k, "log", row)`` and ``on_row(k, "snapshot", row)`` see GAN k's every
    log row and snapshot score as it is made, the resumed ones first, so a live view of a resumed run
    is the uninterrupted one's. ``precision``: the dtype the steps' forward passes run in (autocast;
    ``runtime.resolve_precision``), None for float32; losses, weights and optimizer state stay float32.
    """
    gans, device = trainer(params, seeds, real_images, shape), real_images.device
    goal, steps = objective(params), params.steps_for(len(real_images))
    run = fingerprint(params, tuple(seeds), gans.real_images, real_labels, gans.code, precision)
    state = load_state(Path(checkpoint), run, steps) if checkpoint else None
    if state:
        restore(state, gans.parts, gans.rngs)
    record, report = Record(params, len(seeds), device, state, gans.columns), on_row or (lambda k, kind, row: None)
    record.replay(report)
    first_bad = torch.zeros(len(seeds), dtype=torch.long, device=device)  # per GAN: first non-finite step, 0 if none
    start = (state["step"] + 1 if state else 1) if record.training() else steps + 1  # killed after all stopped
    bar = progress(range(start, steps + 1), desc=desc, unit="step", mininterval=1.0, initial=start - 1, total=steps)
    take_step = gans.step or train_step
    for step in bar:
        checked = take_step(gans, goal, params, step, real_labels, record.intervals, precision)
        # Kept on the device: a check per step would cost a host sync per step on a GPU. A stopped GAN may diverge.
        first_bad = torch.where((first_bad == 0) & record.running & ~torch.isfinite(checked), step, first_bad)
        logging_now = step % params.log_every == 0 or step == steps
        saving_now = checkpoint is not None and (step % params.checkpoint_every == 0 or step == steps)
        scoring_now = criterion is not None and (step % params.snapshot_every == 0 or step == steps)
        if (logging_now or saving_now or scoring_now) and first_bad.any():  # never keep a diverged state
            k = int(first_bad.nonzero()[0])
            raise diverged(first_bad[k].item(), record.logs[k], seeds[k] if len(seeds) > 1 else None)
        if logging_now:
            bar.set_postfix(postfix(record.close(step, report)))
        stopped = record.score(step, gans.model, criterion, report) if scoring_now else []
        for k in stopped:
            logger.info("%s: no better snapshot in the last %d; stopped at step %d of %d, keeping step %d",
                        desc if len(seeds) == 1 else f"{desc}, GAN seed {seeds[k]}", params.patience, step, steps,
                        record.selections[k].best_step)
        if saving_now or (stopped and checkpoint is not None):
            save_state(Path(checkpoint), run, state_of(gans.parts, step, gans.rngs, **record.state()))
        if not record.training():
            break
    return [(selection.keep_best(gans.model(k)).eval(), log, selection)
            for k, (log, selection) in enumerate(zip(record.logs, record.selections))]


def train_step(gans: Gans, goal: Objective, params: TrainGeneratorParams, step: int, real_labels: torch.Tensor,
               intervals: torch.Tensor, precision: torch.dtype | None = None) -> torch.Tensor:
    """``dstep`` D steps and one G step (of every GAN, stacked), their stats added to ``intervals`` (K, 4);
    the last D loss plus the G loss ((), or (K,) stacked): not finite when either is not.

    Each step runs in an autocast region of its own (``precision``; None = float32): autocast keeps
    the reduced-precision copy of a weight until its region closes, so one region around D's update
    and G's step would score G's fakes with D's weights from before that update."""
    parts, rng, real_images = gans.parts, gans.rng, gans.real_images
    device = real_images.device
    for _ in range(params.dstep):
        index = per_gan(rng, lambda stream: torch.randint(len(real_images), (params.batch_size,), generator=stream,
                                                          device=device))  # (B,), or (K, B) stacked
        with autocast(device, precision):
            d_stats = discriminator_step(parts.generator, parts.discriminator, parts.d_optimizer, goal,
                                         real_images[index], real_labels[index], rng)
        intervals[:, :3] += d_stats / params.dstep
    with autocast(device, precision):
        g_loss = generator_step(parts.generator, parts.discriminator, parts.g_optimizer, goal, params.batch_size,
                                rng, device)
    intervals[:, 3] += g_loss
    if parts.average is not None:
        update_average(parts.average, parts.generator, warmed_decay(params.ema, step))
    return d_stats[..., 0] + g_loss


def postfix(rows: list[dict[str, float]]) -> dict[str, str | int]:
    """The progress bar's: the losses and D scores when one GAN trains (a flow's loss), how many train when
    several do."""
    if len(rows) != 1:
        return {"training": len(rows)}
    row = rows[0]
    if "d_loss" not in row:
        return {key: f"{value:.4f}" for key, value in row.items() if key != "step"}
    return {"d": f"{row['d_loss']:.3f}", "g": f"{row['g_loss']:.3f}", "dx": f"{row['d_real']:.2f}",
            "dgz": f"{row['d_fake']:.2f}"}

"""Train a conditional GAN of the zoo on one level's real images: one short step each for D and G,
snapshots scored on the level's own images (the best one kept), resumable."""
from __future__ import annotations

import copy
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from ganaug.data.description import MNIST_SHAPE, ModelShape
from ganaug.params.gan import TrainGanParams
from ganaug.pipeline.progress import progress
from ganaug.generators.gan_health import warn_if_discriminator_wins
from ganaug.generators.gan_models import build_discriminator, build_generator, generator_config, to_output_range
from ganaug.generators.gan_snapshots import Criterion, Selection
from ganaug.generators.gan_state import Parts, fingerprint, load_state, restore, save_state, state_of
from ganaug.generators.gan_steps import discriminator_step, generator_step, objective, update_average, warmed_decay

logger = logging.getLogger(__name__)

LOG_FIELDS = ("step", "d_loss", "g_loss", "d_real", "d_fake")
CHANNELS_LAST = torch.channels_last


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the message names the step and the last finite losses."""


def diverged(first_bad: int, log: list[dict]) -> TrainingDiverged:
    last = log[-1] if log else None
    finite = ("no finite interval was logged before it" if last is None else
              f"last finite interval (to step {last['step']}): d_loss {last['d_loss']:.4f}, g_loss {last['g_loss']:.4f}, "
              f"D(x) {last['d_real']:.3f}, D(G(z)) {last['d_fake']:.3f}")
    return TrainingDiverged(f"GAN loss is not finite at step {first_bad}; {finite}. Try lower learning rates.")


def close_interval(log: list[dict], interval: torch.Tensor, step: int, params: TrainGanParams) -> dict[str, float]:
    """Append the logged interval ending at ``step`` (means of its sums ``interval``, then zeroed) to ``log``."""
    d_loss, d_real, d_fake, g_mean = (interval / (step - (log[-1]["step"] if log else 0))).tolist()
    log.append({"step": step, "d_loss": d_loss, "g_loss": g_mean, "d_real": d_real, "d_fake": d_fake})
    warn_if_discriminator_wins(log, params)
    interval.zero_()
    return log[-1]


def build_parts(params: TrainGanParams, shape: ModelShape, device: torch.device) -> Parts:
    """Models (channels-last) and Adam optimizers; the moving average starts as a copy of G."""
    # Channels-last: about 8% more images/s on CPU (oneDNN) and the layout GPU kernels prefer.
    generator = build_generator(**generator_config(params, shape)).to(device, memory_format=CHANNELS_LAST)
    discriminator = build_discriminator(params, shape).to(device, memory_format=CHANNELS_LAST)
    return Parts(generator, discriminator, *optimizers(params, generator, discriminator, device),
                 copy.deepcopy(generator).requires_grad_(False) if params.ema else None)


def optimizers(params: TrainGanParams, generator, discriminator, device: torch.device
               ) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """Adam for G and for D (modules, or stacked models: anything with ``parameters()``)."""
    betas = (params.beta1, params.beta2)
    fused = device.type == "cuda"  # one kernel per optimizer step: GPU steps here are launch-bound
    return (torch.optim.Adam(generator.parameters(), lr=params.lr_generator, betas=betas, fused=fused),
            torch.optim.Adam(discriminator.parameters(), lr=params.lr_discriminator, betas=betas, fused=fused))


def train_gan(
    real_images: torch.Tensor, real_labels: torch.Tensor, params: TrainGanParams, seed: int, desc: str = "GAN",
    shape: ModelShape = MNIST_SHAPE, checkpoint: Path | None = None, criterion: Criterion | None = None, on_row: Callable[[str, dict], None] | None = None,
) -> tuple[nn.Module, list[dict[str, float]], Selection]:
    """Train on ``real_images`` (N, C, S, S) in [-1, 1] of ``shape.n_classes`` classes; return the generator to sample, the log and the snapshots.

    Trains ``params.steps_for(N)`` steps at most. With a ``criterion``, the sampled generator (the
    moving average of G's weights when ``ema`` > 0) is scored every ``snapshot_every`` steps, the
    best snapshot is the one returned, and training stops after ``patience`` snapshots without a
    better one; without, the last weights are returned. The log has one row per ``log_every``
    steps with mean losses and D scores. With a ``checkpoint`` path, the whole training state is
    saved there every ``checkpoint_every`` steps, and an unfinished checkpoint of the same run is
    resumed from: the resumed run ends with the same weights as an uninterrupted one.
    ``on_row("log", row)`` and ``on_row("snapshot", row)`` see every log row and snapshot score as
    it is made, the resumed ones first, so a live view of a resumed run is the uninterrupted one's.
    """
    device = real_images.device
    torch.manual_seed(seed)
    parts = build_parts(params, shape, device)
    sampled = parts.generator if parts.average is None else parts.average
    real_images = to_output_range(real_images, params.output).contiguous(memory_format=CHANNELS_LAST)
    goal = objective(params)
    rng = torch.Generator(device=device).manual_seed(seed)
    log, interval = [], torch.zeros(4, device=device)  # sums of d_loss, d_real, d_fake, g_loss
    steps = params.steps_for(len(real_images))
    run = fingerprint(params, seed, real_images, real_labels, sys.modules[__name__])
    state = load_state(Path(checkpoint), run, steps) if checkpoint else None
    if state:
        restore(state, parts, [rng])
        log, interval = state["log"], state["interval"].to(device)
    selection = Selection(params.max_copy_share, params.patience, state["selection"] if state else None)
    report = on_row or (lambda kind, row: None)
    for kind, rows in (("log", log), ("snapshot", selection.curve)):
        for row in rows:
            report(kind, row)
    first_bad = torch.zeros((), dtype=torch.long, device=device)  # first step with a non-finite loss, 0 if none
    start = state["step"] + 1 if state else 1
    if selection.stopped(params.min_steps):
        start = steps + 1  # killed after stopping early, before the outputs were written
    bar = progress(range(start, steps + 1), desc=desc, unit="step", mininterval=1.0, initial=start - 1, total=steps)
    for step in bar:
        for _ in range(params.dstep):
            index = torch.randint(len(real_images), (params.batch_size,), generator=rng, device=device)
            d_stats = discriminator_step(parts.generator, parts.discriminator, parts.d_optimizer, goal,
                                         real_images[index], real_labels[index], rng)
            interval[:3] += d_stats / params.dstep
        g_loss = generator_step(parts.generator, parts.discriminator, parts.g_optimizer, goal, params.batch_size,
                                rng, device)
        interval[3] += g_loss
        if parts.average is not None:
            update_average(parts.average, parts.generator, warmed_decay(params.ema, step))
        # Kept on the device: a check per step would cost a host sync per step on a GPU.
        first_bad = torch.where((first_bad == 0) & ~torch.isfinite(d_stats[0] + g_loss), step, first_bad)
        logging_now = step % params.log_every == 0 or step == steps
        saving_now = checkpoint is not None and (step % params.checkpoint_every == 0 or step == steps)
        scoring_now = criterion is not None and (step % params.snapshot_every == 0 or step == steps)
        if (logging_now or saving_now or scoring_now) and first_bad.item():  # never keep a diverged state
            raise diverged(first_bad.item(), log)
        if logging_now:
            row = close_interval(log, interval, step, params)
            bar.set_postfix(d=f"{row['d_loss']:.3f}", g=f"{row['g_loss']:.3f}", dx=f"{row['d_real']:.2f}",
                            dgz=f"{row['d_fake']:.2f}")
            report("log", row)
        if scoring_now:
            selection.offer(step, sampled, criterion(sampled))
            report("snapshot", selection.curve[-1])
        stopping = scoring_now and selection.exhausted(step, params.min_steps)
        if saving_now or (stopping and checkpoint is not None):
            save_state(Path(checkpoint), run, state_of(parts, step, [rng], log, interval, selection.state()))
        if stopping:
            logger.info("%s: no better snapshot in the last %d; stopped at step %d of %d, keeping step %d",
                        desc, params.patience, step, steps, selection.best_step)
            break
    return selection.keep_best(sampled).eval(), log, selection

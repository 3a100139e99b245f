"""Train a level's GAN seeds stacked: K GANs of one configuration step together (``train_gan.stack``).

Their weights are stacked on a leading model axis (``torch.func.stack_module_state``) and one
call runs GAN k on its own batch (``vmap`` of ``functional_call``: grouped convolutions and
batched matrix products), so a step launches the kernels of one GAN, not K. That is what a GPU
needs, where one small GAN is launch-bound. GAN k draws every random number from its own stream,
in the order the one-GAN loop (``training/gan.py``) draws them for its seed, and Adam and the
moving average act element by element, so both paths train the same GANs up to floating-point
rounding (``tests/test_gan_stack.py``); dropout (the mlp discriminator) draws from torch's global
stream, differently. Each GAN keeps its own log, snapshots and early stop; a stopped GAN trains on
with the others, unrecorded, until all have stopped. On a 2-core CPU the stacked step is slower
than the loop (``benchmarks/throughput.py``), so stacking is off by default.
"""
from __future__ import annotations

import copy
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ganaug.data.description import MNIST_SHAPE, ModelShape
from ganaug.params.gan import TrainGanParams
from ganaug.generators.losses import gradient_penalty, interpolate
from ganaug.pipeline.progress import progress
from ganaug.generators.gan import build_parts, close_interval, diverged, optimizers
from ganaug.generators.gan_models import draw_latent, to_output_range
from ganaug.generators.gan_snapshots import Criterion, Selection
from ganaug.generators.gan_state import Parts, fingerprint, load_state, restore, save_state, state_of
from ganaug.generators.gan_steps import (Objective, discriminator_terms, generator_loss, heads, objective, part, seen,
                                       targets, update_average, warmed_decay)

logger = logging.getLogger(__name__)


class Stacked:
    """K modules of one architecture as one: their weights stacked on a leading axis; calling it
    with inputs (K, B, ...) runs module k on ``inputs[k]``. In training mode, like the modules."""

    def __init__(self, modules: Sequence[nn.Module]):
        self.template = copy.deepcopy(modules[0]).to("meta")  # the forward's code and attributes, no storage
        weights, buffers = stack_module_state(list(modules))
        self.weights = {name: w.detach().requires_grad_() for name, w in weights.items()}
        self.stats = {name: b.detach().clone() for name, b in buffers.items()}  # BatchNorm's running statistics

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor | tuple:
        def one(weights, stats, *args):
            return functional_call(self.template, (weights, stats), args)
        return vmap(one, randomness="different")(self.weights, self.stats, *inputs)

    def parameters(self) -> list[torch.Tensor]:
        return list(self.weights.values())

    def buffers(self) -> list[torch.Tensor]:
        return list(self.stats.values())

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: t.detach().clone() for name, t in {**self.weights, **self.stats}.items()}

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        for name, t in {**self.weights, **self.stats}.items():
            t.copy_(state[name])

    @torch.no_grad()
    def unstacked(self, k: int, module: nn.Module) -> nn.Module:
        """``module`` (of the same architecture) with the weights of module k."""
        module.load_state_dict({name: t[k] for name, t in {**self.weights, **self.stats}.items()})
        return module


def stack_parts(singles: Sequence[Parts], params: TrainGanParams, device: torch.device) -> Parts:
    """The GANs' parts stacked; the optimizers are Adam over the stacked weights, as each GAN's own."""
    generator, discriminator = Stacked([p.generator for p in singles]), Stacked([p.discriminator for p in singles])
    return Parts(generator, discriminator, *optimizers(params, generator, discriminator, device),
                 Stacked([p.average for p in singles]) if params.ema else None)


def each_seen(goal: Objective, images: torch.Tensor, rngs: Sequence[torch.Generator]) -> torch.Tensor:
    """What each GAN's D is shown of its images (K, B, ...), drawn from that GAN's stream."""
    return images if goal.augment is None else torch.stack([seen(goal, x, rng) for x, rng in zip(images, rngs)])


def discriminator_step(generator: Stacked, discriminator: Stacked, optimizer: torch.optim.Optimizer, goal: Objective,
                       real_images: torch.Tensor, labels: torch.Tensor, rngs: Sequence[torch.Generator]
                       ) -> torch.Tensor:
    """The one-GAN D step (``gan_steps.discriminator_step``) of K GANs: real images (K, B, ...), labels (K, B).
    Returns detached (loss, mean score of x, mean score of G(z)) per GAN, (K, 3)."""
    count, device = labels.shape[1], labels.device
    noise = torch.stack([draw_latent(count, generator.template, rng, device) for rng in rngs])
    with torch.no_grad():
        fake_images = generator(noise, labels)
    real_images, fake_images = each_seen(goal, real_images, rngs), each_seen(goal, fake_images, rngs)
    real_output, fake_output = discriminator(real_images, labels), discriminator(fake_images, labels)
    terms = [discriminator_terms(goal, part(real_output, k), part(fake_output, k), labels[k],
                                 *targets(goal, count, rng, device)) for k, rng in enumerate(rngs)]
    d_loss = torch.stack([loss for loss, _ in terms])
    if goal.gp_weight:
        points = torch.stack([interpolate(real, fake, rng) for real, fake, rng
                              in zip(real_images, fake_images, rngs)]).requires_grad_()
        d_loss = d_loss + goal.gp_weight * gradient_penalty(heads(discriminator(points, labels))[0], points)
    optimizer.zero_grad(set_to_none=True)
    d_loss.sum().backward()  # GAN k's weights get the gradient of its own loss only
    optimizer.step()
    return torch.cat([d_loss.detach()[:, None], torch.stack([scores for _, scores in terms])], dim=1)


def generator_step(generator: Stacked, discriminator: Stacked, optimizer: torch.optim.Optimizer, goal: Objective,
                   batch_size: int, rngs: Sequence[torch.Generator], device: torch.device) -> torch.Tensor:
    """The one-GAN G step (``gan_steps.generator_step``) of K GANs; returns each one's detached loss (K,)."""
    labels = torch.stack([torch.randint(generator.template.n_classes, (batch_size,), generator=rng, device=device)
                          for rng in rngs])
    noise = torch.stack([draw_latent(batch_size, generator.template, rng, device) for rng in rngs])
    output = discriminator(each_seen(goal, generator(noise, labels), rngs), labels)
    g_loss = torch.stack([generator_loss(goal, part(output, k), labels[k]) for k in range(len(rngs))])
    optimizer.zero_grad(set_to_none=True)
    g_loss.sum().backward()
    optimizer.step()
    return g_loss.detach()


class Record:
    """What the stacked run records of each GAN: its log, interval sums, snapshots and whether it still trains."""

    def __init__(self, params: TrainGanParams, count: int, device: torch.device, state: dict | None):
        self.params = params
        self.logs = state["log"] if state else [[] for _ in range(count)]
        self.intervals = state["interval"].to(device) if state else torch.zeros(count, 4, device=device)
        self.selections = [Selection(params.max_copy_share, params.patience, kept)
                           for kept in (state["selection"] if state else [None] * count)]
        self.active = [not selection.stopped(params.min_steps) for selection in self.selections]
        self.running = torch.tensor(self.active, device=device)  # the same, on the device: no host copy per step

    def replay(self, report: Callable[[int, str, dict], None]) -> None:
        """Show a live view every row made so far (a resumed run's first), as the one-GAN loop does."""
        for k, selection in enumerate(self.selections):
            for kind, rows in (("log", self.logs[k]), ("snapshot", selection.curve)):
                for row in rows:
                    report(k, kind, row)

    def state(self) -> dict:
        return {"log": self.logs, "interval": self.intervals, "selection": [s.state() for s in self.selections]}

    def close(self, step: int, report: Callable[[int, str, dict], None]) -> None:
        """Log the interval ending at ``step`` for every GAN still training."""
        for k in self.training():
            report(k, "log", close_interval(self.logs[k], self.intervals[k], step, self.params))
        self.intervals.zero_()  # a stopped GAN's intervals are never logged

    def score(self, step: int, models: Callable[[int], nn.Module], criterion: Criterion,
              report: Callable[[int, str, dict], None]) -> list[int]:
        """Offer each training GAN's snapshot; the GANs that stop here (no better snapshot in ``patience``)."""
        stopped = []
        for k in self.training():
            selection, model = self.selections[k], models(k)
            selection.offer(step, model, criterion(model))
            report(k, "snapshot", selection.curve[-1])
            if selection.exhausted(step, self.params.min_steps):
                self.active[k], self.running[k] = False, False
                stopped.append(k)
        return stopped

    def training(self) -> list[int]:
        return [k for k, active in enumerate(self.active) if active]


def train_gans(
    real_images: torch.Tensor, real_labels: torch.Tensor, params: TrainGanParams, seeds: Sequence[int],
    desc: str = "GANs", shape: ModelShape = MNIST_SHAPE, checkpoint: Path | None = None,
    criterion: Criterion | None = None, on_row: Callable[[int, str, dict], None] | None = None,
) -> list[tuple[nn.Module, list[dict[str, float]], Selection]]:
    """``training.gan.train_gan`` for each of ``seeds``, stacked; ``on_row(k, kind, row)`` sees GAN k's rows.

    One checkpoint holds every GAN's state; a killed run resumes from it exactly.
    """
    device = real_images.device
    singles = []
    for seed in seeds:
        torch.manual_seed(seed)  # each GAN starts from the weights the one-GAN loop gives its seed
        singles.append(build_parts(params, shape, device))
    parts = stack_parts(singles, params, device)
    # What is scored and returned: G, or its moving average; GAN k's is copied into its own module for that.
    sampled = parts.generator if parts.average is None else parts.average
    sampled_each = [p.generator if p.average is None else p.average for p in singles]
    real_images = to_output_range(real_images, params.output)
    goal = objective(params)
    rngs = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
    steps = params.steps_for(len(real_images))
    run = fingerprint(params, tuple(seeds), real_images, real_labels, sys.modules[__name__])
    state = load_state(Path(checkpoint), run, steps) if checkpoint else None
    if state:
        restore(state, parts, rngs)
    record, report = Record(params, len(seeds), device, state), on_row or (lambda k, kind, row: None)
    record.replay(report)
    first_bad = torch.zeros(len(seeds), dtype=torch.long, device=device)  # per GAN, as the loop's
    start = (state["step"] + 1 if state else 1) if any(record.active) else steps + 1
    bar = progress(range(start, steps + 1), desc=desc, unit="step", mininterval=1.0, initial=start - 1, total=steps)
    for step in bar:
        d_stats, g_loss = train_step(parts, goal, params, step, real_images, real_labels, rngs, record.intervals)
        first_bad = torch.where((first_bad == 0) & record.running & ~torch.isfinite(d_stats[:, 0] + g_loss), step,
                                first_bad)
        logging_now = step % params.log_every == 0 or step == steps
        saving_now = checkpoint is not None and (step % params.checkpoint_every == 0 or step == steps)
        scoring_now = criterion is not None and (step % params.snapshot_every == 0 or step == steps)
        if (logging_now or saving_now or scoring_now) and first_bad.any():  # never keep a diverged state
            k = int(first_bad.nonzero()[0])
            error = diverged(first_bad[k].item(), record.logs[k])
            raise type(error)(f"GAN seed {seeds[k]}: {error}")
        if logging_now:
            record.close(step, report)
            bar.set_postfix(training=len(record.training()))
        stopped = record.score(step, lambda k: sampled.unstacked(k, sampled_each[k]), criterion, report) \
            if scoring_now else []
        for k in stopped:
            logger.info("%s: GAN seed %d had no better snapshot in the last %d; stopped at step %d of %d, keeping "
                        "step %d", desc, seeds[k], params.patience, step, steps, record.selections[k].best_step)
        if saving_now or (stopped and checkpoint is not None):
            save_state(Path(checkpoint), run, state_of(parts, step, rngs, **record.state()))
        if not any(record.active):
            break
    return [(selection.keep_best(sampled.unstacked(k, module)).eval(), log, selection)
            for k, (module, log, selection) in enumerate(zip(sampled_each, record.logs, record.selections))]


def train_step(parts: Parts, goal: Objective, params: TrainGanParams, step: int, real_images: torch.Tensor,
               real_labels: torch.Tensor, rngs: Sequence[torch.Generator], intervals: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """``dstep`` D steps and one G step of every GAN, their stats added to ``intervals``; the last D stats
    (K, 3) and the G losses (K,)."""
    device = real_images.device
    for _ in range(params.dstep):
        index = torch.stack([torch.randint(len(real_images), (params.batch_size,), generator=rng, device=device)
                             for rng in rngs])  # (K, B)
        d_stats = discriminator_step(parts.generator, parts.discriminator, parts.d_optimizer, goal,
                                     real_images[index], real_labels[index], rngs)
        intervals[:, :3] += d_stats / params.dstep
    g_loss = generator_step(parts.generator, parts.discriminator, parts.g_optimizer, goal, params.batch_size,
                            rngs, device)
    intervals[:, 3] += g_loss
    if parts.average is not None:
        update_average(parts.average, parts.generator, warmed_decay(params.ema, step))
    return d_stats, g_loss

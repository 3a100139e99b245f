"""The flow-matching generator of the zoo (``train_generator.arch: flow``): a class-conditional velocity field
trained with the conditional flow-matching loss and sampled by a few-step ODE solver.

Why flow matching and not a diffusion loss such as EDM's: with the straight path from noise x0 to an
image x1, x_t = (1 - t) x0 + t x1 (rectified flow, Liu et al. 2023; conditional flow matching with
sigma_min = 0, Lipman et al. 2023), the loss is one regression on v = x1 - x0 with no noise schedule,
preconditioning or loss weights to tune, and the paths it learns are nearly straight, so a few Euler or
Heun steps sample well: sampling cost matters on a CPU, where a fake costs ``sampler_steps`` forward
passes (twice that with guidance) instead of the GAN's one.

It trains in the GANs' one loop (``gan.train``: snapshots by the level judge's FID within the near-copy
limit, patience, checkpoints, exact resume): :func:`one_flow` makes its parts (the velocity field in
:class:`FlowGenerator`, its Adam, its moving average; no discriminator) and :func:`flow_step` is its step.
``models.flow.FlowGenerator`` samples like a GAN's generator, ``generator(noise, labels)``, with the noise of
an image's size: every stage that reads GAN fakes reads its fakes alike.
"""
from __future__ import annotations

import copy
import sys
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ganaug.data.description import ModelShape
from ganaug.models.flow import FlowGenerator
from ganaug.params.gan import TrainGeneratorParams
from ganaug.pipeline.runtime import autocast
from ganaug.generators.gan import CHANNELS_LAST, Gans, adam
from ganaug.generators.gan_models import generator_config
from ganaug.generators.state import Parts
from ganaug.generators.gan_steps import update_average, warmed_decay

COLUMNS = ("loss",)  # what a flow's log row holds per interval: the mean flow-matching loss


def velocity_target(noise: torch.Tensor, images: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x_t, v): the point at time ``t`` (N,) on the straight path from ``noise`` to ``images``, and its velocity."""
    s = t.view(-1, *[1] * (images.dim() - 1))
    return (1 - s) * noise + s * images, images - noise


def flow_loss(velocity: nn.Module, images: torch.Tensor, labels: torch.Tensor, rng: torch.Generator,
              label_drop: float, null: int) -> torch.Tensor:
    """Conditional flow-matching loss of one batch: mean squared error of the predicted velocity, at a
    uniform time, with each label replaced by the ``null`` class with probability ``label_drop``."""
    count, device = len(images), images.device
    noise = torch.randn(images.shape, generator=rng, device=device).contiguous(memory_format=torch.channels_last)
    t = torch.rand(count, generator=rng, device=device)
    dropped = torch.rand(count, generator=rng, device=device) < label_drop
    x_t, target = velocity_target(noise, images, t)
    predicted = velocity(x_t, t, torch.where(dropped, null, labels))
    return F.mse_loss(predicted.float(), target)  # float32, whatever precision the forward pass ran in


def one_flow(params: TrainGeneratorParams, seeds: Sequence[int], real_images: torch.Tensor, shape: ModelShape):
    """The trainer of one flow (``seeds``: its seed): its parts and random stream, for ``gan.train``."""
    (seed,) = seeds
    torch.manual_seed(seed)
    device = real_images.device
    generator = FlowGenerator(**{k: v for k, v in generator_config(params, shape).items() if k != "arch"})
    generator = generator.to(device, memory_format=CHANNELS_LAST)
    optimizer = adam(generator, params.lr_generator, params, device)
    average = copy.deepcopy(generator).requires_grad_(False) if params.ema else None
    parts = Parts(generator, None, optimizer, None, average)
    sampled = generator if average is None else average
    rng = torch.Generator(device=device).manual_seed(seed)
    return Gans(parts, rng, real_images.contiguous(memory_format=CHANNELS_LAST), lambda k: sampled,
                sys.modules[__name__], flow_step, COLUMNS)


def flow_step(gans, goal, params: TrainGeneratorParams, step: int, real_labels: torch.Tensor, intervals: torch.Tensor,
              precision: torch.dtype | None = None) -> torch.Tensor:
    """One Adam step on a batch of the level's images; its loss added to ``intervals`` (1, 1) and returned."""
    parts, rng, images = gans.parts, gans.rng, gans.real_images
    index = torch.randint(len(images), (params.batch_size,), generator=rng, device=images.device)
    with autocast(images.device, precision):
        loss = flow_loss(parts.generator.velocity, images[index], real_labels[index], rng, params.label_drop,
                         parts.generator.n_classes)
    parts.g_optimizer.zero_grad(set_to_none=True)
    loss.backward()
    parts.g_optimizer.step()
    if parts.average is not None:
        update_average(parts.average, parts.generator, warmed_decay(params.ema, step))
    loss = loss.detach()
    intervals[:, 0] += loss
    return loss

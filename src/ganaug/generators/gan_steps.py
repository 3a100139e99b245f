"""One discriminator step and one generator step of any GAN in the zoo, as short functions.

The objective (loss by name, label targets, the AC-GAN class term, the WGAN-GP penalty,
DiffAugment's transforms in front of D) comes from params once, in :func:`objective`; the steps only apply it. Each step returns detached
tensors, never host numbers, so a GPU loop never waits on a sync.
The same steps train K GANs stacked (``gan_stack.py``): given K random streams, every tensor has a
leading model axis and each random draw and each GAN's loss is made per GAN (:func:`per_gan`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
from torch import nn

from ganaug.generators.diffaugment import DiffAugment
from ganaug.params.gan import TrainGeneratorParams
from ganaug.generators.losses import LOSSES, GanLoss, Target, class_loss, gradient_penalty, interpolate
from ganaug.generators.gan_models import draw_latent


class Objective(NamedTuple):
    loss: GanLoss
    real_target: float  # one-sided label smoothing when < 1
    noisy: tuple[tuple[float, ...], tuple[float, ...]] | None  # (real, fake) target ranges, or None
    class_weight: float  # weight of the AC-GAN class loss (used only when D predicts classes)
    class_loss_on_fakes: bool  # D's class loss on fakes as well as on real images
    gp_weight: float  # weight of the gradient penalty; 0 = none
    augment: DiffAugment | None  # what D sees of every image, real or fake; None = the image itself


def objective(params: TrainGeneratorParams) -> Objective:
    return Objective(
        loss=LOSSES[params.loss],
        real_target=params.real_label,
        noisy=(params.noisy_real, params.noisy_fake) if params.noisy_labels else None,
        class_weight=params.class_weight,
        class_loss_on_fakes=params.class_loss_on_fakes,
        gp_weight=params.gp_weight,
        augment=DiffAugment(params.diffaugment, params.translation, params.cutout, params.augment_probability,
                            background=0.0 if params.output == "sigmoid" else -1.0) if params.diffaugment else None,
    )


# One GAN's random stream, or the streams of K GANs stacked (``gan_stack.py``): the steps take either.
Streams = torch.Generator | Sequence[torch.Generator]


def per_gan(rng: Streams, fn: Callable, *tensors: torch.Tensor | tuple) -> torch.Tensor | tuple:
    """``fn(*tensors, rng)`` of one GAN (``rng`` a generator). For K stacked GANs (``rng`` their K
    streams, ``tensors`` with a leading model axis K), ``fn`` of GAN k's share and stream, the results
    stacked on a new leading axis (a tuple's elements each)."""
    if isinstance(rng, torch.Generator):
        return fn(*tensors, rng)
    results = [fn(*(part(t, k) for t in tensors), stream) for k, stream in enumerate(rng)]
    return tuple(map(torch.stack, zip(*results))) if isinstance(results[0], tuple) else torch.stack(results)


def seen(goal: Objective, images: torch.Tensor, rng: Streams) -> torch.Tensor:
    """What D is shown of ``images``: their DiffAugment transform, drawn per image, or the images."""
    return images if goal.augment is None else per_gan(rng, goal.augment, images)


def heads(output: torch.Tensor | tuple) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(real/fake logits, class logits or None) in float32, whatever precision D ran in: an AC-GAN
    discriminator returns both. Every loss is taken in float32."""
    logits, classes = output if isinstance(output, tuple) else (output, None)
    return logits.float(), None if classes is None else classes.float()


def targets(goal: Objective, count: int, rng: torch.Generator, device: torch.device) -> tuple[Target, Target]:
    """D's (real, fake) targets: fixed numbers, or drawn per image for noisy labels."""
    if goal.noisy is None:
        return goal.real_target, 0.0
    (real_low, real_high), (fake_low, fake_high) = goal.noisy
    draw = torch.rand(2, count, generator=rng, device=device)
    return real_low + (real_high - real_low) * draw[0], fake_low + (fake_high - fake_low) * draw[1]


def part(output: torch.Tensor | tuple, k: int) -> torch.Tensor | tuple:
    """GAN k's share of a stacked model's output (K, ...): a tensor, or a tuple of them."""
    return tuple(o[k] for o in output) if isinstance(output, tuple) else output[k]


def discriminator_terms(goal: Objective, real_output: torch.Tensor | tuple, fake_output: torch.Tensor | tuple,
                        labels: torch.Tensor, real_target: Target, fake_target: Target
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """(d_loss without the gradient penalty, detached (mean score of x, mean score of G(z))) of one GAN
    from D's outputs: D(x, y) towards the real target, D(G(z, y), y) towards the fake one, plus for
    AC-GAN the class loss on both."""
    (real_logits, real_classes), (fake_logits, fake_classes) = heads(real_output), heads(fake_output)
    d_loss = goal.loss.d_loss(real_logits, fake_logits, real_target, fake_target)
    if real_classes is not None:
        classes = class_loss(real_classes, labels)
        if goal.class_loss_on_fakes:
            classes = classes + class_loss(fake_classes, labels)
        d_loss = d_loss + goal.class_weight * classes
    return d_loss, torch.stack([goal.loss.score(real_logits).mean(), goal.loss.score(fake_logits).mean()]).detach()


def generator_loss(goal: Objective, fake_output: torch.Tensor | tuple, labels: torch.Tensor) -> torch.Tensor:
    """g_loss of one GAN from D's output on its fakes (+ the AC-GAN class loss)."""
    fake_logits, fake_classes = heads(fake_output)
    g_loss = goal.loss.g_loss(fake_logits)
    if fake_classes is not None:
        g_loss = g_loss + goal.class_weight * class_loss(fake_classes, labels)
    return g_loss


def discriminator_step(
    generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer, goal: Objective,
    real_images: torch.Tensor, labels: torch.Tensor, rng: Streams,
) -> torch.Tensor:
    """Minimise d_loss (:func:`discriminator_terms`) plus, for WGAN-GP, the gradient penalty (between
    the images as D sees them). With DiffAugment, D sees each image through its own random transform.

    Returns detached (loss, mean score of x, mean score of G(z)) as one tensor (3,). Stacked GANs
    (``rng`` a list of K streams, models ``gan_stack.Stacked``): images (K, B, ...), labels (K, B), returns (K, 3).
    """
    count, device = labels.shape[-1], labels.device
    noise = per_gan(rng, lambda stream: draw_latent(count, generator, stream, device))
    with torch.no_grad():  # float32, as the real images are, whatever precision G ran in (the penalty mixes them)
        fake_images = generator(noise, labels).float()
    real_images, fake_images = seen(goal, real_images, rng), seen(goal, fake_images, rng)
    real_output, fake_output = discriminator(real_images, labels), discriminator(fake_images, labels)
    d_loss, scores = per_gan(rng, lambda real, fake, y, stream: discriminator_terms(
        goal, real, fake, y, *targets(goal, count, stream, device)), real_output, fake_output, labels)
    if goal.gp_weight:
        points = per_gan(rng, interpolate, real_images, fake_images).requires_grad_()
        d_loss = d_loss + goal.gp_weight * gradient_penalty(heads(discriminator(points, labels))[0], points)
    optimizer.zero_grad(set_to_none=True)
    d_loss.sum().backward()  # stacked, GAN k's weights get the gradient of its own loss only
    optimizer.step()
    return torch.cat([d_loss.detach()[..., None], scores], dim=-1)


def generator_step(
    generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer, goal: Objective,
    batch_size: int, rng: Streams, device: torch.device,
) -> torch.Tensor:
    """Minimise g_loss of D(G(z, y), y) for fresh noise and uniformly drawn classes (+ the AC-GAN class loss).
    Returns the detached loss, one per GAN when stacked (K,)."""
    labels = per_gan(rng, lambda stream: torch.randint(generator.n_classes, (batch_size,), generator=stream,
                                                       device=device))
    noise = per_gan(rng, lambda stream: draw_latent(batch_size, generator, stream, device))
    output = discriminator(seen(goal, generator(noise, labels), rng), labels)
    g_loss = per_gan(rng, lambda fake_output, y, stream: generator_loss(goal, fake_output, y), output, labels)
    optimizer.zero_grad(set_to_none=True)
    g_loss.sum().backward()
    optimizer.step()
    return g_loss.detach()


def warmed_decay(decay: float, step: int) -> float:
    """The EMA decay at ``step``: ramped up as (1 + step) / (10 + step), so the average forgets its
    untrained start (0.999 ** 3000 would still keep 5% of it) before settling at ``decay``."""
    return min(decay, (1 + step) / (10 + step))


@torch.no_grad()
def update_average(average: nn.Module, generator: nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * generator; BatchNorm statistics are copied."""
    for kept, current in zip(average.parameters(), generator.parameters()):
        kept.lerp_(current, 1.0 - decay)
    for kept, current in zip(average.buffers(), generator.buffers()):
        kept.copy_(current)

"""Train a conditional GAN on one level's real images: one short step each for D and G."""
from __future__ import annotations

import torch
from torch import nn
from tqdm import tqdm

from ganaug.losses import LOSSES, GanLoss
from ganaug.models import ConditionalDiscriminator, ConditionalGenerator
from ganaug.params import N_CLASSES, TrainGanParams

LOG_FIELDS = ("step", "d_loss", "g_loss", "d_real", "d_fake")
CHANNELS_LAST = torch.channels_last


def generator_config(params: TrainGanParams) -> dict[str, int]:
    """The integers that rebuild the generator; saved next to its weights."""
    return {"latent_dim": params.latent_dim, "channels": params.channels, "n_classes": N_CLASSES}


def discriminator_step(
    generator: nn.Module,
    discriminator: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss: GanLoss,
    real_images: torch.Tensor,
    labels: torch.Tensor,
    real_target: float,
    rng: torch.Generator,
) -> torch.Tensor:
    """Minimise d_loss: push D(x, y) towards ``real_target`` and D(G(z, y), y) towards 0.

    Returns detached (loss, mean D(x), mean D(G(z))) as one tensor, to avoid host syncs.
    """
    noise = torch.randn(len(labels), generator.latent_dim, generator=rng, device=labels.device)
    with torch.no_grad():
        fake_images = generator(noise, labels)
    real_logits = discriminator(real_images, labels)
    fake_logits = discriminator(fake_images, labels)
    d_loss = loss.d_loss(real_logits, fake_logits, real_target)
    optimizer.zero_grad(set_to_none=True)
    d_loss.backward()
    optimizer.step()
    return torch.stack([d_loss, real_logits.sigmoid().mean(), fake_logits.sigmoid().mean()]).detach()


def generator_step(
    generator: nn.Module,
    discriminator: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss: GanLoss,
    batch_size: int,
    rng: torch.Generator,
    device: torch.device,
) -> torch.Tensor:
    """Minimise g_loss of D(G(z, y), y) for fresh noise and uniformly drawn classes."""
    labels = torch.randint(N_CLASSES, (batch_size,), generator=rng, device=device)
    noise = torch.randn(batch_size, generator.latent_dim, generator=rng, device=device)
    g_loss = loss.g_loss(discriminator(generator(noise, labels), labels))
    optimizer.zero_grad(set_to_none=True)
    g_loss.backward()
    optimizer.step()
    return g_loss.detach()


def train_gan(
    real_images: torch.Tensor, real_labels: torch.Tensor, params: TrainGanParams, seed: int, desc: str = "GAN"
) -> tuple[ConditionalGenerator, list[dict[str, float]]]:
    """Train on ``real_images`` (N, 1, 28, 28) in [-1, 1]; return the generator and its log.

    The log has one row per ``log_every`` steps with mean losses, D(x) and D(G(z)).
    """
    device = real_images.device
    torch.manual_seed(seed)
    # Channels-last: about 8% more images/s on CPU (oneDNN) and the layout GPU kernels prefer.
    generator = ConditionalGenerator(params.latent_dim, params.channels, N_CLASSES).to(device, memory_format=CHANNELS_LAST)
    discriminator = ConditionalDiscriminator(params.channels, N_CLASSES).to(device, memory_format=CHANNELS_LAST)
    real_images = real_images.contiguous(memory_format=CHANNELS_LAST)
    betas = (params.beta1, 0.999)
    fused = device.type == "cuda"  # one kernel per optimizer step: GPU steps here are launch-bound
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=params.lr_generator, betas=betas, fused=fused)
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=params.lr_discriminator, betas=betas, fused=fused)
    loss = LOSSES["nonsaturating"]
    rng = torch.Generator(device=device).manual_seed(seed)
    log, interval = [], torch.zeros(4, device=device)  # sums of d_loss, d_real, d_fake, g_loss
    bar = tqdm(range(1, params.steps + 1), desc=desc, unit="step", disable=None, mininterval=1.0)
    for step in bar:
        for _ in range(params.dstep):
            index = torch.randint(len(real_images), (params.batch_size,), generator=rng, device=device)
            d_stats = discriminator_step(
                generator, discriminator, d_optimizer, loss,
                real_images[index], real_labels[index], params.real_label, rng,
            )
            interval[:3] += d_stats / params.dstep
        interval[3] += generator_step(generator, discriminator, g_optimizer, loss, params.batch_size, rng, device)
        if step % params.log_every == 0 or step == params.steps:
            d_loss, d_real, d_fake, g_loss = (interval / (step - (log[-1]["step"] if log else 0))).tolist()
            log.append({"step": step, "d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake})
            bar.set_postfix(d=f"{d_loss:.3f}", g=f"{g_loss:.3f}", dx=f"{d_real:.2f}", dgz=f"{d_fake:.2f}")
            interval.zero_()
    return generator.eval(), log


@torch.no_grad()
def sample(generator: ConditionalGenerator, labels: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Fakes (N, 1, 28, 28) in [-1, 1] for the given class labels, in eval mode (BatchNorm running stats)."""
    generator.eval()
    noise = torch.randn(len(labels), generator.latent_dim, generator=rng, device=labels.device)
    return generator(noise, labels)

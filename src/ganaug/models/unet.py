"""A small class-conditional U-Net: the velocity field of the flow-matching generator.

It maps (image x_t, time t in [0, 1], label) to a velocity of the image's shape. Two resolutions below
the input (S -> S/2 -> S/4, 28 -> 14 -> 7 for MNIST, so the side is a multiple of 4, as for the DCGAN),
one residual block per resolution on the way down and on the way up, with skip connections. Time and
class enter every block as one embedding added to its features (Ho et al. 2020; Dhariwal & Nichol 2021):
a sinusoidal time code through an MLP plus a class embedding whose last row, index ``n_classes``, is
the null class that classifier-free guidance trains and samples with (Ho & Salimans 2022).
GroupNorm instead of BatchNorm: the output must not depend on the rest of the batch, for sampling
guided and unguided halves in one batch.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def time_code(t: torch.Tensor, dim: int) -> torch.Tensor:
    """(N,) times in [0, 1] -> (N, dim) sines and cosines of geometrically spaced frequencies (an odd ``dim``
    ends with a zero column)."""
    half = dim // 2
    frequencies = torch.exp(-math.log(1000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / max(half, 1))
    angles = 1000.0 * t.float()[:, None] * frequencies[None]  # t scaled as a diffusion step count
    return torch.cat([angles.sin(), angles.cos(), angles.new_zeros(len(t), dim - 2 * half)], dim=1)


def groups(channels: int) -> int:
    """GroupNorm groups: 8 where the channels allow it, else the largest divisor of them up to 8."""
    return next(g for g in (8, 4, 2, 1) if channels % g == 0)


class Block(nn.Module):
    """Residual block: norm, SiLU, 3x3 conv; plus the embedding; norm, SiLU, 3x3 conv; plus the input."""

    def __init__(self, before: int, after: int, embedding: int):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups(before), before), nn.Conv2d(before, after, 3, padding=1)
        self.embed = nn.Linear(embedding, after)
        self.norm2, self.conv2 = nn.GroupNorm(groups(after), after), nn.Conv2d(after, after, 3, padding=1)
        self.skip = nn.Conv2d(before, after, 1) if before != after else nn.Identity()

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        hidden = self.conv1(F.silu(self.norm1(x)))
        hidden = hidden + self.embed(embedding)[:, :, None, None]  # (N, after, H, W)
        hidden = self.conv2(F.silu(self.norm2(hidden)))
        return hidden + self.skip(x)


class ConditionalUNet(nn.Module):
    """Velocity field v(x_t, t, y); ``widths``: channels at S, S/2 and S/4 (one per resolution, 3 values)."""

    def __init__(self, widths: tuple[int, ...], n_classes: int, *, channels: int, size: int):
        super().__init__()
        w0, w1, w2 = widths
        embedding = 4 * w0
        self.n_classes, self.image_shape = n_classes, (channels, size, size)
        self.time = nn.Sequential(nn.Linear(w0, embedding), nn.SiLU(), nn.Linear(embedding, embedding))
        self.label = nn.Embedding(n_classes + 1, embedding)  # the last row: the null class of guidance
        self.inp = nn.Conv2d(channels, w0, 3, padding=1)  # (N, W0, S, S)
        self.down0 = Block(w0, w0, embedding)
        self.down1 = Block(w0, w1, embedding)  # at S/2
        self.mid = Block(w1, w2, embedding)  # at S/4
        self.up1 = Block(w2 + w1, w1, embedding)  # at S/2, with the S/2 skip
        self.up0 = Block(w1 + w0, w0, embedding)  # at S, with the S skip
        self.out = nn.Sequential(nn.GroupNorm(groups(w0), w0), nn.SiLU(), nn.Conv2d(w0, channels, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)  # starts as the zero field: a stable first step
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        embedding = self.time(time_code(t, self.inp.out_channels)) + self.label(labels)  # (N, E)
        skip0 = self.down0(self.inp(x), embedding)  # (N, W0, S, S)
        skip1 = self.down1(F.avg_pool2d(skip0, 2), embedding)  # (N, W1, S/2, S/2)
        hidden = self.mid(F.avg_pool2d(skip1, 2), embedding)  # (N, W2, S/4, S/4)
        hidden = F.interpolate(hidden, scale_factor=2.0, mode="nearest")  # (N, W2, S/2, S/2)
        hidden = self.up1(torch.cat([hidden, skip1], dim=1), embedding)  # (N, W1, S/2, S/2)
        hidden = F.interpolate(hidden, scale_factor=2.0, mode="nearest")  # (N, W1, S, S)
        hidden = self.up0(torch.cat([hidden, skip0], dim=1), embedding)  # (N, W0, S, S)
        return self.out(hidden)  # (N, C, S, S)

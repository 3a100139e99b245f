"""Classical augmentation: a random affine map and an elastic distortion per image, batched.

Each image gets its own rotation, scale, shear and translation, plus a smooth random
displacement (a coarse Gaussian field, upsampled), applied in one ``grid_sample`` call for
the whole batch, on the training device. A model draws its warps from its own generator, one
draw per step, so the batched trainer and the one-model loop give model k the same warps.
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ganaug.params.project import AugmentParams

COARSE = 4  # the elastic field is drawn on a 4 x 4 grid and upsampled: smooth strokes, not pixel noise
SALT = 1 << 32  # augmentation generators are seeded apart from the batch-order generator of a seed


class Warps(NamedTuple):
    theta: torch.Tensor  # (N, 2, 3) affine maps, output -> input coordinates in [-1, 1]
    field: torch.Tensor  # (N, 2, COARSE, COARSE) elastic displacement, in units of the image half-width


def generator_for(seed: int, device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed + SALT)


def draw_warps(n: int, strength: AugmentParams, generator: torch.Generator) -> Warps:
    """Random warps for ``n`` images; every range is symmetric around the identity."""
    device = generator.device
    u = torch.rand(n, 5, generator=generator, device=device) * 2 - 1  # (N, 5) in [-1, 1)
    angle, shear = u[:, 0] * math.radians(strength.rotation), u[:, 1] * math.radians(strength.shear)
    scale = 1 + u[:, 2] * strength.scale
    shift = u[:, 3:] * strength.translate * 2  # a share of the image width -> [-1, 1] coordinates
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Rotation times shear (x' = x + tan(shear) y), divided by the scale: theta maps output to input.
    linear = torch.stack([torch.stack([cos, cos * torch.tan(shear) - sin], 1),
                          torch.stack([sin, sin * torch.tan(shear) + cos], 1)], 1) / scale[:, None, None]
    theta = torch.cat([linear, shift.unsqueeze(2)], dim=2)  # (N, 2, 3)
    field = torch.randn(n, 2, COARSE, COARSE, generator=generator, device=device) * strength.elastic
    return Warps(theta, field)


@functools.lru_cache(maxsize=8)
def _bases(height: int, width: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-centre coordinates (H*W, 3) as affine_grid uses them, and the bicubic upsampling
    matrix (COARSE*COARSE, H*W): two matrix products build the sampling grid about 10x faster
    on CPU than affine_grid plus interpolate, with the same result."""
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, height) * (height - 1) / height,
                            torch.linspace(-1, 1, width) * (width - 1) / width, indexing="ij")
    coords = torch.stack([xs.flatten(), ys.flatten(), torch.ones(height * width)], dim=1)
    eye = torch.eye(COARSE * COARSE).reshape(-1, 1, COARSE, COARSE)
    upsample = F.interpolate(eye, size=(height, width), mode="bicubic", align_corners=False).flatten(1)
    return coords.to(device), upsample.to(device)


def warp(images: torch.Tensor, warps: Warps) -> torch.Tensor:
    """Images (N, 1, H, W) in [-1, 1], warped; what moves in from outside is background (-1)."""
    n, _, height, width = images.shape
    coords, upsample = _bases(height, width, images.device)
    # One (N*2, 3) x (3, H*W) product, not a batched one: the latter is 10x slower on CPU.
    grid = (warps.theta.reshape(n * 2, 3) @ coords.t()) + warps.field.reshape(n * 2, -1) @ upsample  # (N*2, H*W)
    grid = grid.reshape(n, 2, height, width).permute(0, 2, 3, 1)  # (N, H, W, (x, y))
    # Shift to background 0 so grid_sample's zero padding is background, then back.
    return F.grid_sample(images + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1

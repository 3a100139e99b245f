"""DiffAugment (Zhao et al. 2020): random, differentiable transforms in front of the discriminator.

The same transform family is applied to real images and to fakes, in the D step and in the
G step, so D never sees an un-augmented image and cannot memorise a small training set, while
G still gets gradients through the transform (translation and cutout are gathers and masks,
differentiable in the images). Each image draws its own shift and cutout position from the
training's random generator, so runs stay reproducible and resumable.

Sized for 28x28 digits rather than DiffAugment's 32x32 colour defaults: a shift of about 1/8 of
the side (3-4 pixels), a cutout square much smaller than its half side (which would erase half
a digit), and no colour ops on one channel. Emptied pixels take the background value (the
darkest of the data range), not 0, which in [-1, 1] would be mid-grey.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

OPS = ("translation", "cutout")


class DiffAugment(NamedTuple):
    ops: tuple[str, ...]  # of OPS, applied in this order
    translation: float  # largest shift, as a share of the side
    cutout: float  # side of the erased square, as a share of the side
    probability: float  # each op is applied to each image with this probability
    background: float  # value of emptied pixels: -1 for tanh data, 0 for sigmoid data

    def __call__(self, images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
        for op in self.ops:
            images = TRANSFORMS[op](self, images, rng)
        return images


def _applied(augment: DiffAugment, count: int, rng: torch.Generator, device: torch.device) -> torch.Tensor:
    """(count,) bool: which images get the op."""
    if augment.probability >= 1:
        return torch.ones(count, dtype=torch.bool, device=device)
    return torch.rand(count, generator=rng, device=device) < augment.probability


def translate(augment: DiffAugment, images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Shift each image by up to ``translation`` of its side in x and y; what moves in is background."""
    n, _, height, width = images.shape
    most = round(augment.translation * max(height, width))
    if most == 0:
        return images
    device = images.device
    shifts = torch.randint(-most, most + 1, (2, n), generator=rng, device=device)
    shifts = shifts * _applied(augment, n, rng, device)  # (2, N): (dy, dx), 0 where not applied
    padded = F.pad(images, (most, most, most, most), value=augment.background)  # (N, C, H + 2m, W + 2m)
    rows = torch.arange(height, device=device) + most - shifts[0][:, None]  # (N, H)
    cols = torch.arange(width, device=device) + most - shifts[1][:, None]  # (N, W)
    batch = torch.arange(n, device=device)[:, None, None]
    moved = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
    return moved.permute(0, 3, 1, 2)  # (N, C, H, W)


def cut_out(augment: DiffAugment, images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Set a square of side ``cutout`` of the image's side, centred anywhere in it, to background."""
    n, _, height, width = images.shape
    side = round(augment.cutout * max(height, width))
    if side == 0:
        return images
    device = images.device
    centre_y = torch.randint(height, (n, 1, 1), generator=rng, device=device)
    centre_x = torch.randint(width, (n, 1, 1), generator=rng, device=device)
    y = torch.arange(height, device=device)[None, :, None]
    x = torch.arange(width, device=device)[None, None, :]
    low = side // 2  # the square spans [centre - low, centre - low + side)
    inside = ((y - centre_y + low) >= 0) & ((y - centre_y + low) < side)
    inside = inside & ((x - centre_x + low) >= 0) & ((x - centre_x + low) < side)  # (N, H, W)
    inside = inside & _applied(augment, n, rng, device)[:, None, None]
    return images.masked_fill(inside[:, None], augment.background)


TRANSFORMS = {"translation": translate, "cutout": cut_out}

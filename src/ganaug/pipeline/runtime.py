"""Seeding and device choice: the only places randomness and hardware are decided."""
from __future__ import annotations

import random

import numpy as np
import torch

from ganaug.pipeline.errors import ParamsError


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for explicit sampling."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """``auto`` means CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ParamsError("device = 'cuda' but no CUDA device is available; use device: auto or cpu")
    return torch.device(name)


def to_unit_range(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Stored uint8 images, (N, H, W) grayscale or (N, H, W, C) colour -> float tensor (N, C, H, W) in [-1, 1]."""
    images = torch.as_tensor(images)
    scaled = images.float().div(127.5).sub(1.0)
    return scaled.unsqueeze(1) if images.ndim == 3 else scaled.permute(0, 3, 1, 2).contiguous()


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Float images (N, C, H, W) in [-1, 1] -> uint8 as real images are stored: (N, H, W), or (N, H, W, C) in colour."""
    pixels = images.add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)
    pixels = pixels.squeeze(1) if pixels.shape[1] == 1 else pixels.permute(0, 2, 3, 1).contiguous()
    return pixels.cpu().numpy()

"""Seeding and device choice: the only places randomness and hardware are decided."""
from __future__ import annotations

import random

import numpy as np
import torch

from ganaug.params import ParamsError


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
    """uint8 images (N, 28, 28) -> float tensor (N, 1, 28, 28) in [-1, 1]."""
    images = torch.as_tensor(images)
    return images.float().div(127.5).sub(1.0).unsqueeze(1)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Float images (N, 1, 28, 28) in [-1, 1] -> uint8 (N, 28, 28), as real digits are stored."""
    return images.squeeze(1).add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8).cpu().numpy()

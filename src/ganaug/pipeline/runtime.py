"""Seeding, device and precision choice: the only places randomness and hardware are decided."""
from __future__ import annotations

import random
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

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


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo on Linux (amx_bf16, avx512_bf16, ...); empty elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_has_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 in hardware (AMX or AVX512-BF16): where bf16 autocast pays."""
    return bool(cpu_flags() & {"amx_bf16", "avx512_bf16"})


def resolve_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The dtype training runs its models' forward passes in (``torch.autocast``), or None for float32.

    ``auto`` means bfloat16 on a CPU that multiplies it in hardware (AMX or AVX512-BF16: 1.4x to 1.6x
    the images/s of float32 for the GAN and the batched LeNet-5s, docs/performance.md), else float32;
    a GPU keeps float32 under auto, as bf16 has not been measured on one.
    """
    if name == "fp32":
        return None
    if device.type == "cpu" and not cpu_has_bf16():
        if name == "bf16":
            raise ParamsError("precision = 'bf16' but this CPU has neither AMX nor AVX512-BF16 (/proc/cpuinfo flags); "
                              "use precision: auto or fp32")
        return None
    return torch.bfloat16 if name == "bf16" or device.type == "cpu" else None


def autocast(device: torch.device, dtype: torch.dtype | None) -> AbstractContextManager:
    """Forward passes in ``dtype`` (None: float32, no autocast). Weights, optimizer state, BatchNorm's running
    statistics stay float32; callers take the models' outputs back to float32 before any loss."""
    return nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


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

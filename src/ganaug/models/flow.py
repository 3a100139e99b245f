"""The flow-matching generator's sampler: images from Gaussian noise by integrating a learnt velocity field
from t = 0 (noise) to t = 1 (image) with a few Euler or Heun steps, guided by classifier-free guidance.

It has a GAN generator's interface (``latent_dim``, ``latent``, ``output``, ``n_classes``, ``image_shape``;
``forward(noise, labels)`` -> images in [-1, 1]), its noise the size of an image, so sampling, filtering
and every stage that reads fakes treat it as one. Training is ``generators/flow.py``.
"""
from __future__ import annotations

import torch
from torch import nn

from ganaug.models.unet import ConditionalUNet

CHUNK = 1000  # images integrated at once when sampling


class FlowGenerator(nn.Module):
    """Samples images from noise by integrating the velocity field from t = 0 to 1; a GAN generator's interface
    (``latent_dim``, ``latent``, ``output``, ``n_classes``, ``image_shape``; ``forward(noise, labels)``)."""

    def __init__(self, latent_dim: int, widths: tuple[int, ...], n_classes: int, *, channels: int, size: int,
                 latent: str = "gaussian", output: str = "tanh", sampler: str = "heun", sampler_steps: int = 4,
                 guidance: float = 1.0):
        super().__init__()
        if latent_dim != channels * size * size or latent != "gaussian" or output != "tanh":
            raise ValueError("a flow's noise is a Gaussian image (latent_dim = channels x side^2) and its output"
                             " is the pipeline's [-1, 1] range")
        self.latent_dim, self.latent, self.output, self.n_classes = latent_dim, latent, output, n_classes
        self.image_shape = (channels, size, size)
        self.sampler, self.sampler_steps, self.guidance = sampler, sampler_steps, guidance
        self.velocity = ConditionalUNet(tuple(widths), n_classes, channels=channels, size=size)

    def field(self, x: torch.Tensor, t: float, labels: torch.Tensor) -> torch.Tensor:
        """The guided velocity at time ``t``: v_c + w (v_c - v_u), the guided and unguided halves in one batch."""
        times = torch.full((len(x),), t, device=x.device)
        if self.guidance == 0:
            return self.velocity(x, times, labels)
        null = torch.full_like(labels, self.n_classes)
        conditional, unconditional = self.velocity(torch.cat([x, x]), torch.cat([times, times]),
                                                   torch.cat([labels, null])).chunk(2)
        return conditional + self.guidance * (conditional - unconditional)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images (N, C, S, S) in [-1, 1]: each chunk of ``CHUNK`` integrated on its own, so memory stays bounded
        however many fakes are asked for (every pass of the sampler holds a chunk, twice over with guidance)."""
        return torch.cat([self.integrate(n, y) for n, y in zip(noise.split(CHUNK), labels.split(CHUNK))])

    def integrate(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = noise.view(len(noise), *self.image_shape).contiguous(memory_format=torch.channels_last)
        grid = torch.linspace(0.0, 1.0, self.sampler_steps + 1).tolist()
        for t, after in zip(grid[:-1], grid[1:]):
            slope = self.field(x, t, labels)
            if self.sampler == "heun":  # the trapezoid rule: the slope at both ends of the step
                slope = (slope + self.field(x + (after - t) * slope, after, labels)) / 2
            x = x + (after - t) * slope
        return x.clamp(-1, 1)  # (N, C, S, S)

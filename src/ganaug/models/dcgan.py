"""Conditional DCGAN (Radford et al. 2016; Mirza & Osindero 2014) for small images, with its
AC-GAN (Odena et al. 2017) and WGAN-GP critic (Gulrajani et al. 2017) variants.

The generator maps (noise, label) to an image (tanh in [-1, 1] or sigmoid in [0, 1]); it sees
the label through an embedding concatenated to the noise. The conditional discriminator maps
(image, label) to one real/fake logit, seeing the label as an extra input channel; the
auxiliary-classifier one sees only the image and also returns class logits. Both halve or double
the side twice (7 -> 14 -> 28 for MNIST), so the side is a multiple of 4; defaults are MNIST's.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

OUTPUTS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class ConditionalGenerator(nn.Module):
    def __init__(self, latent_dim: int, widths: tuple[int, ...] = (64, 32), n_classes: int = 10,
                 latent: str = "gaussian", output: str = "tanh", channels: int = 1, size: int = 28):
        super().__init__()
        # Read by sampling and by whoever draws labels for it.
        self.latent_dim, self.latent, self.output, self.n_classes = latent_dim, latent, output, n_classes
        self.image_shape, self.base = (channels, size, size), size // 4  # G starts from 7 x 7 for 28 x 28
        self.label_embedding = nn.Embedding(n_classes, n_classes)
        self.project = nn.Sequential(
            nn.Linear(latent_dim + n_classes, widths[0] * self.base ** 2, bias=False),
            nn.BatchNorm1d(widths[0] * self.base ** 2),
            nn.ReLU(),
        )
        layers = [nn.ConvTranspose2d(widths[0], widths[1], 4, stride=2, padding=1, bias=False),
                  nn.BatchNorm2d(widths[1]), nn.ReLU()]  # (N, W1, S/2, S/2)
        for before, width in zip(widths[1:], widths[2:]):  # deeper: 3x3 blocks at half the side
            layers += [nn.Conv2d(before, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, stride=2, padding=1), OUTPUTS[output]()]  # (N, C, S, S)
        self.upsample = nn.Sequential(*layers)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = torch.cat([noise, self.label_embedding(labels)], dim=1)  # (N, Z + K)
        hidden = self.project(hidden)  # (N, W0 * base^2)
        hidden = hidden.view(hidden.shape[0], -1, self.base, self.base)  # (N, W0, S/4, S/4)
        return self.upsample(hidden)  # (N, C, S, S)


def spectral_normalise(model: nn.Module) -> None:
    """Constrain every conv and linear weight of ``model`` to spectral norm 1 (Miyato et al. 2018)."""
    for module in list(model.modules()):
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            spectral_norm(module)


def _norm(kind: str, channels: int) -> list[nn.Module]:
    # GroupNorm with one group is LayerNorm over (C, H, W) with a per-channel affine.
    return {"batch": [nn.BatchNorm2d(channels)], "layer": [nn.GroupNorm(1, channels)], "none": []}[kind]


class ConditionalDiscriminator(nn.Module):
    """Real/fake logit of (image, label); with ``auxiliary``, of the image alone plus class logits."""

    def __init__(self, widths: tuple[int, ...] = (32, 64), n_classes: int = 10, norm: str = "batch",
                 auxiliary: bool = False, spectral: bool = False, channels: int = 1, size: int = 28):
        super().__init__()
        self.size = size
        self.label_map = None if auxiliary else nn.Embedding(n_classes, size * size)
        inputs = channels + (0 if auxiliary else 1)  # the image, and the label channel unless D predicts the label
        layers = [nn.Conv2d(inputs, widths[0], 4, stride=2, padding=1), nn.LeakyReLU(0.2)]  # (N, W0, S/2, S/2)
        for index, (before, width) in enumerate(zip(widths, widths[1:])):
            # The first block halves to S/4; deeper blocks keep it. A norm's shift makes the conv bias redundant.
            shape = (4, 2, 1) if index == 0 else (3, 1, 1)
            layers += [nn.Conv2d(before, width, *shape, bias=norm == "none"), *_norm(norm, width), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers, nn.Flatten())  # (N, W * (S/4)^2)
        features = widths[-1] * (size // 4) ** 2  # conv archs have at least two widths (params/gan.py)
        self.head = nn.Linear(features, 1)
        self.classify = nn.Linear(features, n_classes) if auxiliary else None
        if spectral:
            spectral_normalise(self)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if self.label_map is not None:
            label_channel = self.label_map(labels).view(-1, 1, self.size, self.size)
            images = torch.cat([images, label_channel], dim=1)  # (N, C + 1, S, S)
        features = self.features(images)
        logits = self.head(features).squeeze(1)  # (N,)
        return logits if self.classify is None else (logits, self.classify(features))  # (N,), (N, K)

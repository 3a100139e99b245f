"""Fully connected conditional GAN (Goodfellow et al. 2014; Mirza & Osindero 2014) for small images.

Both models see the label as a learned embedding concatenated to their input. The generator's
hidden layers grow (256 -> 512 -> 1024 by default) and the discriminator's shrink (1024 -> 512
-> 256), LeakyReLU(0.2) throughout, dropout in the discriminator.
"""
from __future__ import annotations

import torch
from torch import nn
from ganaug.models.dcgan import OUTPUTS, spectral_normalise


def _hidden(sizes: tuple[int, ...], dropout: float = 0.0) -> list[nn.Module]:
    layers = []
    for before, after in zip(sizes, sizes[1:]):
        layers += [nn.Linear(before, after), nn.LeakyReLU(0.2)] + ([nn.Dropout(dropout)] if dropout else [])
    return layers


class MlpGenerator(nn.Module):
    def __init__(self, latent_dim: int, widths: tuple[int, ...] = (256, 512, 1024), n_classes: int = 10,
                 latent: str = "gaussian", output: str = "tanh", channels: int = 1, size: int = 28):
        super().__init__()
        # Read by sampling and by whoever draws labels for it.
        self.latent_dim, self.latent, self.output, self.n_classes = latent_dim, latent, output, n_classes
        self.image_shape = (channels, size, size)
        self.label_embedding = nn.Embedding(n_classes, n_classes)
        self.body = nn.Sequential(
            *_hidden((latent_dim + n_classes, *widths)),
            nn.Linear(widths[-1], channels * size * size),
            OUTPUTS[output](),
        )

    def forward(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = torch.cat([noise, self.label_embedding(labels)], dim=1)  # (N, Z + K)
        return self.body(hidden).view(-1, *self.image_shape)  # (N, C, S, S)


class MlpDiscriminator(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (1024, 512, 256), n_classes: int = 10, dropout: float = 0.4,
                 spectral: bool = False, channels: int = 1, size: int = 28):
        super().__init__()
        self.label_embedding = nn.Embedding(n_classes, n_classes)
        pixels = channels * size * size
        self.body = nn.Sequential(*_hidden((pixels + n_classes, *widths), dropout), nn.Linear(widths[-1], 1))
        if spectral:
            spectral_normalise(self.body)  # not the label embedding: a lookup table, not a linear map

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = torch.cat([images.flatten(1), self.label_embedding(labels)], dim=1)  # (N, pixels + K)
        return self.body(hidden).squeeze(1)  # (N,) logits

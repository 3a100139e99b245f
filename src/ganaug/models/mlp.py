"""Fully connected conditional GAN (Goodfellow et al. 2014; Mirza & Osindero 2014) for 28x28 digits.

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
                 latent: str = "gaussian", output: str = "tanh"):
        super().__init__()
        self.latent_dim, self.latent, self.output = latent_dim, latent, output  # read by sampling
        self.label_embedding = nn.Embedding(n_classes, n_classes)
        self.body = nn.Sequential(
            *_hidden((latent_dim + n_classes, *widths)),
            nn.Linear(widths[-1], 28 * 28),
            OUTPUTS[output](),
        )

    def forward(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = torch.cat([noise, self.label_embedding(labels)], dim=1)  # (N, Z + K)
        return self.body(hidden).view(-1, 1, 28, 28)  # (N, 1, 28, 28)


class MlpDiscriminator(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (1024, 512, 256), n_classes: int = 10, dropout: float = 0.4,
                 spectral: bool = False):
        super().__init__()
        self.label_embedding = nn.Embedding(n_classes, n_classes)
        self.body = nn.Sequential(*_hidden((28 * 28 + n_classes, *widths), dropout), nn.Linear(widths[-1], 1))
        if spectral:
            spectral_normalise(self.body)  # not the label embedding: a lookup table, not a linear map

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = torch.cat([images.flatten(1), self.label_embedding(labels)], dim=1)  # (N, 784 + K)
        return self.body(hidden).squeeze(1)  # (N,) logits

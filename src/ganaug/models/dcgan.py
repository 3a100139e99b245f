"""Conditional DCGAN (Radford et al. 2016; Mirza & Osindero 2014) for 28x28 digits, with its
AC-GAN (Odena et al. 2017) and WGAN-GP critic (Gulrajani et al. 2017) variants.

The generator maps (noise, label) to an image (tanh in [-1, 1] or sigmoid in [0, 1]); it sees
the label through an embedding concatenated to the noise. The conditional discriminator maps
(image, label) to one real/fake logit, seeing the label as an extra 28x28 input channel; the
auxiliary-classifier one sees only the image and also returns class logits.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

OUTPUTS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class ConditionalGenerator(nn.Module):
    def __init__(self, latent_dim: int, widths: tuple[int, ...] = (64, 32), n_classes: int = 10,
                 latent: str = "gaussian", output: str = "tanh"):
        super().__init__()
        self.latent_dim, self.latent, self.output = latent_dim, latent, output  # read by sampling
        self.label_embedding = nn.Embedding(n_classes, n_classes)
        self.project = nn.Sequential(
            nn.Linear(latent_dim + n_classes, widths[0] * 7 * 7, bias=False),
            nn.BatchNorm1d(widths[0] * 7 * 7),
            nn.ReLU(),
        )
        layers = [nn.ConvTranspose2d(widths[0], widths[1], 4, stride=2, padding=1, bias=False),
                  nn.BatchNorm2d(widths[1]), nn.ReLU()]  # (N, W1, 14, 14)
        for before, width in zip(widths[1:], widths[2:]):  # deeper: 3x3 blocks at 14x14
            layers += [nn.Conv2d(before, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], 1, 4, stride=2, padding=1), OUTPUTS[output]()]  # (N, 1, 28, 28)
        self.upsample = nn.Sequential(*layers)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = torch.cat([noise, self.label_embedding(labels)], dim=1)  # (N, Z + K)
        hidden = self.project(hidden)  # (N, W0 * 7 * 7)
        hidden = hidden.view(hidden.shape[0], -1, 7, 7)  # (N, W0, 7, 7)
        return self.upsample(hidden)  # (N, 1, 28, 28)


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
                 auxiliary: bool = False, spectral: bool = False):
        super().__init__()
        self.label_map = None if auxiliary else nn.Embedding(n_classes, 28 * 28)
        inputs = 1 if auxiliary else 2  # the image, and the label channel unless D predicts the label
        layers = [nn.Conv2d(inputs, widths[0], 4, stride=2, padding=1), nn.LeakyReLU(0.2)]  # (N, W0, 14, 14)
        for index, (before, width) in enumerate(zip(widths, widths[1:])):
            # The first block halves to 7x7; deeper blocks keep 7x7. A norm's shift makes the conv bias redundant.
            shape = (4, 2, 1) if index == 0 else (3, 1, 1)
            layers += [nn.Conv2d(before, width, *shape, bias=norm == "none"), *_norm(norm, width), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers, nn.Flatten())  # (N, W * 7 * 7)
        self.head = nn.Linear(widths[-1] * 7 * 7, 1)
        self.classify = nn.Linear(widths[-1] * 7 * 7, n_classes) if auxiliary else None
        if spectral:
            spectral_normalise(self)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if self.label_map is not None:
            label_channel = self.label_map(labels).view(-1, 1, 28, 28)
            images = torch.cat([images, label_channel], dim=1)  # (N, 2, 28, 28)
        features = self.features(images)
        logits = self.head(features).squeeze(1)  # (N,)
        return logits if self.classify is None else (logits, self.classify(features))  # (N,), (N, K)

"""Conditional DCGAN (Radford et al. 2016; Mirza & Osindero 2014) for 28x28 digits.

The generator maps (noise, label) to an image in [-1, 1] (tanh); the discriminator maps
(image, label) to one real/fake logit. Both see the label: the generator through an
embedding concatenated to the noise, the discriminator through an embedding reshaped to
an extra 28x28 input channel.
"""
import torch
from torch import nn


class ConditionalGenerator(nn.Module):
    def __init__(self, latent_dim: int, channels: int, n_classes: int = 10):
        super().__init__()
        self.latent_dim = latent_dim
        self.label_embedding = nn.Embedding(n_classes, n_classes)
        self.project = nn.Sequential(
            nn.Linear(latent_dim + n_classes, 2 * channels * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * channels * 7 * 7),
            nn.ReLU(),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels),  # (N, C, 14, 14)
            nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),  # (N, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = torch.cat([noise, self.label_embedding(labels)], dim=1)  # (N, Z + K)
        hidden = self.project(hidden)  # (N, 2C * 7 * 7)
        hidden = hidden.view(hidden.shape[0], -1, 7, 7)  # (N, 2C, 7, 7)
        return self.upsample(hidden)  # (N, 1, 28, 28) in [-1, 1]


class ConditionalDiscriminator(nn.Module):
    def __init__(self, channels: int, n_classes: int = 10):
        super().__init__()
        self.label_map = nn.Embedding(n_classes, 28 * 28)
        self.body = nn.Sequential(
            nn.Conv2d(2, channels, 4, stride=2, padding=1),  # (N, C, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(2 * channels),  # (N, 2C, 7, 7)
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * channels * 7 * 7, 1),  # (N, 1)
        )

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        label_channel = self.label_map(labels).view(-1, 1, 28, 28)
        return self.body(torch.cat([images, label_channel], dim=1)).squeeze(1)  # (N,) logits

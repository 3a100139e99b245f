"""Metrics of how recognisable, diverse and realistic fakes are.

All work in the feature space of a reference LeNet-5 (its 84-d penultimate layer) or on its
class probabilities. FID comes from torchmetrics (fed our feature extractor) rather than a
hand-rolled matrix square root. Precision, recall, density and coverage follow Naeem et al.
2020, "Reliable Fidelity and Diversity Metrics for Generative Models".
"""
from __future__ import annotations

import torch
from torch import nn


class _Features(nn.Module):
    """Identity over precomputed features, so torchmetrics' FID sees (N, D) vectors."""

    def __init__(self, dim: int):
        super().__init__()
        self.num_features = dim

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def fid(real_features: torch.Tensor, fake_features: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to two (N, D) feature sets."""
    # Imported here: torchmetrics pulls in torchvision and torch._dynamo, about 2.5 s of start-up
    # that every stage would pay, since the CLI imports this module (via the GAN's health metrics).
    from torchmetrics.image.fid import FrechetInceptionDistance

    dim = real_features.shape[1]
    metric = FrechetInceptionDistance(feature=_Features(dim), normalize=False, input_img_size=(dim,))
    metric.set_dtype(torch.float64)
    metric.update(real_features.double().cpu(), real=True)
    metric.update(fake_features.double().cpu(), real=False)
    return float(metric.compute())


def prdc(real_features: torch.Tensor, fake_features: torch.Tensor, k: int) -> dict[str, float]:
    """Precision, recall, density and coverage from k-nearest-neighbour balls."""
    real_radius = _kth_neighbour_distance(real_features, k)  # (N,)
    fake_radius = _kth_neighbour_distance(fake_features, k)  # (M,)
    distance = torch.cdist(real_features, fake_features)  # (N, M)
    inside_real = distance <= real_radius[:, None]  # fake j inside real ball i
    return {
        "precision": inside_real.any(dim=0).float().mean().item(),
        "recall": (distance <= fake_radius[None, :]).any(dim=1).float().mean().item(),
        "density": (inside_real.sum(dim=0).float() / k).mean().item(),
        "coverage": (distance.min(dim=1).values <= real_radius).float().mean().item(),
    }


def _kth_neighbour_distance(features: torch.Tensor, k: int) -> torch.Tensor:
    distance = torch.cdist(features, features)
    return distance.kthvalue(k + 1, dim=1).values  # +1: each point is its own nearest neighbour


def mean_pairwise_distance(features: torch.Tensor) -> float:
    """Mean distance between distinct pairs; 0 for identical images."""
    n = len(features)
    if n < 2:
        return 0.0
    return (torch.cdist(features, features).sum() / (n * (n - 1))).item()


def tarr(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of images a classifier labels as their intended class (accuracy against labels)."""
    return (probs.argmax(dim=1) == labels).float().mean().item()


def inception_score(probs: torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) || p(y))): 1 for one class or uncertain images, up to 10 for 10 classes."""
    marginal = probs.mean(dim=0, keepdim=True)
    kl = (probs * (probs.clamp_min(1e-12).log() - marginal.clamp_min(1e-12).log())).sum(dim=1)
    return kl.mean().exp().item()

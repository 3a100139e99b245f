"""GAN losses as small pure functions of discriminator logits, chosen by name.

``d_loss(real_logits, fake_logits, real_target, fake_target)`` is what the discriminator
minimises (targets: a number, or one per image for noisy labels); ``g_loss(fake_logits)`` is
what the generator minimises; ``score`` turns logits into what the log shows as D(x) and
D(G(z)). A new loss is one entry in ``LOSSES``. The AC-GAN class loss and the WGAN-GP gradient
penalty are added terms, below.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F


Target = float | torch.Tensor


def _full(logits: torch.Tensor, target: Target) -> torch.Tensor:
    return target if isinstance(target, torch.Tensor) else torch.full_like(logits, target)


def bce_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_target: Target = 1.0,
               fake_target: Target = 0.0) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))); ``real_target`` < 1 is one-sided label smoothing."""
    real = F.binary_cross_entropy_with_logits(real_logits, _full(real_logits, real_target))
    fake = F.binary_cross_entropy_with_logits(fake_logits, _full(fake_logits, fake_target))
    return real + fake


def nonsaturating_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)): strong gradients while the discriminator still wins (Goodfellow 2014)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def saturating_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """log(1 - D(G(z))), minimised: the original minimax objective; its gradient vanishes while D wins."""
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def hinge_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, *_targets: Target) -> torch.Tensor:
    """mean relu(1 - D(x)) + mean relu(1 + D(G(z))); label smoothing has no meaning here (params refuse it)."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def critic_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """-mean D(G(z)) on raw scores: the hinge generator loss (Lim & Ye 2017) and the Wasserstein one."""
    return -fake_logits.mean()


def wasserstein_d_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor, *_targets: Target) -> torch.Tensor:
    """mean D(G(z)) - mean D(x): minus the critic's estimate of the Wasserstein-1 distance (Arjovsky et al. 2017)."""
    return fake_scores.mean() - real_scores.mean()


def class_loss(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """AC-GAN's auxiliary term: cross-entropy of the discriminator's class prediction (Odena et al. 2017)."""
    return F.cross_entropy(class_logits, labels)


def interpolate(real_images: torch.Tensor, fake_images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Random points on the segments between paired real and fake images, for the gradient penalty.

    One mixing weight per image, broadcast over its pixels: a weight per pixel (a known bug of a
    popular implementation) gives points off the segment, where the penalty means nothing.
    """
    shape = (len(real_images),) + (1,) * (real_images.dim() - 1)  # (N, 1, 1, 1)
    weight = torch.rand(shape, generator=rng, device=real_images.device, dtype=real_images.dtype)
    return torch.lerp(fake_images, real_images, weight)


def gradient_penalty(scores: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """mean (||grad_x D(x)|| - 1)^2 over images (Gulrajani et al. 2017).

    ``points`` (requires_grad) are where the critic gave ``scores`` (N,); stacked critics' scores
    (K, N) at points (K, N, ...) give each critic's penalty (K,).
    """
    (gradients,) = torch.autograd.grad(scores.sum(), points, create_graph=True)  # (N, 1, 28, 28)
    return (gradients.flatten(scores.dim()).norm(dim=-1) - 1).pow(2).mean(dim=-1)


class GanLoss(NamedTuple):
    d_loss: Callable[..., torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]
    probabilities: bool = True  # the log shows D's outputs through a sigmoid; False: a critic's raw scores

    def score(self, outputs: torch.Tensor) -> torch.Tensor:
        """What the log shows as D(x), D(G(z)): a probability, or a critic's raw score."""
        return torch.sigmoid(outputs) if self.probabilities else outputs


LOSSES = {
    "nonsaturating": GanLoss(bce_d_loss, nonsaturating_g_loss),
    "saturating": GanLoss(bce_d_loss, saturating_g_loss),
    "hinge": GanLoss(hinge_d_loss, critic_g_loss),
    # A critic's score is not a probability: the log shows raw mean scores, and D-wins does not apply.
    "wasserstein": GanLoss(wasserstein_d_loss, critic_g_loss, probabilities=False),
}

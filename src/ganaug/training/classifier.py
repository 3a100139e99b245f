"""Train and apply LeNet-5 on in-memory tensors.

Data stay as one tensor on the device and batches are drawn by index, which is several
times faster on CPU than a per-sample DataLoader for 28x28 digits.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ganaug.models import LeNet5
from ganaug.params import ClassifierParams


def train_lenet(
    images: torch.Tensor,
    labels: torch.Tensor,
    steps: int,
    recipe: ClassifierParams,
    seed: int,
) -> LeNet5:
    """Train a fresh LeNet-5 for exactly ``steps`` Adam steps on a one-cycle schedule.

    ``images`` (N, 1, 28, 28) in [-1, 1] and ``labels`` (N,) live on the training device.
    The seed fixes both the initial weights and the batch order.
    """
    torch.manual_seed(seed)
    model = LeNet5().to(images.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=steps)
    batches = torch.Generator(device=images.device).manual_seed(seed)
    model.train()
    for _ in range(steps):
        index = torch.randint(len(images), (recipe.batch_size,), generator=batches, device=images.device)
        loss = F.cross_entropy(model(images[index]), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


@torch.no_grad()
def predict_proba(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Class probabilities (N, classes) for images (N, 1, 28, 28) in [-1, 1]."""
    model.eval()
    return torch.cat([model(chunk).softmax(dim=1) for chunk in images.split(batch_size)])


def accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    return (predict_proba(model, images).argmax(dim=1) == labels).float().mean().item()

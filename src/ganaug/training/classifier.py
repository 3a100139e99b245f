"""Train and apply LeNet-5 on in-memory tensors.

Data stay as one tensor on the device and batches are drawn by index, which is several
times faster on CPU than a per-sample DataLoader for small images.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ganaug.training.augment import draw_warps, generator_for, warp
from ganaug.models import LeNet5
from ganaug.params.project import AugmentParams, ClassifierParams


def lenet_steps(recipe: ClassifierParams, n_real: int) -> int:
    """Optimizer steps of a LeNet-5 trained from scratch on ``n_real`` real images (and any fakes):
    ``epochs`` of the real images, clipped to [min_steps, max_steps]. The same at every ratio, so a
    difference between ratios comes from the data."""
    steps = math.ceil(recipe.epochs * n_real / recipe.batch_size)
    return min(max(steps, recipe.min_steps), recipe.max_steps)


def finetune_steps(recipe: ClassifierParams, n_real: int) -> int:
    """Steps of fine-tuning a trained LeNet-5 at a level of ``n_real`` images: a share of its scratch steps."""
    return max(1, round(recipe.finetune_share * lenet_steps(recipe, n_real)))


def draw_batches(n: int, steps: int, batch_size: int, seed: int, device: torch.device) -> torch.Tensor:
    """Indices (steps, batch_size) into n training images, drawn up front from ``seed``.

    One draw for the whole run instead of one per step: on a GPU, a kernel launch per step
    and model would cost more than the step itself.
    """
    generator = torch.Generator(device=device).manual_seed(seed)
    return torch.randint(n, (steps, batch_size), generator=generator, device=device)


def adam(parameters, recipe: ClassifierParams, device: torch.device) -> torch.optim.Adam:
    """Adam as both training paths use it; fused into one kernel per step on a GPU."""
    return torch.optim.Adam(parameters, lr=recipe.lr, weight_decay=recipe.weight_decay, fused=device.type == "cuda")


def train_lenet(
    images: torch.Tensor,
    labels: torch.Tensor,
    steps: int,
    recipe: ClassifierParams,
    seed: int,
    augment: AugmentParams | None = None,
    init: LeNet5 | None = None,
    n_classes: int = 10,
) -> LeNet5:
    """Train a LeNet-5 for exactly ``steps`` Adam steps on a one-cycle schedule: the one-model loop.

    The pipeline trains its classifiers with ``batched.train_lenets``, which gives the same
    models; this loop is the reference it is tested and benchmarked against.

    ``images`` (N, C, H, W) in [-1, 1] and ``labels`` (N,) live on the training device.
    The seed fixes the initial weights (unless ``init`` gives a model to continue, which is
    changed in place), the batch order and the augmentation's warps (when ``augment`` is given).
    """
    torch.manual_seed(seed)
    model = (LeNet5(n_classes, images.shape[1], images.shape[3]) if init is None else init).to(images.device)
    optimizer = adam(model.parameters(), recipe, images.device)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=steps)
    batches = draw_batches(len(images), steps, recipe.batch_size, seed, images.device)
    warps = generator_for(seed, images.device) if augment is not None else None
    model.train()
    for index in batches:
        batch = images[index] if augment is None else warp(images[index], draw_warps(len(index), augment, warps))
        loss = F.cross_entropy(model(batch), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


@torch.no_grad()
def predict_proba(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Class probabilities (N, classes) for images (N, C, H, W) in [-1, 1]."""
    model.eval()
    return torch.cat([model(chunk).softmax(dim=1) for chunk in images.split(batch_size)])


def accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    return (predict_proba(model, images).argmax(dim=1) == labels).float().mean().item()

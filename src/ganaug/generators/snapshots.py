"""Which of a GAN's periodic snapshots to keep: a criterion from the level's own real images only.

Every ``snapshot_every`` steps the generator (its moving average, with EMA) makes the same
``snapshot_samples`` class-balanced fakes from a fixed noise, and :class:`Criterion` scores them
against the level's real training images:

- ``fid``: Frechet distance in the feature space of the level's judge (a LeNet-5 trained on
  the same real images, so nothing outside the level is seen). Lower is better: the selection key.
- ``tarr_judge``: share of the fakes the judge labels as their conditioning class.
- ``near_copies``: share of fakes nearer, in pixels, to some training image than the
  ``copy_quantile`` quantile of the training images' nearest-neighbour distances to each other.
  A generator that makes new digits scores about ``copy_quantile``; one that memorises the
  training set scores far more. FID measured on the training images would reward copying them
  (most of all at 500 images), so a snapshot above ``max_copy_share`` is never kept.

Neither the test set nor the reference LeNet is read here (``tests/test_snapshots.py``).
"""
from __future__ import annotations

import logging

import torch
from torch import nn

from ganaug.data.mnist import per_class_counts
from ganaug.metrics.quality import fid, tarr
from ganaug.training.classifier import predict_proba
from ganaug.generators.gan_models import sample

logger = logging.getLogger(__name__)

QUERIES = 2000  # training images whose neighbour distances set the near-copy threshold
REAL_FEATURES = 10000  # at most this many training images for the FID's real side


def nearest_distances(queries: torch.Tensor, images: torch.Tensor, exclude_self: bool = False,
                      chunk: int = 8192) -> torch.Tensor:
    """(Q,) pixel distance from each query (Q, D) to its nearest image (N, D); with ``exclude_self``,
    query i is image i and is not its own neighbour."""
    best = torch.full((len(queries),), float("inf"), device=queries.device)
    for start in range(0, len(images), chunk):
        distance = torch.cdist(queries, images[start:start + chunk])  # (Q, chunk)
        if exclude_self:
            rows = torch.arange(len(queries), device=queries.device)
            inside = (rows >= start) & (rows < start + distance.shape[1])
            distance[rows[inside], rows[inside] - start] = float("inf")
        best = torch.minimum(best, distance.min(dim=1).values)
    return best


def copy_distance(real_pixels: torch.Tensor, order: torch.Tensor, copy_quantile: float) -> float:
    """The near-copy threshold: the ``copy_quantile`` quantile of the nearest-neighbour distances of the first
    ``QUERIES`` training images of ``order`` (a permutation) to the others, in pixels (N, D)."""
    queries = order[:QUERIES]
    # Query i must be row i of the searched set for exclude_self: search the queries first, then the rest.
    searched = torch.cat([real_pixels[queries], real_pixels[order[QUERIES:]]])
    spread = nearest_distances(searched[:len(queries)], searched, exclude_self=True)
    return torch.quantile(spread, copy_quantile).item()


class Criterion:
    """Scores a generator on one level's real images with its judge; see the module docstring."""

    def __init__(self, judge: nn.Module, real_images: torch.Tensor, real_labels: torch.Tensor, samples: int,
                 copy_quantile: float, seed: int):
        self.judge = judge.eval()
        self.seed = seed
        n_classes = judge.classifier.out_features
        self.labels = torch.cat([torch.full((k,), c, dtype=torch.long) for c, k in
                                 enumerate(per_class_counts(samples, n_classes))]).to(real_labels.device)
        order = torch.randperm(len(real_labels), generator=torch.Generator().manual_seed(seed)).to(real_labels.device)
        self.real_features = self._features(real_images[order[:REAL_FEATURES]])
        self.real_pixels = real_images.flatten(1).float()  # (N, 784)
        self.copy_distance = copy_distance(self.real_pixels, order, copy_quantile)

    @torch.no_grad()
    def _features(self, images: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.judge.features(chunk) for chunk in images.split(4096)])

    @torch.no_grad()
    def __call__(self, generator: nn.Module) -> dict[str, float]:
        was_training = generator.training
        rng = torch.Generator(device=self.labels.device).manual_seed(self.seed)  # the same fakes' noise every time
        fakes = sample(generator, self.labels, rng)  # eval mode: BatchNorm's running statistics
        generator.train(was_training)
        distances = nearest_distances(fakes.flatten(1).float(), self.real_pixels)
        return {
            "fid": round(fid(self.real_features, self._features(fakes)), 4),
            "tarr_judge": round(tarr(predict_proba(self.judge, fakes), self.labels), 4),
            "near_copies": round((distances < self.copy_distance).float().mean().item(), 4),
        }


def rank(score: dict[str, float], max_copy_share: float) -> tuple[int, float]:
    """Sort key, lower is better: any snapshot within ``max_copy_share`` near-copies, by FID, beats
    every other; among those (none qualifies), the one that copies least."""
    if score["near_copies"] <= max_copy_share:
        return 0, score["fid"]
    return 1, score["near_copies"]


class Selection:
    """The snapshots scored so far and the best one's weights; saved in the training checkpoint."""

    def __init__(self, max_copy_share: float, patience: int | None, state: dict | None = None):
        self.max_copy_share, self.patience = max_copy_share, patience
        state = state or {"curve": [], "best_step": None, "best_weights": None, "stale": 0}
        self.curve, self.best_step = state["curve"], state["best_step"]
        self.best_weights, self.stale = state["best_weights"], state["stale"]

    def state(self) -> dict:
        return {"curve": self.curve, "best_step": self.best_step, "best_weights": self.best_weights, "stale": self.stale}

    def chosen(self) -> dict | None:
        """The kept snapshot's row of the curve (None before the first snapshot)."""
        return next((row for row in self.curve if row["step"] == self.best_step), None)

    def offer(self, step: int, model: nn.Module, score: dict[str, float]) -> None:
        best = self.chosen()
        self.curve.append({"step": step, **score})
        if best is None or rank(score, self.max_copy_share) < rank(best, self.max_copy_share):
            self.best_step, self.stale = step, 0
            self.best_weights = {name: value.detach().clone() for name, value in model.state_dict().items()}
        else:
            self.stale += 1

    def exhausted(self) -> bool:
        """Whether to stop: ``patience`` snapshots in a row without a better one. From the first snapshot on:
        ``min_steps`` sets the budget only, for a GAN on 100 images is best by step 1500-2500 and then
        memorises its images (reports/levels/100/generator_curves)."""
        return self.patience is not None and self.stale >= self.patience

    def stopped(self) -> bool:
        """Whether training stopped early at the last snapshot (what a resumed run needs to know)."""
        return bool(self.curve) and self.exhausted()

    def keep_best(self, model: nn.Module) -> nn.Module:
        """``model`` with the kept snapshot's weights; a warning when none was within the copy limit."""
        if self.best_weights is not None:
            model.load_state_dict(self.best_weights)
            chosen = self.chosen()
            if chosen["near_copies"] > self.max_copy_share:
                logger.warning("no snapshot had at most %g near-copies of training images; kept the one with fewest "
                               "(%g, step %d)", self.max_copy_share, chosen["near_copies"], self.best_step)
        return model

"""Serving fakes: class balance, the judge filter and honest shortfalls."""
import numpy as np
import torch

from ganaug.datasets import Labelled, compose_training_set
from ganaug.params import parse_params
from ganaug.stages.generate import class_summary, generate_class
from ganaug.stages.retrain import grid_cells


def make_fakes(per_class: int, accepted_every: int):
    labels = np.repeat(np.arange(10, dtype=np.uint8), per_class)
    images = np.zeros((len(labels), 28, 28), np.uint8)
    images[:, 0, 0] = np.arange(len(labels)) % 256  # tag, to tell fakes apart
    scores = np.where(np.arange(len(labels)) % accepted_every == 0, 0.99, 0.1).astype(np.float32)
    return {"images": images, "labels": labels, "scores": scores, "accepted": scores >= 0.9}


def real(n: int) -> Labelled:
    return Labelled(torch.zeros(n, 1, 28, 28), torch.arange(n) % 10)


def test_fakes_are_class_balanced_and_counted():
    served = compose_training_set(real(100), make_fakes(20, 1), ratio=0.5, use_filter=False)
    assert served.n_fake == 50 and served.shortfall == 0
    fake_labels = served.data.labels[100:]
    assert torch.bincount(fake_labels, minlength=10).tolist() == [5] * 10


def test_filter_serves_only_accepted_fakes():
    fakes = make_fakes(20, 2)
    served = compose_training_set(real(100), fakes, ratio=0.5, use_filter=True)
    assert served.n_fake == 50
    tags = served.data.images[100:, 0, 0, 0].add(1).mul(127.5).round().long().numpy()
    assert fakes["accepted"][tags].all()


def test_shortfall_is_reported_not_hidden():
    served = compose_training_set(real(100), make_fakes(20, 4), ratio=1.0, use_filter=True)
    assert served.n_fake == 50 and served.shortfall == 50  # 5 of 20 accepted per class, 10 wanted


def test_ratio_zero_is_real_only():
    served = compose_training_set(real(100), make_fakes(5, 1), ratio=0.0, use_filter=True)
    assert served.n_fake == 0 and len(served.data.labels) == 100


class _ConstantJudge(torch.nn.Module):
    """Gives probability ``p`` to class 3 and spreads the rest."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, images):
        probs = torch.full((len(images), 10), (1 - self.p) / 9)
        probs[:, 3] = self.p
        return probs.log()  # softmax of log-probs gives the probs back


class _Generator(torch.nn.Module):
    latent_dim = 2

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, noise, labels):
        return torch.zeros(len(labels), 1, 28, 28)


def test_generate_class_stops_at_needed_or_at_attempt_limit():
    params = parse_params({"generate": {"max_attempts": 3, "batch_size": 7}, "filter": {"threshold": 0.5}})
    rng = torch.Generator().manual_seed(0)
    images, probs = generate_class(_Generator(), _ConstantJudge(0.9), 3, needed=10, params=params, rng=rng)
    assert len(images) == 14  # two batches of 7 reach 10 accepted
    images, probs = generate_class(_Generator(), _ConstantJudge(0.3), 3, needed=10, params=params, rng=rng)
    assert len(images) == 30  # nothing accepted: stop at 3 x 10
    summary = class_summary(3, 10, probs, threshold=0.5)
    assert summary["shortfall"] == 10 and summary["accepted"] == 0 and summary["tarr"] == 1.0


def test_grid_trains_ratio_zero_once_per_seed():
    params = parse_params({"grid": {"ratios": [0, 0.5], "filters": [False, True]}})
    assert grid_cells(params) == [(0.0, None), (0.5, False), (0.5, True)]

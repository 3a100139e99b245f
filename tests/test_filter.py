"""Serving fakes: class balance, the judge filter and honest shortfalls."""
import numpy as np
import torch

from ganaug.data.description import MNIST_SHAPE
from ganaug.data.tensors import Labelled, choose_fakes, serve
from ganaug.params.project import parse_params
from ganaug.fakes.judged import class_summary, generate_class
from ganaug.stages.generate import gan_sampler
from ganaug.training.cells import Cell, variant_cells


def make_fakes(per_class: int, accepted_every: int, gans: int = 1):
    """``gans`` GANs' fakes, one after the other as generate writes them."""
    labels = np.tile(np.repeat(np.arange(10, dtype=np.uint8), per_class), gans)
    images = np.zeros((len(labels), 28, 28), np.uint8)
    images[:, 0, 0] = np.arange(len(labels)) % 256  # tag, to tell fakes apart
    scores = np.where(np.arange(len(labels)) % accepted_every == 0, 0.99, 0.1).astype(np.float32)
    gan_seeds = np.repeat(np.arange(gans, dtype=np.uint8), 10 * per_class)
    return {"images": images, "labels": labels, "scores": scores, "accepted": scores >= 0.9, "gan_seeds": gan_seeds}


def real(n: int) -> Labelled:
    return Labelled(torch.zeros(n, 1, 28, 28), torch.arange(n) % 10)


def serve_one(n_real: int, fakes, ratio: float, use_filter: bool):
    """The training set of one (ratio, filter) request: its images, labels and bookkeeping."""
    pool, (served,) = serve(real(n_real), {"gan": fakes}, [("gan", ratio, use_filter, 0)], 10)
    return pool.images[served.rows], pool.labels[served.rows], served


def test_lenet_seed_s_trains_on_the_fakes_of_gan_s_mod_k():
    fakes = make_fakes(20, 1, gans=3)
    fakes["images"][:, 0, 1] = 100 * fakes["gan_seeds"]  # tells the GANs apart
    pool, served = serve(real(100), {"gan": fakes}, [("gan", 0.5, False, seed) for seed in range(5)], 10)
    for seed, one in enumerate(served):
        gan = pool.images[one.rows[100:], 0, 0, 1].add(1).mul(127.5).round().long()
        assert one.n_fake == 50 and set(gan.tolist()) == {100 * (seed % 3)}
        assert np.bincount(pool.labels[one.rows[100:]].numpy(), minlength=10).tolist() == [5] * 10


def test_fakes_are_class_balanced_and_counted():
    _, labels, served = serve_one(100, make_fakes(20, 1), ratio=0.5, use_filter=False)
    assert served.n_fake == 50 and served.shortfall == 0
    assert torch.bincount(labels[100:], minlength=10).tolist() == [5] * 10


def test_filter_serves_only_accepted_fakes():
    fakes = make_fakes(20, 2)
    images, _, served = serve_one(100, fakes, ratio=0.5, use_filter=True)
    assert served.n_fake == 50
    tags = images[100:, 0, 0, 0].add(1).mul(127.5).round().long().numpy()
    assert fakes["accepted"][tags].all()


def test_shortfall_is_reported_not_hidden():
    _, _, served = serve_one(100, make_fakes(20, 4), ratio=1.0, use_filter=True)
    assert served.n_fake == 50 and served.shortfall == 50  # 5 of 20 accepted per class, 10 wanted


def test_ratio_zero_is_real_only():
    _, labels, served = serve_one(100, make_fakes(5, 1), ratio=0.0, use_filter=True)
    assert served.n_fake == 0 and len(labels) == 100


def test_a_pool_serves_each_request_its_own_fakes_once():
    sources = {"gan": make_fakes(20, 2), "pca": make_fakes(30, 3)}
    sources["pca"]["images"][:, 0, 1] = 1  # tells the sources apart
    requests = [("gan", 0.0, False, 0), ("gan", 0.5, False, 0), ("gan", 1.0, False, 0), ("pca", 0.5, False, 0),
                ("gan", 0.5, True, 0), ("pca", 1.0, True, 0)]
    pool, served = serve(real(100), sources, requests, 10)
    used = {s: np.unique(np.concatenate([choose_fakes(sources[s], 100, r, f, 0, 10)[0] for src, r, f, _ in requests if src == s and r]))
            for s in sources}
    assert len(pool.labels) == 100 + sum(len(u) for u in used.values())
    for (source, ratio, use_filter, _), one in zip(requests, served):
        index, _ = choose_fakes(sources[source], 100, ratio, use_filter, 0, 10) if ratio else (np.zeros(0, int), 0)
        fake = pool.images[one.rows[100:], 0, 0]
        tags = fake[:, 0].add(1).mul(127.5).round().long().numpy()
        assert (tags == index % 256).all() and (one.rows[:100] == torch.arange(100)).all()
        assert (fake[:, 1] > -1).tolist() == [source == "pca"] * len(index)


class _ConstantJudge(torch.nn.Module):
    """Gives probability ``p`` to class 3 and spreads the rest."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # tells generate_class the device

    def forward(self, images):
        probs = torch.full((len(images), 10), (1 - self.p) / 9)
        probs[:, 3] = self.p
        return probs.log()  # softmax of log-probs gives the probs back


class _Generator(torch.nn.Module):
    latent_dim, latent, output = 2, "gaussian", "tanh"  # what sampling reads

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, noise, labels):
        return torch.zeros(len(labels), 1, 28, 28)


def test_generate_class_stops_at_needed_or_at_attempt_limit():
    params = parse_params({"generate": {"max_attempts": 3, "batch_size": 7}, "filter": {"threshold": 0.5}})
    rng = torch.Generator().manual_seed(0)
    sampler = gan_sampler(_Generator(), rng)
    images, probs = generate_class(sampler, _ConstantJudge(0.9), 3, needed=10, params=params, shape=MNIST_SHAPE)
    assert len(images) == 14  # two batches of 7 reach 10 accepted
    images, probs = generate_class(sampler, _ConstantJudge(0.3), 3, needed=10, params=params, shape=MNIST_SHAPE)
    assert len(images) == 30  # nothing accepted: stop at 3 x 10
    summary = class_summary(3, 10, probs, threshold=0.5)
    assert summary["shortfall"] == 10 and summary["accepted"] == 0 and summary["tarr"] == 1.0


def test_grid_trains_real_only_and_each_variant_at_its_ratios():
    params = parse_params({"variants": {
        "classical": {"fakes": "none", "augment": True},
        "gan": {"fakes": "gan", "ratios": [0.5, 1]},
        "leaky": {"fakes": "leaky", "ratios": [1], "enabled": False},
    }, "grid": {"headline": "gan"}})
    cells = variant_cells(params.enabled_variants(), (0, 1))
    assert [(c.variant, c.ratio) for c in cells[::2]] == [("real_only", 0.0), ("classical", 0.0), ("gan", 0.5), ("gan", 1.0)]
    assert cells[:2] == [Cell("real_only", 0.0, 0), Cell("real_only", 0.0, 1)]

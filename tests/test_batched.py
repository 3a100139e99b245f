"""The batched path trains the same LeNet-5s as the one-model loop, up to floating-point rounding."""
import copy
import dataclasses

import pytest
import torch

from ganaug.data.description import MNIST_SHAPE
from ganaug.data.tensors import to_labelled
from ganaug.models import LeNet5
from ganaug.params.project import parse_params
from ganaug.training import batched
from ganaug.training.batched import batched_forward, stacked_lenets, train_lenet_on, train_lenets, unstack
from ganaug.training.classifier import accuracy, train_lenet

from .conftest import synthetic_digits

RECIPE = parse_params({}).classifier


@pytest.fixture
def pool():
    return to_labelled(*synthetic_digits(300, seed=0), torch.device("cpu"))


def test_batched_forward_is_each_model_on_its_own_images():
    weights = stacked_lenets([0, 1, 2], torch.device("cpu"), MNIST_SHAPE._asdict())
    images = torch.randn(5, 3, 28, 28)  # (B, K, 28, 28)
    logits = batched_forward(weights, images)
    for k in range(3):
        torch.manual_seed(k)
        model = LeNet5()  # seed k builds the same initial weights as the stack's model k
        expected = model(images[:, k : k + 1])
        torch.testing.assert_close(logits[k], expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(unstack(weights, k, MNIST_SHAPE._asdict())(images[:, k : k + 1]), expected, atol=1e-5, rtol=1e-5)


@pytest.fixture
def threads(monkeypatch):
    """Pretend the machine has a given number of threads; restore the real count afterwards."""
    real = torch.get_num_threads()

    def pin(n: int) -> None:
        monkeypatch.setattr(torch, "get_num_threads", lambda: n)

    yield pin
    torch.set_num_threads(real)


@pytest.mark.parametrize(("n_threads", "group", "weight_decay", "variants"), [
    (1, 11, 0.0, False),  # one group of three models, trained in turn on one thread
    (2, 11, 0.0, False),  # two groups (2 + 1 models) side by side, one thread each
    (2, 2, 0.5, False),  # weight decay: the loss must be each model's own mean, not scaled by K
    (1, 11, 0.0, True),  # augmentation of models 0 and 2 only, model 1 fine-tunes a trained model
    (2, 2, 0.0, True),  # ... with the warped models in different groups
])
def test_batched_training_matches_the_one_model_loop(pool, monkeypatch, threads, n_threads, group, weight_decay, variants):
    threads(n_threads)
    monkeypatch.setattr(batched, "CPU_GROUP", group)
    recipe = dataclasses.replace(RECIPE, weight_decay=weight_decay)
    rows = [torch.arange(300), torch.arange(100, 250), torch.arange(0, 300, 2)]
    seeds = [0, 5, 5]  # equal seeds on different rows must still give different models
    strength, trained = parse_params({}).augment, train_lenet(pool.images, pool.labels, 5, recipe, seed=9)
    augment = [strength, None, strength] if variants else [None] * 3
    init = [None, trained, None] if variants else [None] * 3
    before = copy.deepcopy(trained.state_dict())
    models = train_lenets(pool, rows, seeds, steps=25, recipe=recipe, n_classes=10, augment=augment, init=init)
    # The initial model is not trained on in place (compared with its copy: training it again here would round
    # differently when the pretended thread count above is not the real one, as under pytest's one-thread workers).
    assert all(torch.equal(trained.state_dict()[name], weight) for name, weight in before.items())
    for model, r, seed, warps, start in zip(models, rows, seeds, augment, init):
        start = copy.deepcopy(start)  # the one-model loop continues its init in place
        expected = train_lenet(pool.images[r], pool.labels[r], 25, recipe, seed, augment=warps, init=start)
        for name, weight in expected.state_dict().items():
            torch.testing.assert_close(model.state_dict()[name], weight, atol=2e-4, rtol=1e-3, msg=name)
    assert not torch.equal(models[1].classifier.weight, models[2].classifier.weight)


def test_batched_training_learns(pool):
    model = train_lenet_on(pool, steps=150, recipe=RECIPE, seed=0, n_classes=10)
    assert accuracy(model, *pool) > 0.9


def test_row_sets_and_seeds_must_pair_up(pool):
    with pytest.raises(ValueError, match="2 row sets for 1 seeds"):
        train_lenets(pool, [torch.arange(3), torch.arange(3)], [0], steps=1, recipe=RECIPE, n_classes=10)


@pytest.mark.parametrize(("n_models", "threads", "sizes"), [
    (33, 2, [9, 8, 8, 8]),  # the retrain grid on 2 cores: two groups at a time, one per core
    (6, 2, [3, 3]),  # the experiment: both halves at once
    (1, 2, [1]),  # the judge: one group, which then uses both threads
    (33, 1, [11, 11, 11]),  # one thread (a queue worker with OMP_NUM_THREADS=1): groups in turn
])
def test_cpu_groups_fill_the_threads_without_passing_the_group_size(n_models, threads, sizes):
    groups = batched.cpu_groups(n_models, threads)
    assert [len(g) for g in groups] == sizes
    assert sorted(i for g in groups for i in g) == list(range(n_models))

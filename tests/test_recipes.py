"""Recipes for fakes: each does what it says (batch share, soft targets, loss weight, two stages)."""
import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganaug.data.tensors import to_labelled
from ganaug.params.project import ParamsError, VariantParams, parse_params
from ganaug.stages.report import baseline, counterparts, soft_only
from ganaug.training import cells as cells_module
from ganaug.training.batched import train_lenets
from ganaug.training.cells import Cell, train_cells
from ganaug.training.classifier import finetune_steps
from ganaug.training.recipes import FakeTerms, draw_shared, fake_aware_loss

from .conftest import synthetic_digits

RECIPE = dataclasses.replace(parse_params({}).classifier, batch_size=16, min_steps=20, max_steps=20)


def test_a_fake_share_is_exact_in_every_batch():
    rows = torch.cat([torch.arange(40), torch.arange(100, 160)])  # 40 real rows, then 60 fakes
    batches = draw_shared(rows, FakeTerms(60, share=0.3), steps=50, batch_size=20, seed=3)
    assert batches.shape == (50, 20)
    assert ((batches >= 100).sum(dim=1) == 6).all()  # round(0.3 * 20) fakes, every batch
    assert set(batches[batches < 100].tolist()) <= set(range(40)) and len(set(batches[batches >= 100].tolist())) > 30
    assert torch.equal(batches, draw_shared(rows, FakeTerms(60, share=0.3), 50, 20, seed=3))  # seeded


def test_a_share_without_fakes_is_an_error_not_a_silent_pool():
    with pytest.raises(ValueError, match="needs real images and fakes"):
        draw_shared(torch.arange(40), FakeTerms(0, share=0.3), 5, 20, seed=0)


def _loss(logits, labels, is_fake, weight=1.0, smoothing=0.0, real_smoothing=0.0):
    return fake_aware_loss(logits, labels, is_fake, torch.tensor([[weight]]), torch.tensor([[smoothing]]),
                           torch.tensor([[real_smoothing]]))


def test_soft_targets_and_weights_reach_the_loss_for_fakes_only():
    torch.manual_seed(0)
    logits, labels = torch.randn(1, 6, 10), torch.randint(10, (1, 6))
    is_fake = torch.tensor([[False, False, False, True, True, True]])
    plain = F.cross_entropy(logits[0], labels[0])
    torch.testing.assert_close(_loss(logits, labels, is_fake), plain)  # weight 1, no smoothing: the plain loss
    per_image = F.cross_entropy(logits[0], labels[0], reduction="none")
    smoothed = F.cross_entropy(logits[0], labels[0], reduction="none", label_smoothing=0.3)
    expected = torch.cat([per_image[:3], smoothed[3:]]).mean()  # torch's own label smoothing, on the fakes only
    torch.testing.assert_close(_loss(logits, labels, is_fake, smoothing=0.3), expected)
    weights = torch.tensor([1, 1, 1, 0.25, 0.25, 0.25])
    torch.testing.assert_close(_loss(logits, labels, is_fake, weight=0.25), (weights * per_image).sum() / weights.sum())


def test_real_smoothing_reaches_the_real_images_and_fake_smoothing_the_fakes():
    torch.manual_seed(2)
    logits, labels = torch.randn(1, 6, 10), torch.randint(10, (1, 6))
    is_fake = torch.tensor([[False, False, False, True, True, True]])
    soft = {s: F.cross_entropy(logits[0], labels[0], reduction="none", label_smoothing=s) for s in (0.0, 0.1, 0.3)}
    torch.testing.assert_close(_loss(logits, labels, is_fake, smoothing=0.3, real_smoothing=0.1),
                               torch.cat([soft[0.1][:3], soft[0.3][3:]]).mean())
    every = _loss(logits, labels, torch.zeros_like(is_fake), real_smoothing=0.3)  # no fakes: every image smoothed
    torch.testing.assert_close(every, F.cross_entropy(logits[0], labels[0], label_smoothing=0.3))


def test_the_loss_is_each_models_own_summed_over_models():
    torch.manual_seed(1)
    logits, labels = torch.randn(2, 4, 10), torch.randint(10, (2, 4))
    is_fake = torch.tensor([[False, True, False, True], [True, True, False, False]])
    both = fake_aware_loss(logits, labels, is_fake, torch.tensor([[0.5], [1.0]]), torch.tensor([[0.0], [0.2]]),
                           torch.zeros(2, 1))
    one = [_loss(logits[k:k + 1], labels[k:k + 1], is_fake[k:k + 1], w, s) for k, (w, s) in enumerate([(0.5, 0), (1, 0.2)])]
    torch.testing.assert_close(both, one[0] + one[1])


@pytest.fixture
def pool():
    return to_labelled(*synthetic_digits(200, seed=0), torch.device("cpu"))


def test_neutral_terms_train_the_same_model_as_none(pool):
    rows = [torch.arange(200)]
    plain = train_lenets(pool, rows, [0], 15, RECIPE, 10, "plain")[0]
    neutral = train_lenets(pool, rows, [0], 15, RECIPE, 10, "neutral", terms=[FakeTerms(80)])[0]
    for a, b in zip(plain.parameters(), neutral.parameters()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    weighted = train_lenets(pool, rows, [0], 15, RECIPE, 10, "weighted", terms=[FakeTerms(80, weight=0.25)])[0]
    assert not torch.allclose(next(plain.parameters()), next(weighted.parameters()))  # the weight reaches training


def test_smoothed_real_targets_reach_training(pool):
    rows = [torch.arange(200)]
    plain = train_lenets(pool, rows, [0], 15, RECIPE, 10, "plain")[0]
    real = train_lenets(pool, rows, [0], 15, RECIPE, 10, "real", terms=[FakeTerms(0, real_smoothing=0.3)])[0]
    every_fake = train_lenets(pool, rows, [0], 15, RECIPE, 10, "fake", terms=[FakeTerms(200, smoothing=0.3)])[0]
    for a, b in zip(real.parameters(), every_fake.parameters()):  # every row smoothed by 0.3, either way
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(next(plain.parameters()), next(real.parameters()), atol=1e-4)


def test_two_stage_cells_pretrain_on_fakes_then_fine_tune_on_real_images_only(monkeypatch):
    images, labels = synthetic_digits(160, seed=1)
    real, test = to_labelled(images[:100], labels[:100], torch.device("cpu")), to_labelled(images[100:], labels[100:], torch.device("cpu"))
    fakes = {"images": images[:60], "labels": labels[:60], "scores": np.ones(60, np.float32),
             "accepted": np.ones(60, bool), "gan_seeds": np.zeros(60, np.uint8)}
    variants = parse_params({"variants": {"two_stage": {"fakes": "gan", "init": "pretrain", "ratios": [0.5]},
                                          "finetune_real": {"fakes": "none", "init": "finetune", "filter": False}},
                             "grid": {"headline": "two_stage"}}).variants
    calls = []
    real_train = cells_module.train_lenets

    def spy(pool, rows, seeds, steps, recipe, n_classes, desc, **kwargs):
        calls.append((desc, [len(r) for r in rows], steps))
        return real_train(pool, rows, seeds, steps, recipe, n_classes, desc, **kwargs)

    monkeypatch.setattr(cells_module, "train_lenets", spy)
    cells = [Cell("real_only", 0.0, 0), Cell("two_stage", 0.5, 0), Cell("finetune_real", 0.0, 0)]
    rows = train_cells(real, test, {"gan": fakes}, variants, cells, RECIPE, parse_params({}).augment, "t", 10)
    tuning_steps = finetune_steps(RECIPE, 100)
    assert calls[0] == ("t", [100, 150], 20)  # stage one beside real only: real + 50 fakes
    assert calls[-1] == ("t two-stage", [100], tuning_steps)  # stage two: the 100 real images only
    by_variant = {r["variant"]: r for r in rows}
    assert by_variant["two_stage"]["steps"] == 20 + tuning_steps and by_variant["two_stage"]["n_fake"] == 50
    assert by_variant["finetune_real"]["steps"] == tuning_steps  # fine-tuning rows report their own steps
    assert counterparts(variants)["two_stage"] == "finetune_real"  # the same steps in all, real images only


def test_a_smoothed_variant_trains_with_soft_real_targets(monkeypatch):
    images, labels = synthetic_digits(160, seed=1)
    real = to_labelled(images[:100], labels[:100], torch.device("cpu"))
    test = to_labelled(images[100:], labels[100:], torch.device("cpu"))
    fakes = {"images": images[:60], "labels": labels[:60], "scores": np.ones(60, np.float32),
             "accepted": np.ones(60, bool), "gan_seeds": np.zeros(60, np.uint8)}
    variants = parse_params({"variants": {
        "soft": {"fakes": "none", "filter": False, "real_smoothing": 0.3},
        "soft_gan": {"fakes": "gan", "ratios": [0.5], "real_smoothing": 0.3, "fake_smoothing": 0.3}},
        "grid": {"headline": "soft_gan"}}).variants
    seen = []
    real_train = cells_module.train_lenets

    def spy(pool, rows, seeds, steps, recipe, n_classes, desc, **kwargs):
        seen.append((desc, kwargs["terms"]))
        return real_train(pool, rows, seeds, steps, recipe, n_classes, desc, **kwargs)

    monkeypatch.setattr(cells_module, "train_lenets", spy)
    cells = [Cell("real_only", 0.0, 0), Cell("soft", 0.0, 0), Cell("soft_gan", 0.5, 0)]
    rows = train_cells(real, test, {"gan": fakes}, variants, cells, RECIPE, parse_params({}).augment, "t", 10)
    assert seen == [("t", [None, FakeTerms(0, real_smoothing=0.3), FakeTerms(50, 1.0, 0.3, None, 0.3)])]
    assert [r["n_fake"] for r in rows] == [0, 0, 50]


def test_a_soft_label_variant_is_compared_with_the_same_smoothing_without_fakes():
    variants = parse_params({"variants": {  # as examples/quick.yaml
        "gan_filtered": {"fakes": "gan", "ratios": [0.5]},
        "smoothing30": {"fakes": "none", "filter": False, "real_smoothing": 0.3},
        "smooth30": {"fakes": "gan", "fake_smoothing": 0.3, "real_smoothing": 0.3, "ratios": [1]},
        "smooth10": {"fakes": "gan", "fake_smoothing": 0.1, "ratios": [1]}}}).variants
    pairs = counterparts(variants)
    assert pairs == {"gan_filtered": "real_only", "smooth30": "smoothing30", "smooth10": "real_only"}
    assert soft_only(variants, pairs) == {"smooth10"}  # softer fakes than its counterpart's real images: not credited
    alone = {k: v for k, v in variants.items() if k != "smoothing30"}
    alone_pairs = counterparts(alone)
    assert alone_pairs["smooth30"] == "real_only" and soft_only(alone, alone_pairs) == {"smooth10", "smooth30"}


def test_the_summary_names_each_baseline_by_what_it_does():
    plain, smoothed = VariantParams(fakes="none", filter=False), VariantParams(fakes="none", real_smoothing=0.3)
    assert baseline("classical", dataclasses.replace(plain, augment=True)) == "classical augmentation"
    assert baseline("smoothing30", smoothed) == "smoothing30 (label smoothing of the real images by 0.3)"
    assert baseline("both", dataclasses.replace(smoothed, augment=True)) == \
        "both (classical augmentation, label smoothing of the real images by 0.3)"


@pytest.mark.parametrize(("variant", "message"), [
    ({"fakes": "none", "real_smoothing": 1}, r"^variants\.v\.real_smoothing = 1\.0: allowed: a number in \[0, 1\)"),
    ({"fakes": "gan", "init": "pretrain", "real_smoothing": 0.1, "ratios": [1]},
     r"^variants\.v\.real_smoothing = 0\.1: allowed: 0 with init: pretrain"),
    ({"fakes": "gan", "fake_weight": 0, "ratios": [1]}, r"^variants\.v\.fake_weight = 0\.0: allowed: a number > 0"),
    ({"fakes": "gan", "fake_share": 1.0, "ratios": [1]}, r"^variants\.v\.fake_share = 1\.0: allowed: null or a share in \(0, 1\)"),
    ({"fakes": "gan", "fake_share": 0.001, "ratios": [1]}, r"^variants\.v\.fake_share = 0\.001: allowed: a share giving 1 to 63"),
    ({"fakes": "gan", "fake_smoothing": 1, "ratios": [1]}, r"^variants\.v\.fake_smoothing = 1\.0: allowed: a number in \[0, 1\)"),
    ({"fakes": "none", "init": "pretrain"}, r"^variants\.v\.init = 'pretrain': allowed: scratch or finetune when fakes is none"),
    ({"fakes": "none", "fake_weight": 0.5}, r"^variants\.v\.fakes = 'none': allowed: a fake source when fake_weight"),
])
def test_bad_recipes_are_refused_naming_the_key(variant, message):
    with pytest.raises(ParamsError, match=message):
        parse_params({"variants": {"v": variant}})


def test_soft_real_targets_with_fakes_need_label_smoothing_alone_beside_them():
    soft_gan = {"fakes": "gan", "real_smoothing": 0.3, "ratios": [1]}
    with pytest.raises(ParamsError, match=r"^variants\.soft_gan\.real_smoothing = 0\.3: allowed: 0, or an enabled "
                                          r"variant without fakes of the same augment, init and real_smoothing"):
        parse_params({"variants": {"soft_gan": soft_gan, "soft": {"fakes": "none", "real_smoothing": 0.1}},
                      "grid": {"headline": "soft_gan"}})
    parse_params({"variants": {"soft_gan": soft_gan, "soft": {"fakes": "none", "real_smoothing": 0.3}},
                  "grid": {"headline": "soft_gan"}})  # its counterpart is there

"""Stacked GANs (the stacked trainer in the one loop) train the same GANs as one GAN at a time, up to floating-point
rounding, and resume exactly."""
import logging
import math

import pytest
import torch

from ganaug.generators import losses
from ganaug.data.tensors import to_labelled
from ganaug.models import ConditionalDiscriminator, ConditionalGenerator, LeNet5
from ganaug.params.project import ParamsError, parse_params
from ganaug.generators import gan
from ganaug.generators.gan import TrainingDiverged, train_generator
from ganaug.generators.snapshots import Criterion
from ganaug.generators.gan_stack import Stacked, train_gans

from .conftest import synthetic_digits

TINY = {"steps": 40, "batch_size": 16, "g_widths": [8, 4], "d_widths": [4, 8], "latent_dim": 8, "log_every": 10,
        "checkpoint_every": 15, "snapshot_every": 10, "snapshot_samples": 50, "min_steps": 10, "patience": 2}
SEEDS = [3, 4, 5]


@pytest.fixture
def data():
    return to_labelled(*synthetic_digits(200, seed=0), torch.device("cpu"))


@pytest.fixture
def criterion(data):
    torch.manual_seed(0)
    return Criterion(LeNet5().eval(), *data, samples=50, copy_quantile=0.01, seed=0)


def test_a_stack_runs_each_module_on_its_own_inputs_and_updates_its_own_statistics():
    torch.manual_seed(0)
    generators = [ConditionalGenerator(8, (8, 4)) for _ in range(3)]
    discriminators = [ConditionalDiscriminator((4, 8), auxiliary=True) for _ in range(3)]
    noise, labels = torch.randn(3, 5, 8), torch.randint(10, (3, 5))
    g_stack, d_stack = Stacked(generators), Stacked(discriminators)
    images = g_stack(noise, labels)  # (K, B, 1, 28, 28)
    logits, classes = d_stack(images, labels)  # an AC-GAN's D: a tuple of stacked outputs
    for k, (generator, discriminator) in enumerate(zip(generators, discriminators)):
        expected = generator(noise[k], labels[k])  # training mode: BatchNorm's batch statistics, as the stack's
        torch.testing.assert_close(images[k], expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(logits[k], discriminator(expected, labels[k])[0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(classes[k], discriminator(expected, labels[k])[1], atol=1e-5, rtol=1e-5)
        for name, value in g_stack.unstacked(k, ConditionalGenerator(8, (8, 4))).state_dict().items():
            torch.testing.assert_close(value, generator.state_dict()[name], msg=name)  # running statistics too


@pytest.mark.parametrize("keys", [
    {},
    {"ema": 0.99, "diffaugment": ["translation", "cutout"], "augment_probability": 0.5},
    {"class_weight": 1.0, "noisy_labels": True, "real_label": 1.0, "dstep": 2},
    {"loss": "wasserstein", "real_label": 1.0, "gp_weight": 10.0, "d_norm": "layer", "dstep": 2},
    {"arch": "mlp", "g_widths": [16, 32], "d_widths": [32, 16], "mlp_dropout": 0.0},  # dropout would draw differently
], ids=["dcgan", "ema-diffaugment", "acgan-noisy", "wgan-gp", "mlp"])
def test_stacked_training_matches_the_one_gan_loop(keys, data, criterion, one_thread):
    params = parse_params({"train_generator": {**TINY, **keys}}).train_generator
    rows = []
    stacked = train_gans(*data, params, SEEDS, criterion=criterion, on_row=lambda k, kind, row: rows.append((k, kind)))
    for k, (seed, (generator, log, selection)) in enumerate(zip(SEEDS, stacked)):
        expected, expected_log, expected_selection = train_generator(*data, params, seed, criterion=criterion)
        assert [row["step"] for row in log] == [row["step"] for row in expected_log]  # stopped where the loop stops
        assert selection.best_step == expected_selection.best_step
        assert [row["step"] for row in selection.curve] == [row["step"] for row in expected_selection.curve]
        for row, expected_row in zip(log + selection.curve, expected_log + expected_selection.curve):
            assert row == pytest.approx(expected_row, abs=1e-4)
        for name, weight in expected.state_dict().items():
            torch.testing.assert_close(generator.state_dict()[name], weight, atol=5e-4, rtol=1e-3, msg=name)
        assert rows.count((k, "log")) == len(log) and rows.count((k, "snapshot")) == len(selection.curve)
    first, second = (g.state_dict() for g, _, _ in stacked[:2])
    assert any(not torch.equal(first[name], second[name]) for name in first)  # three seeds, three GANs


class Scripted:
    """A criterion with a FID per (step, GAN) for GANs that score in ``order``: [(step, [GANs scored])]."""

    def __init__(self, fids: dict[int, list[float]], order: list[tuple[int, list[int]]]):
        self.calls = iter((step, k) for step, ks in order for k in ks)
        self.fids = fids

    def __call__(self, generator):
        step, k = next(self.calls)  # fails the test when a GAN is scored that should have stopped
        return {"fid": self.fids[k][step // 10 - 1], "tarr_judge": 1.0, "near_copies": 0.0}


# Patience 1, a snapshot every 10 steps: GAN 0 stops at 20 (no better than 10), GAN 1 at 40 (best 30), GAN 2 never.
FIDS = {0: [1.0, 2.0, 0.5, 0.5], 1: [9.0, 8.0, 7.0, 9.0], 2: [9.0, 8.0, 7.0, 6.0]}
ORDER = [(10, [0, 1, 2]), (20, [0, 1, 2]), (30, [1, 2]), (40, [1, 2])]
STOPPING = {**TINY, "patience": 1, "min_steps": 1}


def test_gans_that_stop_at_different_steps_are_each_recorded_until_their_own_stop(data, one_thread):
    params = parse_params({"train_generator": STOPPING}).train_generator
    stacked = train_gans(*data, params, SEEDS, criterion=Scripted(FIDS, ORDER))
    assert [[row["step"] for row in selection.curve] for _, _, selection in stacked] == \
        [[10, 20], [10, 20, 30, 40], [10, 20, 30, 40]]
    assert [log[-1]["step"] for _, log, _ in stacked] == [20, 40, 40]
    assert [selection.best_step for _, _, selection in stacked] == [10, 30, 40]


@pytest.mark.parametrize(("crash_at", "resumed_order"), [
    (30, [(40, [1, 2])]),  # GAN 0 stopped at 20 (its own save), the others train on: it must stay stopped
    (20, [(30, [1, 2]), (40, [1, 2])]),  # killed at the save of GAN 0's stop
])
def test_a_stack_killed_after_a_gan_stopped_resumes_without_it(data, tmp_path, monkeypatch, one_thread, crash_at,
                                                                resumed_order):
    params = parse_params({"train_generator": STOPPING}).train_generator
    fresh = train_gans(*data, params, SEEDS, criterion=Scripted(FIDS, ORDER))
    crashed = {"done": False}
    save = gan.save_state

    def save_then_crash(path, run, state):
        save(path, run, state)
        if state["step"] == crash_at and not crashed["done"]:
            crashed["done"] = True
            raise KeyboardInterrupt

    monkeypatch.setattr(gan, "save_state", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train_gans(*data, params, SEEDS, criterion=Scripted(FIDS, ORDER), checkpoint=tmp_path / "stack.pt")
    resumed = train_gans(*data, params, SEEDS, criterion=Scripted(FIDS, resumed_order),
                         checkpoint=tmp_path / "stack.pt")
    for (generator, log, selection), (expected, expected_log, expected_selection) in zip(resumed, fresh):
        assert log == expected_log and selection.curve == expected_selection.curve
        for name, weight in expected.state_dict().items():
            assert torch.equal(generator.state_dict()[name], weight), name


def test_a_stack_killed_after_every_gan_stopped_trains_no_more(data, tmp_path, monkeypatch, one_thread):
    params = parse_params({"train_generator": STOPPING}).train_generator
    all_stop = {k: [1.0, 2.0, 3.0, 4.0] for k in range(3)}  # every GAN stops at 20
    fresh = train_gans(*data, params, SEEDS, criterion=Scripted(all_stop, ORDER[:1] + [(20, [0, 1, 2])]))
    save = gan.save_state

    def save_then_crash(path, run, state):
        save(path, run, state)
        if state["step"] == 20:
            raise KeyboardInterrupt  # after training stopped, before the outputs were written

    monkeypatch.setattr(gan, "save_state", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train_gans(*data, params, SEEDS, criterion=Scripted(all_stop, ORDER[:1] + [(20, [0, 1, 2])]),
                   checkpoint=tmp_path / "stack.pt")
    monkeypatch.setattr(gan, "save_state", save)
    resumed = train_gans(*data, params, SEEDS, criterion=Scripted(all_stop, []), checkpoint=tmp_path / "stack.pt")
    for (generator, log, _), (expected, expected_log, _) in zip(resumed, fresh):
        assert log == expected_log and log[-1]["step"] == 20
        for name, weight in expected.state_dict().items():
            assert torch.equal(generator.state_dict()[name], weight), name


def _nan_for_gan_1_from_step_23(calls):
    def g_loss(fake_logits):  # called once per GAN per step, GAN 0 first
        calls.append(0)
        value = losses.nonsaturating_g_loss(fake_logits)
        step, k = (len(calls) - 1) // 3 + 1, (len(calls) - 1) % 3
        return value * math.nan if k == 1 and step >= 23 else value
    return losses.GanLoss(losses.bce_d_loss, g_loss)


def test_a_training_gan_that_diverges_stops_the_stack_naming_its_seed(data, monkeypatch):
    monkeypatch.setitem(losses.LOSSES, "nonsaturating", _nan_for_gan_1_from_step_23([]))
    params = parse_params({"train_generator": TINY}).train_generator
    with pytest.raises(TrainingDiverged, match=r"GAN seed 4: GAN loss is not finite at step 23; last finite interval "
                                               r"\(to step 20\)"):
        train_gans(*data, params, SEEDS)


def test_a_gan_that_diverges_after_it_stopped_is_ignored(data, monkeypatch, one_thread):
    monkeypatch.setitem(losses.LOSSES, "nonsaturating", _nan_for_gan_1_from_step_23([]))
    params = parse_params({"train_generator": STOPPING}).train_generator
    stop_1 = {0: [9.0, 8.0, 7.0, 6.0], 1: [1.0, 2.0, 3.0, 4.0], 2: [9.0, 8.0, 7.0, 6.0]}  # GAN 1 stops at 20
    stacked = train_gans(*data, params, SEEDS, criterion=Scripted(stop_1, [(10, [0, 1, 2]), (20, [0, 1, 2]),
                                                                           (30, [0, 2]), (40, [0, 2])]))
    assert [log[-1]["step"] for _, log, _ in stacked] == [40, 20, 40]
    assert all(math.isfinite(row["g_loss"]) for _, log, _ in stacked for row in log)


def test_a_killed_stacked_run_resumes_to_the_same_weights_logs_and_choices(data, criterion, tmp_path, monkeypatch,
                                                                             one_thread, caplog):
    raw = {"train_generator": {**TINY, "ema": 0.9, "diffaugment": ["cutout"], "patience": 1}}
    params = parse_params(raw).train_generator
    fresh = train_gans(*data, params, SEEDS, criterion=criterion)
    save = gan.save_state

    def save_then_crash(path, run, state):
        save(path, run, state)
        if state["step"] == 15:
            raise KeyboardInterrupt  # the process dies after the checkpoint of step 15, mid-interval

    monkeypatch.setattr(gan, "save_state", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train_gans(*data, params, SEEDS, criterion=criterion, checkpoint=tmp_path / "stack.pt")
    monkeypatch.setattr(gan, "save_state", save)
    with caplog.at_level(logging.INFO):
        resumed = train_gans(*data, params, SEEDS, criterion=criterion, checkpoint=tmp_path / "stack.pt")
    assert "at step 15 of 40" in caplog.text  # resumed, not started over
    for (generator, log, selection), (expected, expected_log, expected_selection) in zip(resumed, fresh):
        assert log == expected_log and selection.curve == expected_selection.curve
        for name, weight in expected.state_dict().items():
            assert torch.equal(generator.state_dict()[name], weight), name


def test_stacking_is_refused_with_spectral_normalisation():
    with pytest.raises(ParamsError, match="stack"):
        parse_params({"train_generator": {"stack": True, "spectral_norm": True}})

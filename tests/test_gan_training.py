"""GAN training that survives: resume after SIGKILL, the NaN stop, losses by name, the D-wins warning."""
import dataclasses
import logging
import math
import signal

import pytest
import torch

from ganaug.generators import losses
from ganaug.data.tensors import to_labelled
from ganaug.params.project import LOSS_NAMES, parse_params
from ganaug.generators import gan, gan_steps
from ganaug.generators.gan import TrainingDiverged, train_generator
from ganaug.generators.health import warn_if_discriminator_wins
from ganaug.generators.state import fingerprint

from .conftest import killed_training, synthetic_digits

TINY = parse_params({"train_generator": {
    "steps": 60, "batch_size": 16, "g_widths": [8, 4], "d_widths": [4, 8], "latent_dim": 8, "log_every": 10, "checkpoint_every": 15,
}}).train_generator

# The tiny GAN of this file (two D steps per G step), killed right after the checkpoint of step 45.
CHILD = """
params = parse_params({"train_generator": {"steps": 90, "batch_size": 16, "g_widths": [8, 4], "d_widths": [4, 8],
                                           "latent_dim": 8, "dstep": 2, "log_every": 10, "checkpoint_every": 15}}).train_generator
gan.train_generator(*data, params, seed=3, checkpoint=checkpoint)
"""


@pytest.fixture
def data():
    return to_labelled(*synthetic_digits(200, seed=0), torch.device("cpu"))


def test_a_run_killed_mid_way_resumes_and_ends_with_the_uninterrupted_weights(tmp_path, data, one_thread, caplog):
    checkpoint = tmp_path / "ckpt.pt"
    assert killed_training(checkpoint, 45, CHILD) == -signal.SIGKILL
    assert torch.load(checkpoint, weights_only=True)["state_dict"]["step"] == 45

    # Resume in this process and compare with an uninterrupted run: identical weights and log,
    # bit for bit, on CPU.
    params = dataclasses.replace(TINY, steps=90, dstep=2)
    with caplog.at_level(logging.INFO, logger="ganaug.generators.state"):
        resumed, resumed_log, _ = train_generator(*data, params, seed=3, checkpoint=checkpoint)
    assert "at step 45 of 90" in caplog.text
    fresh, fresh_log, _ = train_generator(*data, params, seed=3)
    assert resumed_log == fresh_log
    for name, weight in fresh.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], weight), name


def test_a_finished_checkpoint_is_used_and_a_foreign_or_corrupt_one_is_not(tmp_path, data, one_thread, caplog):
    first, first_log, _ = train_generator(*data, TINY, seed=3, checkpoint=tmp_path / "ckpt.pt")
    with caplog.at_level(logging.INFO, logger="ganaug.generators.state"):
        # Killed after training, before the outputs were written: nothing left to train.
        again, again_log, _ = train_generator(*data, TINY, seed=3, checkpoint=tmp_path / "ckpt.pt")
        assert "at step 60 of 60" in caplog.text
        train_generator(*data, dataclasses.replace(TINY, steps=90), seed=3, checkpoint=tmp_path / "ckpt.pt")
        assert "from another run" in caplog.text
    assert again_log == first_log and all(torch.equal(first.state_dict()[k], w) for k, w in again.state_dict().items())
    (tmp_path / "ckpt.pt").write_bytes(b"not a checkpoint")
    with caplog.at_level(logging.WARNING, logger="ganaug.generators.state"):
        train_generator(*data, TINY, seed=3, checkpoint=tmp_path / "ckpt.pt")
    assert "starting over" in caplog.text and "unreadable checkpoint" in caplog.text


def test_the_fingerprint_follows_data_params_and_seed_but_not_the_checkpoint_cadence(data):
    images, labels = data
    base = fingerprint(TINY, 3, images, labels, gan)
    assert fingerprint(dataclasses.replace(TINY, checkpoint_every=7, d_wins_floor=0.2), 3, images, labels, gan) == base
    changed_image = images.clone()
    changed_image[0, 0, 0, 0] += 0.5
    assert fingerprint(TINY, 3, changed_image, labels, gan) != base
    assert fingerprint(TINY, 3, images, labels.roll(1), gan) != base
    assert fingerprint(TINY, 4, images, labels, gan) != base
    assert fingerprint(dataclasses.replace(TINY, lr_generator=1e-3), 3, images, labels, gan) != base


def test_a_non_finite_loss_stops_training_naming_the_step_and_the_last_finite_losses(data, monkeypatch):
    calls = {"n": 0}

    def breaks_at_step_23(fake_logits):
        calls["n"] += 1
        value = losses.nonsaturating_g_loss(fake_logits)
        return value * math.nan if calls["n"] >= 23 else value

    monkeypatch.setitem(losses.LOSSES, "nonsaturating", losses.GanLoss(losses.bce_d_loss, breaks_at_step_23))
    with pytest.raises(TrainingDiverged, match=r"not finite at step 23; last finite interval \(to step 20\): d_loss \d"):
        train_generator(*data, TINY, seed=3)


def test_a_diverged_state_is_never_checkpointed(tmp_path, data, monkeypatch):
    def always_nan(fake_logits):
        return losses.nonsaturating_g_loss(fake_logits) * math.nan

    monkeypatch.setitem(losses.LOSSES, "nonsaturating", losses.GanLoss(losses.bce_d_loss, always_nan))
    params = dataclasses.replace(TINY, log_every=50, checkpoint_every=5)
    with pytest.raises(TrainingDiverged, match="at step 1; no finite interval"):
        train_generator(*data, params, seed=3, checkpoint=tmp_path / "ckpt.pt")
    assert not (tmp_path / "ckpt.pt").exists()


def test_every_loss_name_trains_and_the_losses_have_their_textbook_values(data, one_thread):
    for name in LOSS_NAMES:  # every name params accept (LOSS_NAMES is made from losses.LOSSES)
        penalty = 10.0 if name == "wasserstein" else 0.0  # a critic needs the gradient penalty
        recipe = dataclasses.replace(TINY, gp_weight=penalty, loss=name, steps=20, real_label=1.0)
        _, log, _ = train_generator(*data, recipe, seed=0)
        assert all(math.isfinite(row["g_loss"]) for row in log), name
    logits = torch.tensor([2.0, -1.0])
    torch.testing.assert_close(losses.saturating_g_loss(logits), torch.log(1 - torch.sigmoid(logits)).mean())
    torch.testing.assert_close(losses.hinge_d_loss(torch.tensor([2.0]), torch.tensor([-3.0])), torch.tensor(0.0))
    torch.testing.assert_close(losses.hinge_d_loss(torch.tensor([0.0]), torch.tensor([0.0])), torch.tensor(2.0))
    torch.testing.assert_close(losses.critic_g_loss(logits), torch.tensor(-0.5))
    torch.testing.assert_close(losses.wasserstein_d_loss(torch.tensor([2.0, 4.0]), torch.tensor([-1.0])), torch.tensor(-4.0))


def test_in_bf16_the_forward_passes_round_and_the_weights_and_losses_stay_float32(data, one_thread, monkeypatch):
    seen = []
    heads = gan_steps.heads
    monkeypatch.setattr(gan_steps, "heads", lambda output: seen.append(output.dtype) or heads(output))
    for loss, penalty in (("nonsaturating", 0.0), ("wasserstein", 10.0)):  # the penalty's gradient too
        params = dataclasses.replace(TINY, loss=loss, gp_weight=penalty, real_label=1.0, steps=20)
        generator, log, _ = train_generator(*data, params, seed=0, precision=torch.bfloat16)
        assert all(math.isfinite(row["d_loss"]) and math.isfinite(row["g_loss"]) for row in log), loss
        assert {p.dtype for p in generator.state_dict().values() if p.is_floating_point()} == {torch.float32}
    assert set(seen) == {torch.bfloat16}  # D ran in bf16; heads() hands the losses float32 logits
    float32 = train_generator(*data, dataclasses.replace(TINY, steps=20), seed=0)[1]
    assert float32 != train_generator(*data, dataclasses.replace(TINY, steps=20), seed=0, precision=torch.bfloat16)[1]


def test_in_bf16_each_step_sees_the_weights_the_step_before_left(data, one_thread, monkeypatch):
    """autocast keeps a weight's bf16 copy until its region closes: D's second step (dstep 2) and G's step
    must not run on copies made before D's update. Emptying that cache as each step starts then changes nothing."""
    params = dataclasses.replace(TINY, dstep=2, steps=10)
    kept = train_generator(*data, params, seed=0, precision=torch.bfloat16)[0].state_dict()
    for name in ("discriminator_step", "generator_step"):
        step = getattr(gan, name)
        monkeypatch.setattr(gan, name, lambda *args, step=step: (torch.clear_autocast_cache(), step(*args))[1])
    emptied = train_generator(*data, params, seed=0, precision=torch.bfloat16)[0].state_dict()
    assert all(torch.equal(kept[name], emptied[name]) for name in kept)


def test_a_discriminator_that_wins_outright_is_warned_about_once(caplog):
    params = dataclasses.replace(TINY, d_wins_floor=0.05, d_wins_intervals=3)
    log = []
    with caplog.at_level(logging.WARNING, logger="ganaug.generators.health"):
        for step, d_fake in enumerate([0.3, 0.01, 0.02, 0.01, 0.01, 0.01], start=1):
            log.append({"step": step * 10, "d_fake": d_fake})
            warn_if_discriminator_wins(log, params)
    assert caplog.text.count("wins outright") == 1 and "to step 40" in caplog.text


def test_the_fingerprint_covers_every_module_the_trainer_reaches():
    # Found from the imports (ganaug.pipeline.imports), not from a list kept by hand: the models and losses included.
    from ganaug.pipeline.imports import code_of

    files = {p.name for p in code_of(gan.__name__)}
    assert {"gan.py", "gan_steps.py", "gan_models.py", "dcgan.py", "mlp.py", "losses.py", "diffaugment.py"} <= files
    assert "report.py" not in files and "io.py" not in files  # neither another stage nor plumbing

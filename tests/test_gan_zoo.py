"""The GAN zoo: every arch and trick trains from params alone, nonsense is refused before training,
the WGAN-GP penalty interpolates per image, EMA / noisy labels / sigmoid output do what they say,
and the health warnings fire on a collapsed generator."""
import dataclasses
import logging
import math

import pytest
import torch
from torch import nn

from ganaug.generators import losses
from ganaug.data.tensors import to_labelled
from ganaug.pipeline.io import load_model, save_checkpoint
from ganaug.params.project import ParamsError, parse_params
from ganaug.generators import gan
from ganaug.generators.gan import train_generator
from ganaug.generators.health import class_diversity, discriminator_wins_at, health
from ganaug.generators.gan_models import build_discriminator, build_generator, generator_config, sample
from ganaug.generators.gan_steps import (
    discriminator_step, generator_step, objective, targets, update_average, warmed_decay,
)

from .conftest import synthetic_digits

SMALL = {"steps": 12, "batch_size": 16, "latent_dim": 8, "log_every": 4, "checkpoint_every": 4}
CONV = {"g_widths": [8, 4], "d_widths": [4, 8]}
WGAN = {"loss": "wasserstein", "gp_weight": 10.0, "real_label": 1.0, "dstep": 2, "beta1": 0.0, "beta2": 0.9}
ZOO = {
    "dcgan": CONV,
    "mlp": {"arch": "mlp", "g_widths": [16, 32], "d_widths": [32, 16]},
    "acgan": {**CONV, "class_weight": 0.5},
    "wgan-gp": {**CONV, **WGAN},
    "wgan-gp-no-norm": {**CONV, **WGAN, "d_norm": "none"},
    "deeper-d": {"g_widths": [8, 4, 4], "d_widths": [4, 8, 8], "d_norm": "layer"},
    "tricks": {**CONV, "spectral_norm": True, "ema": 0.9, "latent": "uniform", "output": "sigmoid",
               "noisy_labels": True, "real_label": 1.0, "loss": "saturating", "latent_dim": 5,
               "diffaugment": ["translation", "cutout"], "augment_probability": 0.5},
    "hinge": {**CONV, "loss": "hinge", "real_label": 1.0, "dstep": 3},
}


def gan_params(**keys):
    return parse_params({"train_generator": {**SMALL, **keys}}).train_generator


@pytest.fixture
def data():
    return to_labelled(*synthetic_digits(120, seed=0), torch.device("cpu"))


@pytest.mark.parametrize("name", ZOO)
def test_every_arch_and_trick_trains_from_params_and_samples_digits_in_range(name, data, tmp_path):
    params = gan_params(**ZOO[name])
    generator, log, _ = train_generator(*data, params, seed=1)
    assert [row["step"] for row in log] == [4, 8, 12]
    assert all(math.isfinite(v) for row in log for v in row.values())
    fakes = sample(generator, torch.arange(10), torch.Generator().manual_seed(0))
    assert fakes.shape == (10, 1, 28, 28) and fakes.min() >= -1 and fakes.max() <= 1
    # The saved config alone rebuilds it: what generate does.
    save_checkpoint(tmp_path / "g.pt", generator.state_dict(), generator_config(params))
    rebuilt = load_model(build_generator, tmp_path / "g.pt", made_by="test")
    again = sample(rebuilt, torch.arange(10), torch.Generator().manual_seed(0))
    torch.testing.assert_close(again, fakes)


@pytest.mark.parametrize(("keys", "message"), [
    ({"loss": "wasserstein", "real_label": 1.0}, r"gp_weight = 0.0: allowed: a number > 0 with loss wasserstein"),
    ({**WGAN, "d_norm": "batch"}, r"d_norm = 'batch': allowed: layer or none with a gradient penalty \(it is per"),
    ({"gp_weight": 1.0, "d_norm": "batch"}, r"d_norm = 'batch': allowed: layer or none with a gradient penalty"),
    ({"loss": "hinge"}, r"loss = 'hinge': allowed: .* no target to soften"),
    ({"noisy_labels": True}, r"noisy_labels = True: allowed: false with real_label < 1"),
    ({"arch": "mlp", "d_norm": "batch"}, r"d_norm = 'batch': allowed: None or none for arch mlp"),
    ({"arch": "biggan"}, r"arch = 'biggan': allowed: one of dcgan, mlp, flow \(AC-GAN is class_weight > 0"),
    ({"arch": "acgan"}, r"arch = 'acgan': allowed: one of dcgan, mlp, flow \(AC-GAN is class_weight > 0; WGAN-GP is loss"),
    ({"arch": "mlp", "class_weight": 1.0}, r"class_weight = 1.0: allowed: 0 for arch mlp"),
    ({"g_widths": [8]}, r"g_widths = \[8\]: allowed: None or a list of at least 2 integers"),
    ({"noisy_real": [0.9, 0.7]}, r"noisy_real = \[0.9, 0.7\]: allowed: a range \[low, high\]"),
    ({"ema": 1.0}, r"ema = 1.0: allowed: a decay in \[0, 1\)"),
    ({"noisy_real": [1.0, 1.5]}, r"noisy_real = \[1.0, 1.5\]: allowed: a range whose middle is at most 1"),
    ({"noisy_fake": [1.0, 1.0]}, r"noisy_fake = \[1.0, 1.0\]: allowed: a range whose middle is below noisy_real's"),
])
def test_a_combination_that_makes_no_sense_is_refused_before_training(keys, message):
    with pytest.raises(ParamsError, match=message):
        gan_params(**keys)


def test_a_comparison_configuration_is_checked_as_train_generator_with_its_overrides():
    params = parse_params({"compare": {"configs": {"w": WGAN, "plain": {}}}})
    assert params.compare_gan("w").gp_weight == 10.0 and params.compare_gan("plain") == params.train_generator
    # Checked when the comparison uses it: a train_generator change that is fine for the pipeline does not stop
    # it because a configuration inherits it badly (noisy labels do not go with wgan-gp's loss).
    noisy = parse_params({"train_generator": {"noisy_labels": True, "real_label": 1.0},
                          "compare": {"configs": {"w": WGAN}}})
    with pytest.raises(ParamsError, match=r"compare.configs.w.loss = 'wasserstein': allowed: one of nonsaturating"):
        noisy.compare_gan("w")
    with pytest.raises(ParamsError,
                       match=r"compare.configs.x = .*: allowed: train_generator keys only \(widths unknown\)"):
        parse_params({"compare": {"configs": {"x": {"widths": [1, 2]}}}})
    with pytest.raises(ParamsError, match=r"compare.configs = .*: allowed: names of letters"):
        parse_params({"compare": {"configs": {"a/b": {}}}})


def test_the_gradient_penalty_interpolates_per_image_and_has_its_textbook_value():
    real, fake = torch.ones(6, 1, 28, 28), torch.zeros(6, 1, 28, 28)
    share = losses.interpolate(real, fake, torch.Generator().manual_seed(0))  # from fake (0) to real (1)
    assert torch.equal(share, share[:, :, :1, :1].expand_as(share))  # one mixing weight per image, at every pixel
    assert share.min() >= 0 and share.max() <= 1 and share[:, 0, 0, 0].unique().numel() == 6
    # A linear critic w.x has gradient w everywhere: penalty (||w|| - 1)^2.
    weight = torch.full((1, 1, 28, 28), 0.1)
    points = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(1)).requires_grad_()
    penalty = losses.gradient_penalty((points * weight).flatten(1).sum(1), points)
    torch.testing.assert_close(penalty, (weight.norm() - 1) ** 2)


def test_noisy_labels_draw_targets_in_their_ranges_and_plain_ones_are_fixed():
    goal = objective(gan_params(noisy_labels=True, real_label=1.0))
    real, fake = targets(goal, 2000, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert 0.7 <= real.min() < 0.72 and 1.18 < real.max() <= 1.2 and 0 <= fake.min() < 0.02 and 0.28 < fake.max() <= 0.3
    assert targets(objective(gan_params()), 5, torch.Generator(), torch.device("cpu")) == (0.9, 0.0)


def test_acgan_adds_the_class_loss_for_both_players(data):
    generator = build_generator(**generator_config(gan_params(**ZOO["acgan"])))
    discriminator = build_discriminator(gan_params(**ZOO["acgan"]))
    logits, classes = discriminator(data.images[:4], data.labels[:4])
    assert logits.shape == (4,) and classes.shape == (4, 10)

    def g_loss(weight):
        goal = objective(gan_params(**{**ZOO["acgan"], "class_weight": weight}))
        optimizer = torch.optim.SGD(generator.parameters(), lr=0.0)  # lr 0: the same weights for both calls
        return generator_step(generator, discriminator, optimizer, goal, 8, torch.Generator().manual_seed(0),
                              torch.device("cpu"))

    assert g_loss(2.0) - g_loss(1.0) > 0.5  # one more cross-entropy of an untrained 10-class head (~2.3)

    def d_loss(on_fakes):
        goal = objective(gan_params(**ZOO["acgan"], class_loss_on_fakes=on_fakes))
        optimizer = torch.optim.SGD(discriminator.parameters(), lr=0.0)
        return discriminator_step(generator, discriminator, optimizer, goal, data.images[:8], data.labels[:8],
                                  torch.Generator().manual_seed(0))[0]

    assert d_loss(True) - d_loss(False) > 0.5 * 1.0  # class_weight 0.5 x the fakes' cross-entropy (~2.3)


def test_the_moving_average_follows_its_decay_and_is_what_is_sampled(data):
    average, current = nn.Linear(2, 2), nn.Linear(2, 2)
    before = average.weight.detach().clone()
    update_average(average, current, decay=0.75)
    torch.testing.assert_close(average.weight, 0.75 * before + 0.25 * current.weight)
    assert warmed_decay(0.999, 1) == pytest.approx(2 / 11) and warmed_decay(0.999, 100_000) == 0.999
    plain, _, _ = train_generator(*data, gan_params(**CONV), seed=1)
    averaged, _, _ = train_generator(*data, gan_params(**CONV, ema=0.9), seed=1)
    assert not torch.equal(plain.state_dict()["upsample.0.weight"], averaged.state_dict()["upsample.0.weight"])


def test_a_sigmoid_generator_trains_on_data_in_0_1_and_samples_in_the_pipeline_range(data, monkeypatch):
    seen = []
    step = gan.discriminator_step

    def spy(generator, discriminator, optimizer, goal, real_images, labels, rng):
        seen.append(real_images.min().item())
        return step(generator, discriminator, optimizer, goal, real_images, labels, rng)

    monkeypatch.setattr(gan, "discriminator_step", spy)
    generator, _, _ = train_generator(*data, gan_params(**CONV, output="sigmoid", steps=4), seed=1)
    assert min(seen) >= 0  # the real images were moved to the sigmoid's range
    assert sample(generator, torch.arange(10), torch.Generator().manual_seed(0)).min() < 0  # and samples moved back


@pytest.mark.parametrize("keys", [
    {**WGAN, **CONV, "ema": 0.8, "latent": "uniform", "spectral_norm": True, "diffaugment": ["cutout", "translation"]},
    {**ZOO["mlp"], "noisy_labels": True, "real_label": 1.0},  # dropout draws from torch's global stream
], ids=["wgan-gp-ema-sn", "mlp-dropout-noisy"])
def test_an_interrupted_run_of_every_trick_resumes_to_the_same_weights(keys, tmp_path, data, monkeypatch):
    params = gan_params(**keys)
    fresh, fresh_log, _ = train_generator(*data, params, seed=2)
    save = gan.save_state

    def save_then_crash(path, run, state):
        save(path, run, state)
        if state["step"] == 8:
            raise KeyboardInterrupt  # the process dies after the checkpoint of step 8

    monkeypatch.setattr(gan, "save_state", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train_generator(*data, params, seed=2, checkpoint=tmp_path / "ckpt.pt")
    monkeypatch.setattr(gan, "save_state", save)
    resumed, resumed_log, _ = train_generator(*data, params, seed=2, checkpoint=tmp_path / "ckpt.pt")
    assert resumed_log == fresh_log
    for name, weight in fresh.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], weight), name


class _Stamp(nn.Module):
    """A collapsed generator: the same image whatever the noise."""

    latent, latent_dim, output, n_classes = "gaussian", 4, "tanh", 10

    def __init__(self):
        super().__init__()
        self.image = nn.Parameter(torch.zeros(1, 1, 28, 28))

    def forward(self, noise, labels):
        return self.image.expand(len(labels), -1, -1, -1)


def test_a_collapsed_generator_is_reported_in_the_log_and_the_metrics(data, caplog):
    diversity = class_diversity(_Stamp(), *data, seed=0, per_class=8)
    assert diversity == [0.0] * 10
    params = gan_params(d_wins_floor=0.1, d_wins_intervals=2)
    log = [{"step": 10 * i, "d_fake": d} for i, d in enumerate([0.3, 0.05, 0.2, 0.05, 0.01, 0.01], start=1)]
    with caplog.at_level(logging.WARNING, logger="ganaug.generators.health"):
        metrics = health(log, [1.0] * 8 + [0.3, 0.9], params, collapse_threshold=0.5)
    assert metrics["collapsed_classes"] == [8] and "collapses on class 8" in caplog.text
    assert metrics["discriminator_wins_at"] == 50 and metrics["final"] == log[-1]
    assert discriminator_wins_at(log, dataclasses.replace(params, loss="wasserstein", gp_weight=10.0,
                                                          real_label=1.0)) is None  # a critic score is no probability


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_the_log_shows_probabilities_except_for_a_critic(name):
    outputs, critic = torch.tensor([-3.0, 0.0, 4.0]), name == "wasserstein"
    assert torch.equal(losses.LOSSES[name].score(outputs), outputs if critic else torch.sigmoid(outputs))
    assert losses.LOSSES[name].probabilities is not critic  # so D-wins applies to all but the critic


@pytest.mark.parametrize("d_real, d_fake, fixed", [(0.8, 0.1, True), (4.0, -3.0, False)])
def test_gan_log_plot_clips_only_probabilities(tmp_path, monkeypatch, d_real, d_fake, fixed):
    import matplotlib.pyplot as plt

    from ganaug.report import figures

    saved = []
    monkeypatch.setattr(figures, "_save", lambda figure, path: saved.append(figure))
    rows = [{"gan_seed": "0", "step": str(s), "d_loss": "1", "g_loss": "1", "d_real": str(d_real), "d_fake": str(d_fake)}
            for s in (1, 2)]
    curve = [{"gan_seed": "0", "step": str(s), "fid": str(5.0 / s)} for s in (1, 2)]
    figures.plot_gan_logs(tmp_path / "gan.png", {500: rows}, {500: curve}, {500: {0: 2}})
    low, high = saved[0].axes[1].get_ylim()
    plt.close(saved[0])
    # D probabilities on [0, 1]; a Wasserstein critic's scores (here -3 to 4) are not cut off.
    assert ((low, high) == (0, 1)) if fixed else (low <= d_fake and high >= d_real)

"""The flow-matching generator (train_generator.arch: flow) on tiny synthetic digits: it learns, guidance sharpens
its classes, a killed run resumes exactly, the sampler's steps buy accuracy at a measured cost, bad params
are refused in one line, and its fakes go through the same sampling as a GAN's."""
import dataclasses
import logging
import signal

import pytest
import torch

from ganaug.data.description import ModelShape
from ganaug.data.tensors import to_labelled
from ganaug.generators import gan
from ganaug.generators.flow import flow_loss, one_flow, velocity_target
from ganaug.generators.gan_models import build_generator, generator_config, sample
from ganaug.models.unet import time_code
from ganaug.params.project import parse_params
from ganaug.pipeline.errors import UserError

from .conftest import killed_training, synthetic_digits

SHAPE = ModelShape(10, 1, 28)
FLOW = {"arch": "flow", "g_widths": [8, 16, 16], "batch_size": 32, "lr_generator": 2e-3, "beta1": 0.9,
        "log_every": 10, "checkpoint_every": 15, "sampler_steps": 4}
TINY = parse_params({"train_generator": {**FLOW, "steps": 60}}).train_generator

# The tiny flow, with a moving average, killed right after the checkpoint of step 45.
CHILD = """
from ganaug.generators.flow import one_flow
from tests.test_flow import FLOW, SHAPE
params = parse_params({"train_generator": {**FLOW, "steps": 90, "ema": 0.99}}).train_generator
gan.train(*data, params, [3], one_flow, shape=SHAPE, checkpoint=checkpoint)
"""


@pytest.fixture(scope="module")
def data():
    return to_labelled(*synthetic_digits(200, seed=0), torch.device("cpu"))


@pytest.fixture(scope="module")
def trained(data):
    """A tiny flow trained long enough to have learnt where each class's bar is (one thread: fixed rounding)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    params = dataclasses.replace(TINY, steps=150, log_every=25)
    try:
        ((model, log, _),) = gan.train(*data, params, [0], one_flow, shape=SHAPE)
    finally:
        torch.set_num_threads(threads)
    return model, log


def bar_class(images: torch.Tensor) -> torch.Tensor:
    """The class a synthetic digit draws (its bright bar at row 2c + 4), read from the brightest pair of rows."""
    rows = images[:, 0, :, 4:24].mean(dim=2)  # (N, 28)
    pairs = torch.stack([rows[:, 2 * c + 4] + rows[:, 2 * c + 5] for c in range(10)], dim=1)
    return pairs.argmax(dim=1)


def test_the_path_is_straight_from_noise_to_image():
    noise, images = torch.randn(4, 1, 28, 28), torch.rand(4, 1, 28, 28)
    x_0, v = velocity_target(noise, images, torch.zeros(4))
    x_1, _ = velocity_target(noise, images, torch.ones(4))
    assert torch.equal(x_0, noise) and torch.allclose(x_1, images) and torch.allclose(v, images - noise)


def test_the_loss_decreases_and_the_log_holds_the_flow_loss(trained):
    _, log = trained
    assert set(log[0]) == {"step", "loss"} and len(log) == 6
    assert log[-1]["loss"] < 0.7 * log[0]["loss"], [row["loss"] for row in log]


def test_the_trained_flow_draws_the_class_it_is_asked_for_unguided(trained):
    model, _ = trained
    labels = torch.arange(100) % 10
    model.guidance = 0.0
    try:
        fakes = sample(model, labels, torch.Generator().manual_seed(3))
    finally:
        model.guidance = TINY.guidance
    assert (bar_class(fakes) == labels).float().mean() >= 0.9


def test_the_time_code_has_the_width_asked_for():
    assert [time_code(torch.rand(3), dim).shape for dim in (1, 7, 8)] == [(3, 1), (3, 7), (3, 8)]


def test_guidance_raises_the_class_agreement_of_the_samples(data, one_thread):
    """On a flow trained part-way (40 steps), where its classes are still blurred: fully trained, every class is
    right with or without guidance on these easy digits."""
    ((model, _, _),) = gan.train(*data, dataclasses.replace(TINY, steps=40), [0], one_flow, shape=SHAPE)
    labels = torch.arange(200) % 10
    agreement = {}
    for guidance in (0.0, 3.0):
        model.guidance = guidance
        fakes = sample(model, labels, torch.Generator().manual_seed(1))
        agreement[guidance] = (bar_class(fakes) == labels).float().mean().item()
    assert agreement[3.0] > agreement[0.0] + 0.05, agreement


def test_more_sampler_steps_cost_more_passes_and_land_nearer_the_exact_solution(trained):
    model, _ = trained
    labels, calls = torch.arange(50) % 10, []
    hook = model.velocity.register_forward_hook(lambda *args: calls.append(1))
    ends = {}
    try:
        for sampler, steps in (("euler", 1), ("euler", 4), ("heun", 4), ("heun", 32)):
            model.sampler, model.sampler_steps, calls[:] = sampler, steps, []
            ends[sampler, steps] = sample(model, labels, torch.Generator().manual_seed(2))
            assert len(calls) == steps * (2 if sampler == "heun" else 1), (sampler, steps)  # guided: one batch of 2N
    finally:
        hook.remove()
        model.sampler, model.sampler_steps = TINY.sampler, TINY.sampler_steps
    exact = ends["heun", 32]
    error = {key: (end - exact).pow(2).mean().sqrt().item() for key, end in ends.items() if key != ("heun", 32)}
    assert error["euler", 1] > error["euler", 4] > error["heun", 4], error


def test_a_run_killed_mid_way_resumes_and_ends_with_the_uninterrupted_weights(tmp_path, data, one_thread, caplog):
    checkpoint = tmp_path / "ckpt.pt"
    assert killed_training(checkpoint, 45, CHILD) == -signal.SIGKILL
    assert torch.load(checkpoint, weights_only=True)["state_dict"]["step"] == 45
    params = parse_params({"train_generator": {**FLOW, "steps": 90, "ema": 0.99}}).train_generator
    with caplog.at_level(logging.INFO, logger="ganaug.generators.state"):
        ((resumed, resumed_log, _),) = gan.train(*data, params, [3], one_flow, shape=SHAPE, checkpoint=checkpoint)
    assert "at step 45 of 90" in caplog.text  # resumed, not started over
    ((fresh, fresh_log, _),) = gan.train(*data, params, [3], one_flow, shape=SHAPE)
    assert resumed_log == fresh_log
    for name, weight in fresh.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], weight), name


def test_the_saved_config_rebuilds_the_sampler(trained):
    model, _ = trained
    config = generator_config(TINY, SHAPE)
    again = build_generator(**config)
    again.load_state_dict(model.state_dict())
    labels = torch.arange(20) % 10
    # Trained channels-last, rebuilt contiguous: the convolutions round differently, nothing more.
    torch.testing.assert_close(sample(again, labels, torch.Generator().manual_seed(0)),
                               sample(model, labels, torch.Generator().manual_seed(0)), atol=1e-4, rtol=1e-4)
    assert config["latent_dim"] == 784 and config["sampler"] == "heun" and config["guidance"] == 1.0


def test_the_loss_ignores_dropped_labels_and_sees_kept_ones():
    """With every label dropped, the labels given cannot change the loss: they all become the null class; with
    none dropped, they do (the last layer re-drawn: it starts at zero, where no input changes the output)."""
    velocity = build_generator(**generator_config(TINY, SHAPE)).velocity
    torch.nn.init.normal_(velocity.out[-1].weight, std=0.1, generator=torch.Generator().manual_seed(0))
    images, labels = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8)

    def losses(drop: float) -> list[torch.Tensor]:
        return [flow_loss(velocity, images, labels.roll(shift), torch.Generator().manual_seed(0), drop, 10)
                for shift in (0, 3)]

    assert torch.equal(*losses(0.999999)) and not torch.equal(*losses(0.0))


@pytest.mark.parametrize("override, message", [
    ({"sampler": "rk4"}, "train_generator.sampler = 'rk4': allowed: one of euler, heun"),
    ({"sampler_steps": 0}, "train_generator.sampler_steps = 0: allowed: an integer >= 1"),
    ({"guidance": -1.0}, "train_generator.guidance = -1.0: allowed: a number >= 0 (0 = no guidance)"),
    ({"g_widths": [8, 16]}, "train_generator.g_widths = [8, 16]: allowed: None or 3 integers >= 1 for arch flow"),
    ({"label_drop": 0.0}, "train_generator.label_drop = 0.0: allowed: > 0 with guidance > 0 for arch flow"),
    ({"output": "sigmoid"}, "train_generator.output = 'sigmoid': allowed: tanh for arch flow"),
    ({"latent": "uniform"}, "train_generator.latent = 'uniform': allowed: gaussian for arch flow"),
])
def test_bad_flow_params_are_one_line(override, message):
    with pytest.raises(UserError) as error:
        parse_params({"train_generator": {"arch": "flow", **override}})
    assert str(error.value).startswith(message) and "\n" not in str(error.value)

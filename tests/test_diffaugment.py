"""DiffAugment: shifts and cutouts do what they say, gradients flow through them, D sees real and
fake images through the same transform in both steps, and bad settings are refused."""
import pytest
import torch

from ganaug.generators.diffaugment import DiffAugment
from ganaug.params.project import ParamsError, parse_params
from ganaug.generators.gan_models import build_discriminator, build_generator, generator_config
from ganaug.generators.gan_steps import discriminator_step, generator_step, objective

BOTH = DiffAugment(("translation", "cutout"), translation=0.125, cutout=0.25, probability=1.0, background=-1.0)


def dot_images(n: int) -> torch.Tensor:
    """(n, 1, 28, 28) background with one bright pixel at (14, 14)."""
    images = torch.full((n, 1, 28, 28), -1.0)
    images[:, 0, 14, 14] = 1.0
    return images


def test_translation_moves_each_image_by_at_most_an_eighth_of_the_side():
    shifted = BOTH._replace(ops=("translation",))(dot_images(64), torch.Generator().manual_seed(0))
    where = (shifted[:, 0] == 1).nonzero()[:, 1:] - 14  # (64, 2): each image's one dot moved by (dy, dx)
    assert len(where) == 64 and where.abs().max() <= 4 and len({tuple(w) for w in where.tolist()}) > 10
    assert ((shifted == -1) | (shifted == 1)).all()  # what moved in is background


def test_cutout_erases_a_small_square_with_background():
    erased = BOTH._replace(ops=("cutout",))(torch.ones(64, 1, 28, 28), torch.Generator().manual_seed(0))
    counts = (erased == -1).flatten(1).sum(dim=1)
    assert counts.max() == 7 * 7 and counts.min() > 0 and ((erased == -1) | (erased == 1)).all()


def test_probability_leaves_most_images_alone():
    rare = BOTH._replace(probability=0.05)
    images = dot_images(400)
    changed = (rare(images, torch.Generator().manual_seed(0)) != images).flatten(1).any(dim=1).float().mean()
    assert 0 < changed < 0.2


def test_gradients_flow_to_every_pixel_d_sees_and_to_none_it_does_not():
    images = torch.rand(8, 1, 28, 28, requires_grad=True)
    BOTH(images, torch.Generator().manual_seed(1)).sum().backward()
    assert set(images.grad.unique().tolist()) <= {0.0, 1.0}  # each kept pixel is seen once, an erased one never
    assert images.grad.sum() > 0.5 * images.numel()


def test_d_sees_real_and_fake_images_through_the_transform_in_both_steps():
    raw = {"train_generator": {"g_widths": [8, 4], "d_widths": [4, 8], "latent_dim": 8}}
    params = parse_params(raw).train_generator
    seen = []

    def spy(images, rng):
        seen.append((images.shape, images.requires_grad))
        return BOTH(images, rng)

    goal = objective(params)._replace(augment=spy)
    generator, discriminator = build_generator(**generator_config(params)), build_discriminator(params)
    rng, labels = torch.Generator().manual_seed(0), torch.arange(16) % 10
    d_opt, g_opt = (torch.optim.Adam(m.parameters()) for m in (discriminator, generator))
    discriminator_step(generator, discriminator, d_opt, goal, torch.zeros(16, 1, 28, 28), labels, rng)
    assert seen == [(torch.Size([16, 1, 28, 28]), False)] * 2  # real, then fake (no gradient to G in the D step)
    seen.clear()
    generator_step(generator, discriminator, g_opt, goal, 16, rng, torch.device("cpu"))
    assert seen == [(torch.Size([16, 1, 28, 28]), True)]  # G's fakes, gradients flowing back to G
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters())


def test_the_sizes_for_28_pixel_digits_and_the_background_of_each_output_range():
    params = parse_params({"train_generator": {"diffaugment": ["translation", "cutout"]}}).train_generator
    goal = objective(params)
    assert goal.augment.ops == ("translation", "cutout") and goal.augment.background == -1.0
    assert round(goal.augment.translation * 28) == 4 and round(goal.augment.cutout * 28) == 7
    sigmoid = {"output": "sigmoid", "diffaugment": ["cutout"]}
    assert objective(parse_params({"train_generator": sigmoid}).train_generator).augment.background == 0.0
    assert objective(parse_params({}).train_generator).augment is None  # off by default


@pytest.mark.parametrize("keys, named", [
    ({"diffaugment": ["translation", "color"]}, "train_generator.diffaugment"),
    ({"diffaugment": ["cutout", "cutout"]}, "train_generator.diffaugment"),
    ({"translation": 0.8}, "train_generator.translation"),
    ({"cutout": 0.0}, "train_generator.cutout"),
    ({"augment_probability": 0.0}, "train_generator.augment_probability"),
    ({"seeds": {500: 0}}, "train_generator.seeds"),
    ({"seeds": {500: 6}}, "train_generator.seeds"),
    ({"patience": 0}, "train_generator.patience"),
    ({"max_steps": 10, "min_steps": 20}, "train_generator.max_steps"),
])
def test_bad_settings_are_one_line_errors_naming_the_key(keys, named):
    with pytest.raises(ParamsError, match=named.replace(".", r"\.")) as error:
        parse_params({"train_generator": keys})
    assert "\n" not in str(error.value)

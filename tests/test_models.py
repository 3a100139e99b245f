import torch

from ganaug.models import ConditionalDiscriminator, ConditionalGenerator, LeNet5


def test_generator_makes_labelled_digits_in_tanh_range():
    generator = ConditionalGenerator(latent_dim=16, widths=(16, 8))
    images = generator(torch.randn(5, 16), torch.arange(5))
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1


def test_generator_output_depends_on_label():
    torch.manual_seed(0)
    generator = ConditionalGenerator(latent_dim=16, widths=(16, 8)).eval()
    noise = torch.randn(1, 16).repeat(2, 1)
    images = generator(noise, torch.tensor([0, 1]))
    assert not torch.allclose(images[0], images[1])


def test_discriminator_gives_one_logit_per_image():
    discriminator = ConditionalDiscriminator(widths=(8, 16))
    assert discriminator(torch.randn(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])).shape == (4,)


def test_lenet_gives_class_logits_and_84_features():
    model = LeNet5()
    images = torch.randn(3, 1, 28, 28)
    assert model(images).shape == (3, 10)
    assert model.features(images).shape == (3, 84)
    assert sum(p.numel() for p in model.parameters()) == 61706  # the classic LeNet-5 size

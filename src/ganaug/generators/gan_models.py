"""The GAN zoo's models, built from ``train_generator`` params, and the conventions around them.

The generator's checkpoint config holds everything that rebuilds it and samples from it (arch,
widths, latent size and distribution, output activation, the dataset's classes, channels and
side), so ``generate`` needs no params.
Images cross this module in the pipeline's range, [-1, 1]; a sigmoid generator trains on data
moved to [0, 1] and its samples are moved back.
"""
from __future__ import annotations

import torch
from torch import nn

from ganaug.params.gan import TrainGeneratorParams
from ganaug.models import ConditionalDiscriminator, ConditionalGenerator, MlpDiscriminator, MlpGenerator
from ganaug.data.description import MNIST_SHAPE, ModelShape
from ganaug.models.flow import FlowGenerator

# Keyed by backbone (params.gan.ARCHS); the objective's terms do not change the generator's body.
GENERATORS = {"dcgan": ConditionalGenerator, "mlp": MlpGenerator, "flow": FlowGenerator}


def generator_config(params: TrainGeneratorParams, shape: ModelShape = MNIST_SHAPE) -> dict:
    """What rebuilds the generator; saved next to its weights."""
    if params.arch == "flow":  # its noise is an image; the sampler's settings go with its weights
        return {"arch": "flow", "latent_dim": shape.channels * shape.size ** 2, "widths": list(params.widths("generator")),
                "latent": "gaussian", "output": "tanh", "sampler": params.sampler,
                "sampler_steps": params.sampler_steps, "guidance": params.guidance, **shape._asdict()}
    return {"arch": params.arch, "latent_dim": params.latent_dim, "widths": list(params.widths("generator")),
            "latent": params.latent, "output": params.output, **shape._asdict()}


def build_generator(arch: str, **config) -> nn.Module:
    """A generator from its checkpoint config (``generator_config``)."""
    if arch not in GENERATORS:
        raise TypeError(f"unknown arch {arch!r}")
    return GENERATORS[arch](**config)


def build_generators(generator: dict, count: int) -> nn.ModuleList:
    """A level's generators, one per GAN seed, from their checkpoint config (``generator_config`` and the count)."""
    return nn.ModuleList(build_generator(**generator) for _ in range(count))


def shape_of(generator: nn.Module) -> ModelShape:
    """The classes and images a generator makes."""
    channels, size, _ = generator.image_shape
    return ModelShape(generator.n_classes, channels, size)


def build_discriminator(params: TrainGeneratorParams, shape: ModelShape = MNIST_SHAPE) -> nn.Module:
    widths, image = params.widths("discriminator"), {"channels": shape.channels, "size": shape.size}
    if params.arch == "mlp":
        return MlpDiscriminator(widths, shape.n_classes, params.mlp_dropout, params.spectral_norm, **image)
    return ConditionalDiscriminator(widths, shape.n_classes, params.norm(), auxiliary=params.auxiliary,
                                    spectral=params.spectral_norm, **image)


def draw_latent(count: int, generator: nn.Module, rng: torch.Generator, device: torch.device) -> torch.Tensor:
    """(count, latent_dim) noise from the generator's latent distribution."""
    if generator.latent == "uniform":
        return torch.rand(count, generator.latent_dim, generator=rng, device=device).mul_(2).sub_(1)  # U[-1, 1]
    return torch.randn(count, generator.latent_dim, generator=rng, device=device)


def to_output_range(images: torch.Tensor, output: str) -> torch.Tensor:
    """Pipeline images in [-1, 1] -> the range of the generator's output activation."""
    return images.add(1).div(2) if output == "sigmoid" else images


def from_output_range(images: torch.Tensor, output: str) -> torch.Tensor:
    """Generator outputs -> the pipeline's [-1, 1]."""
    return images.mul(2).sub(1) if output == "sigmoid" else images


@torch.no_grad()
def sample(generator: nn.Module, labels: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Fakes (N, C, H, W) in [-1, 1] for the given class labels, in eval mode (BatchNorm running stats)."""
    generator.eval()
    noise = draw_latent(len(labels), generator, rng, labels.device)
    return from_output_range(generator(noise, labels), generator.output)

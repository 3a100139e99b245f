"""Train a level's GAN seeds stacked: K GANs of one configuration step together (``train_generator.stack``).

Their weights are stacked on a leading model axis (``torch.func.stack_module_state``) and one
call runs GAN k on its own batch (``vmap`` of ``functional_call``: grouped convolutions and
batched matrix products), so a step launches the kernels of one GAN, not K. That is what a GPU
needs, where one small GAN is launch-bound. This module is only the trainer that builds them
(:func:`stacked_gans`): the loop (``gan.train``) and the D and G steps (``gan_steps.py``, given
K random streams) are the one GAN's. GAN k draws every random number from its own stream, in the
order one GAN of its seed draws them, and Adam and the moving average act element by element, so
both train the same GANs up to floating-point rounding (``tests/test_gan_stack.py``); dropout (the
mlp discriminator) draws from torch's global stream, differently. Each GAN keeps its own log,
snapshots and early stop; a stopped GAN trains on with the others, unrecorded, until all have
stopped. On a 2-core CPU the stacked step is slower than one GAN after another
(``benchmarks/throughput.py``), so stacking is off by default.
"""
from __future__ import annotations

import copy
import sys
from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ganaug.data.description import ModelShape
from ganaug.params.gan import TrainGeneratorParams
from ganaug.generators.gan import Gans, Trained, build_parts, optimizers, train
from ganaug.generators.gan_models import to_output_range
from ganaug.generators.state import Parts


class Stacked:
    """K modules of one architecture as one: their weights stacked on a leading axis; calling it
    with inputs (K, B, ...) runs module k on ``inputs[k]``. In training mode, like the modules."""

    def __init__(self, modules: Sequence[nn.Module]):
        self.template = copy.deepcopy(modules[0]).to("meta")  # the forward's code and attributes, no storage
        weights, buffers = stack_module_state(list(modules))
        self.weights = {name: w.detach().requires_grad_() for name, w in weights.items()}
        self.stats = {name: b.detach().clone() for name, b in buffers.items()}  # BatchNorm's running statistics

    def __getattr__(self, name: str):
        """The modules' own attributes (``latent_dim``, ``n_classes``...): the steps read them as of one module."""
        if name == "template":  # not set yet: no recursion
            raise AttributeError(name)
        return getattr(self.template, name)

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor | tuple:
        def one(weights, stats, *args):
            return functional_call(self.template, (weights, stats), args)
        return vmap(one, randomness="different")(self.weights, self.stats, *inputs)

    def parameters(self) -> list[torch.Tensor]:
        return list(self.weights.values())

    def buffers(self) -> list[torch.Tensor]:
        return list(self.stats.values())

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: t.detach().clone() for name, t in {**self.weights, **self.stats}.items()}

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        for name, t in {**self.weights, **self.stats}.items():
            t.copy_(state[name])

    @torch.no_grad()
    def unstacked(self, k: int, module: nn.Module) -> nn.Module:
        """``module`` (of the same architecture) with the weights of module k."""
        module.load_state_dict({name: t[k] for name, t in {**self.weights, **self.stats}.items()})
        return module


def stack_parts(singles: Sequence[Parts], params: TrainGeneratorParams, device: torch.device) -> Parts:
    """The GANs' parts stacked; the optimizers are Adam over the stacked weights, as each GAN's own."""
    generator, discriminator = Stacked([p.generator for p in singles]), Stacked([p.discriminator for p in singles])
    return Parts(generator, discriminator, *optimizers(params, generator, discriminator, device),
                 Stacked([p.average for p in singles]) if params.ema else None)


def stacked_gans(params: TrainGeneratorParams, seeds: Sequence[int], real_images: torch.Tensor,
                 shape: ModelShape) -> Gans:
    """The trainer of K GANs stacked, one per seed of ``seeds``, each drawing from a stream of its own."""
    device = real_images.device
    singles = []
    for seed in seeds:
        torch.manual_seed(seed)  # each GAN starts from the weights one GAN of its seed starts from
        singles.append(build_parts(params, shape, device))
    parts = stack_parts(singles, params, device)
    # What is scored and returned: G, or its moving average; GAN k's is copied into its own module for that.
    sampled = parts.generator if parts.average is None else parts.average
    sampled_each = [p.generator if p.average is None else p.average for p in singles]
    rngs = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
    return Gans(parts, rngs, to_output_range(real_images, params.output),
                lambda k: sampled.unstacked(k, sampled_each[k]), sys.modules[__name__])


def train_gans(real_images: torch.Tensor, real_labels: torch.Tensor, params: TrainGeneratorParams,
               seeds: Sequence[int], **options) -> list[Trained]:
    """``gan.train`` of a GAN per seed of ``seeds``, stacked (``options``: its keyword arguments)."""
    return train(real_images, real_labels, params, seeds, stacked_gans, **options)

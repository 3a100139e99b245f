"""Train many LeNet-5s at once, as batched models: the pipeline's way to train classifiers.

Every classifier of a stage (the ratios x filters x seeds of a level, say) takes the same
number of steps, so they can step together. Their weights are stacked along a model axis
(``torch.func.stack_module_state``) and one forward pass runs model k on its own batch:
convolutions become grouped convolutions with one group per model, in channels-last layout,
and linear layers batched matrix products. A GPU trains all of a stage's models as one group;
a CPU trains groups side by side, one single-threaded group per core. On 2 CPU cores that is
1.7x to 2.1x the images/s of the one-model loop (``benchmarks/throughput.py``).

Model k starts from the weights and draws the batches that the one-model loop
(``classifier.train_lenet``) would give it for its seed, and Adam and the one-cycle schedule
act element by element, so both paths train the same models up to floating-point rounding
(``tests/test_batched.py``; on CUDA with TF32 off, as cuDNN's default TF32 rounds differently
for grouped and plain convolutions). How models are grouped and how many threads a group
gets change the rounding too, so on CPU the numbers are reproducible for a given thread
count: `OMP_NUM_THREADS=1` gives results that differ in the last digits.
"""
from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import stack_module_state
from tqdm import tqdm

from ganaug.training.augment import Warps, draw_warps, generator_for, warp
from ganaug.data.tensors import Labelled
from ganaug.models import LeNet5
from ganaug.models.lenet import lenet_config
from ganaug.params.project import AugmentParams, ClassifierParams
from ganaug.pipeline.progress import progress
from ganaug.pipeline.runtime import autocast
from ganaug.training.classifier import adam, draw_batches
from ganaug.training.recipes import FakeTerms, draw_shared, fake_aware_loss, fake_masks

CURVE_EVERY = 50  # steps between points of a training-loss curve (the judge's, the reference's)

# Most models per batched group on CPU: throughput per core stops growing at about 8-11 models
# (grouped convolutions with many groups stop fitting in cache). A GPU takes every model at once.
CPU_GROUP = 11

Weights = dict[str, torch.Tensor]  # stacked LeNet-5 weights by parameter name


def stacked_lenets(seeds: Sequence[int], device: torch.device, shape: dict, init: Sequence[LeNet5 | None] = ()) -> Weights:
    """LeNet-5 weights stacked on a leading model axis: model k starts from ``init[k]`` when given,
    else initialised as seed k would be; ``shape`` is the models' ``lenet_config``."""
    models = []
    for seed, start in itertools.zip_longest(seeds, init[: len(seeds)]):
        torch.manual_seed(seed)  # the one-model loop seeds the same way before building its model
        # A copy, in training mode as a fresh model is: stacking needs one mode for all.
        models.append(LeNet5(**shape) if start is None else copy.deepcopy(start).train())
    weights, _ = stack_module_state(models)  # LeNet-5 has no buffers
    return {name: w.detach().to(device).requires_grad_() for name, w in weights.items()}


def batched_forward(weights: Weights, images: torch.Tensor) -> torch.Tensor:
    """Logits (K, B, classes) of K LeNet-5s; model k sees its C channels ``images[:, kC:(k+1)C]``, images (B, KC, H, W).

    Max pooling comes before ReLU here: the two commute, and pooling first halves the work.
    """
    k, b = weights["classifier.bias"].shape[0], images.shape[0]
    h = images.contiguous(memory_format=torch.channels_last)
    h = F.conv2d(h, weights["features.0.weight"].flatten(0, 1), weights["features.0.bias"].flatten(), padding=2, groups=k)
    h = F.relu(F.max_pool2d(h, 2))  # (B, K*6, H/2, W/2)
    h = F.conv2d(h, weights["features.3.weight"].flatten(0, 1), weights["features.3.bias"].flatten(), groups=k)
    h = F.relu(F.max_pool2d(h, 2))  # (B, K*16, s, s), stored as (B, s, s, K, 16): s = 5 for 28 x 28
    # Flatten each model's features in the stored (h, w, c) order and permute the first linear
    # layer's (c, h, w) columns to match, rather than converting the activations back to NCHW.
    area = h.shape[2] * h.shape[3]
    h = h.permute(0, 2, 3, 1).reshape(b, area, k, 16).permute(2, 0, 1, 3).reshape(k, b, 16 * area)
    w1 = weights["features.7.weight"].unflatten(2, (16, area)).transpose(2, 3).flatten(2)
    h = F.relu(torch.baddbmm(weights["features.7.bias"].unsqueeze(1), h, w1.transpose(1, 2)))  # (K, B, 120)
    h = F.relu(torch.baddbmm(weights["features.9.bias"].unsqueeze(1), h, weights["features.9.weight"].transpose(1, 2)))
    return torch.baddbmm(weights["classifier.bias"].unsqueeze(1), h, weights["classifier.weight"].transpose(1, 2))


def unstack(weights: Weights, k: int, shape: dict) -> LeNet5:
    """Model k of a stack as a plain LeNet-5 in eval mode."""
    model = LeNet5(**shape).to(weights["classifier.bias"].device)
    model.load_state_dict({name: w[k].detach() for name, w in weights.items()})
    return model.eval()


def _warp_some(images: torch.Tensor, which: list[int], strengths: list[AugmentParams],
               generators: list[torch.Generator]) -> torch.Tensor:
    """Images (B, K, C, H, W) with the batches of models ``which`` warped, each by its own draws."""
    b = images.shape[0]
    draws = [draw_warps(b, strength, g) for strength, g in zip(strengths, generators)]
    warps = Warps(torch.cat([d.theta for d in draws]), torch.cat([d.field for d in draws]))
    chosen = images[:, which].transpose(0, 1).reshape(-1, *images.shape[2:])  # model-major (K'B, C, H, W)
    images[:, which] = warp(chosen, warps).reshape(len(which), b, *images.shape[2:]).transpose(0, 1)
    return images


def _draw(rows: Sequence[torch.Tensor], seeds: Sequence[int], terms: Sequence[FakeTerms | None], steps: int,
          batch_size: int) -> torch.Tensor:
    """Each model's batches as rows of the pool: (steps, B, K)."""
    return torch.stack([
        r[draw_batches(len(r), steps, batch_size, seed, r.device)] if t is None or t.share is None
        else draw_shared(r, t, steps, batch_size, seed)
        for r, seed, t in zip(rows, seeds, terms)
    ], dim=2)


def _train_group(weights: Weights, pool: Labelled, rows: Sequence[torch.Tensor], seeds: Sequence[int], steps: int,
                 recipe: ClassifierParams, augment: Sequence[AugmentParams | None], terms: Sequence[FakeTerms | None],
                 bar: tqdm, threads: int, on_loss: Callable[[int, float], None] | None = None,
                 precision: torch.dtype | None = None) -> None:
    """Train the stacked ``weights`` in place; ``threads`` intra-op threads for this group; forward passes in
    ``precision`` (autocast; None = float32), the loss in float32.

    ``on_loss(step, loss)`` gets the group's mean training loss every ``CURVE_EVERY`` steps.
    """
    if threads:
        torch.set_num_threads(threads)
    device = pool.images.device
    optimizer = adam(weights.values(), recipe, device)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=steps)
    batches = _draw(rows, seeds, terms, steps, recipe.batch_size)
    images = pool.images  # (P, C, H, W)
    fake_terms = None
    if any(t is not None for t in terms):  # else the plain loss: the judge's, the reference's, pooled cells'
        plain = [t or FakeTerms(0) for t in terms]
        fake_terms = (fake_masks(list(rows), plain, len(images)),
                      torch.tensor([[t.weight] for t in plain], device=device),
                      torch.tensor([[t.smoothing] for t in plain], device=device),
                      torch.tensor([[t.real_smoothing] for t in plain], device=device))
    which = [k for k, strength in enumerate(augment) if strength is not None]
    generators = [generator_for(seeds[k], device) for k in which]
    for step, index in enumerate(batches, start=1):  # (B, K)
        batch = images[index]  # (B, K, C, H, W)
        if which:
            batch = _warp_some(batch, which, [augment[k] for k in which], generators)
        with autocast(device, precision):
            logits = batched_forward(weights, batch.flatten(1, 2)).float()
        # Sum of each model's mean loss: model k's gradient is its own loss's gradient.
        if fake_terms is None:
            loss = F.cross_entropy(logits.flatten(0, 1), pool.labels[index].t().flatten(), reduction="sum") / recipe.batch_size
        else:
            masks, weight, smoothing, real_smoothing = fake_terms
            loss = fake_aware_loss(logits, pool.labels[index].t(), masks.gather(1, index.t()), weight, smoothing,
                                   real_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        bar.update()
        if on_loss is not None and (step % CURVE_EVERY == 0 or step == steps):
            on_loss(step, loss.item() / len(seeds))  # one host sync per CURVE_EVERY steps


def cpu_groups(n_models: int, threads: int) -> list[np.ndarray]:
    """Split models into groups of at most CPU_GROUP, at least one per thread, a multiple of the threads.

    On CPU each group trains on its own core with one thread: small convolutions scale poorly
    across threads, and two single-threaded groups side by side train about 1.4x the images/s
    of one group on two threads (2 cores, benchmarks/throughput.py).
    """
    workers = max(1, min(threads, n_models))
    n_groups = max(math.ceil(n_models / CPU_GROUP), workers)
    n_groups = workers * math.ceil(n_groups / workers)
    return [g for g in np.array_split(np.arange(n_models), min(n_groups, n_models)) if len(g)]


def train_lenets(pool: Labelled, rows: Sequence[torch.Tensor], seeds: Sequence[int], steps: int,
                 recipe: ClassifierParams, n_classes: int, desc: str = "LeNet-5",
                 augment: Sequence[AugmentParams | None] = (), init: Sequence[LeNet5 | None] = (),
                 on_loss: Callable[[int, float], None] | None = None,
                 terms: Sequence[FakeTerms | None] = (), precision: torch.dtype | None = None) -> list[LeNet5]:
    """Train one LeNet-5 per (rows, seed) for exactly ``steps`` Adam steps; in that order.

    ``pool`` holds every image any model trains on, (P, C, H, W) in [-1, 1], on the training
    device; the models take its channels and side and have ``n_classes`` outputs; model k trains on ``pool[rows[k]]`` with batches and initial weights from ``seeds[k]``.
    ``augment[k]``, when given and not None, warps model k's batches with that strength;
    ``init[k]``, when given and not None, is the model it continues from instead of a fresh one.
    ``terms[k]``, when given and not None, says how model k treats the fakes among its rows
    (``recipes.FakeTerms``: their loss weight, soft targets, share of each batch; soft targets of its real images).
    ``on_loss(step, loss)``, when given, follows the training loss of a single group (one model's, say).
    ``precision``: the dtype of the forward passes (``runtime.resolve_precision``), None for float32.
    A GPU trains all models as one group; a CPU trains groups side by side, one per thread.
    """
    if len(rows) != len(seeds):
        raise ValueError(f"{len(rows)} row sets for {len(seeds)} seeds")
    augment = list(augment) or [None] * len(seeds)
    init = list(init) or [None] * len(seeds)
    terms = list(terms) or [None] * len(seeds)
    if not len(augment) == len(init) == len(terms) == len(seeds):
        raise ValueError(f"{len(augment)} augmentations, {len(init)} initial models and {len(terms)} fake terms "
                         f"for {len(seeds)} seeds")
    device, threads = pool.images.device, torch.get_num_threads()
    groups = [np.arange(len(seeds))] if device.type == "cuda" else cpu_groups(len(seeds), threads)
    parallel = len(groups) > 1 and device.type == "cpu" and threads > 1
    # Initial weights are drawn here, in order: torch's global generator is not thread-safe.
    shape = lenet_config(n_classes, pool.images.shape[1], pool.images.shape[3])
    weights = [stacked_lenets([seeds[i] for i in g], device, shape, [init[i] for i in g]) for g in groups]
    if on_loss is not None and len(groups) > 1:
        raise ValueError(f"on_loss follows one group; {len(seeds)} models train in {len(groups)}")
    jobs = [(w, pool, [rows[i] for i in g], [seeds[i] for i in g], steps, recipe, [augment[i] for i in g],
             [terms[i] for i in g]) for w, g in zip(weights, groups)]
    with progress(total=steps * len(groups), desc=desc, unit="step") as bar:
        if parallel:
            try:
                with ThreadPoolExecutor(min(threads, len(groups))) as executor:
                    list(executor.map(lambda job: _train_group(*job, bar, threads=1, precision=precision), jobs))
            finally:
                torch.set_num_threads(threads)
        else:
            for job in jobs:
                _train_group(*job, bar, threads=0, on_loss=on_loss, precision=precision)
    return [unstack(w, k, shape) for w, g in zip(weights, groups) for k in range(len(g))]


def train_lenet_on(data: Labelled, steps: int, recipe: ClassifierParams, seed: int, n_classes: int,
                   desc: str = "LeNet-5", on_loss: Callable[[int, float], None] | None = None,
                   precision: torch.dtype | None = None) -> LeNet5:
    """One LeNet-5 on all of ``data``, the pipeline's way (the judge, the reference, GAN-train)."""
    rows = torch.arange(len(data.labels), device=data.labels.device)
    return train_lenets(data, [rows], [seed], steps, recipe, n_classes, desc, on_loss=on_loss, precision=precision)[0]


@torch.no_grad()
def accuracies(models: Sequence[LeNet5], test: Labelled, chunk: int = 500) -> list[float]:
    """Test accuracy of each model, CPU_GROUP models per batched forward pass.

    About 2x faster on CPU than scoring the models one by one (``classifier.accuracy``); the
    logits differ only by rounding, so a prediction can flip only on a near tie.
    """
    scores = []
    for start in range(0, len(models), CPU_GROUP):
        group = list(models[start:start + CPU_GROUP])
        weights, _ = stack_module_state(group)
        correct = torch.zeros(len(group), device=test.labels.device)
        for images, labels in zip(test.images.split(chunk), test.labels.split(chunk)):
            batch = images.unsqueeze(1).expand(-1, len(group), -1, -1, -1).flatten(1, 2)  # (B, K*C, H, W)
            logits = batched_forward(weights, batch)  # (K, B, classes)
            correct += (logits.argmax(dim=2) == labels).sum(dim=1)
        scores += (correct / len(test.labels)).tolist()
    return scores

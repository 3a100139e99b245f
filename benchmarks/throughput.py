"""Training throughput: the pipeline's way against a bare loop, on the same data in the same run.

    python benchmarks/throughput.py                 # level 1000, 200 LeNet steps, 200 GAN steps, 3 rounds
    python benchmarks/throughput.py --level 500 --steps 100 --device cpu

LeNet-5: the retrain grid's from-scratch cells with GAN fakes or none, without augmentation, at
``--level`` (real images plus that level's fakes, when ``generate`` has made them), trained the pipeline's way (``train_lenets``: the cells as
batched models) and by the bare one-model loop (``train_lenet``: one model after another).
GAN: ``train_generator`` against a bare loop of the same architecture, loss and batch size.
GAN seeds: the level's GANs (at least 2) stacked in one step (``train_gans``, ``train_generator.stack``)
against ``train_generator`` for one seed after another, the pipeline's default.
The pipeline side trains in params.yaml's ``precision`` (bf16 on a CPU with AMX or AVX512-BF16); the
bare loops in float32, as a plain PyTorch loop would. Where that precision is bf16, the rows
``lenet_bf16`` and ``gan_bf16`` time the pipeline in float32 (their bare side) against bf16.
Images/s counts training images consumed per second; each side's best of ``--rounds``
alternating runs counts. Run from the project root after
``dvc repro prepare``; it reads the prepared data and writes nothing.
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from common import Project, load_project

from ganaug.data.tensors import load_fakes, load_level, serve
from ganaug.generators.diffaugment import DiffAugment
from ganaug.models import ConditionalDiscriminator, ConditionalGenerator
from ganaug.data.description import MNIST_SHAPE, load_description
from ganaug.pipeline.runtime import resolve_device, resolve_precision
from ganaug.training.cells import variant_cells
from ganaug.training.batched import train_lenets
from ganaug.training.classifier import train_lenet
from ganaug.generators.gan import train_generator
from ganaug.generators.gan_stack import train_gans

BARE_MODELS = 6  # cells the bare loop trains per round
LOOP = "loop"  # what the pipeline is timed against: the bare loop, else the pipeline in another precision


def timed(work: Callable[[], object], device: torch.device) -> float:
    """Wall seconds of ``work()``, waiting for queued GPU kernels on both sides."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    work()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def compare(bare: Callable[[], object], pipeline: Callable[[], object], bare_images: int, pipeline_images: int,
            device: torch.device, rounds: int) -> dict:
    """Best images/s of each side over ``rounds`` alternating runs: shared machines drift, and
    alternating keeps a slow minute from landing on one side only."""
    bare_s, pipeline_s = [], []
    for _ in range(rounds):
        bare_s.append(timed(bare, device))
        pipeline_s.append(timed(pipeline, device))
    bare_rate, pipeline_rate = bare_images / min(bare_s), pipeline_images / min(pipeline_s)
    return {"bare_images_per_s": round(bare_rate), "pipeline_images_per_s": round(pipeline_rate),
            "speedup": round(pipeline_rate / bare_rate, 2), "rounds": rounds}


def lenet_throughput(project: Project, level: int, steps: int, device: torch.device, rounds: int,
                     precision: torch.dtype | None, versus: str | torch.dtype | None = LOOP) -> dict:
    """Images/s of the retrain grid's cells at ``level``: batched (pipeline, in ``precision``) and one by one
    (bare loop), or batched in ``versus`` when that is a precision (None: float32)."""
    params, description = project.params, load_description(project.data)
    real = load_level(project.data, project.subsets(level), level, device)
    fakes_path = project.level_file(level, "fakes.npz")
    # The bare loop neither warps nor fine-tunes, so only the cells that do neither compare like for like.
    plain = {n: v for n, v in params.enabled_variants().items() if v.fakes == "gan" and not v.augment and v.init == "scratch"}
    cells = variant_cells(plain, params.grid.seeds_for(level))
    if fakes_path.exists():
        requests = [("gan", c.ratio, c.variant in plain and plain[c.variant].filter, c.seed) for c in cells]
        pool, served = serve(real, {"gan": load_fakes(fakes_path, description)}, requests, description.n_classes)
        rows, seeds = [s.rows for s in served], [c.seed for c in cells]
    else:  # no fakes yet: as many real-only models, the same work per step
        seeds = list(range(len(cells)))
        pool, rows = real, [torch.arange(level, device=device)] * len(seeds)
    recipe, n_classes = params.classifier, description.n_classes
    # The bare loop trains models one after another at a steady rate, so a spread of a few
    # cells gives its images/s; the pipeline trains the whole grid, as the retrain stage does.
    sample = list(range(0, len(seeds), max(1, len(seeds) // BARE_MODELS)))[:BARE_MODELS]

    def bare():
        for k in sample:
            train_lenet(pool.images[rows[k]], pool.labels[rows[k]], steps, recipe, seeds[k], n_classes=n_classes)

    def pipeline(dtype):
        return lambda: train_lenets(pool, rows, seeds, steps, recipe, n_classes, precision=dtype)

    train_lenets(pool, rows[:2], seeds[:2], 5, recipe, n_classes, precision=precision)  # warm up kernels and allocators
    if versus != LOOP:
        return {"models": len(seeds), "steps": steps, **compare(pipeline(versus), pipeline(precision),
                len(seeds) * steps * recipe.batch_size, len(seeds) * steps * recipe.batch_size, device, rounds)}
    figures = compare(bare, pipeline(precision),
                      len(sample) * steps * recipe.batch_size, len(seeds) * steps * recipe.batch_size, device, rounds)
    return {"models": len(seeds), "bare_models": len(sample), "steps": steps, **figures}


def bare_gan(real_images: torch.Tensor, real_labels: torch.Tensor, params, seed: int) -> None:
    """The textbook conditional GAN loop: same models, optimizers, loss, batches and DiffAugment; nothing else."""
    device = real_images.device
    torch.manual_seed(seed)
    rng = torch.Generator(device=device).manual_seed(seed)
    augment = DiffAugment(params.diffaugment, params.translation, params.cutout, params.augment_probability, -1.0)
    generator = ConditionalGenerator(params.latent_dim, params.widths("generator"), MNIST_SHAPE.n_classes).to(device)
    discriminator = ConditionalDiscriminator(params.widths("discriminator"), MNIST_SHAPE.n_classes).to(device)
    g_opt = torch.optim.Adam(generator.parameters(), lr=params.lr_generator, betas=(params.beta1, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=params.lr_discriminator, betas=(params.beta1, 0.999))
    bce, b = F.binary_cross_entropy_with_logits, params.batch_size
    for _ in range(params.steps):
        for _ in range(params.dstep):
            index = torch.randint(len(real_images), (b,), device=device)
            labels = real_labels[index]
            fake = generator(torch.randn(b, params.latent_dim, device=device), labels)
            real_logits = discriminator(augment(real_images[index], rng), labels)
            fake_logits = discriminator(augment(fake.detach(), rng), labels)
            real_target = torch.full_like(real_logits, params.real_label)
            d_loss = bce(real_logits, real_target) + bce(fake_logits, torch.zeros_like(fake_logits))
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
        labels = torch.randint(MNIST_SHAPE.n_classes, (b,), device=device)
        fake_logits = discriminator(augment(generator(torch.randn(b, params.latent_dim, device=device), labels), rng), labels)
        g_loss = bce(fake_logits, torch.ones_like(fake_logits))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()


def gan_recipe(params, steps: int):
    """The project's train_generator section, trained ``steps`` steps and logging within them."""
    section = params.train_generator
    return dataclasses.replace(section, steps=steps, log_every=min(steps, section.log_every))


def gan_throughput(project: Project, level: int, steps: int, device: torch.device, rounds: int,
                   precision: torch.dtype | None, versus: str | torch.dtype | None = LOOP) -> dict:
    """Real images/s through the discriminator: ``train_generator`` (pipeline, in ``precision``) and the bare loop,
    or ``train_generator`` in ``versus`` when that is a precision (None: float32)."""
    params = project.params
    real = load_level(project.data, project.subsets(level), level, device)
    recipe = gan_recipe(params, steps)
    images = steps * recipe.dstep * recipe.batch_size
    warm_up = dataclasses.replace(recipe, steps=5)
    train_generator(real.images, real.labels, warm_up, params.seed, precision=precision)
    bare = ((lambda: bare_gan(real.images, real.labels, recipe, params.seed)) if versus == LOOP else
            (lambda: train_generator(real.images, real.labels, recipe, params.seed, precision=versus)))
    figures = compare(bare, lambda: train_generator(real.images, real.labels, recipe, params.seed, precision=precision),
                      images, images, device, rounds)
    return {"steps": steps, **figures}


def stack_throughput(project: Project, level: int, steps: int, device: torch.device, rounds: int) -> dict:
    """Real images/s through the discriminators of the level's GAN seeds: stacked (pipeline) and one by one (bare)."""
    params = project.params
    real = load_level(project.data, project.subsets(level), level, device)
    recipe = gan_recipe(params, steps)
    if recipe.spectral_norm:
        return {"skipped": "train_generator.spectral_norm: stacking refuses it"}
    seeds = [params.seed + n for n in range(max(2, len(recipe.seeds_for(level))))]
    images = len(seeds) * steps * recipe.dstep * recipe.batch_size
    train_gans(real.images, real.labels, dataclasses.replace(recipe, steps=5), seeds)  # warm up

    def one_by_one():
        for seed in seeds:
            train_generator(real.images, real.labels, recipe, seed)

    figures = compare(one_by_one, lambda: train_gans(real.images, real.labels, recipe, seeds), images, images, device,
                      rounds)
    return {"gans": len(seeds), "steps": steps, **figures}


def measure(level: int, steps: int, gan_steps: int, rounds: int, device_name: str | None = None) -> dict:
    project = load_project()
    device = resolve_device(device_name or project.params.device)
    precision = resolve_precision(project.params.precision, device)
    figures = {"device": str(device), "threads": torch.get_num_threads(), "level": level,
               "precision": "bf16" if precision else "fp32",
               "lenet": lenet_throughput(project, level, steps, device, rounds, precision),
               "gan": gan_throughput(project, level, gan_steps, device, rounds, precision),
               "gan_stack": stack_throughput(project, level, gan_steps, device, rounds)}
    if precision is not None:  # what bf16 gives, the pipeline against itself in float32
        figures["lenet_bf16"] = lenet_throughput(project, level, steps, device, rounds, precision, None)
        figures["gan_bf16"] = gan_throughput(project, level, gan_steps, device, rounds, precision, None)
    return figures


def print_throughput(figures: dict) -> None:
    print(f"throughput at {figures['level']} real images on {figures['device']} ({figures['threads']} threads, "
          f"pipeline in {figures['precision']})")
    print(f"{'training':<10} {'bare img/s':>11} {'pipeline img/s':>15} {'ratio':>6}")
    # gan_stack's bare side: the pipeline's GANs one after another (float32); *_bf16's: the pipeline in float32
    for name in ("lenet", "gan", "gan_stack", "lenet_bf16", "gan_bf16"):
        if name not in figures:
            continue
        row = figures[name]
        if "skipped" in row:
            print(f"{name:<10} skipped: {row['skipped']}")
            continue
        bare, pipeline = row["bare_images_per_s"], row["pipeline_images_per_s"]
        print(f"{name:<10} {bare:>11} {pipeline:>15} {row['speedup']:>5}x", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", type=int, default=1000, help="scarcity level whose data and grid are used")
    parser.add_argument("--steps", type=int, default=200, help="LeNet steps per model")
    parser.add_argument("--gan_steps", type=int, default=200, help="GAN generator steps")
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed runs of each side; the best counts")
    parser.add_argument("--device", default=None, help="cpu / cuda / auto (default: params.yaml)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    print_throughput(measure(args.level, args.steps, args.gan_steps, args.rounds, args.device))

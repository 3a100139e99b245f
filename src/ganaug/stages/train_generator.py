"""train_generator: the GANs of one level (``train_generator.seeds``), each trained only on that level's real images.

    ganaug train_generator --level 500 --data ... --subsets ... --judge ... --generators ... --curves ...
        --health ... --checkpoints ...

Each GAN seed trains its own generator; every ``snapshot_every`` steps its fakes are scored by
the level's judge against the level's real images (FID in the judge's features, TARR,
near-copies of training images: ``generators/snapshots.py``) and the best snapshot is kept.
Writes the generators (one file, weights + the config that rebuilds them), the training curves
(a DVCLive folder, ``seed<n>/<curve>``: losses and D outputs every ``log_every`` steps, the
snapshot scores every ``snapshot_every``; live while it trains), and health metrics per seed: wall time,
steps trained, the chosen step and its scores, when the discriminator won outright, and each
class's diversity against its real images (a collapsed class is also a logged warning).
With ``train_generator.stack`` the level's GANs train stacked, one step for all (``generators/gan_stack.py``).
The checkpoints folder holds each seed's whole training state (or the stack's), saved every
``checkpoint_every`` steps; after a kill the rerun carries on from it instead of starting over.
It is scratch, not a DVC output, and is emptied once the outputs are written.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn

from ganaug.pipeline import stage_files
from ganaug.data.tensors import load_level
from ganaug.data.description import load_description
from ganaug.params.gan import TrainGeneratorParams
from ganaug.pipeline.io import load_model, save_checkpoint, save_json
from ganaug.pipeline.live import Curves
from ganaug.models import LeNet5
from ganaug.params.project import Params
from ganaug.pipeline.runtime import resolve_device, resolve_precision, seed_everything
from ganaug.generators.gan import Trainer, one_trainer, train
from ganaug.generators.gan_stack import stacked_gans
from ganaug.generators.health import class_diversity, health
from ganaug.generators.gan_models import generator_config
from ganaug.generators.snapshots import Criterion

STACK_CHECKPOINT = "gan_stack.pt"  # the stacked GANs' one checkpoint, in the checkpoints folder


def gan_seed(params: Params, gan: int) -> int:
    """The torch seed of the level's GAN number ``gan``: GAN 0 trains with the pipeline's seed."""
    return params.seed + gan


def run(params: Params, level: int, files: stage_files.TrainGenerator, gan: TrainGeneratorParams | None = None) -> None:
    """Train and write the outputs; ``gan`` replaces the train_generator section (the comparison's configurations)."""
    gan = gan or params.train_generator
    seed_everything(params.seed)
    device = resolve_device(params.device)
    real, shape = load_level(files.data, files.subsets, level, device), load_description(files.data).model_shape
    judge = load_model(LeNet5, files.judge, made_by=f"dvc repro judge@{level}").to(device)
    criterion = Criterion(judge, real.images, real.labels, gan.snapshot_samples, gan.copy_quantile, params.seed)
    numbers, curves = gan.seeds_for(level), Curves(files.curves)
    trained, seconds = train_all(real, gan, {n: gan_seed(params, n) for n in numbers}, level, shape, files, criterion,
                                 lambda number, row, kind: curves.log(f"seed{number}", row["step"], without_step(row)),
                                 resolve_precision(params.precision, device))
    generators, healths = [], []
    for number, (generator, log_rows, selection), took in zip(numbers, trained, seconds):
        diversity = class_diversity(generator, real.images, real.labels, gan_seed(params, number))
        generators.append(generator.cpu())
        healths.append({"gan_seed": number, "train_seconds": round(took, 1),
                        "steps_trained": selection.curve[-1]["step"], "steps_allowed": gan.steps_for(level),
                        "chosen": selection.chosen(), **health(log_rows, diversity, gan, params.evaluate.collapse_threshold)})
    save_checkpoint(files.generators, nn.ModuleList(generators).state_dict(),
                    {"generator": generator_config(gan, shape), "count": len(generators)})
    curves.close()
    stack = {"stacked": True} if stacked(gan, level) else {}  # train_seconds are then the stack's shared equally
    save_json(files.health, {"level": level, "arch": gan.arch, "gan_seeds": len(generators), **stack,
                            "diffaugment": list(gan.diffaugment), **summary(healths), "per_seed": healths})
    for name in [*(f"gan_seed{number}.pt" for number in numbers), STACK_CHECKPOINT]:
        (files.checkpoints / name).unlink(missing_ok=True)  # scratch: only an unfinished run needs it


def stacked(gan: TrainGeneratorParams, level: int) -> bool:
    """Whether the level's GANs train stacked: asked for, more than one, and GANs (a flow has no stacked trainer)."""
    return gan.stack and len(gan.seeds_for(level)) > 1 and gan.arch != "flow"


def train_all(real, gan: TrainGeneratorParams, seeds: dict[int, int], level: int, shape,
              files: stage_files.TrainGenerator, criterion: Criterion, log: Callable[[int, dict, str], None],
              precision: torch.dtype | None = None) -> tuple[list, list[float]]:
    """Each GAN's (generator, log, snapshots) and wall seconds, for ``seeds`` (GAN number -> torch seed): one
    after the other, or stacked (the stack's time shared equally). Seconds are of this process: a resumed run
    counts only what it trained."""
    trained, seconds = [], []
    for numbers, trainer, desc, checkpoint in runs(gan, level, list(seeds)):
        started = time.perf_counter()
        # Stacked GANs train in float32: torch.func's batched BatchNorm does not take bf16 activations with
        # float32 statistics, and the stack is for a GPU, where precision: auto is float32 anyway.
        trained += train(real.images, real.labels, gan, [seeds[n] for n in numbers], trainer, desc=desc, shape=shape,
                         checkpoint=files.checkpoints / checkpoint, criterion=criterion,
                         on_row=lambda k, kind, row, numbers=numbers: log(numbers[k], row, kind),
                         precision=None if trainer is stacked_gans else precision)
        seconds += [(time.perf_counter() - started) / len(numbers)] * len(numbers)
    return trained, seconds


def runs(gan: TrainGeneratorParams, level: int, numbers: list[int]) -> list[tuple[list[int], Trainer, str, str]]:
    """The training runs of the level's GANs: (GAN numbers, trainer, progress label, checkpoint name) of
    each; one run of them all stacked, or one per GAN."""
    if stacked(gan, level):
        return [(numbers, stacked_gans, f"GAN@{level} {len(numbers)} seeds stacked", STACK_CHECKPOINT)]
    return [([number], one_trainer(gan), f"{gan.noun}@{level} seed {number}", f"gan_seed{number}.pt") for number in numbers]


def without_step(row: dict) -> dict[str, float]:
    return {key: value for key, value in row.items() if key != "step"}


def summary(healths: list[dict]) -> dict:
    """Across the level's GANs: total time, mean chosen step and the chosen snapshots' mean scores."""
    chosen = [h["chosen"] for h in healths]
    mean = lambda values: round(sum(values) / len(values), 4)  # noqa: E731
    return {
        "train_seconds": round(sum(h["train_seconds"] for h in healths), 1),
        "chosen_step": mean([c["step"] for c in chosen]),
        **{f"chosen_{key}": mean([c[key] for c in chosen]) for key in ("fid", "tarr_judge", "near_copies")},
        "collapsed_classes": sorted({c for h in healths for c in h["collapsed_classes"]}),
    }

"""train_gan: a GAN of the zoo (``train_gan.arch``) trained only on one level's real images.

    ganaug train_gan --level 500 --mnist ... --subsets ... --generator ... --log ... --health ... --checkpoint ...

Writes the generator (weights + the config that rebuilds it), the training log, and health
metrics: the training's wall time, when the discriminator won outright, and each class's diversity against its real
images (a collapsed class is also a logged warning). The checkpoint holds the whole training
state, saved every ``train_gan.checkpoint_every`` steps; after a kill (or power loss) the rerun
carries on from it instead of starting over. It is scratch, not a DVC output, and is deleted
once the outputs are written.
"""
from __future__ import annotations

import time
from pathlib import Path

from ganaug.datasets import load_level
from ganaug.gan_params import TrainGanParams
from ganaug.io import save_checkpoint, save_csv, save_json
from ganaug.params import Params
from ganaug.runtime import resolve_device, seed_everything
from ganaug.training.gan import train_gan
from ganaug.training.gan_health import class_diversity, health
from ganaug.training.gan_models import generator_config


def run(
    params: Params, level: int, mnist_path: Path, subsets_path: Path, generator_path: Path, log_path: Path,
    health_path: Path, checkpoint_path: Path, gan: TrainGanParams | None = None,
) -> None:
    """Train and write the outputs; ``gan`` replaces the train_gan section (the comparison's configurations)."""
    gan = gan or params.train_gan
    seed_everything(params.seed)
    real = load_level(mnist_path, subsets_path, level, resolve_device(params.device))
    started = time.perf_counter()
    generator, log_rows = train_gan(real.images, real.labels, gan, params.seed, desc=f"GAN@{level}",
                                    checkpoint=checkpoint_path)
    seconds = time.perf_counter() - started  # of this process: a resumed run counts only what it trained
    diversity = class_diversity(generator, real.images, real.labels, params.seed)
    save_checkpoint(generator_path, generator.cpu().state_dict(), generator_config(gan))
    save_csv(log_path, log_rows)
    save_json(health_path, {"level": level, "arch": gan.arch, "train_seconds": round(seconds, 1),
                            **health(log_rows, diversity, gan)})
    checkpoint_path.unlink(missing_ok=True)  # scratch: only an unfinished run needs it

"""Resumable GAN training: what a killed run needs to carry on exactly where it stopped.

A checkpoint holds both models, both optimizers, the random generators' states (one per GAN), the step, the
log so far, the snapshots scored so far with the best one's weights, the running interval sums, the generator's moving average and torch's global random
streams (dropout draws from them), plus a fingerprint of the run: the params that
shape the trajectory, the seed, the device type, the training data and the source of the
code that trains. A rerun resumes only from a checkpoint with the same fingerprint (one that
finished training but was killed before its outputs were written included); anything else
(another run's, an unreadable file) is set aside with a log line and training starts over.
The stage deletes the checkpoint once its outputs are written.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from ganaug.params.gan import TrainGeneratorParams
from ganaug.pipeline.imports import code_of
from ganaug.pipeline.io import ArtifactError, load_checkpoint, save_checkpoint

logger = logging.getLogger(__name__)

# Params that change neither the weights nor the log: changing them must not throw progress away.
# ``stack`` picks the trainer, whose own code and the seeds it trains are in the fingerprint.
NOT_IN_TRAJECTORY = ("checkpoint_every", "d_wins_floor", "d_wins_intervals", "seeds", "stack")
FLOW_ONLY = ("label_drop", "guidance", "sampler", "sampler_steps")  # a GAN's trajectory does not see them


def fingerprint(params: TrainGeneratorParams, seed: tuple[int, ...], images: torch.Tensor, labels: torch.Tensor,
                trainer, precision: torch.dtype | None = None) -> str:
    """sha256 of everything that decides the training trajectory (``trainer``: the training module;
    ``precision``: the autocast dtype, None for float32)."""
    digest = hashlib.sha256()
    ignored = NOT_IN_TRAJECTORY + (() if params.arch == "flow" else FLOW_ONLY)
    shaping = sorted((k, v) for k, v in asdict(params).items() if k not in ignored)
    digest.update(repr((shaping, seed, images.device.type) + ((str(precision),) if precision else ())).encode())
    for tensor in (images, labels):
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    for path in code_of(trainer.__name__):  # every module the trainer's code reaches, found from its imports
        digest.update(path.read_bytes())
    return digest.hexdigest()


def save_state(path: Path, run: str, state: dict) -> None:
    """Atomically: a kill during the write leaves the previous checkpoint whole."""
    save_checkpoint(path, state, {"run": run})


def load_state(path: Path, run: str, steps: int) -> dict | None:
    """The state to resume from, or None to start over (and why, in the log)."""
    if not path.exists():
        return None
    try:
        config, state = load_checkpoint(path, made_by="ganaug train_generator")
    except ArtifactError as error:
        logger.warning("starting over: %s", error)
        return None
    if config.get("run") != run or set(state) != set(STATE_KEYS):
        logger.info("starting over: %s is from another run (params, data, device or code differ)", path)
        return None
    logger.info("resuming from %s at step %d of %d", path, state["step"], steps)
    return state


class Parts(NamedTuple):
    """What a step changes, besides the random streams; ``average`` is None without EMA. Stacked GANs
    (``generators/gan_stack.py``) are parts too: their models are ``Stacked`` (not modules, with the
    same state_dict methods), each holding every GAN's weights."""

    generator: nn.Module
    discriminator: nn.Module
    g_optimizer: torch.optim.Optimizer
    d_optimizer: torch.optim.Optimizer
    average: nn.Module | None


# What a checkpoint holds: the step, the parts, the random streams, the logs, the interval sums (K, 4)
# and the snapshots so far: one of each per GAN trained (``record.Record``), for one GAN as for K stacked.
STATE_KEYS = ("step", *Parts._fields, "rng", "torch_rng", "cuda_rng", "log", "interval", "selection")


def state_of(parts: Parts, step: int, rngs: Sequence[torch.Generator], log: list[list], interval: torch.Tensor,
             selection: list[dict]) -> dict:
    weights = {name: part.state_dict() if part is not None else None for name, part in parts._asdict().items()}
    # torch's global streams too: dropout (the mlp discriminator) draws from them, not from ``rng``.
    cuda = torch.cuda.get_rng_state(interval.device) if interval.device.type == "cuda" else None
    return {"step": step, **weights, "rng": [rng.get_state() for rng in rngs], "torch_rng": torch.get_rng_state(),
            "cuda_rng": cuda,
            "log": log, "interval": interval.cpu(), "selection": selection}


def restore(state: dict, parts: Parts, rngs: Sequence[torch.Generator]) -> None:
    for name, part in parts._asdict().items():
        if part is not None:
            part.load_state_dict(state[name])
    for rng, rng_state in zip(rngs, state["rng"], strict=True):
        rng.set_state(rng_state)  # a CPU byte tensor, for CPU and CUDA generators alike
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"] is not None:
        torch.cuda.set_rng_state(state["cuda_rng"], rngs[0].device)

"""Memorisation, to look at: fakes of compared generators next to their nearest training image.

    python benchmarks/nearest.py --generators dcgan=data/levels/1000/generators.pt flow=data/compare/flow/generators.pt
    python benchmarks/nearest.py --level 100 --out reports/figures/nearest_training_image_100.png \
        --generators dcgan=data/levels/100/generators.pt flow=build/flow/data/levels/100/generators.pt \
        --blur 0.5 1 2 --median 3 --json reports/nearest_100.json

For each generators file (a level's GANs from `dvc repro train_generator@LEVEL`, a configuration's from
`dvc repro compare/dvc.yaml`, `make flow`'s under build/flow/), samples two fakes per class from its
first generator and finds, in pixels, the nearest of the level's real training images (--level, else
compare.level; a level's subset is the same in every project with the same seed): the distance the
near-copy share of the snapshot criterion uses (generators/snapshots.py).
Each fake is drawn above its nearest image with the distance over the near-copy threshold (the
train_generator.copy_quantile quantile of the training images' distances to each other): under 1 is a
near-copy. Prints each configuration's share of near-copies among 1000 fresh fakes and the median of their
distances over the threshold; then the same after a filter of fakes and real images alike (the threshold
from the filtered real images): --blur, a Gaussian of SIGMA pixels; --median, a K x K median filter, which
removes isolated pixels (a sampler's speckle) and keeps strokes. A speckled fake that copies a training
image stroke for stroke is far from it in pixels and near it after the filter. --json writes the figures.
"""
from __future__ import annotations

import argparse
import json
from functools import partial
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from common import load_project  # noqa: E402

from ganaug.data.tensors import load_level  # noqa: E402
from ganaug.generators.gan_models import build_generators, sample  # noqa: E402
from ganaug.generators.snapshots import copy_distance  # noqa: E402
from ganaug.pipeline.io import atomic_path, load_model  # noqa: E402


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N, C, H, W) images under a Gaussian blur of ``sigma`` pixels (reflected edges)."""
    radius = max(1, round(3 * sigma))
    taps = torch.exp(-torch.arange(-radius, radius + 1, dtype=images.dtype) ** 2 / (2 * sigma ** 2))
    kernel = (taps / taps.sum()).repeat(images.shape[1], 1, 1, 1)  # one 1-D kernel per channel
    padded = F.pad(images, (radius,) * 4, mode="reflect")
    rows = F.conv2d(padded, kernel.view(-1, 1, 1, 2 * radius + 1), groups=images.shape[1])
    return F.conv2d(rows, kernel.view(-1, 1, 2 * radius + 1, 1), groups=images.shape[1])


def median_filtered(images: torch.Tensor, size: int) -> torch.Tensor:
    """(N, C, H, W) images under a ``size`` x ``size`` median filter (edges repeated)."""
    padded = F.pad(images, (size // 2,) * 4, mode="replicate")
    windows = padded.unfold(2, size, 1).unfold(3, size, 1)  # (N, C, H, W, size, size)
    return windows.reshape(*images.shape, size * size).median(dim=-1).values


def filters(args: argparse.Namespace) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """The filters asked for, by name ("pixels": none)."""
    for sigma in args.blur:
        if not 0 < sigma <= 5:
            raise SystemExit(f"Error: --blur {sigma:g}: allowed: a Gaussian's sigma in (0, 5] pixels")
    for size in args.median:
        if size < 3 or size % 2 == 0:
            raise SystemExit(f"Error: --median {size}: allowed: an odd window side >= 3")
    return {"pixels": lambda images: images,
            **{f"blur {sigma:g}": partial(blurred, sigma=sigma) for sigma in args.blur},
            **{f"median {size}": partial(median_filtered, size=size) for size in args.median}}


def nearest(fakes: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance, index) of each fake's nearest real image, in pixels."""
    distance = torch.cdist(fakes.flatten(1), real.flatten(1))  # (F, N)
    return distance.min(dim=1)


def draw(axes, name: str, fakes: torch.Tensor, matches: torch.Tensor, ratios: torch.Tensor) -> None:
    """Fakes 0..19 (two per class: labels cycle through the classes) over their nearest real images."""
    for col in range(20):
        top, bottom = axes[0][col], axes[1][col]
        top.imshow(fakes[col, 0], cmap="gray_r", vmin=-1, vmax=1)
        bottom.imshow(matches[col, 0], cmap="gray_r", vmin=-1, vmax=1)
        top.set_title(f"{ratios[col].item():.2f}", fontsize=7)
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].set_ylabel(f"{name}\nfake", fontsize=8)
    axes[1][0].set_ylabel("nearest\nreal", fontsize=8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generators", nargs="+", required=True, help="NAME=PATH of a generators.pt, each a row pair.")
    parser.add_argument("--out", default="reports/figures/nearest_training_image.png")
    parser.add_argument("--level", type=int, default=None, help="The real images' level (default: compare.level).")
    parser.add_argument("--blur", type=float, nargs="*", default=[], metavar="SIGMA", help="Also after a Gaussian blur.")
    parser.add_argument("--median", type=int, nargs="*", default=[], metavar="K", help="Also after a K x K median filter.")
    parser.add_argument("--json", default=None, help="Also write the figures to this file.")
    args = parser.parse_args()
    chosen = filters(args)
    project = load_project()
    level, quantile = args.level or project.params.compare.level, project.params.train_generator.copy_quantile
    real = load_level(project.data, project.subsets(level), level, torch.device("cpu")).images.float()
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(project.params.seed))
    real_filtered = {kind: apply(real) for kind, apply in chosen.items()}
    # In pixels, the snapshot criterion's threshold (the same seed's order); after a filter, the filtered images'.
    thresholds = {kind: copy_distance(images.flatten(1), order, quantile) for kind, images in real_filtered.items()}
    figures = {kind: {"threshold": round(limit, 4), "near_copy_share": {}, "median_distance_ratio": {}}
               for kind, limit in thresholds.items()}
    named = dict(pair.split("=", 1) for pair in args.generators)
    figure, axes = plt.subplots(2 * len(named), 20, figsize=(16, 1.9 * len(named)), squeeze=False)
    for row, (name, path) in enumerate(named.items()):
        generator = load_model(build_generators, path, made_by="dvc repro")[0]
        labels = torch.arange(1000) % generator.n_classes
        fakes = sample(generator, labels, torch.Generator().manual_seed(project.params.seed)).float()
        for kind, apply in chosen.items():
            distance, index = nearest(apply(fakes), real_filtered[kind])
            ratios = distance / thresholds[kind]
            figures[kind]["near_copy_share"][name] = round((ratios < 1).float().mean().item(), 4)
            figures[kind]["median_distance_ratio"][name] = round(ratios.median().item(), 3)
            if kind == "pixels":  # the figure: fakes as sampled over their nearest image in pixels
                draw(axes[2 * row:2 * row + 2], name, fakes, real[index], ratios)
    shares = figures["pixels"]["near_copy_share"]
    figure.suptitle(f"Fakes over their nearest of the {level} training images (pixels); the number: distance over "
                    f"the near-copy threshold (under 1 = a near-copy). Near-copy share of 1000 fakes: "
                    + ", ".join(f"{k} {v}" for k, v in shares.items()), fontsize=9)
    figure.tight_layout()
    figure.savefig(args.out, dpi=90, bbox_inches="tight")
    result = {"level": level, "filters": figures}
    print(json.dumps(result))
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

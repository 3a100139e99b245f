"""Memorisation, to look at: fakes of compared generators next to their nearest training image.

    python benchmarks/nearest.py --generators dcgan=data/levels/1000/generators.pt flow=data/compare/flow/generators.pt
    python benchmarks/nearest.py --level 100 --out reports/figures/nearest_training_image_100.png \
        --generators dcgan=data/levels/100/generators.pt flow=build/flow/data/levels/100/generators.pt

For each generators file (a level's GANs from `dvc repro train_gan@LEVEL`, a configuration's from
`dvc repro compare/dvc.yaml`, `make flow`'s under build/flow/), samples two fakes per class from its
first generator and finds, in pixels, the nearest of the level's real training images (--level, else
compare.level; a level's subset is the same in every project with the same seed): the distance the
near-copy share of the snapshot criterion uses (generators/gan_snapshots.py).
Each fake is drawn above its nearest image with the distance over the near-copy threshold (the
train_gan.copy_quantile quantile of the training images' distances to each other): under 1 is a
near-copy. Prints each configuration's share of near-copies among 1000 fresh fakes, and with --blur S ...
the same share after a Gaussian blur of S pixels of fakes and real images alike (the threshold from the
blurred real images): a sampler's pixel speckle then adds less distance to a fake that copies a training
image stroke for stroke. --json writes the printed figures to a file too.
"""
from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from common import load_project  # noqa: E402

from ganaug.data.tensors import load_level  # noqa: E402
from ganaug.generators.gan_models import build_generators, sample  # noqa: E402
from ganaug.generators.gan_snapshots import copy_distance  # noqa: E402
from ganaug.pipeline.io import load_model  # noqa: E402


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N, C, H, W) images under a Gaussian blur of ``sigma`` pixels (reflected edges); sigma 0: unchanged."""
    if sigma == 0:
        return images
    radius = max(1, round(3 * sigma))
    taps = torch.exp(-torch.arange(-radius, radius + 1, dtype=images.dtype) ** 2 / (2 * sigma ** 2))
    kernel = (taps / taps.sum()).repeat(images.shape[1], 1, 1, 1)  # one 1-D kernel per channel
    padded = torch.nn.functional.pad(images, (radius,) * 4, mode="reflect")
    rows = torch.nn.functional.conv2d(padded, kernel.view(-1, 1, 1, 2 * radius + 1), groups=images.shape[1])
    return torch.nn.functional.conv2d(rows, kernel.view(-1, 1, 2 * radius + 1, 1), groups=images.shape[1])


def nearest(fakes: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance, index) of each fake's nearest real image, in pixels."""
    distance = torch.cdist(fakes.flatten(1), real.flatten(1))  # (F, N)
    return distance.min(dim=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generators", nargs="+", required=True, help="NAME=PATH of a generators.pt, each a row pair.")
    parser.add_argument("--out", default="reports/figures/nearest_training_image.png")
    parser.add_argument("--level", type=int, default=None, help="The real images' level (default: compare.level).")
    parser.add_argument("--blur", type=float, nargs="*", default=[], help="Also the share after a blur of S pixels.")
    parser.add_argument("--json", default=None, help="Also write the printed figures here.")
    args = parser.parse_args()
    project = load_project()
    level, quantile = args.level or project.params.compare.level, project.params.train_gan.copy_quantile
    real = load_level(project.data, project.subsets(level), level, torch.device("cpu")).images.float()
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(project.params.seed))
    threshold = copy_distance(real.flatten(1), order, quantile)  # the snapshot criterion's, from the same seed
    thresholds = {sigma: copy_distance(blurred(real, sigma).flatten(1), order, quantile) for sigma in args.blur}
    named = dict(pair.split("=", 1) for pair in args.generators)
    figure, axes = plt.subplots(2 * len(named), 20, figsize=(16, 1.9 * len(named)), squeeze=False)
    shares, blurred_shares = {}, {f"{sigma:g}": {} for sigma in args.blur}
    for row, (name, path) in enumerate(named.items()):
        generator = load_model(build_generators, path, made_by="dvc repro")[0]
        labels = torch.arange(1000) % generator.n_classes
        fakes = sample(generator, labels, torch.Generator().manual_seed(project.params.seed)).float()
        distance, index = nearest(fakes, real)
        shares[name] = round((distance < threshold).float().mean().item(), 4)
        for sigma, limit in thresholds.items():
            near = nearest(blurred(fakes, sigma), blurred(real, sigma))[0] < limit
            blurred_shares[f"{sigma:g}"][name] = round(near.float().mean().item(), 4)
        for col in range(20):  # fakes 0..19: two per class (labels cycle through the classes)
            top, bottom = axes[2 * row][col], axes[2 * row + 1][col]
            top.imshow(fakes[col, 0], cmap="gray_r", vmin=-1, vmax=1)
            bottom.imshow(real[index[col], 0], cmap="gray_r", vmin=-1, vmax=1)
            top.set_title(f"{distance[col].item() / threshold:.2f}", fontsize=7)
            for ax in (top, bottom):
                ax.set_xticks([])
                ax.set_yticks([])
        axes[2 * row][0].set_ylabel(f"{name}\nfake", fontsize=8)
        axes[2 * row + 1][0].set_ylabel("nearest\nreal", fontsize=8)
    figure.suptitle(f"Fakes over their nearest of the {level} training images (pixels); the number: distance over "
                    f"the near-copy threshold (under 1 = a near-copy). Near-copy share of 1000 fakes: "
                    + ", ".join(f"{k} {v}" for k, v in shares.items()), fontsize=9)
    figure.tight_layout()
    figure.savefig(args.out, dpi=90, bbox_inches="tight")
    figures = {"level": level, "threshold": round(threshold, 4), "near_copy_share": shares,
               "near_copy_share_blurred": blurred_shares}
    print(json.dumps(figures))
    if args.json:
        with open(args.json, "w") as handle:
            handle.write(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

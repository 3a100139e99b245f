"""DiffAugment on and off at small levels, over GAN seeds: the measurement behind train_generator's default.

    python benchmarks/diffaugment.py --levels 500 --gan_seeds 0 1 --json reports/diffaugment.json

Per level and GAN seed, trains the pipeline's GAN (train_generator params, with its snapshot selection
by the level's judge) with DiffAugment as configured and with it off, and prints the kept
snapshot's step, its FID in the judge's features and near-copy share (the selection's own
numbers, from the level's images); then, measured on the test set: the TARR of 2000 fresh fakes by
a reference LeNet-5 trained on all 60000 images, GAN-train (a LeNet-5 on as many fakes as the level
has real images) and downstream accuracy (a LeNet-5 on the real images plus half as many fakes,
seeded like the GAN, next to real only with the same seed). Needs `dvc repro prepare` first.
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch
from common import load_project, print_markdown, record, rows_arguments, save_rows

from ganaug.data.tensors import Labelled, load_full_train, load_level, load_test_set
from ganaug.metrics.quality import tarr
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy, lenet_steps, predict_proba
from ganaug.generators.gan import train_generator
from ganaug.generators.gan_models import sample
from ganaug.generators.snapshots import Criterion


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--levels", type=int, nargs="+", default=[500])
    parser.add_argument("--gan_seeds", type=int, nargs="+", default=[0, 1])


def main() -> None:
    args = rows_arguments(__doc__, options)
    if args.markdown:
        return print_markdown(args.markdown, markdown)
    project, device = load_project(), torch.device("cpu")
    params, n_classes, precision = project.params, project.n_classes, project.precision(device)
    full, test = load_full_train(project.data, device), load_test_set(project.data, device)
    reference = train_lenet_on(full, lenet_steps(params.classifier, len(full.labels)), params.classifier, params.seed,
                               n_classes, precision=precision)
    labels = torch.arange(10).repeat(200)  # interleaved classes: any first n fakes are class-balanced
    rows = []
    for level in args.levels:
        real = load_level(project.data, project.subsets(level), level, device)
        steps = lenet_steps(params.classifier, level)

        def lenet(data: Labelled, seed: int):
            return train_lenet_on(data, steps, params.classifier, seed, n_classes, precision=precision)

        judge = lenet(real, params.seed)
        real_only = {seed: accuracy(lenet(real, seed), *test) for seed in args.gan_seeds}
        criterion = Criterion(judge, real.images, real.labels, params.train_generator.snapshot_samples,
                              params.train_generator.copy_quantile, params.seed)
        for ops in (params.train_generator.diffaugment, ()):
            gan = dataclasses.replace(params.train_generator, diffaugment=tuple(ops))
            for seed in args.gan_seeds:
                started = time.perf_counter()
                generator, _, selection = train_generator(real.images, real.labels, gan, params.seed + seed,
                                                          desc=f"{level} {'+'.join(ops) or 'off'} {seed}",
                                                          criterion=criterion, precision=precision)
                fakes = sample(generator, labels, torch.Generator().manual_seed(123))
                served = Labelled(fakes[:level], labels[:level])  # classes interleaved: class-balanced
                half = Labelled(fakes[:level // 2], labels[:level // 2])
                mixed = Labelled(torch.cat([real.images, half.images]), torch.cat([real.labels, half.labels]))
                gan_train = accuracy(lenet(served, seed), *test)
                downstream = accuracy(lenet(mixed, seed), *test)
                row = {"level": level, "diffaugment": "+".join(ops) or "off", "gan_seed": seed,
                       "steps_trained": selection.curve[-1]["step"], **{f"kept_{k}": v for k, v in selection.chosen().items()},
                       "tarr_reference": round(tarr(predict_proba(reference, fakes), labels), 4),
                       "gan_train": round(gan_train, 4), "downstream_gain": round(downstream - real_only[seed], 4),
                       "seconds": round(time.perf_counter() - started, 1)}
                record(rows, row)
    save_rows(args.json, rows)


KEYS = (("kept_fid", "FID, judge features", 1), ("kept_tarr_judge", "TARR judge", 3),
        ("tarr_reference", "TARR reference", 3), ("gan_train", "GAN-train", 3),
        ("downstream_gain", "gain at ratio 0.5", 4), ("kept_near_copies", "near-copies", 3), ("kept_step", "kept step", 0))


def markdown(rows: list[dict]) -> list[str]:
    """Per level and setting: mean ± standard deviation over the GAN seeds of each measure."""
    lines = ["| real images | DiffAugment | GANs | " + " | ".join(name for _, name, _ in KEYS) + " |",
             "|---|---|---|" + "---|" * len(KEYS)]
    for level in sorted({r["level"] for r in rows}):
        for ops in dict.fromkeys(r["diffaugment"] for r in rows if r["level"] == level):
            picked = [r for r in rows if r["level"] == level and r["diffaugment"] == ops]
            cells = [f"{np.mean([r[k] for r in picked]):.{d}f} ± {np.std([r[k] for r in picked], ddof=1):.{d}f}"
                     for k, _, d in KEYS]
            lines.append(f"| {level} | {ops} | {len(picked)} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    main()

"""The flow-matching generator's size and sampler, quality against time at one level: the measurement behind
its settings in compare.configs.flow (the U-Net's widths, the sampler and its steps).

    python benchmarks/flow.py --level 1000 --steps 1500 --json reports/benchmark_flow.json
    python benchmarks/flow.py --markdown reports/benchmark_flow.json

Per U-Net size (--widths, three channel counts each), trains the flow (train_generator params with
compare.configs.flow's keys) on the level's real images with the pipeline's snapshot selection by the
level's own judge, for --steps steps, and prints each snapshot's FID in the judge's features, TARR and
near-copy share with the seconds trained so far; then, for its kept snapshot, the seconds to sample 1000
fakes and GAN-train (a LeNet-5 trained on as many fakes as the level has real images, scored on the test
set). Last, the sampler curve on the middle size's kept snapshot: Euler and Heun at several step counts
and guidance scales, each with its FID, TARR and seconds per 1000 fakes. One thread count (the machine's)
for every row; run it alone. Needs `dvc repro judge@LEVEL` first (the prepared data, subset and judge).
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import torch
from common import load_project, print_markdown, record, rows_arguments, save_rows

from ganaug.data.description import load_description
from ganaug.data.tensors import Labelled, load_level, load_test_set
from ganaug.generators.flow import one_flow
from ganaug.generators.gan import train
from ganaug.generators.gan_models import sample
from ganaug.generators.snapshots import Criterion
from ganaug.models import LeNet5
from ganaug.pipeline.io import load_model
from ganaug.training.batched import train_lenet_on
from ganaug.training.classifier import accuracy, lenet_steps

SAMPLERS = [("euler", 4, 1.0), ("euler", 8, 1.0), ("euler", 16, 1.0), ("heun", 2, 1.0), ("heun", 4, 1.0),
            ("heun", 8, 1.0), ("heun", 8, 0.0), ("heun", 8, 2.0)]  # (sampler, steps, guidance)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1500, help="Training steps per size.")
    parser.add_argument("--widths", type=str, nargs="+", default=["16,32,64", "24,48,96", "32,64,128"])


def timed_fakes(generator, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    labels = torch.arange(count) % generator.n_classes
    started = time.perf_counter()
    fakes = sample(generator, labels, torch.Generator().manual_seed(seed))
    return fakes, labels, time.perf_counter() - started


def main() -> None:
    args = rows_arguments(__doc__, options)
    if args.markdown:
        return print_markdown(args.markdown, markdown)
    project, device = load_project(), torch.device("cpu")
    params, precision = project.params, project.precision(device)
    real = load_level(project.data, project.subsets(args.level), args.level, device)
    test = load_test_set(project.data, device)
    judge = load_model(LeNet5, project.level_file(args.level, "judge.pt"), made_by=f"dvc repro judge@{args.level}")
    # Snapshots every 500 steps, none skipped by patience: each size's whole curve over the same steps.
    flow = dataclasses.replace(params.train_generator, **{**params.compare.configs["flow"], "steps": args.steps,
                                                    "patience": None, "snapshot_every": 500})
    criterion = Criterion(judge, real.images, real.labels, flow.snapshot_samples, flow.copy_quantile, params.seed)
    model_shape = load_description(project.data).model_shape
    lenet = lenet_steps(params.classifier, args.level)
    rows, kept = [], {}
    for widths in args.widths:
        size = tuple(int(w) for w in widths.split(","))
        config = dataclasses.replace(flow, g_widths=size)
        started, curve = time.perf_counter(), []
        on_row = lambda k, kind, row: kind == "snapshot" and curve.append(  # noqa: E731
            {**row, "seconds": round(time.perf_counter() - started, 1)})
        ((generator, _, selection),) = train(real.images, real.labels, config, [params.seed], one_flow, f"flow {widths}",
                                             model_shape, criterion=criterion, on_row=on_row, precision=precision)
        seconds = time.perf_counter() - started
        fakes, labels, sampling = timed_fakes(generator, args.level, seed=1)
        gan_train = accuracy(train_lenet_on(Labelled(fakes, labels), lenet, params.classifier, params.seed,
                                            model_shape.n_classes, precision=precision), *test)
        kept[widths] = generator
        record(rows, {"kind": "size", "widths": widths, "parameters": sum(p.numel() for p in generator.parameters()),
                      "steps": args.steps, "train_seconds": round(seconds, 1), "curve": curve,
                      "chosen": selection.chosen(), "sample_seconds_per_1000": round(sampling * 1000 / args.level, 1),
                      "gan_train": round(gan_train, 4)})
    generator = kept[args.widths[len(args.widths) // 2]]
    for sampler, steps, guidance in SAMPLERS:
        generator.sampler, generator.sampler_steps, generator.guidance = sampler, steps, guidance
        started = time.perf_counter()
        score = criterion(generator)
        record(rows, {"kind": "sampler", "widths": args.widths[len(args.widths) // 2], "sampler": sampler,
                      "sampler_steps": steps, "guidance": guidance, **score,
                      "seconds_per_1000": round((time.perf_counter() - started) * 1000 / flow.snapshot_samples, 1)})
    save_rows(args.json, rows)


def markdown(rows: list[dict]) -> list[str]:
    lines = ["| U-Net widths | parameters | steps | train s | best step | FID | TARR | near-copies | GAN-train | "
             "sampling s / 1000 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in (r for r in rows if r["kind"] == "size"):
        c = r["chosen"]
        lines.append(f"| {r['widths']} | {r['parameters']} | {r['steps']} | {r['train_seconds']} | {c['step']} | "
                     f"{c['fid']} | {c['tarr_judge']} | {c['near_copies']} | {r['gan_train']} | "
                     f"{r['sample_seconds_per_1000']} |")
    lines += ["", "| sampler | steps | guidance | FID | TARR | near-copies | s / 1000 fakes |", "|---|---|---|---|---|---|---|"]
    for r in (r for r in rows if r["kind"] == "sampler"):
        lines.append(f"| {r['sampler']} | {r['sampler_steps']} | {r['guidance']} | {r['fid']} | {r['tarr_judge']} | "
                     f"{r['near_copies']} | {r['seconds_per_1000']} |")
    return lines


if __name__ == "__main__":
    main()

"""Generator quality per level, a committed revision against the working tree: what a speed-up cost.

    python benchmarks/quality_change.py --before 1cc7b42 --json reports/quality_change.json
    python benchmarks/quality_change.py --markdown reports/quality_change.json

For each level of params.yaml, from ``evaluate`` (``reports/levels/L/quality.json``) and ``train_generator``
(``generator_health.json``): FID in the reference LeNet's features, the judge's TARR and GAN-train accuracy,
each the mean over the level's GAN seeds with their standard deviation, at ``--before`` (read with
``git show``) and now; and the GANs' generator steps, trained and kept. A change of a mean is
``within`` the seed spread when it is at most the larger of the two standard deviations (levels
with one GAN have none). Run from the project root after ``dvc repro``; it trains nothing.
"""
from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from common import load_project, print_markdown, record, rows_arguments, save_rows
from ganaug.pipeline.stage_files import recorded

METRICS = (("fid", "FID", 2), ("tarr_judge", "TARR", 3), ("gan_train_accuracy", "GAN-train", 4))


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--before", default="HEAD", help="the git revision of the reports to compare with")


def read(path: Path, revision: str | None) -> dict:
    """A JSON report as committed at ``revision``, or as it is now (None)."""
    if revision is None:
        return json.loads(path.read_text())
    shown = subprocess.run(["git", "show", f"{revision}:{path.as_posix()}"], capture_output=True, text=True, check=True)
    return json.loads(shown.stdout)


def at(revision: str | None):
    """Whether a path exists at ``revision`` (None: in the working tree)."""
    if revision is None:
        return Path.exists
    return lambda path: subprocess.run(["git", "cat-file", "-e", f"{revision}:{path.as_posix()}"],
                                       capture_output=True).returncode == 0


def steps(health: dict) -> dict[str, int]:
    """The level's GANs' generator steps: trained, and of the kept snapshots (sums over the GANs)."""
    return {"steps_trained": sum(s["steps_trained"] for s in health["per_seed"]),
            "steps_kept": sum(s["chosen"]["step"] for s in health["per_seed"])}


def level_row(folder: Path, level: int, revision: str) -> dict:
    row: dict = {"level": level}
    for when, rev in (("before", revision), ("now", None)):
        quality = read(folder / "quality.json", rev)
        health = read(recorded(folder, "generator_health.json", at(rev)), rev)
        row[f"{when}_gans"] = quality["gan_seeds"]
        for key, _, _ in METRICS:
            row[f"{when}_{key}"], row[f"{when}_{key}_spread"] = quality[key], quality[f"{key}_spread"]
        row.update({f"{when}_{name}": value for name, value in steps(health).items()})
    for key, _, _ in METRICS:
        spreads = [s for s in (row[f"before_{key}_spread"], row[f"now_{key}_spread"]) if s is not None]
        change = abs(row[f"now_{key}"] - row[f"before_{key}"])
        row[f"{key}_within"] = change <= max(spreads) if spreads else None
    return row


def main() -> None:
    args = rows_arguments(__doc__, options)
    if args.markdown:
        return print_markdown(args.markdown, markdown)
    project = load_project()
    rows = []
    for level in project.params.prepare.levels:
        record(rows, {"before": args.before, **level_row(Path(project.paths["levels_reports"]) / str(level), level,
                                                           args.before)})
    save_rows(args.json, rows)


def cell(row: dict, when: str, key: str, digits: int) -> str:
    spread = row[f"{when}_{key}_spread"]
    return f"{row[f'{when}_{key}']:.{digits}f}" + ("" if spread is None else f" ± {spread:.{digits}f}")


def markdown(rows: list[dict]) -> list[str]:
    lines = ["| real images | GANs | " + " | ".join(f"{name}: before → now" for _, name, _ in METRICS)
             + " | steps trained (kept): before → now |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{cell(r, 'before', key, d)} → {cell(r, 'now', key, d)}"
                 + {True: "", False: " (**outside**)", None: ""}[r[f"{key}_within"]] for key, _, d in METRICS]
        lines.append(f"| {r['level']} | {r['now_gans']} | " + " | ".join(cells)
                     + f" | {r['before_steps_trained']} ({r['before_steps_kept']}) → {r['now_steps_trained']}"
                       f" ({r['now_steps_kept']}) |")
    return lines


if __name__ == "__main__":
    main()

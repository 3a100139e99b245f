"""``ganaug show``: the experiments' headline cell side by side, readable in a narrow terminal.

``dvc exp show`` has a column for every param and metric of the pipeline (hundreds), so at 120
columns every cell is an ellipsis. This reads ``dvc exp show --json`` (with its selection and sort
options: ``-A``, ``--rev``, ``-n``, ``--sort-by``) and prints one line per experiment: what it
changed against the first row (the workspace), and the headline metrics of ``reports/metrics.json``
with the gain's 95% CI and the cell's worth in real images.
"""
from __future__ import annotations

import json
import subprocess

from ganaug.pipeline.io import ArtifactError

HEADLINE = ("accuracy", "real_only_accuracy", "gain")


def selection(all_commits: bool = False, revs: tuple[str, ...] = (), num: int | None = None,
              sort_by: str | None = None, sort_order: str = "asc") -> list[str]:
    """The options of ``dvc exp show`` that choose and order its rows."""
    chosen = ["-A"] if all_commits else []
    chosen += [word for rev in revs for word in ("--rev", rev)]
    chosen += ["-n", str(num)] if num is not None else []
    return chosen + (["--sort-by", sort_by, "--sort-order", sort_order] if sort_by else [])


def flat(tree: object, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": 1}} -> {"a.b": 1}"""
    if not isinstance(tree, dict):
        return {prefix.rstrip("."): tree}
    return {key: value for name, inner in tree.items() for key, value in flat(inner, f"{prefix}{name}.").items()}


def rows(shown: list[dict], params_file: str, metrics_file: str) -> list[tuple[str, dict, dict]]:
    """(name, flat params, headline metrics) of every commit and experiment ``dvc exp show --json`` listed."""
    found = []
    for commit in shown:
        for entry in [commit] + [rev for exp in commit.get("experiments") or [] for rev in exp.get("revs", [])]:
            data = entry.get("data") or {}
            params = ((data.get("params") or {}).get(params_file) or {}).get("data") or {}
            metrics = ((data.get("metrics") or {}).get(metrics_file) or {}).get("data") or {}
            name = entry.get("name") or (entry["rev"] if entry["rev"] == "workspace" else entry["rev"][:7])
            found.append((name, flat(params), metrics))
    return found


def _number(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def _images(value: object) -> str:
    """Real images, as the experiment stage writes them (null: beyond the learning curve's levels)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "-"


def table(found: list[tuple[str, dict, dict]]) -> list[str]:
    if not found:
        return ["no experiments"]
    base = found[0][1]
    lines = [f"{'experiment':<14} {'accuracy':>8} {'real only':>9} {'gain':>7} {'gain 95% CI':>17} {'worth':>6}  changed params"]
    for name, params, metrics in found:
        changed = [f"{key}={value}" for key, value in params.items() if base.get(key) != value]
        changed += [f"-{key}" for key in base if key not in params]
        ci = f"[{_number(metrics.get('gain_ci_low'))}, {_number(metrics.get('gain_ci_high'))}]"
        numbers = " ".join(f"{_number(metrics.get(k)):>{w}}" for k, w in zip(HEADLINE, (8, 9, 7)))
        lines.append(f"{name[:14]:<14} {numbers} {ci:>17} {_images(metrics.get('worth')):>6}  {' '.join(changed) or '-'}")
    return lines


def show(options: list[str] = (), params_file: str = "params.yaml", metrics_file: str = "reports/metrics.json") -> list[str]:
    """The table of ``dvc exp show --json`` with ``options`` (:func:`selection`)."""
    try:
        done = subprocess.run(["dvc", "exp", "show", "--json", *options], capture_output=True, text=True, check=True)
        shown = json.loads(done.stdout)
    except FileNotFoundError:
        raise ArtifactError("dvc: not found; run inside the project's venv (`source .venv/bin/activate`)") from None
    except subprocess.CalledProcessError as error:
        raise ArtifactError(f"dvc exp show failed: {error.stderr.strip().splitlines()[-1:]}") from None
    except ValueError as error:
        raise ArtifactError(f"dvc exp show --json: unreadable output ({error})") from None
    return table(rows(shown, params_file, metrics_file))

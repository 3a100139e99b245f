"""The sweep report's figure: the best cell with fakes against its counterpart, per level, one panel per dataset."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ganaug.report.figures import finish_panels, plt


def plot_sweep(path: Path, rows: list[dict], axes: list[str], q: float) -> None:
    """Panels by the first grid axis; in each, one bar per level and combination of the others (gain with its 95% CI)."""
    panel_key, rest = (axes[0], axes[1:]) if axes else (None, [])
    panels = sorted({str(r[panel_key]) for r in rows}) if panel_key else [""]
    series = sorted({" ".join(str(r[a]) for a in rest) for r in rows})
    figure, grid = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.6), squeeze=False, sharey=True)
    width = 0.8 / max(len(series), 1)
    for ax, panel in zip(grid[0], panels):
        mine = [r for r in rows if panel_key is None or str(r[panel_key]) == panel]
        levels = sorted({r["level"] for r in mine})
        for i, name in enumerate(series):
            cells = {r["level"]: r for r in mine if " ".join(str(r[a]) for a in rest) == name}
            x = np.arange(len(levels)) + (i - (len(series) - 1) / 2) * width
            gains = [cells[level]["gain"] if level in cells else np.nan for level in levels]
            errors = [cells[level]["gain_ci"] if level in cells else 0 for level in levels]
            bars = ax.bar(x, gains, width, yerr=errors, capsize=3, label=name or "fakes", color=f"C{i}")
            for bar, level in zip(bars, levels):
                if level in cells and cells[level]["q"] < q:
                    bar.set_hatch("//")  # significant in the report's family of tests
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(np.arange(len(levels)), [str(level) for level in levels])
        ax.set_xlabel("real training images")
        ax.set_title(f"{panel_key} = {panel}" if panel_key else "", fontsize=9)
    paying = sum(r["verdict"] == "pays" for r in rows)
    finish_panels(figure, grid, path, "best cell with GAN fakes − counterpart",
                  f"Fakes pay in {paying} of {len(rows)} (grid combination, level) cells (hatched: q < {q}); bars: 95% CI")

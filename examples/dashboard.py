"""The first screen of the dashboard, as a picture for the README: `dvc plots show`'s first charts.

    python examples/dashboard.py docs/figures/dashboard.png

Renders the first ``--charts`` Vega-Lite charts of ``dvc plots show --json`` on the project's
committed reports with vl-convert (no browser; what tests/test_dashboard.py renders), one under
the other, into one PNG.
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def charts(count: int) -> list[dict]:
    """The first ``count`` Vega-Lite specs DVC fills in, in the dashboard's order."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(["dvc", "plots", "show", "--json", "-o", out], cwd=ROOT, capture_output=True,
                              text=True, check=True)
    shown = json.loads(done.stdout)["data"]
    specs = [entries[0]["content"] for entries in shown.values() if entries and entries[0]["type"] == "vega"]
    return specs[:count]


def main() -> None:
    import vl_convert
    from PIL import Image

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--charts", type=int, default=2, help="how many of the first charts")
    args = parser.parse_args()
    images = [Image.open(io.BytesIO(vl_convert.vegalite_to_png(spec, scale=1))) for spec in charts(args.charts)]
    sheet = Image.new("RGB", (max(i.width for i in images), sum(i.height for i in images)), "white")
    top = 0
    for image in images:
        sheet.paste(image, (0, top))
        top += image.height
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out}: the first {len(images)} charts of dvc plots show")


if __name__ == "__main__":
    main()

"""The README's and docs' numbers are the committed reports', not typed by hand."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def section(markdown: str, heading: str) -> list[str]:
    """The rows (lines starting with '| <digit>') of the first table of the section under ``heading``."""
    lines = markdown.split(heading, 1)[1].split("\n## ", 1)[0].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = lines[first:next((i for i in range(first, len(lines)) if not lines[i].startswith("|")), len(lines))]
    return [line for line in table if line[2].isdigit()]


def benchmark(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("heading", ["## Headline", "## Generator quality per level", "## GANs per level"])
def test_the_readme_quotes_the_reports_tables_row_for_row(heading):
    readme = (ROOT / "README.md").read_text()
    rows = section((ROOT / "reports/accuracy_table.md").read_text(), heading)
    assert rows and all(row in readme for row in rows), f"README differs from reports/accuracy_table.md {heading}"


@pytest.mark.parametrize("name, report, page", [("diffaugment", "reports/diffaugment.json", "docs/training.md"),
                                                ("lenet_budget", "reports/lenet_budget.json", "docs/training.md"),
                                                ("pipeline", "reports/benchmark.json", "README.md")])
def test_the_docs_quote_the_measurements(name, report, page, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # pipeline.py imports its sibling throughput.py
    rows = json.loads((ROOT / report).read_text())
    table = benchmark(name).markdown(rows)
    assert "\n".join(table) in (ROOT / page).read_text()

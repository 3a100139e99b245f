"""DVC's own screens on the committed reports: `dvc plots show` draws the designed dashboard, the
answer first, every chart with data, and `dvc metrics show` is two files, not sixty.

The reports are in git, so this runs the real DVC on the project as a clone has it; each Vega-Lite
chart is rendered by vl-convert (no browser) and its data marks counted in the scenegraph.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DVC = Path(sys.executable).parent / "dvc"


def designed(dvc_file: str) -> list[str]:
    """The chart names a dvc.yaml's top-level plots give, in order, interpolated as DVC does."""
    from dvc.dvcfile import load_file
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        plots = load_file(repo, str(ROOT / dvc_file)).plots
    return [next(iter(p)) if isinstance(p, dict) else p for p in plots]


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("plots")
    done = subprocess.run([str(DVC), "plots", "show", "--json", "-o", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert not shown.get("errors"), shown["errors"]
    return shown["data"]


def data_marks(node) -> int:
    """Items of the data marks (role "mark") anywhere in a Vega scenegraph: points, lines, bars, rules."""
    if isinstance(node, list):
        return sum(map(data_marks, node))
    if not isinstance(node, dict):
        return 0
    own = len(node.get("items", [])) if node.get("role") == "mark" and node.get("marktype") != "group" else 0
    return own + sum(data_marks(v) for v in node.values() if isinstance(v, (dict, list)))


def test_the_dashboard_is_the_designed_charts_the_answer_first(shown):
    names = list(shown)
    assert names == designed("dvc.yaml") + designed("compare/dvc.yaml")
    assert len(names) <= 25 and names[0].startswith("What each cell is worth in real images")
    assert f"`dvc plots show` draws {len(names)} charts" in (ROOT / "docs/dvc.md").read_text()


def test_every_chart_renders_with_data(shown):
    import vl_convert

    for name, entries in shown.items():
        assert len(entries) == 1, name  # the workspace
        (entry,) = entries
        if entry["type"] == "image":
            assert Path(entry["url"]).read_bytes()[:4] == b"\x89PNG", name
        else:
            assert data_marks(vl_convert.vegalite_to_scenegraph(entry["content"])) > 0, name


def test_metrics_show_is_the_headline_and_the_answer():
    done = subprocess.run([str(DVC), "metrics", "show"], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert 0 < len(lines) <= 20, done.stdout  # was 61 lines, one per metrics file
    assert [line.split()[0] for line in lines[1:]] == ["reports/metrics.json", "reports/answer.json"]
    assert "worth" in lines[0] and "significant_gains" in lines[0] and "ratio" not in lines[0]


def test_artifacts_name_the_models_the_pipeline_makes():
    from dvc.dvcfile import load_file
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        artifacts = load_file(repo, str(ROOT / "dvc.yaml")).artifacts
        outs = {str(Path(out.fs_path).relative_to(ROOT)) for stage in repo.index.stages for out in stage.outs}
    assert set(artifacts) == {"generators", "judge", "reference"}
    for name, artifact in artifacts.items():
        assert artifact["type"] == "model" and artifact["desc"] and artifact["path"] in outs, name

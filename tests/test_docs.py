"""The README's and docs' numbers are the committed reports', not typed by hand."""
import importlib.util
import csv
import json
import statistics
import re
from pathlib import Path

import pytest
import yaml

from ganaug.params.project import load_params
from ganaug.pipeline.live import read_curves
from ganaug.pipeline.stage_files import recorded

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


@pytest.mark.parametrize("heading, page", [("## Headline", "README.md"), ("## Generator quality per level", "docs/quality.md"),
                                           ("## GANs per level", "docs/training.md")])
def test_the_docs_quote_the_reports_tables_row_for_row(heading, page):
    text = (ROOT / page).read_text()
    rows = section((ROOT / "reports/accuracy_table.md").read_text(), heading)
    assert rows and all(row in text for row in rows), f"{page} differs from reports/accuracy_table.md {heading}"


@pytest.mark.parametrize("report", ["reports/accuracy_table.md", "reports/digits/accuracy_table.md"])
def test_the_readme_summary_is_the_reports(report):
    readme = (ROOT / "README.md").read_text()
    quoted = readme.split(f"<!-- summary: copied from {report} -->\n", 1)[1].split("\n<!-- /summary -->", 1)[0]
    summary = (ROOT / report).read_text().split("## The answer, in real images", 1)[1].split("\n## ", 1)[0]
    assert quoted.strip().startswith("- **Fakes pay") and quoted.strip() in summary


def test_the_readme_headline_metric_is_reports_metrics_json():
    metrics = json.loads((ROOT / "reports/metrics.json").read_text())
    line = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("The headline metric"))
    numbers = re.findall(r"[-+]?\d+\.\d+", line.split(" accuracy ", 1)[1])  # after the cell's description
    wanted = [metrics["accuracy"], metrics["real_only_accuracy"], metrics["gain"], metrics["gain_ci_low"],
              metrics["gain_ci_high"], metrics["gain_p_value_unadjusted"]]
    assert [float(n) for n in numbers] == wanted, line
    params = load_params(ROOT / "params.yaml")  # the cell: metrics.json holds no params
    assert f"{params.scarcity} real images" in line and f"ratio {params.ratio}" in line


def test_the_readme_gate_example_uses_the_ci_baseline():
    baseline = json.loads((ROOT / "tests/e2e/baseline.json").read_text())
    readme = (ROOT / "README.md").read_text()
    for metric in ("accuracy", "real_only_accuracy"):
        row = next(line.split() for line in readme.splitlines() if line.startswith(f"{metric} "))
        assert float(row[1]) == baseline[metric] and row[5] == f"{baseline[metric] - 0.02:.4f}", row  # ">=", allowed; gates: 0.02


def test_the_readme_quick_time_is_the_quick_runs():
    seconds = json.loads((ROOT / "reports/quick/run.json").read_text())["dvc_repro_seconds"]
    assert f"writes [reports/quick/](reports/quick/accuracy_table.md): {round(seconds / 60)} minutes" in \
        (ROOT / "README.md").read_text()
    assert seconds <= 600  # a first table in at most 10 minutes on the committed run's machine


def test_the_readme_run_time_is_the_benchmarks():
    minutes = round(json.loads((ROOT / "reports/benchmark.json").read_text())["total_s"] / 60)
    assert f"takes {minutes} minutes on a 2-core CPU" in " ".join((ROOT / "README.md").read_text().split())


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


@pytest.mark.parametrize("name, report, page", [("diffaugment", "reports/diffaugment.json", "docs/training.md"),
                                                ("lenet_budget", "reports/lenet_budget.json", "docs/training.md"),
                                                ("smoothing_control", "reports/smoothing_control.json", "docs/training.md"),
                                                ("pipeline", "reports/benchmark.json", "docs/performance.md"),
                                                ("quality_change", "reports/quality_change.json", "docs/performance.md"),
                                                ("flow", "reports/benchmark_flow.json", "docs/gan_zoo.md"),
                                                ("generators", "reports/generators.json", "docs/gan_zoo.md")])
def test_the_docs_quote_the_measurements(name, report, page, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # pipeline.py imports its sibling throughput.py
    rows = json.loads((ROOT / report).read_text())
    table = benchmark(name).markdown(rows)
    assert "\n".join(table) in (ROOT / page).read_text()


def test_the_generator_classes_side_by_side_are_the_committed_runs(monkeypatch):
    """reports/generators.json is read off the committed reports of both runs: a rerun of either changes it."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    committed = json.loads((ROOT / "reports/generators.json").read_text())
    runs = {"GAN": ROOT / "reports", "flow": ROOT / "reports/flow"}
    assert benchmark("generators").compared(runs) == committed
    assert {r["arch"] for r in committed} == {"dcgan", "flow"} and {r["level"] for r in committed} == {100, 200, 500, 1000}


def test_the_readme_flow_answer_is_the_flow_runs():
    answer = json.loads((ROOT / "reports/flow/answer.json").read_text())
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert (f"its fakes beat the same training without them in {answer['significant_gains']} of its "
            f"{answer['cells_with_fakes']} cells and lose in {answer['significant_costs']}") in readme


def test_the_committed_benchmark_times_every_stage_of_dvc_yaml(monkeypatch):
    """reports/benchmark.json is of today's pipeline: a stage added, removed or renamed since it ran fails here."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    monkeypatch.chdir(ROOT)
    timed = [row["stage"] for row in json.loads((ROOT / "reports/benchmark.json").read_text())["stages"]]
    assert sorted(timed) == sorted(stage["stage"] for stage in benchmark("pipeline").planned_stages())


def test_the_readme_states_the_committed_seeds():
    params = load_params(ROOT / "params.yaml")
    levels = params.prepare.levels
    assert {n: len(params.grid.seeds_for(n)) for n in levels} == {100: 5, 200: 5, 500: 5, 1000: 5, 10000: 3, 60000: 3}
    assert {n: len(params.train_generator.seeds_for(n)) for n in levels} == \
        {100: 3, 200: 3, 500: 3, 1000: 3, 10000: 1, 60000: 1}
    readme = (ROOT / "README.md").read_text()
    assert "(5 at 100 to\n1000 real images, 3 above; 3 GANs at 100 to 1000," in readme
    assert params.curve.seeds == 5 and "5 seeds per point" in readme
    assert (min(params.curve.levels), max(params.curve.levels)) == (100, 60000) and "at 100 to 60000 real\nimages" in readme


def test_the_readme_sweep_figures_are_the_committed_sweeps():
    readme = " ".join((ROOT / "README.md").read_text().split())
    manifest = json.loads((ROOT / "reports/sweeps/zoo/points.json").read_text())
    results = [p["result"] for p in manifest["points"]]
    assert len(results) == 8 and all(r["ok"] for r in results)
    children = [p["result"] for p in manifest["points"] if p["axes"]["ratio"] == 1.0]
    ran, stages = max(len(r["stages_run"]) for r in children), len(results[0]["stages_run"] + results[0]["stages_reused"])
    assert (f"8 points in {round(manifest['seconds'] / 60)} minutes on 2 cores; the 4 that differ from another only "
            f"in `ratio` ran {ran} of its {stages} stages") in readme
    summary = (ROOT / "reports/sweeps/zoo/report.md").read_text().splitlines()[2]
    assert summary.startswith("Fakes pay") and summary in readme
    bench = json.loads((ROOT / "reports/benchmark_sweep.json").read_text())
    assert (f"{bench['points']} points on digits took {bench['serial']['wall_seconds'] / 60:.1f} minutes one after "
            f"another on both cores and {bench['ray']['wall_seconds'] / 60:.1f} through {bench['ray']['workers']} Ray "
            f"workers of one core ({bench['wall_ratio']:.2f}x;") in readme


def test_the_zoo_page_quotes_the_flows_row_of_the_comparison():
    row = next(r for r in csv.DictReader((ROOT / "reports/gan_comparison.csv").open()) if r["config"] == "flow")
    real = json.loads((ROOT / "reports/compare/real_only.json").read_text())["accuracy"]
    text = " ".join((ROOT / "docs/gan_zoo.md").read_text().split())
    step, trained = row["kept_steps"].split("/")
    quoted = [f"trained {trained} steps in {float(row['train_seconds']):.0f} s", f"kept step {step} (FID {float(row['fid']):.2f}",
              f"near-copies {row['near_copies']}, TARR {row['tarr']} and acceptance {row['acceptance_rate']}",
              f"diversity {float(row['diversity_mean']):.3f} mean and {float(row['diversity_min']):.3f} worst class",
              f"accuracy {row['accuracy']} ± {row['accuracy_std']}", f"a gain of {float(row['gain']):+.4f} ± {row['gain_std']}",
              f"(p = {float(row['p_value']):.2f}, q = {float(row['q_value']):.2f})",
              f"against {statistics.mean(real.values()):.4f} ± {statistics.stdev(real.values()):.4f} real only"]
    assert [q for q in quoted if q not in text] == []


def test_the_zoo_page_quotes_the_filtered_near_copy_shares():
    """docs/gan_zoo.md's near-copy shares after a median filter and a blur are benchmarks/nearest.py's committed
    figures, and what it concludes from them holds: at 200 images the kept flow is over the limit once filtered."""
    text = " ".join((ROOT / "docs/gan_zoo.md").read_text().split())
    limit = load_params(ROOT / "params.yaml").train_generator.max_copy_share
    shares = {level: {kind: figures["near_copy_share"] for kind, figures in
                      json.loads((ROOT / f"reports/nearest_{level}.json").read_text())["filters"].items()}
              for level in (100, 200)}
    flow, dcgan = ({lv: (s["pixels"][name], s["median 3"][name]) for lv, s in shares.items()} for name in ("flow", "dcgan"))
    assert (f"the flow's share goes from {flow[100][0]} to {flow[100][1]} at 100 images and from {flow[200][0]} to "
            f"{flow[200][1]} at 200 (DCGAN {dcgan[100][0]} to {dcgan[100][1]} and {dcgan[200][0]} to {dcgan[200][1]})") in text
    assert flow[200][0] <= limit < flow[200][1] and f"over the criterion's limit ({limit})" in text
    assert shares[100]["blur 2"]["flow"] == shares[200]["blur 2"]["flow"] == 0.0
    assert "at 2 pixels the flow's share is 0.0 at both levels" in text


def test_the_zoo_page_quotes_the_three_flows_at_100():
    """The three flows' means and spreads at 100 images are reports/flow_seeds/'s, the first flow is the grid's, and
    every flow beats every DCGAN where the page says so."""
    folder = ROOT / "reports/flow_seeds/levels/100"
    flows, gans = (json.loads((root / "quality.json").read_text()) for root in (folder, ROOT / "reports/levels/100"))
    assert flows["gan_seeds"] == gans["gan_seeds"] == 3
    committed = json.loads((ROOT / "reports/flow/levels/100/quality.json").read_text())["per_gan_seed"][0]
    assert flows["per_gan_seed"][0] == committed
    text = " ".join((ROOT / "docs/gan_zoo.md").read_text().split())
    for name, key, digits in (("FID", "fid", 1), ("reference TARR", "tarr_reference", 3),
                              ("GAN-train", "gan_train_accuracy", 3), ("recall", "recall", 2)):
        flow, gan = (f"{q[key]:.{digits}f} ± {q[key + '_spread']:.{digits}f}" for q in (flows, gans))
        assert f"{name} {flow} against {gan}" in text, (name, flow, gan)
    per = {key: ([s[key] for s in flows["per_gan_seed"]], [s[key] for s in gans["per_gan_seed"]])
           for key in ("fid", "gan_train_accuracy")}
    assert max(per["fid"][0]) < min(per["fid"][1]) and min(per["gan_train_accuracy"][0]) > max(per["gan_train_accuracy"][1])
    health = json.loads(recorded(folder, "generator_health.json").read_text())  # a record made before the rename
    assert [s["chosen"]["step"] for s in health["per_seed"]] == [500] * 3
    assert [s["steps_trained"] for s in health["per_seed"]] == [2000] * 3
    curves = read_curves(recorded(folder, "generator_curves"), "the flow seeds' run")
    at_1000 = [dict(curves[f"seed{k}"]["near_copies"])[1000] for k in range(3)]
    assert "near-copy shares were " + ", ".join(map(str, at_1000[:2])) + f" and {at_1000[2]}" in text
    recorded_params = yaml.safe_load((ROOT / "reports/flow_seeds/params.yaml").read_text())  # its section: train_gan
    assert min(at_1000) > recorded_params["train_gan"]["max_copy_share"]

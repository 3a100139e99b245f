"""The whole pipeline after prepare, through the CLI, on tiny synthetic digits in tmp_path."""
import csv
import dataclasses
import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from ganaug.cli import main
from ganaug.description import load_description
from ganaug.live import read_curves

TINY_PARAMS = {
    "scarcity": 100,
    "ratio": 0.5,
    "prepare": {"levels": [100, 200]},
    "curve": {"levels": [100, 200], "seeds": 2},
    "report": {"resamples": 200},
    "train_gan": {"steps": 20, "batch_size": 16, "g_widths": [8, 4], "d_widths": [4, 8], "latent_dim": 8, "log_every": 5,
                  "seeds": {100: 2, 200: 1}, "snapshot_every": 10, "snapshot_samples": 50},
    "classifier": {"batch_size": 32, "min_steps": 30, "max_steps": 30},
    "generate": {"max_ratio": 1.0, "batch_size": 64},
    "filter": {"threshold": 0.2},
    "grid": {"seeds": {100: 2, 200: 2}, "headline": "gan_filtered", "leaky_level": 200},
    "variants": {
        "classical": {"fakes": "none", "augment": True},
        "gan": {"fakes": "gan", "filter": False, "ratios": [0.5, 1]},
        "gan_filtered": {"fakes": "gan", "ratios": [0.5, 1]},
        "gan_classical": {"fakes": "gan", "augment": True, "ratios": [0.5]},
        "pca": {"fakes": "pca", "ratios": [0.5]},
        "finetune": {"fakes": "gan", "init": "finetune", "ratios": [0.5]},
        "leaky": {"fakes": "leaky", "ratios": [0.5], "enabled": False},
    },
    "pca": {"components": 8},
    "experiment": {"seeds": [0, 1]},
    "compare": {"level": 100, "ratio": 0.5, "filter": False, "seeds": 2, "configs": {
        "dcgan": {},
        "mlp": {"arch": "mlp", "g_widths": [16], "d_widths": [16]},
    }},
}


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def run_tiny_pipeline(tmp_path, mnist, subsets):
    tmp_path.mkdir(parents=True, exist_ok=True)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(TINY_PARAMS))
    p = ("--params", params)
    for level in (100, 200):
        d = tmp_path / "levels" / str(level)
        invoke("judge", *p, "--level", level, "--data", mnist, "--subsets", subsets,
               "--judge", d / "judge.pt", "--metrics", d / "judge.json", "--curves", d / "judge_curves")
        invoke("train_gan", *p, "--level", level, "--data", mnist, "--subsets", subsets, "--judge", d / "judge.pt",
               "--generators", d / "generators.pt", "--curves", d / "gan_curves",
               "--health", d / "gan_health.json", "--checkpoints", d / "scratch")
        invoke("generate", *p, "--level", level, "--generators", d / "generators.pt", "--judge", d / "judge.pt",
               "--fakes", d / "fakes.npz", "--summary", d / "generate.json", "--grid", d / "samples.png")
        invoke("pca", *p, "--level", level, "--data", mnist, "--subsets", subsets, "--judge", d / "judge.pt",
               "--fakes", d / "pca_fakes.npz", "--summary", d / "pca.json", "--grid", d / "pca_samples.png")
    for level in (100, 200):
        d = tmp_path / "levels" / str(level)
        invoke("retrain", *p, "--level", level, "--data", mnist, "--subsets", subsets, "--fakes", d / "fakes.npz",
               "--pca_fakes", d / "pca_fakes.npz", "--leaky_fakes", tmp_path / "levels/200/fakes.npz",
               "--results", d / "results.csv")
    invoke("reference", *p, "--data", mnist, "--reference", tmp_path / "reference.pt",
           "--metrics", tmp_path / "reference.json", "--curves", tmp_path / "reference_curves")
    for level in (100, 200):
        d = tmp_path / "levels" / str(level)
        invoke("evaluate", *p, "--level", level, "--data", mnist, "--subsets", subsets, "--fakes", d / "fakes.npz",
               "--judge", d / "judge.pt", "--reference", tmp_path / "reference.pt", "--metrics", d / "quality.json",
               "--per_class", d / "quality_per_class.csv", "--figures", tmp_path / "figures" / str(level))
    invoke("curve", *p, "--data", mnist, "--table", tmp_path / "curve.csv", "--figure", tmp_path / "figures/curve.png")
    invoke("experiment", *p, "--data", mnist, "--subsets", subsets,
           "--fakes", tmp_path / "levels/100/fakes.npz", "--metrics", tmp_path / "metrics.json")
    template = str(tmp_path / "levels/{level}")
    description = tmp_path / "dataset.json"  # as fetch writes it beside the prepared file
    description.write_text(json.dumps(dataclasses.asdict(load_description(mnist))))
    invoke("report", *p, "--results", template + "/results.csv", "--summaries", template + "/generate.json",
           "--pca_summaries", template + "/pca.json", "--judges", template + "/judge.json",
           "--gan_curves", template + "/gan_curves",
           "--gan_health", template + "/gan_health.json", "--grids", template + "/samples.png",
           "--pca_grids", template + "/pca_samples.png", "--quality", template + "/quality.json",
           "--quality_figures", str(tmp_path / "figures/{level}"), "--curve", tmp_path / "curve.csv", "--description", description,
           "--table", tmp_path / "table.md",
           "--table_csv", tmp_path / "table.csv", "--stats", tmp_path / "stats.csv",
           "--accuracy_plot", tmp_path / "figures/accuracy.png",
           "--exchange_plot", tmp_path / "figures/exchange.png", "--quality_csv", tmp_path / "quality.csv",
           "--quality_plot", tmp_path / "figures/quality.png", "--gan_plot", tmp_path / "figures/gan.png",
           "--machine", tmp_path / "machine.json")


def run_tiny_comparison(tmp_path, mnist, subsets):
    """compare/dvc.yaml's commands, after run_tiny_pipeline (it needs the level's judge)."""
    p, c = ("--params", tmp_path / "params.yaml"), tmp_path / "compare"
    for name in ("dcgan", "mlp"):
        invoke("train_gan", *p, "--level", 100, "--config", name, "--data", mnist, "--subsets", subsets,
               "--judge", tmp_path / "levels/100/judge.pt", "--generators", c / name / "generators.pt",
               "--curves", c / name / "gan_curves",
               "--health", c / name / "gan_health.json", "--checkpoints", c / name / "scratch")
        invoke("generate", *p, "--level", 100, "--generators", c / name / "generators.pt",
               "--judge", tmp_path / "levels/100/judge.pt", "--fakes", c / name / "fakes.npz",
               "--summary", c / name / "generate.json", "--grid", c / name / "samples.png")
        invoke("compare_lenet", *p, "--config", name, "--data", mnist, "--subsets", subsets,
               "--fakes", c / name / "fakes.npz", "--results", c / name / "lenet.json")
    invoke("compare_lenet", *p, "--data", mnist, "--subsets", subsets, "--results", c / "real_only.json")
    template = str(c / "{config}")
    invoke("compare_table", *p, "--health", template + "/gan_health.json", "--summaries", template + "/generate.json",
           "--results", template + "/lenet.json", "--grids", template + "/samples.png",
           "--real_results", c / "real_only.json", "--table", tmp_path / "comparison.md",
           "--table_csv", tmp_path / "comparison.csv")


def test_tiny_pipeline_end_to_end(tmp_path, tiny_mnist):
    mnist, subsets = tiny_mnist
    run_tiny_pipeline(tmp_path, mnist, subsets)

    with open(tmp_path / "table.csv") as handle:
        rows = list(csv.DictReader(handle))
    # per level: real_only, classical, 2 + 2 GAN ratios, gan_classical, pca and finetune at one ratio; 2 seeds each
    assert len(rows) == 2 * (1 + 1 + 2 + 2 + 1 + 1 + 1) * 2
    assert {r["variant"] for r in rows} == {"real_only", "classical", "gan", "gan_filtered", "gan_classical", "pca", "finetune"}
    assert all(0 <= float(r["accuracy"]) <= 1 for r in rows)
    off = [r for r in rows if r["variant"] == "gan" and r["ratio"] == "1.0" and r["level"] == "200"]
    assert all(int(r["n_fake"]) == 200 for r in off)
    steps = {r["variant"]: int(r["steps"]) for r in rows}
    assert steps["finetune"] == round(0.25 * steps["real_only"])  # classifier.finetune_share
    with open(tmp_path / "stats.csv") as handle:
        stats = list(csv.DictReader(handle))
    assert len(stats) == 2 * 9 and all(float(s["ci_low"]) <= float(s["mean"]) <= float(s["ci_high"]) for s in stats)
    assert {s["gain"] == "" for s in stats if s["variant"] == "real_only"} == {True}
    assert {s["fakes_vs"] for s in stats if s["variant"] == "gan_classical"} == {"classical"}  # its counterpart
    # Worth in real images, off the tiny curve at 100 and 200: real only at the curve's first point is worth
    # exactly its own images (at 200 it may be less, where the tiny curve is flat).
    only = {s["level"]: (float(s["exchange"]), s["worth_range"]) for s in stats if s["variant"] == "real_only"}
    assert only["100"] == (1.0, "in") and only["200"][0] <= 1.0
    assert all(s["worth_range"] in ("in", "below", "above") for s in stats)

    assert not list((tmp_path / "levels/100/scratch").iterdir())  # scratch, emptied once the outputs are written
    fakes = np.load(tmp_path / "levels/100/fakes.npz")
    assert set(np.unique(fakes["gan_seeds"])) == {0, 1}  # train_gan.seeds: 2 GANs at 100
    for seed in (0, 1):  # each GAN serves its own class-balanced fakes
        assert (np.bincount(fakes["labels"][fakes["gan_seeds"] == seed], minlength=10) >= 10).all()
    paired = [r for r in rows if r["variant"] == "gan" and r["level"] == "100"]
    assert {(r["seed"], r["gan_seed"]) for r in paired} == {("0", "0"), ("1", "1")}  # LeNet seed s: GAN s mod 2
    assert fakes["images"].dtype == np.uint8 and fakes["images"].shape[1:] == (28, 28)
    assert np.array_equal(fakes["accepted"], fakes["scores"] >= 0.2)

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["scarcity"] == 100 and metrics["seeds"] == 2
    assert metrics["gain"] == round(metrics["accuracy"] - metrics["real_only_accuracy"], 4)
    quality = json.loads((tmp_path / "levels/200/quality.json").read_text())
    assert quality["samples"] == 200 and 0 <= quality["precision"] <= 1 and quality["fid"] >= 0
    for name in ("best_worst", "rejected", "per_class", "confidence"):
        assert (tmp_path / "figures/200" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    table = (tmp_path / "table.md").read_text()
    assert "## Generator quality per level" in table
    assert "### 200 real images" in table and "## Findings" in table and "| real images | real only | classical |" in table
    pca = np.load(tmp_path / "levels/100/pca_fakes.npz")
    assert pca["images"].dtype == np.uint8 and np.array_equal(pca["accepted"], pca["scores"] >= 0.2)
    assert table.startswith("# Does GAN data help a small-data LeNet-5?\n\n## The answer, in real images")
    with open(tmp_path / "quality.csv") as handle:  # one point per GAN and ratio of the headline (gan_filtered)
        points = list(csv.DictReader(handle))
    assert {(p["level"], p["gan_seed"], p["ratio"]) for p in points} == {("100", "0", "0.5"), ("100", "1", "0.5"),
        ("100", "0", "1.0"), ("100", "1", "1.0"), ("200", "0", "0.5"), ("200", "0", "1.0")}
    assert "## How good must the generator be?" in table
    for png in ("figures/accuracy.png", "figures/exchange.png", "figures/quality.png", "figures/curve.png", "figures/gan.png", "levels/100/samples.png", "levels/100/pca_samples.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    gan_health = json.loads((tmp_path / "levels/100/gan_health.json").read_text())
    assert gan_health["arch"] == "dcgan" and gan_health["gan_seeds"] == 2 and gan_health["train_seconds"] > 0
    for seed_health in gan_health["per_seed"]:
        assert len(seed_health["diversity"]) == 10 and seed_health["chosen"]["step"] in (10, 20)
    curves = read_curves(tmp_path / "levels/100/gan_curves", "test")  # DVCLive: a curve per GAN seed and name
    assert sorted(curves) == ["seed0", "seed1"] and [s for s, _ in curves["seed1"]["fid"]] == [10, 20]
    (judge_loss,) = read_curves(tmp_path / "levels/100/judge_curves", "test")[""].values()
    assert [s for s, _ in judge_loss] == [30]  # 30 steps: the last step only (a point every 50)
    assert [s for s, _ in curves["seed0"]["g_loss"]] == [5, 10, 15, 20]
    assert quality["gan_seeds"] == 1 and json.loads((tmp_path / "levels/100/quality.json").read_text())["gan_seeds"] == 2

    run_tiny_comparison(tmp_path, mnist, subsets)
    with open(tmp_path / "comparison.csv") as handle:
        compared = {r["config"]: r for r in csv.DictReader(handle)}
    assert set(compared) == {"dcgan", "mlp"} and compared["mlp"]["arch"] == "mlp"
    assert compared["mlp"]["settings"].startswith("arch=mlp") and 0 <= float(compared["dcgan"]["tarr"]) <= 1
    real = json.loads((tmp_path / "compare/real_only.json").read_text())["accuracy"]
    lenet = json.loads((tmp_path / "compare/dcgan/lenet.json").read_text())
    assert lenet["n_fake"] == 50 and len(real) == 2
    gain = sum(lenet["accuracy"][s] - real[s] for s in real) / 2
    assert float(compared["dcgan"]["gain"]) == pytest.approx(gain, abs=1e-4)
    table = (tmp_path / "comparison.md").read_text()
    assert "| dcgan | dcgan | `(train_gan as is)` |" in table and "[grid](compare/mlp/samples.png)" in table


def test_same_params_give_same_numbers(tmp_path, tiny_mnist):
    mnist, subsets = tiny_mnist
    run_tiny_pipeline(tmp_path / "a", mnist, subsets)
    run_tiny_pipeline(tmp_path / "b", mnist, subsets)
    for name in ("table.csv", "stats.csv", "metrics.json", "levels/100/generate.json", "levels/100/pca.json",
                 "levels/200/gan_curves/plots/metrics/seed0/g_loss.tsv",
                 "levels/200/gan_curves/metrics.json", "levels/100/quality.json"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text(), name

"""The whole pipeline, every stage of the real dvc.yaml and compare/dvc.yaml, on tiny synthetic digits (a user's npz)."""
import contextlib
import csv
import json
import re
import shlex
import shutil
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import yaml

from click.testing import CliRunner

from ganaug.cli.main import main
from ganaug.pipeline.live import read_curves
from tests.conftest import idx_mirror, synthetic_digits
from tests.dvc_stages import PATHS, ROOT, make_project, resolved_stages, run_stages

TINY_FLOW = {"arch": "flow", "g_widths": [4, 8, 8], "sampler_steps": 2}  # a flow-matching generator, in miniature
TINY_PARAMS = {
    "scarcity": 100,
    "ratio": 0.5,
    "prepare": {"levels": [100, 200]},
    "curve": {"levels": [100, 200], "seeds": 2},
    "report": {"resamples": 200},
    "train_generator": {"steps": 20, "batch_size": 16, "g_widths": [8, 4], "d_widths": [4, 8], "latent_dim": 8,
                        "log_every": 5, "seeds": {100: 2, 200: 1}, "snapshot_every": 10, "snapshot_samples": 50},
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
        "flow": TINY_FLOW,
    }},
}


def pipeline_params(dataset: dict, **sections) -> dict:
    """The repository's params.yaml (DVC wants every section a stage tracks) with TINY_PARAMS, then ``sections``, over it."""
    defaults = yaml.safe_load((ROOT / "params.yaml").read_text())
    tiny = {key: {**defaults[key], **value} if isinstance(value, dict) and key != "variants" else value
            for key, value in TINY_PARAMS.items()}
    return {**defaults, **tiny, "dataset": dataset, **sections}


def tiny_npz(path: Path) -> Path:
    """The synthetic digits as a user's .npz (600 train, 200 test images of 28 x 28)."""
    x_train, y_train = synthetic_digits(600, seed=0)
    x_test, y_test = synthetic_digits(200, seed=1)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def run_tiny_pipeline(work: Path) -> Path:
    """Every stage of dvc.yaml and compare/dvc.yaml on the tiny npz, in a project at ``work``."""
    work.mkdir(parents=True)
    data = tiny_npz(work / "tiny.npz")
    make_project(work, pipeline_params({"name": "npz", "path": str(data)}))
    ran = run_stages(work)
    expected = {"validate", "fetch", "prepare@100", "train_generator@200", "report", "gan@mlp", "gan@flow", "table"}
    assert expected <= set(ran)
    return work


def at(work: Path, key: str, *parts) -> Path:
    """A pipeline file under ``work``, by its name in paths.yaml."""
    return work.joinpath(PATHS[key], *map(str, parts))


def csv_rows(path: Path) -> list[dict]:
    with open(path) as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """One tiny run that the tests below read and never change (a test that would, copies it)."""
    return run_tiny_pipeline(tmp_path_factory.mktemp("tiny") / "project")


def test_tiny_pipeline_end_to_end(tiny):
    work = tiny
    level = partial(at, work, "levels_reports")
    rows = csv_rows(at(work, "table_csv"))
    # per level: real_only, classical, 2 + 2 GAN ratios, gan_classical, pca and finetune at one ratio; 2 seeds each
    assert len(rows) == 2 * (1 + 1 + 2 + 2 + 1 + 1 + 1) * 2
    assert {r["variant"] for r in rows} == {"real_only", "classical", "gan", "gan_filtered", "gan_classical", "pca", "finetune"}
    assert all(0 <= float(r["accuracy"]) <= 1 for r in rows)
    off = [r for r in rows if r["variant"] == "gan" and r["ratio"] == "1.0" and r["level"] == "200"]
    assert all(int(r["n_fake"]) == 200 for r in off)
    steps = {r["variant"]: int(r["steps"]) for r in rows}
    assert steps["finetune"] == round(0.25 * steps["real_only"])  # classifier.finetune_share
    stats = csv_rows(at(work, "stats_csv"))
    assert len(stats) == 2 * 9 and all(float(s["ci_low"]) <= float(s["mean"]) <= float(s["ci_high"]) for s in stats)
    assert {s["gain"] == "" for s in stats if s["variant"] == "real_only"} == {True}
    assert {s["fakes_vs"] for s in stats if s["variant"] == "gan_classical"} == {"classical"}  # its counterpart
    # Worth in real images, off the tiny curve at 100 and 200: real only at the curve's first point is worth
    # exactly its own images (at 200 it may be less, where the tiny curve is flat).
    only = {s["level"]: (float(s["exchange"]), s["worth_range"]) for s in stats if s["variant"] == "real_only"}
    assert only["100"] == (1.0, "in") and only["200"][0] <= 1.0
    assert all(s["worth_range"] in ("in", "below", "above") for s in stats)

    assert not list(at(work, "scratch", 100).iterdir())  # scratch, emptied once the outputs are written
    fakes = np.load(at(work, "levels_data", 100, "fakes.npz"))
    assert set(np.unique(fakes["gan_seeds"])) == {0, 1}  # train_generator.seeds: 2 GANs at 100
    for seed in (0, 1):  # each GAN serves its own class-balanced fakes
        assert (np.bincount(fakes["labels"][fakes["gan_seeds"] == seed], minlength=10) >= 10).all()
    paired = [r for r in rows if r["variant"] == "gan" and r["level"] == "100"]
    assert {(r["seed"], r["gan_seed"]) for r in paired} == {("0", "0"), ("1", "1")}  # LeNet seed s: GAN s mod 2
    assert fakes["images"].dtype == np.uint8 and fakes["images"].shape[1:] == (28, 28)
    assert np.array_equal(fakes["accepted"], fakes["scores"] >= 0.2)

    metrics = json.loads(at(work, "headline").read_text())
    assert {"worth", "worth_low", "worth_high"} <= set(metrics) and not {"scarcity", "ratio", "filter", "seeds"} & set(metrics)
    assert [r["seed"] for r in csv_rows(at(work, "experiment_csv"))] == ["0", "1"]  # experiment.seeds, for dvc plots diff
    answer = json.loads(at(work, "answer").read_text())
    assert answer["cells_with_fakes"] == 2 * 7 and answer["significant_gains"] + answer["significant_costs"] <= 14
    snapshots = csv_rows(at(work, "snapshots_csv"))  # the dashboard's: every level's GAN snapshots in one table
    assert {(r["level"], r["gan_seed"], r["step"]) for r in snapshots} == {("100", "0", "10"), ("100", "0", "20"),
        ("100", "1", "10"), ("100", "1", "20"), ("200", "0", "10"), ("200", "0", "20")}
    assert {r["level"] for r in csv_rows(at(work, "per_class_csv"))} == {"100", "200"}
    assert metrics["gain"] == round(metrics["accuracy"] - metrics["real_only_accuracy"], 4)
    quality = json.loads(level(200, "quality.json").read_text())
    assert quality["samples"] == 200 and 0 <= quality["precision"] <= 1 and quality["fid"] >= 0
    for name in ("best_worst", "rejected", "per_class", "confidence"):
        assert at(work, "level_figures", 200, f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    table = at(work, "table").read_text()
    assert "## Generator quality per level" in table
    assert "### 200 real images" in table and "## Findings" in table and "| real images | real only | classical |" in table
    assert "200 real test images of npz" in table  # the dataset, from fetch's description
    pca = np.load(at(work, "levels_data", 100, "pca_fakes.npz"))
    assert pca["images"].dtype == np.uint8 and np.array_equal(pca["accepted"], pca["scores"] >= 0.2)
    assert table.startswith("# Does GAN data help a small-data LeNet-5?\n\n## The answer, in real images")
    assert "fakes from this level's GAN, judged" in table
    points = csv_rows(at(work, "quality_csv"))  # one point per GAN and ratio of the headline (gan_filtered)
    assert {(p["level"], p["gan_seed"], p["ratio"]) for p in points} == {("100", "0", "0.5"), ("100", "1", "0.5"),
        ("100", "0", "1.0"), ("100", "1", "1.0"), ("200", "0", "0.5"), ("200", "0", "1.0")}
    assert "## How good must the generator be?" in table
    pngs = [at(work, key) for key in ("accuracy_plot", "exchange_plot", "quality_plot", "curve_figure", "generator_plot")]
    for png in pngs + [level(100, "samples.png"), level(100, "pca_samples.png")]:
        assert png.read_bytes()[:4] == b"\x89PNG"
    health = json.loads(level(100, "generator_health.json").read_text())
    assert health["arch"] == "dcgan" and health["gan_seeds"] == 2 and health["train_seconds"] > 0
    for seed_health in health["per_seed"]:
        assert len(seed_health["diversity"]) == 10 and seed_health["chosen"]["step"] in (10, 20)
    curves = read_curves(level(100, "generator_curves"), "test")  # DVCLive: a curve per GAN seed and name
    assert sorted(curves) == ["seed0", "seed1"] and [s for s, _ in curves["seed1"]["fid"]] == [10, 20]
    (judge_loss,) = read_curves(level(100, "judge_curves"), "test")[""].values()
    assert [s for s, _ in judge_loss] == [30]  # 30 steps: the last step only (a point every 50)
    assert [s for s, _ in curves["seed0"]["g_loss"]] == [5, 10, 15, 20]
    assert quality["gan_seeds"] == 1 and json.loads(level(100, "quality.json").read_text())["gan_seeds"] == 2

    # compare/dvc.yaml: the configurations at compare.level, from the main pipeline's judge
    compared = {r["config"]: r for r in csv_rows(at(work, "compare_csv"))}
    assert set(compared) == {"dcgan", "mlp", "flow"} and compared["mlp"]["arch"] == "mlp"
    assert compared["flow"]["arch"] == "flow" and compared["flow"]["discriminator_wins_at"] == ""
    assert compared["mlp"]["settings"].startswith("arch=mlp") and 0 <= float(compared["dcgan"]["tarr"]) <= 1
    real = json.loads(at(work, "compare_reports", "real_only.json").read_text())["accuracy"]
    lenet = json.loads(at(work, "compare_reports", "dcgan", "lenet.json").read_text())
    assert lenet["n_fake"] == 50 and len(real) == 2
    gain = sum(lenet["accuracy"][s] - real[s] for s in real) / 2
    assert float(compared["dcgan"]["gain"]) == pytest.approx(gain, abs=1e-4)
    table = at(work, "compare_table").read_text()
    assert "[grid](compare/mlp/samples.png)" in table
    gans, kept = re.search(r"\| dcgan \| dcgan \| `\(train_generator as is\)` \| (\d+) \| ([\d/ ]+) \|", table).groups()
    kept = [tuple(map(int, each.split("/"))) for each in kept.split()]  # each GAN: kept step / steps trained
    assert int(gans) == len(kept) == 2 and all(0 < step <= trained for step, trained in kept)


def untimed(work: Path, name: Path) -> object:
    """The report ``name`` of the project at ``work``, less the measured training times (no rerun repeats them)."""
    path = work / name
    if name.name == "generator_health.json":  # the level's time, then each GAN's
        health = json.loads(path.read_text())
        for timed in (health, *health["per_seed"]):
            assert timed.pop("train_seconds") > 0
        return health
    if name == Path(PATHS["compare_csv"]):
        return [{k: v for k, v in row.items() if k != "train_seconds"} for row in csv_rows(path)]
    return path.read_bytes()


def test_same_params_give_same_numbers(tiny, tmp_path):
    """Every report of two runs, byte for byte (the GANs' wall times aside), through the real dvc.yaml: with
    precision auto, in bf16 on a CPU that has it."""
    a, b = tiny, run_tiny_pipeline(tmp_path / "b")
    reports = sorted(p.relative_to(a) for p in (a / "reports").rglob("*") if p.is_file())
    assert len(reports) > 100 and Path(PATHS["compare_csv"]) in reports
    assert Path(PATHS["table"]) in reports and Path(PATHS["levels_reports"], "200", "generator_health.json") in reports
    for name in reports:
        if name != Path(PATHS["compare_table"]):  # its time column: the CSV's, compared without it
            assert untimed(a, name) == untimed(b, name), name


def change_a_pixel(path: Path, keys=("x_train", "x_test")) -> None:
    """One pixel of each array ``keys`` changed; the description, and the digests fetch recorded in it, kept."""
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    for key in keys:
        arrays[key][0, 0, 0] ^= 1
    np.savez(path, **arrays)


def test_no_stage_reads_a_dataset_changed_since_fetch(tiny, tmp_path):
    """Every stage command that reads the prepared dataset, run by hand as dvc.yaml has it, refuses
    pixels changed after fetch recorded their sha256, with one line naming the file; fetch, which
    rebuilds the file from its source, is the only stage that does not read it."""
    work = shutil.copytree(tiny, tmp_path / "project", symlinks=True)
    prepared = at(work, "prepared")
    change_a_pixel(prepared)
    readers = {f"{Path(stage.path).relative_to(work)}:{stage.name}": stage for stage in resolved_stages(work)
               if stage.name != "fetch" and any(Path(dep.fs_path) == prepared for dep in stage.deps)}
    assert {f"dvc.yaml:{name}" for name in ("prepare@100", "judge@100", "train_generator@100", "pca@100", "retrain@200",
            "reference", "curve", "evaluate@100", "experiment")} | {"compare/dvc.yaml:gan@mlp"} <= set(readers)
    for name, stage in readers.items():
        with contextlib.chdir(stage.wdir):
            result = CliRunner().invoke(main, shlex.split(stage.cmd)[1:])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (name, result.output)
        assert re.search(r"Error: \S*dataset\.npz: x_(train|test) has sha256 \w+\.\.\., not what fetch recorded",
                         result.output), (name, result.output)


def test_the_flow_generator_is_one_param_for_the_whole_pipeline(tmp_path):
    """train_generator.arch: flow: every stage after train_generator reads its fakes as a GAN's, and the report draws
    its loss."""
    work = tmp_path / "project"
    work.mkdir()
    params = pipeline_params({"name": "npz", "path": str(tiny_npz(work / "tiny.npz"))})
    params["train_generator"] = {**params["train_generator"], **TINY_FLOW}
    # One level, and the comparison of the flow alone: the tiny pipeline's own comparison has a flow beside its GANs.
    params["prepare"], params["curve"] = {**params["prepare"], "levels": [100]}, {**params["curve"], "levels": [100]}
    params["grid"] = {**params["grid"], "leaky_level": 100}
    params["compare"] = {**params["compare"], "configs": {"flow": {}}}
    run_stages(make_project(work, params))
    health = json.loads(at(work, "levels_reports", 100, "generator_health.json").read_text())
    assert health["arch"] == "flow" and health["per_seed"][0]["discriminator_wins_at"] is None
    assert set(health["per_seed"][0]["final"]) == {"step", "loss"}
    assert read_curves(at(work, "levels_reports", 100, "generator_curves"), "test")["seed0"].keys() >= {"loss", "fid", "near_copies"}
    assert json.loads(at(work, "levels_reports", 100, "generate.json").read_text())["generated"] > 0
    assert {r["variant"] for r in csv_rows(at(work, "table_csv"))} >= {"gan", "gan_filtered"}
    assert [row["arch"] for row in csv_rows(at(work, "compare_csv"))] == ["flow"]
    table = at(work, "table").read_text()  # the report names the generator it ran
    assert table.startswith("# Does flow data help") and "fakes from this level's flow, judged" in table


def test_fashion_mnist_from_a_mirror_runs_the_whole_pipeline(tmp_path, monkeypatch):
    """dataset: fashion-mnist, downloaded by torchvision from a mirror on 127.0.0.1 (tiny files, their md5)."""
    import torchvision.datasets

    work = tmp_path / "project"
    work.mkdir()
    arrays = (*synthetic_digits(600, seed=0), *synthetic_digits(200, seed=1))
    with idx_mirror(tmp_path / "mirror", *arrays) as (url, md5s):
        monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources", md5s)
        params = pipeline_params({"name": "fashion-mnist"})
        params["prepare"]["mirrors"] = [url]
        params["compare"] = {**params["compare"], "configs": {"dcgan": {}}}  # the other configurations: test above
        run_stages(make_project(work, params))
    description = json.loads(at(work, "description").read_text())
    assert description["name"] == "fashion-mnist" and description["classes"][0] == "T-shirt/top"
    assert description["train_counts"] == np.bincount(arrays[1]).tolist() and description["test_count"] == 200
    assert len(csv_rows(at(work, "table_csv"))) == 2 * 9 * 2  # both levels, every cell, 2 seeds
    assert "200 real test images of fashion-mnist" in at(work, "table").read_text()

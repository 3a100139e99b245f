from pathlib import Path

import pytest
import torch
import yaml

from ganaug.params.project import Params, ParamsError, load_params, parse_params
from ganaug.pipeline import runtime
from ganaug.pipeline.errors import UserError
from ganaug.stages import validate
from ganaug.stages.validate import tracked_params
from ganaug.params.strict import Yaml12FloatLoader, by_level

ROOT = Path(__file__).resolve().parents[1]


def test_committed_params_load():
    params = load_params(ROOT / "params.yaml")
    assert params.scarcity in params.prepare.levels
    assert load_params(ROOT / "tests/e2e/params.yaml").prepare.levels


def test_defaults_are_valid():
    assert parse_params({}) == Params()


def test_the_codes_defaults_are_params_yamls():
    """One source of defaults: a key left out of params.yaml means what params.yaml says, variants included."""
    assert load_params(ROOT / "params.yaml") == Params()


def test_a_moved_key_says_where_it_went():
    with pytest.raises(ParamsError, match=r"^train_generator.collapse_floor: moved to evaluate.collapse_threshold"):
        parse_params({"train_generator": {"collapse_floor": 0.5}})
    with pytest.raises(ParamsError, match=r"^train_gan: moved to train_generator \(one section for every generator"):
        parse_params({"train_gan": {"arch": "flow"}})  # a params file from before the section's rename


def test_a_per_level_count_is_that_of_the_smallest_key_at_or_above_the_level():
    assert [by_level({1000: 5, 60000: 3}, n) for n in (100, 1000, 1001, 60000, 60001)] == [5, 5, 3, 3, None]
    params = parse_params({"prepare": {"levels": [100, 2000, 60000]}, "scarcity": 100, "compare": {"level": 100}})
    assert [len(params.grid.seeds_for(n)) for n in (100, 2000, 60000)] == [5, 3, 3]  # 2000 needs no key of its own
    assert [len(params.train_generator.seeds_for(n)) for n in (100, 2000, 60000)] == [3, 1, 1]


@pytest.mark.parametrize("has_bf16", [True, False])
def test_precision_auto_is_bf16_only_on_a_cpu_that_multiplies_it(has_bf16, monkeypatch):
    monkeypatch.setattr(runtime, "cpu_has_bf16", lambda: has_bf16)
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert runtime.resolve_precision("auto", cpu) == (torch.bfloat16 if has_bf16 else None)
    assert runtime.resolve_precision("fp32", cpu) is None and runtime.resolve_precision("auto", cuda) is None
    assert runtime.resolve_precision("bf16", cuda) == torch.bfloat16  # asked for on a GPU: given
    if has_bf16:
        assert runtime.resolve_precision("bf16", cpu) == torch.bfloat16
    else:
        with pytest.raises(ParamsError, match=r"^precision = 'bf16' but this CPU has neither AMX nor AVX512-BF16"):
            runtime.resolve_precision("bf16", cpu)


@pytest.mark.parametrize("device, precision, message", [
    ("cpu", "bf16", r"^precision = 'bf16' but this CPU has neither"),
    ("cuda", "auto", r"^device = 'cuda' but no CUDA device is available"),
])
def test_validate_refuses_what_this_machine_cannot_run(tmp_path, monkeypatch, device, precision, message):
    """Before the training stages, whose outputs DVC would delete first, find it."""
    monkeypatch.setattr(runtime, "cpu_has_bf16", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    (tmp_path / "params.yaml").write_text(f"device: {device}\nprecision: {precision}\n")
    params = load_params(tmp_path / "params.yaml")
    with pytest.raises(ParamsError, match=message):
        validate.run(params, tmp_path / "params.yaml", (ROOT / "dvc.yaml",), tmp_path / "validated.json")
    assert not (tmp_path / "validated.json").exists()


def test_validate_refuses_a_git_repository_without_a_commit(tmp_path):
    """DVCLive cannot start there (dvclive#522): say so before any stage runs, and run once it has one."""
    import subprocess

    (tmp_path / "params.yaml").write_text("seed: 0\n")
    params, out = load_params(tmp_path / "params.yaml"), tmp_path / "validated.json"
    validate.run(params, tmp_path / "params.yaml", (), out)  # not a git repository: DVCLive runs without one
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    out.unlink()
    with pytest.raises(UserError, match=r"a git repository without a commit, where DVCLive cannot log"):
        validate.run(params, tmp_path / "params.yaml", (), out)
    assert not out.exists()
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"],
                   cwd=tmp_path, check=True)
    validate.run(params, tmp_path / "params.yaml", (), out)
    assert out.exists()


def test_ints_accepted_where_floats_expected():
    # `dvc exp run -S 'ratio=1'` writes an int into params.yaml
    params = parse_params({"ratio": 1, "variants": {"gan": {"ratios": [0.5, 1]}}, "grid": {"headline": "gan"}})
    assert params.ratio == 1.0 and isinstance(params.ratio, float)
    assert params.variants["gan"].ratios == (0.5, 1.0)


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"ratio": -0.1}, "ratio"),
        ({"ratio": "half"}, "ratio"),
        ({"seed": 1.5}, "seed"),
        ({"seed": True}, "seed"),
        ({"scarcity": 123}, "scarcity"),
        ({"device": "tpu"}, "device"),
        ({"precision": "fp16"}, "precision"),
        ({"filter": {"threshold": 1.5}}, "filter.threshold"),
        ({"filter": {"threshold": -0.1}}, "filter.threshold"),
        ({"train_generator": {"dstep": 0}}, "train_generator.dstep"),
        ({"train_generator": {"real_label": 0}}, "train_generator.real_label"),
        ({"train_generator": {"steps": "many"}}, "train_generator.steps"),
        ({"train_generator": {"loss": "wasserstein"}}, "train_generator.gp_weight"),  # a critic needs the penalty
        ({"train_generator": {"loss": "hinge"}}, "train_generator.loss"),  # with the default real_label 0.9
        ({"train_generator": {"checkpoint_every": 0}}, "train_generator.checkpoint_every"),
        ({"train_generator": {"d_wins_floor": 1.5}}, "train_generator.d_wins_floor"),
        ({"prepare": {"levels": [500, 70000]}}, "prepare.levels"),
        ({"prepare": {"levels": 500}}, "prepare.levels"),
        ({"prepare": {"levels": []}}, "prepare.levels"),
        ({"prepare": {"download_timeout": 0}}, "prepare.download_timeout"),
        ({"classifier": {"min_steps": 10, "max_steps": 5}}, "classifier.max_steps"),
        ({"generate": {"max_attempts": 0.5}}, "generate.max_attempts"),
        ({"variants": {"g": {"ratios": [0.5, 3]}}, "grid": {"headline": "g"}}, "variants.g.ratios"),
        ({"variants": {"g": {"ratios": [0, 1]}}}, "variants.g.ratios"),
        ({"variants": {"g": {"fakes": "stylegan"}}}, "variants.g.fakes"),
        ({"variants": {"g": {"fakes": "none", "ratios": [1]}}}, "variants.g.ratios"),
        ({"variants": {"g": {"fakes": "pca"}}}, "variants.g.ratios"),
        ({"variants": {"g": {"init": "warm"}}}, "variants.g.init"),
        ({"variants": {"g": {"colour": "red"}}}, "variants.g.colour"),
        ({"variants": {"real_only": {"fakes": "gan"}}}, "variants"),
        ({"variants": {"g": {"fakes": "leaky", "ratios": [0.5]}}, "grid": {"headline": "g", "leaky_level": 500}}, "variants.g.fakes"),
        ({"grid": {"seeds": {500: 5}}}, "grid.seeds"),
        ({"grid": {"seeds": {500: 1, 1000: 1, 10000: 1, 60000: 1}}}, "grid.seeds"),
        ({"grid": {"seeds": {"many": 1}}}, "grid.seeds"),
        ({"grid": {"headline": "classical"}}, "grid.headline"),
        ({"grid": {"leaky_level": 123}}, "grid.leaky_level"),
        ({"augment": {"scale": 1.5}}, "augment.scale"),
        ({"classifier": {"finetune_share": 0}}, "classifier.finetune_share"),
        ({"pca": {"components": 0}}, "pca.components"),
        ({"experiment": {"seeds": []}}, "experiment.seeds"),
        ({"experiment": {"filter": 1}}, "experiment.filter"),
        ({"grid": "all"}, "grid"),
    ],
)
def test_bad_values_name_the_key(raw, key):
    with pytest.raises(ParamsError) as error:
        parse_params(raw)
    message = str(error.value)
    assert message.startswith(key) and "allowed" in message and "\n" not in message


@pytest.mark.parametrize("raw, key", [({"ratios": 1}, "ratios"),
                                      ({"train_generator": {"lr": 1}}, "train_generator.lr")])
def test_unknown_keys_are_refused(raw, key):
    with pytest.raises(ParamsError, match=f"^{key}: unknown key"):
        parse_params(raw)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(ParamsError, match="no such params file"):
        load_params(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("ratio: [0.1\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(broken)


def _lookup(tree, dotted):
    for part in dotted.split("."):
        tree = tree[part] if isinstance(tree, dict) else getattr(tree, part)
    return tree


@pytest.mark.parametrize("dvc_file", ["dvc.yaml", "compare/dvc.yaml"])
@pytest.mark.parametrize("params_file", ["params.yaml", "tests/e2e/params.yaml"])
def test_every_param_dvc_lists_exists_in_params_and_dataclasses(params_file, dvc_file):
    dvc = yaml.safe_load((ROOT / dvc_file).read_text())
    raw = yaml.safe_load((ROOT / params_file).read_text())
    params = parse_params(raw)
    listed = tracked_params(dvc, raw)
    assert listed, f"{dvc_file} lists no params"
    for key in listed:
        _lookup(raw, key)  # KeyError if params.yaml lacks it
        _lookup(params, key)  # AttributeError if the dataclasses lack it


def test_exponent_floats_written_by_dvc_load_as_numbers(tmp_path):
    # `dvc exp run -S classifier.lr=0.000001` writes `lr: 1e-06`, a string to YAML 1.1
    path = tmp_path / "params.yaml"
    path.write_text("classifier:\n  lr: 1e-06\n  weight_decay: 5E+1\n")
    params = load_params(path)
    assert params.classifier.lr == 1e-6 and params.classifier.weight_decay == 50.0


def test_a_key_written_twice_is_refused_with_its_lines(tmp_path):
    # DVC refuses such a file; silently keeping the last value would hide a typo.
    path = tmp_path / "params.yaml"
    path.write_text("seed: 0\nfilter:\n  threshold: 0.5\n\n  threshold: 0.9\n")
    with pytest.raises(ParamsError, match=r"params.yaml: key 'threshold' written twice \(lines 3 and 5\); keep one"):
        load_params(path)
    path.write_text("base: &base {lr: 0.1}\nclassifier:\n  <<: *base\n  lr: 0.2\n")  # a merge key may be overridden
    assert yaml.load(path.read_text(), Loader=Yaml12FloatLoader)["classifier"] == {"lr": 0.2}

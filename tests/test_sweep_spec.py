"""A sweep file's checks and expansion, and which stages two points share: no Ray, no run."""
from pathlib import Path

import pytest
import yaml

from ganaug.params.strict import ParamsError
from ganaug.sweep.plan import parents, shared_stages, stage_reads
from ganaug.sweep.report import verdict
from ganaug.sweep.spec import expand, load_spec, override_value

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "examples/sweeps/base.yaml"


def spec_file(tmp_path: Path, **content) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "base": "examples/sweeps/base.yaml", **content}))
    return path


@pytest.mark.parametrize("value, text", [
    (0.5, "0.5"), (1, "1"), (True, "true"), (None, "null"), ("mnist", "mnist"), ("a b", "'a b'"), ("true", "'true'"),
    ("/data/x.npz", "/data/x.npz"), ([32, 64], "[32,64]"), ({200: 1}, "{200:1}"), ("it's", "'it\\'s'"),
])
def test_values_are_written_as_dvc_exp_run_S_reads_them(value, text):
    assert override_value(value) == text


def test_the_committed_sweeps_expand_to_checked_points():
    spec = load_spec(ROOT / "examples/sweeps/zoo.yaml")
    points = expand(spec, BASE, "0" * 40)
    assert len(points) == 8 and len({p.name for p in points}) == 8
    mlp = next(p for p in points if p.axes == {"dataset.name": "digits", "gan": "mlp", "ratio": 1.0})
    assert mlp.overrides == ("dataset.name=digits", "train_generator.arch=mlp", "ratio=1.0")
    again = expand(spec, BASE, "0" * 40)  # a rerun at the same commit finds the same names; another commit, others
    assert [p.name for p in again] == [p.name for p in points]
    assert not {p.name for p in expand(spec, BASE, "1" * 40)} & {p.name for p in points}


@pytest.mark.parametrize("content, message", [
    ({"grid": {}}, "grid = {}: allowed: at least one key with values"),
    ({"grid": {"ratio": []}}, "grid.ratio = []: allowed: a non-empty list of values"),
    ({"grid": {"ratio": [0.5, 0.5]}}, "grid.ratio = [0.5, 0.5]: allowed: values without repeats"),
    ({"grid": {"ratio": [1]}, "workers": 2}, "workers: unknown key; allowed keys: base, grid, max_retries, name, out, remotes, resources, workdir"),
    ({"grid": {"ratio": [1]}, "resources": {"num_cpus": 0}}, "resources.num_cpus = 0: allowed: an integer >= 1"),
    ({"grid": {"ratio": [1]}, "name": "a b"}, "name = 'a b': allowed: letters, digits, _ and -, starting with a letter (41 at most)"),
])
def test_a_bad_sweep_file_is_refused_naming_the_key(tmp_path, content, message):
    path = spec_file(tmp_path, **content)
    with pytest.raises(ParamsError) as error:
        load_spec(path)
    assert str(error.value) == f"{path}: {message}"


@pytest.mark.parametrize("grid, message", [
    ({"ratioo": [1]}, "grid.ratioo: not a key of examples/sweeps/base.yaml; a grid key is a dotted params key or 'gan'"),
    ({"ratio": [0.5, 3.0]}, "point ratio=3.0: ratio = 3.0: allowed: a number in [0, generate.max_ratio=2.0]"),
    ({"dataset.name": ["mnist", "svhn"]}, "point dataset.name=svhn: dataset.name = 'svhn': allowed: one of mnist, "
                                          "fashion-mnist, kmnist, digits, folder, npz"),
    ({"gan": ["dcgan", "stylegan"]}, "grid.gan: 'stylegan' is not in compare.configs of examples/sweeps/base.yaml; "
                                     "allowed: dcgan, mlp, acgan, acgan_real_classes, wgan-gp, dcgan_deeper_d, dcgan_ema"),
])
def test_a_bad_point_is_refused_before_any_work(tmp_path, grid, message):
    spec = load_spec(spec_file(tmp_path, grid=grid))
    with pytest.raises(ParamsError) as error:
        expand(spec, BASE, "0" * 40)
    assert str(error.value) == message


def test_points_that_differ_only_in_ratio_share_every_stage_but_the_experiment():
    spec = load_spec(ROOT / "examples/sweeps/zoo.yaml")
    points = expand(spec, BASE, "0" * 40)
    reads = stage_reads(ROOT, BASE)
    by_axes = {tuple(p.axes.values()): p for p in points}
    half, one = by_axes[("mnist", "dcgan", 0.5)], by_axes[("mnist", "dcgan", 1.0)]
    assert set(reads) - set(shared_stages(reads, half, one)) == {"experiment"}
    mlp = by_axes[("mnist", "mlp", 0.5)]  # another GAN: the real-image stages only
    assert set(shared_stages(reads, half, mlp)) == {"prepare@200", "prepare@1000", "judge@200", "judge@1000",
                                                    "pca@200", "pca@1000", "reference"}
    assert not shared_stages(reads, half, by_axes[("digits", "dcgan", 0.5)])
    waits = parents(points, reads)
    assert waits[one.name] == half.name and waits[half.name] is None
    assert waits[mlp.name] is None  # 7 of 18 stages in common: not worth a whole point's wait
    assert waits[by_axes[("mnist", "mlp", 1.0)].name] == mlp.name
    assert waits[by_axes[("digits", "dcgan", 0.5)].name] is None  # nothing to share: runs beside the first


def test_the_verdict_needs_q_below_the_level():
    assert [verdict(0.01, 0.01), verdict(-0.01, 0.01), verdict(0.01, 0.2), verdict(0.0, float("nan"))] == \
        ["pays", "costs", "no difference", "no difference"]

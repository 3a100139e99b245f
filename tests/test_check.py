import json

from click.testing import CliRunner

from ganaug.check import compare
from ganaug.cli import main


def write(path, data):
    path.write_text(json.dumps(data))
    return str(path)


def test_compare_allows_the_tolerance_and_no_more():
    verdicts = compare({"accuracy": 0.89, "gain": -0.05}, {"accuracy": 0.90, "gain": 0.0}, tolerance=0.02)
    assert [v.passed for v in verdicts] == [True, False]


def test_check_passes_and_prints_a_table(tmp_path):
    metrics = write(tmp_path / "m.json", {"accuracy": 0.91})
    floor = write(tmp_path / "f.json", {"tolerance": 0.01, "floors": {"accuracy": 0.90}})
    result = CliRunner().invoke(main, ["check", "--metrics", metrics, "--floor", floor])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "pass" in result.output


def test_check_fails_on_regression_and_missing_metric(tmp_path):
    metrics = write(tmp_path / "m.json", {"accuracy": 0.80})
    floor = write(tmp_path / "f.json", {"tolerance": 0.02, "floors": {"accuracy": 0.90, "real_only_accuracy": 0.9}})
    result = CliRunner().invoke(main, ["check", "--metrics", metrics, "--floor", floor])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "missing" in result.output
    assert "accuracy regression: accuracy, real_only_accuracy" in result.output


def test_check_names_a_missing_metrics_file(tmp_path):
    floor = write(tmp_path / "f.json", {"floors": {"accuracy": 0.9}})
    result = CliRunner().invoke(main, ["check", "--metrics", str(tmp_path / "none.json"), "--floor", floor])
    assert result.exit_code == 1 and "none.json: missing" in result.output


def test_every_stage_has_a_command_with_help():
    result = CliRunner().invoke(main, ["--help"])
    for command in ("prepare", "train_gan", "judge", "generate", "retrain", "experiment", "report", "check"):
        assert command in result.output
        assert CliRunner().invoke(main, [command, "--help"]).exit_code == 0


def test_bad_params_and_missing_inputs_are_one_line_errors(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("filter: {threshold: 2}\n")
    args = ["judge", "--params", str(params), "--level", "500", "--mnist", str(tmp_path / "m.npz"),
            "--subsets", str(tmp_path / "s.npz"), "--judge", str(tmp_path / "j.pt"), "--metrics", str(tmp_path / "j.json")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: filter.threshold = 2.0: allowed: a probability in [0, 1]"

    params.write_text("seed: 0\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "s.npz: missing; run `ganaug prepare` first" in result.output
    assert not (tmp_path / "j.pt").exists() and not (tmp_path / "j.json").exists()

    result = CliRunner().invoke(main, [*args[:3], "--level", "7", *args[5:]])
    assert result.exit_code == 1 and "--level 7: not in prepare.levels" in result.output

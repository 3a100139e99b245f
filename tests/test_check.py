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

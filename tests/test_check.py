import json
import subprocess

from click.testing import CliRunner

from ganaug.cli.check import compare, format_table
from ganaug.cli.main import main
from ganaug.params.project import GateParams


def write(path, data):
    path.write_text(json.dumps(data))
    return str(path)


def gates(**drops):
    return tuple(GateParams(name, absolute=a, relative=r) for name, (a, r) in drops.items())


def test_allowed_drop_is_the_larger_of_absolute_and_relative():
    verdicts = compare(
        {"accuracy": 0.89, "gain": -0.05, "real_only_accuracy": 0.85},
        {"accuracy": 0.90, "gain": 0.0, "real_only_accuracy": 0.90},
        gates(accuracy=(0.02, 0.0), gain=(0.01, 0.5), real_only_accuracy=(0.0, 0.06)),
    )
    assert [v.passed for v in verdicts] == [True, False, True]  # 0.85 >= 0.90 - 0.054
    assert verdicts[0].allowed == 0.88 and round(verdicts[0].change, 4) == -0.01


def test_missing_metric_fails():
    verdicts = compare({}, {"accuracy": 0.9}, gates(accuracy=(0.1, 0)))
    assert not verdicts[0].passed and "missing" in format_table(verdicts)
    verdicts = compare({"accuracy": 0.9}, {}, gates(accuracy=(0.1, 0)))
    assert not verdicts[0].passed


def params_file(tmp_path, absolute=0.01):
    path = tmp_path / "params.yaml"
    path.write_text(f"check:\n  gates:\n    - {{metric: accuracy, absolute: {absolute}}}\n")
    return str(path)


def test_check_passes_and_prints_a_table(tmp_path):
    metrics = write(tmp_path / "m.json", {"accuracy": 0.91})
    baseline = write(tmp_path / "b.json", {"accuracy": 0.915})
    args = ["check", "--params", params_file(tmp_path), "--metrics", metrics, "--baseline", baseline]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    header, rule, row = result.output.splitlines()[:3]
    assert header.split() == ["metric", "baseline", "now", "change", "allowed", "result"]
    assert row.split() == ["accuracy", "0.9150", "0.9100", "-0.0050", ">=", "0.9050", "pass"]


def test_check_fails_on_regression_in_every_format(tmp_path):
    metrics = write(tmp_path / "m.json", {"accuracy": 0.80})
    baseline = write(tmp_path / "b.json", {"accuracy": 0.90})
    args = ["check", "--params", params_file(tmp_path), "--metrics", metrics, "--baseline", baseline]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "FAIL" in result.output
    assert "accuracy regression: accuracy" in result.output
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 1 and json.loads(result.output.split("Error:")[0])["passed"] is False
    result = CliRunner().invoke(main, [*args, "--format", "markdown"])
    assert result.exit_code == 1 and "| accuracy | 0.9000 | 0.8000 | -0.1000 | >= 0.8900 | **FAIL** |" in result.output


def test_check_reads_the_baseline_at_a_git_revision(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    metrics = tmp_path / "reports" / "metrics.json"
    metrics.parent.mkdir()
    write(metrics, {"accuracy": 0.95})
    git("add", "-A")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "baseline")
    write(metrics, {"accuracy": 0.90})
    args = ["check", "--params", params_file(tmp_path), "--metrics", str(metrics)]
    result = CliRunner().invoke(main, [*args, "--rev", "HEAD"])
    assert result.exit_code == 1 and "0.9500" in result.output
    result = CliRunner().invoke(main, [*args, "--rev", "no-such-branch"])
    assert result.exit_code == 1 and "at git revision 'no-such-branch'" in result.output


def test_check_names_a_missing_metrics_file_and_needs_one_baseline(tmp_path):
    baseline = write(tmp_path / "b.json", {"accuracy": 0.9})
    args = ["check", "--params", params_file(tmp_path), "--metrics", str(tmp_path / "none.json")]
    result = CliRunner().invoke(main, [*args, "--baseline", baseline])
    assert result.exit_code == 1 and "none.json: missing" in result.output
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "exactly one of --baseline FILE or --rev REVISION" in result.output


def test_every_stage_has_a_command_with_help():
    result = CliRunner().invoke(main, ["--help"])
    for command in ("validate", "fetch", "prepare", "train_generator", "judge", "generate", "retrain", "experiment",
                    "report", "check", "show"):
        assert command in result.output
        assert CliRunner().invoke(main, [command, "--help"]).exit_code == 0


def test_bad_params_and_missing_inputs_are_one_line_errors(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("filter: {threshold: 2}\n")
    args = ["judge", "--params", str(params), "--level", "500", "--data", str(tmp_path / "m.npz"),
            "--subsets", str(tmp_path / "s.npz"), "--judge", str(tmp_path / "j.pt"), "--metrics", str(tmp_path / "j.json"),
            "--curves", str(tmp_path / "curves")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: filter.threshold = 2.0: allowed: a probability in [0, 1]"

    params.write_text("seed: 0\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "s.npz: missing; run `dvc repro prepare` first" in result.output
    assert not (tmp_path / "j.pt").exists() and not (tmp_path / "j.json").exists()

    result = CliRunner().invoke(main, [*args[:3], "--level", "7", *args[5:]])
    assert result.exit_code == 1 and "--level 7: not in prepare.levels" in result.output

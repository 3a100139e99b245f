"""`ganaug show`: one readable line per experiment from `dvc exp show --json`."""
import subprocess

from click.testing import CliRunner

from ganaug.cli.main import main
from ganaug.cli.show import rows, table


def entry(rev, name, ratio, accuracy, gain, low, high, worth=1080):
    return {"rev": rev, "name": name, "data": {
        "params": {"params.yaml": {"data": {"ratio": ratio, "grid": {"seeds": {500: 5}}}}},
        "metrics": {"reports/metrics.json": {"data": {"accuracy": accuracy, "real_only_accuracy": 0.95, "gain": gain,
                                                      "gain_ci_low": low, "gain_ci_high": high, "worth": worth}}},
    }}


def test_each_experiment_is_one_line_with_what_it_changed():
    workspace = entry("workspace", None, 0.5, 0.9525, 0.0004, -0.003, 0.004)
    main = {**entry("a" * 40, "main", 0.5, 0.9525, 0.0004, -0.003, 0.004), "experiments": [
        {"revs": [entry("b" * 40, "exp-ratio", 0.1, 0.9531, 0.0011, 0.0002, 0.002)]},
    ]}
    lines = table(rows([workspace, main], "params.yaml", "reports/metrics.json"))
    assert len(lines) == 4 and max(map(len, lines)) <= 120
    assert lines[1].startswith("workspace") and lines[1].endswith("  -")
    assert lines[3].startswith("exp-ratio") and "0.9531" in lines[3] and "[0.0002, 0.0020]" in lines[3]
    assert lines[3].endswith("1080  ratio=0.1")


def test_dvcs_selection_and_sort_options_reach_dvc_exp_show(monkeypatch):
    called = []

    def fake_run(command, **kwargs):
        called.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="[]", stderr="")

    monkeypatch.setattr(subprocess, "run", fake_run)
    result = CliRunner().invoke(main, ["show", "-A", "--rev", "main", "-n", "2", "--sort-by", "gain", "--sort-order", "desc"])
    assert result.exit_code == 0 and result.output == "no experiments\n", result.output
    assert called == [["dvc", "exp", "show", "--json", "-A", "--rev", "main", "-n", "2",
                       "--sort-by", "gain", "--sort-order", "desc"]]


def test_missing_metrics_show_as_dashes():
    lines = table(rows([{"rev": "workspace", "name": None, "data": {}}], "params.yaml", "reports/metrics.json"))
    assert lines[1].split()[:4] == ["workspace", "-", "-", "-"]

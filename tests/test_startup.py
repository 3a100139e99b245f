"""Start-up: every stage is a fresh process, so what the CLI imports is paid once per stage."""
import json
import subprocess
import sys
from pathlib import Path

STAGES = sorted(p.stem for p in (Path(__file__).parents[1] / "src" / "ganaug" / "stages").glob("[a-z]*.py"))
# torchmetrics brings torchvision and torch._dynamo: about 2.5 s per stage process. Only FID needs it.
HEAVY = ("torchmetrics", "torchvision", "torch._dynamo")


def test_no_stage_imports_what_only_fid_needs():
    imports = ", ".join(["ganaug.cli.main", *(f"ganaug.stages.{stage}" for stage in STAGES)])
    code = f"import json, sys, {imports}; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [], "importing the stages imports these"


def test_check_and_show_start_without_torch(tmp_path):
    """The gate and the experiments' table read JSON only: they must not pay torch's import (seconds)."""
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"accuracy": 0.9, "real_only_accuracy": 0.9}))
    code = ("import json, sys\nfrom click.testing import CliRunner\nfrom ganaug.cli.main import main\n"
            f"result = CliRunner().invoke(main, ['check', '--metrics', {str(metrics)!r}, '--baseline', {str(metrics)!r}])\n"
            "assert result.exit_code == 0, result.output\n"
            "CliRunner().invoke(main, ['show'])\n"  # fails without a DVC project here, after importing what it needs
            "print(json.dumps(sorted(m for m in ('torch', 'scipy') if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []

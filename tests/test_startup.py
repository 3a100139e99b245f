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

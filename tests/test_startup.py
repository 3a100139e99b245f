"""Start-up: every stage is a fresh process, so what the CLI imports is paid once per stage."""
import subprocess
import sys
from pathlib import Path

import pytest

STAGES = sorted(p.stem for p in (Path(__file__).parents[1] / "src" / "ganaug" / "stages").glob("[a-z]*.py"))


@pytest.mark.parametrize("heavy", ["torchmetrics", "torchvision", "torch._dynamo"])
def test_no_stage_imports_what_only_fid_needs(heavy):
    # torchmetrics brings torchvision and torch._dynamo: about 2.5 s per stage process.
    imports = ", ".join(["ganaug.cli", *(f"ganaug.stages.{stage}" for stage in STAGES)])
    code = f"import sys, {imports}; print({heavy!r} in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", f"importing the stages imports {heavy}"

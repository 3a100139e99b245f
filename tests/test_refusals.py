"""A refused `dvc repro` changes no file of the project, through the real dvc.yaml and the real DVC.

DVC deletes a stage's outputs before it runs the command, so a command that then refuses would
cost them; fetch and validate, the two stages that refuse, keep theirs (persist). Here fetch
refuses a user's damaged npz and a folder with a truncated PNG; the MNIST cases (a tampered copy,
a refused params file) run on the real-MNIST project of tests/test_e2e_mnist.py.
"""
import numpy as np
import pytest
import yaml

from examples.run import make_project, sh
from tests.dvc_stages import tree_digests
from tests.test_pipeline_folder import folder_params, image_tree
from tests.test_pipeline_tiny import pipeline_params, tiny_npz

pytestmark = pytest.mark.slow


def npz_with_a_label_short(tmp_path):
    source = tiny_npz(tmp_path / "mine.npz")

    def damage():
        with np.load(source) as archive:
            arrays = {key: archive[key] for key in archive.files}
        np.savez(source, **{**arrays, "y_train": arrays["y_train"][:-1]})

    return pipeline_params({"name": "npz", "path": str(source)}), damage, "y_train"


def folder_with_a_truncated_png(tmp_path):
    train, test = image_tree(tmp_path / "train", 30, seed=0), image_tree(tmp_path / "test", 10, seed=1)
    png = train / "green" / "007.png"
    return folder_params(train, test), lambda: png.write_bytes(png.read_bytes()[:80]), "007.png"


@pytest.mark.parametrize("source", [npz_with_a_label_short, folder_with_a_truncated_png])
def test_a_refused_fetch_under_dvc_repro_changes_no_file(tmp_path, source):
    params, damage, named = source(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    work = make_project(tmp_path / "params.yaml", tmp_path / "project")
    sh("dvc", "repro", "fetch", cwd=work)
    damage()  # the source DVC does not track: `dvc repro --force` is how a user makes fetch read it again
    before = tree_digests(work)
    assert {"reports/dataset.json", "data/validated.json", "data/prepared/dataset.npz", "dvc.lock"} <= set(before)
    done = sh("dvc", "repro", "--force", "fetch", cwd=work, ok=False)
    errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("Error:")]
    assert done.returncode != 0 and len(errors) == 1 and named in errors[0], done.stdout + done.stderr
    assert tree_digests(work) == before

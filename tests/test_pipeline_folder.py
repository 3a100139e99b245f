"""Your own images: a tiny folder of RGB PNGs through the real dvc.yaml, every stage, report included.

The pipeline's dvc.yaml with a params file naming ``dataset: folder``, every stage run as DVC
resolves it, in this process (``tests/dvc_stages.py``: a real ``dvc repro`` pays a process start
per stage, and tests/test_e2e_mnist.py runs one on the project a user makes). Three classes of
coloured squares, 16 x 16 after resizing, a test tree of their own; two levels, one of them the
whole set.
"""
import json

import numpy as np
import pytest
from PIL import Image

from tests.dvc_stages import make_project, run_stages
from tests.test_pipeline_tiny import pipeline_params

pytestmark = pytest.mark.slow

COLOURS = {"blue": (40, 60, 220), "green": (40, 200, 60), "red": (220, 40, 40)}


def image_tree(root, per_class: int, seed: int):
    """Per class a folder of 20 x 20 RGB PNGs: noise with a square of the class's colour somewhere."""
    rng = np.random.default_rng(seed)
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (20, 20, 3), dtype=np.uint8)
            top, left = rng.integers(0, 10, 2)
            pixels[top:top + 10, left:left + 10] = colour
            Image.fromarray(pixels).save(root / name / f"{i:03d}.png")
    return root


def folder_params(train, test) -> dict:
    levels = [30, 90]  # 10 per class, and all 90 training images
    tiny = pipeline_params({"name": "folder", "path": str(train), "test_path": str(test), "size": 16})
    return {**tiny, "scarcity": 30, "prepare": {**tiny["prepare"], "levels": levels}, "curve": {"levels": levels, "seeds": 2},
            "train_generator": {**tiny["train_generator"], "seeds": {30: 2, 90: 1}},
            "grid": {**tiny["grid"], "seeds": {30: 2, 90: 2}, "leaky_level": 90},
            "compare": {**tiny["compare"], "level": 30},
            "evaluate": {**tiny["evaluate"], "samples": 30, "k": 3}}


def test_a_folder_of_rgb_images_runs_the_whole_pipeline(tmp_path):
    train, test = image_tree(tmp_path / "train", 30, seed=0), image_tree(tmp_path / "test", 10, seed=1)
    work = tmp_path / "project"
    work.mkdir()
    run_stages(make_project(work, folder_params(train, test)))

    description = json.loads((work / "reports/dataset.json").read_text())
    assert (description["classes"], description["channels"], description["height"]) == (["blue", "green", "red"], 3, 16)
    assert description["train_counts"] == [30, 30, 30] and description["test_count"] == 30
    fakes = np.load(work / "data/levels/30/fakes.npz")
    assert fakes["images"].shape[1:] == (16, 16, 3) and set(np.unique(fakes["labels"])) <= {0, 1, 2}
    reference = json.loads((work / "reports/reference.json").read_text())
    assert reference["test_accuracy"] > 0.9, "coloured squares are easy: the reference must learn them"
    table = (work / "reports/accuracy_table.md").read_text()
    assert "30" in table and "90" in table
    assert (work / "reports/levels/30/samples.png").read_bytes()[:4] == b"\x89PNG"

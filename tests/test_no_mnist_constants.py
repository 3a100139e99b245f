"""MNIST's sizes live in its source and in defaults only: everything else takes them from the dataset description.

A 28, 784 or 60000 in code (not comments or docstrings) outside those files would size an array or
a model for MNIST whatever the dataset, and a second dataset would break there first.
"""
import io
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ganaug"
MNIST_SIZES = {"28", "784", "60000", "60_000"}
# The MNIST source and the files that hold defaults (model signatures, params' dataclass fields).
ALLOWED = {"data/mnist.py", "params/dataset.py", "data/description.py", "data/sources.py", "params/project.py",
           "params/gan.py", "params/table.py", "models/lenet.py", "models/dcgan.py", "models/mlp.py"}


def mnist_numbers(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.NUMBER and t.string in MNIST_SIZES]


def test_no_module_sizes_anything_for_mnist_outside_its_source_and_defaults():
    found = {str(p.relative_to(PACKAGE)): mnist_numbers(p) for p in sorted(PACKAGE.rglob("*.py"))
             if str(p.relative_to(PACKAGE)) not in ALLOWED}
    assert {path: hits for path, hits in found.items() if hits} == {}


def test_the_check_finds_a_size_in_code_but_not_in_a_comment(tmp_path):
    path = tmp_path / "module.py"
    path.write_text('"""28 x 28 in a docstring."""\nside = 28  # 784 in a comment\n')
    assert mnist_numbers(path) == [(2, "28")]

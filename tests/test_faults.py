"""Bad input and faults: every bad param, corrupt files, failed writes, killed stages."""
import dataclasses
import errno
import os
import signal
import subprocess
import sys
import time
import typing

import numpy as np
import pytest
import torch
import yaml

from ganaug.pipeline import io
from ganaug.pipeline.io import ArtifactError, atomic_path, load_checkpoint, load_npz, save_checkpoint, save_npz
from ganaug.params.project import Params, ParamsError, parse_params
from ganaug.pipeline.io import load_numeric_csv

WRONG_TYPE = {int: "seven", float: "half", bool: "maybe", str: 5}


def every_key():
    """(raw params with one wrongly typed value, the key the error must name), for every field."""
    hints = typing.get_type_hints(Params)
    for field in dataclasses.fields(Params):
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            for inner, inner_hint in typing.get_type_hints(hint).items():
                yield {field.name: {inner: _wrong(inner_hint)}}, f"{field.name}.{inner}"
        elif typing.get_origin(hint) is dict and dataclasses.is_dataclass(item := typing.get_args(hint)[1]):
            yield {field.name: _wrong(hint)}, field.name
            for inner, inner_hint in typing.get_type_hints(item).items():  # a named entry, e.g. variants.g
                yield {field.name: {"g": {inner: _wrong(inner_hint)}}}, f"{field.name}.g.{inner}"
        else:
            yield {field.name: _wrong(hint)}, field.name


def _wrong(hint):
    if typing.get_origin(hint) is tuple or any(typing.get_origin(a) is tuple for a in typing.get_args(hint)):
        return "not a list"
    if typing.get_origin(hint) is dict:
        return "not a mapping"
    if type(None) in typing.get_args(hint):  # optional: None is allowed, the wrong type still is not
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
    return WRONG_TYPE[hint]


@pytest.mark.parametrize("raw, key", list(every_key()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_key_of_every_section_refuses_a_wrong_type(raw, key):
    with pytest.raises(ParamsError) as error:
        parse_params(raw)
    message = str(error.value)
    assert message.startswith(f"{key} = ") and "allowed: " in message and "\n" not in message


def test_truncated_npz_is_named_with_what_to_run(tmp_path):
    path = tmp_path / "fakes.npz"
    save_npz(path, images=np.zeros((10, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ArtifactError, match=r"fakes.npz: unreadable .*rerun `ganaug generate`"):
        load_npz(path, ("images",), made_by="ganaug generate")


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "fakes.npz"
    np.savez(path, images=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ArtifactError, match="unreadable"):
        load_npz(path, ("images",), made_by="ganaug generate")


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_tampered_checkpoint_does_not_run_code(tmp_path, capfd):
    path = tmp_path / "generator.pt"
    torch.save({"config": {}, "state_dict": Payload()}, path)
    with pytest.raises(ArtifactError, match="generator.pt: unreadable checkpoint"):
        load_checkpoint(path, made_by="dvc repro train_generator@500")
    assert "pwned" not in capfd.readouterr().out


def test_truncated_checkpoint_is_named(tmp_path):
    path = tmp_path / "judge.pt"
    save_checkpoint(path, {"w": torch.zeros(100)}, {"n_classes": 10})
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ArtifactError, match="judge.pt: unreadable checkpoint.*rerun `dvc repro judge@500`"):
        load_checkpoint(path, made_by="dvc repro judge@500")


@pytest.mark.parametrize(
    "content, message",
    [
        ("level,ratio\n500,0\n", "lacks columns"),
        ("level,ratio,filter,seed,steps,accuracy\n500,0,none,0,10,high\n", "not a number"),
        ("level,ratio,filter,seed,steps,accuracy\n", "no rows"),
    ],
)
def test_tampered_results_are_named(tmp_path, content, message):
    path = tmp_path / "results.csv"
    path.write_text(content)
    with pytest.raises(ArtifactError, match=f"results.csv: {message}"):
        load_numeric_csv(path, "dvc repro retrain@500", ("level", "ratio", "seed", "steps", "accuracy"), ("filter",))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_failed_writes_keep_the_old_file_and_say_so(tmp_path, monkeypatch, code):
    path = tmp_path / "metrics.json"
    io.save_json(path, {"accuracy": 0.9})

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(io.json, "dumps", fail)
    with pytest.raises(ArtifactError, match=f"metrics.json: cannot write \\({os.strerror(code)}\\); .* is unchanged"):
        io.save_json(path, {"accuracy": 0.1})
    assert yaml.safe_load(path.read_text()) == {"accuracy": 0.9}
    assert list(tmp_path.iterdir()) == [path]  # no temporary left behind


def test_write_into_an_unwritable_place_is_named(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(ArtifactError, match="reports/metrics.json: cannot write"):
        io.save_json(blocker / "metrics.json", {})


def test_a_stray_temporary_from_a_killed_write_is_cleaned_up(tmp_path):
    path = tmp_path / "results.csv"
    (tmp_path / ".results.csv.abc123.tmp").write_text("half a fi")
    with atomic_path(path) as tmp:
        tmp.write_text("whole\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


KILLER = """
import sys
import numpy as np
from ganaug.pipeline.io import save_npz
big = np.arange(40_000_000, dtype=np.uint8)  # 40 MB: the write takes a while
while True:
    save_npz(sys.argv[1], images=big, generation=np.array([int(sys.argv[2])]))
    print("wrote", flush=True)
"""


def test_killing_a_writer_at_any_moment_leaves_a_whole_file(tmp_path):
    path = tmp_path / "fakes.npz"
    save_npz(path, images=np.zeros(3, np.uint8), generation=np.array([0]))
    for attempt, delay in enumerate([0.05, 0.2, 0.35, 0.5, 0.8], start=1):
        writer = subprocess.Popen([sys.executable, "-c", KILLER, str(path), str(attempt)], stdout=subprocess.PIPE)
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        arrays = load_npz(path, ("images", "generation"), made_by="test")  # never half a file
        assert arrays["generation"][0] in (0, *range(1, attempt + 1))
        assert len(arrays["images"]) in (3, 40_000_000)


def test_checkpoint_of_the_wrong_model_is_named(tmp_path):
    from ganaug.models import ConditionalGenerator, LeNet5

    path = tmp_path / "generator.pt"
    save_checkpoint(path, LeNet5().state_dict(), {"n_classes": 10})  # a judge where a generator belongs
    with pytest.raises(ArtifactError, match="generator.pt: not a ConditionalGenerator checkpoint"):
        io.load_model(ConditionalGenerator, path, made_by="dvc repro train_generator@500")
    save_checkpoint(path, LeNet5(n_classes=3).state_dict(), {"n_classes": 10})  # weights of another shape
    with pytest.raises(ArtifactError, match="not a LeNet5 checkpoint"):
        io.load_model(LeNet5, path, made_by="dvc repro judge@500")


def test_checkpoint_on_a_full_disk_is_a_clear_error(tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):  # what torch raises when the disk fills mid-save
        raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0\nmore detail")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(ArtifactError, match=r"judge.pt: cannot write \(\[enforce fail.*\); .* is unchanged"):
        save_checkpoint(tmp_path / "judge.pt", {}, {})
    assert list(tmp_path.iterdir()) == []


def test_metrics_that_are_not_an_object_are_named(tmp_path):
    from ganaug.cli.check import load_metrics

    path = tmp_path / "metrics.json"
    path.write_text("[0.9]")
    with pytest.raises(ArtifactError, match="metrics.json: expected a JSON object"):
        load_metrics(path)


def test_results_json_missing_a_key_is_named(tmp_path):
    from ganaug.stages.report import load_json_with

    path = tmp_path / "judge.json"
    path.write_text('{"level": 500}')
    with pytest.raises(ArtifactError, match=r"judge.json: lacks \['test_accuracy'\]; rerun `dvc repro judge@500`"):
        load_json_with(path, "dvc repro judge@500", ("test_accuracy",))


def test_same_weights_give_the_same_checkpoint_bytes(tmp_path):
    # DVC hashes outputs: a checkpoint must not embed its random temporary file name.
    weights = {"w": torch.arange(6.0)}
    first, second = tmp_path / "a.pt", tmp_path / "b.pt"
    save_checkpoint(first, weights, {"n_classes": 10})
    save_checkpoint(second, weights, {"n_classes": 10})
    assert first.read_bytes() == second.read_bytes()

"""Snapshot selection: the level's own images only, near-copies caught, the best snapshot kept,
patience stops, and a run killed mid-way resumes to the same choice."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from ganaug.data import tensors as datasets

from ganaug.pipeline import io
from ganaug.data.tensors import to_labelled
from ganaug.models import LeNet5
from ganaug.params.project import parse_params
from ganaug.pipeline.stage_files import TrainGenerator
from ganaug.stages import train_generator as train_generator_stage
from ganaug.generators import gan
from ganaug.generators.gan import train_generator
from ganaug.generators.gan_models import build_generators
from ganaug.generators.snapshots import Criterion, Selection, nearest_distances, rank

from .conftest import synthetic_digits

SMALL = {"steps": 12, "batch_size": 16, "latent_dim": 8, "log_every": 4, "checkpoint_every": 4,
         "g_widths": [8, 4], "d_widths": [4, 8], "snapshot_every": 4, "snapshot_samples": 40}


@pytest.fixture
def data():
    return to_labelled(*synthetic_digits(120, seed=0), torch.device("cpu"))


class _Replay(nn.Module):
    """A 'generator' that returns training images of the asked class (a memoriser), or noise."""

    latent, latent_dim, output = "gaussian", 4, "tanh"

    def __init__(self, images, labels, copy: bool):
        super().__init__()
        self.images, self.labels, self.copy = images, labels, copy
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, noise, labels):
        if not self.copy:
            return torch.rand(len(labels), 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
        rows = torch.stack([torch.nonzero(self.labels == c)[i % 5, 0] for i, c in enumerate(labels.tolist())])
        return self.images[rows]


def test_near_copies_are_what_a_memoriser_makes_and_not_what_noise_makes(data):
    criterion = Criterion(LeNet5().eval(), *data, samples=40, copy_quantile=0.01, seed=0)
    assert criterion(_Replay(*data, copy=True))["near_copies"] == 1.0
    assert criterion(_Replay(*data, copy=False))["near_copies"] == 0.0


def test_nearest_distances_leave_each_query_out_of_its_own_neighbours():
    points = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    assert nearest_distances(points, points).tolist() == [0, 0, 0, 0]
    assert nearest_distances(points[:2], points, exclude_self=True, chunk=3).tolist() == [1.0, 1.0]


def test_the_kept_snapshot_is_the_lowest_fid_within_the_copy_limit_and_patience_stops():
    selection = Selection(max_copy_share=0.1, patience=2)
    model = nn.Linear(1, 1)
    scores = [(1, 9.0, 0.0), (2, 3.0, 0.5), (3, 5.0, 0.05), (4, 6.0, 0.0), (5, 7.0, 0.0)]  # step, fid, near-copies
    for step, fid, copies in scores:
        with torch.no_grad():
            model.weight.fill_(step)
        selection.offer(step, model, {"fid": fid, "tarr_judge": 1.0, "near_copies": copies})
    # Step 2 has the lowest FID but copies half its fakes: never kept while another qualifies.
    assert selection.best_step == 3 and selection.stale == 2 and selection.exhausted()
    assert not Selection(max_copy_share=0.1, patience=3, state=selection.state()).exhausted()
    assert selection.keep_best(model).weight.item() == 3
    assert rank({"fid": 1.0, "near_copies": 0.9}, 0.1) > rank({"fid": 99.0, "near_copies": 0.0}, 0.1)


def test_training_keeps_the_best_snapshot_and_resumes_to_the_same_choice(data, tmp_path, monkeypatch):
    params = parse_params({"train_generator": SMALL}).train_generator
    criterion = Criterion(LeNet5().eval(), *data, samples=40, copy_quantile=0.01, seed=0)
    fresh_rows, resumed_rows = [], []  # what a live view (DVCLive) is shown
    fresh, fresh_log, chosen = train_generator(*data, params, seed=2, criterion=criterion,
                                         on_row=lambda kind, row: fresh_rows.append((kind, dict(row))))
    assert [row["step"] for row in chosen.curve] == [4, 8, 12]
    assert chosen.chosen()["fid"] == min(row["fid"] for row in chosen.curve if row["near_copies"] <= 0.05)
    assert criterion(fresh)["fid"] == chosen.chosen()["fid"]  # the generator returned is the one scored best
    save = gan.save_state

    def save_then_crash(path, run, state):
        save(path, run, state)
        if state["step"] == 8:
            raise KeyboardInterrupt

    monkeypatch.setattr(gan, "save_state", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train_generator(*data, params, seed=2, checkpoint=tmp_path / "ckpt.pt", criterion=criterion)
    monkeypatch.setattr(gan, "save_state", save)
    resumed, resumed_log, again = train_generator(*data, params, seed=2, checkpoint=tmp_path / "ckpt.pt",
                                                  criterion=criterion,
                                                  on_row=lambda kind, row: resumed_rows.append((kind, dict(row))))
    assert resumed_log == fresh_log and again.curve == chosen.curve and again.best_step == chosen.best_step
    assert sorted(resumed_rows, key=str) == sorted(fresh_rows, key=str)  # the resumed rows are replayed first
    assert [row for kind, row in fresh_rows if kind == "snapshot"] == chosen.curve
    for name, weight in fresh.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], weight), name


def test_patience_stops_training_early(data):
    params = parse_params({"train_generator": {**SMALL, "steps": 40, "patience": 1, "min_steps": 1}}).train_generator
    fids = iter([5.0, 3.0, 4.0, 1.0, 1.0])

    def scripted(generator):
        return {"fid": next(fids), "tarr_judge": 1.0, "near_copies": 0.0}

    _, log, selection = train_generator(*data, params, seed=2, criterion=scripted)
    assert [row["step"] for row in selection.curve] == [4, 8, 12]  # no better snapshot at 12: stop there
    assert selection.best_step == 8 and log[-1]["step"] == 12


@pytest.mark.parametrize("stack", [False, True], ids=["one-by-one", "stacked"])
def test_the_stage_never_reads_the_test_set_or_the_reference(tiny_mnist, tmp_path, monkeypatch, stack):
    mnist, subsets = tiny_mnist
    params = parse_params({"prepare": {"levels": [100]}, "scarcity": 100, "grid": {"seeds": {100: 2}, "leaky_level": 100},
                           "compare": {"level": 100}, "train_generator": {**SMALL, "seeds": {100: 2}, "stack": stack}})
    io.save_checkpoint(tmp_path / "judge.pt", LeNet5().state_dict(), {"n_classes": 10})
    read_keys, read_checkpoints = [], []
    load_npz, load_checkpoint = io.load_npz, io.load_checkpoint

    def spy_npz(path, keys, made_by):
        read_keys.extend(keys)
        return load_npz(path, keys, made_by)

    def spy_checkpoint(path, made_by):
        read_checkpoints.append(str(path))
        return load_checkpoint(path, made_by)

    def forbidden(*args, **kwargs):
        raise AssertionError("train_generator read the test set or all 60000 training images")

    monkeypatch.setattr(datasets, "load_npz", spy_npz)
    monkeypatch.setattr(io, "load_npz", spy_npz)  # through io.load_checked
    monkeypatch.setattr(io, "load_checkpoint", spy_checkpoint)
    for name in ("load_test_set", "load_full_train"):
        monkeypatch.setattr(datasets, name, forbidden)
    out = tmp_path / "out"
    files = TrainGenerator(data=mnist, subsets=subsets, judge=tmp_path / "judge.pt", generators=out / "generators.pt",
                     curves=out / "curves", health=out / "health.json", checkpoints=out / "scratch")
    train_generator_stage.run(params, 100, files)
    assert set(read_keys) == {"100", "x_train", "y_train"}  # the level's indices, then its rows of the training set
    assert read_checkpoints == [str(tmp_path / "judge.pt")]
    health = json.loads((out / "health.json").read_text())
    assert [h["gan_seed"] for h in health["per_seed"]] == [0, 1] and health.get("stacked", False) == stack
    assert not list((out / "scratch").iterdir())  # the checkpoints are gone once the outputs are written
    assert all(h["chosen"]["step"] in (4, 8, 12) for h in health["per_seed"])
    generators = io.load_model(build_generators, out / "generators.pt", made_by="test")
    first, second = (dict(g.named_parameters()) for g in generators)
    assert len(generators) == 2 and any(not torch.equal(first[k], second[k]) for k in first)  # two GANs, two seeds
    assert np.isclose(health["chosen_fid"], np.mean([h["chosen"]["fid"] for h in health["per_seed"]]), atol=1e-4)

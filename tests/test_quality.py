"""Generator-quality metrics against known answers."""
import pytest
import torch

from ganaug.metrics.quality import fid, inception_score, mean_pairwise_distance, prdc, tarr
from ganaug.params.project import parse_params
from ganaug.pipeline.runtime import to_unit_range
from ganaug.training.classifier import accuracy, predict_proba, train_lenet
from tests.conftest import synthetic_digits


@pytest.fixture
def gaussian():
    return torch.randn(4000, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def test_fid_of_a_set_with_itself_is_zero(gaussian):
    assert fid(gaussian, gaussian) == pytest.approx(0.0, abs=1e-6)


def test_fid_of_a_shifted_set_is_the_squared_shift(gaussian):
    shift = torch.tensor([1.0, -2.0, 0.5, 0.0, 0.0, 3.0], dtype=torch.float64)
    # same covariance, means apart by `shift`: the closed form is ||shift||^2 = 14.25
    assert fid(gaussian, gaussian + shift) == pytest.approx(14.25, rel=1e-6)


def test_fid_of_scaled_gaussians_matches_the_closed_form(gaussian):
    # N(0, I) against N(0, 4I): trace(I + 4I - 2 * 2I) = d, up to sampling error
    other = 2 * torch.randn(4000, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert fid(gaussian, other) == pytest.approx(6.0, rel=0.1)


def test_diversity_of_identical_images_is_zero():
    assert mean_pairwise_distance(torch.ones(7, 84)) == 0.0
    assert mean_pairwise_distance(torch.tensor([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)


def test_prdc_of_a_set_with_itself_and_with_a_far_set(gaussian):
    same = prdc(gaussian[:500].float(), gaussian[:500].float(), k=5)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    assert same["density"] >= 1.0  # every fake sits in its own ball and usually a few others
    far = prdc(gaussian[:500].float(), gaussian[500:1000].float() + 100, k=5)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_inception_score_bounds():
    assert inception_score(torch.eye(10)) == pytest.approx(10.0, rel=1e-4)  # confident, all classes
    assert inception_score(torch.full((8, 10), 0.1)) == pytest.approx(1.0)  # uncertain
    assert inception_score(torch.eye(10)[[3] * 10]) == pytest.approx(1.0)  # confident, one class


def test_tarr_of_real_images_is_the_classifier_accuracy():
    images, labels = synthetic_digits(300, seed=2)
    x, y = to_unit_range(images), torch.as_tensor(labels, dtype=torch.long)
    model = train_lenet(x, y, steps=20, recipe=parse_params({}).classifier, seed=0)
    assert tarr(predict_proba(model, x), y) == pytest.approx(accuracy(model, x, y))

"""The cheap generative baseline: one Gaussian per class in the PCA space of a level's images.

Fitted on the level's real images only, as the GAN is. Covariances are Ledoit-Wolf shrunk,
because at 50 images per class a sample covariance of 40 components is nearly singular.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.covariance import LedoitWolf
from sklearn.decomposition import PCA



class ClassGaussians(NamedTuple):
    pca: PCA  # fitted on pixels in [0, 1]
    means: np.ndarray  # (classes, components)
    covariances: np.ndarray  # (classes, components, components)
    stored: tuple[int, ...]  # one stored image's shape


def fit_class_gaussians(images: np.ndarray, labels: np.ndarray, components: int, seed: int,
                        n_classes: int) -> ClassGaussians:
    """images stored uint8 (N, H, W[, C]), labels (N,): every class must have at least two images."""
    counts = np.bincount(labels, minlength=n_classes)
    if counts.min() < 2:
        raise ValueError(f"each class needs at least 2 images to fit a Gaussian; counts per class {counts.tolist()}")
    pixels = images.reshape(len(images), -1).astype(np.float32) / 255
    components = min(components, len(images) - 1)
    pca = PCA(components, svd_solver="randomized", random_state=seed).fit(pixels)
    codes = pca.transform(pixels)
    fits = [LedoitWolf().fit(codes[labels == c]) for c in range(n_classes)]
    return ClassGaussians(pca, np.stack([f.location_ for f in fits]), np.stack([f.covariance_ for f in fits]),
                          images.shape[1:])


def sample_class(model: ClassGaussians, label: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 images (count, *stored) of one class, clipped to the pixel range."""
    codes = rng.multivariate_normal(model.means[label], model.covariances[label], size=count, method="cholesky")
    pixels = np.clip(model.pca.inverse_transform(codes), 0, 1)
    return np.round(pixels * 255).astype(np.uint8).reshape(count, *model.stored)

"""A digits classifier trained on scikit-learn's real digits, used to check what
generative models draw: "does this generated image look like the class we asked for?"

The GAN and the diffusion pages both use it. Images are 8x8 gray levels in [0, 1]
(0 = background, 1 = full ink), the same as ``load_digits().images / 16``.
16x16 images are averaged 2x2 down to 8x8 first; other value ranges can be given.

The classifier is an RBF support vector machine in a scikit-learn pipeline; it is
trained once per process (functools.cache, about a second) on all 1,797 digits.
``holdout_accuracy`` reports how well the same pipeline does on digits it never saw,
so a reader knows how much to trust its verdict on generated samples.
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

IMAGE_SIZE = 8


def _make_pipeline() -> Pipeline:
    # flattened 8x8 image in [0, 1] (generated pixels may overshoot: clip) -> RBF SVM
    return make_pipeline(
        FunctionTransformer(np.clip, kw_args={"a_min": 0.0, "a_max": 1.0}),
        SVC(C=10.0, gamma="scale"),
    )


def real_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as (1797, 8, 8) float32 in [0, 1] and labels (1797,)."""
    digits = load_digits()
    return (digits.images / 16.0).astype(np.float32), digits.target


@functools.cache
def digits_classifier() -> Pipeline:
    """The pipeline, fitted on all real digits (cached: fitted once per process)."""
    images, labels = real_digits()
    return _make_pipeline().fit(images.reshape(len(images), -1), labels)


@functools.cache
def holdout_accuracy(seed: int = 0) -> float:
    """Accuracy of the same pipeline trained on 75% of the digits, tested on the rest."""
    images, labels = real_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(images.reshape(len(images), -1), labels,
                                              test_size=0.25, random_state=seed, stratify=labels)
    return float(_make_pipeline().fit(x_tr, y_tr).score(x_te, y_te))


def to_features(images: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """(N, 8, 8), (N, 1, 8, 8), (N, 64) or the 16x16 versions -> (N, 64) in [0, 1]."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4:  # (N, 1, H, W)
        x = x[:, 0]
    if x.ndim == 2:  # (N, H*W)
        side = int(round(np.sqrt(x.shape[1])))
        x = x.reshape(len(x), side, side)
    if x.ndim != 3 or x.shape[1] != x.shape[2] or x.shape[1] not in (8, 16):
        raise ValueError(f"expected 8x8 or 16x16 images, got shape {np.shape(images)}")
    if x.shape[1] == 16:  # average each 2x2 block: (N, 16, 16) -> (N, 8, 8)
        x = x.reshape(len(x), 8, 2, 8, 2).mean(axis=(2, 4))
    lo, hi = value_range
    x = (x - lo) / (hi - lo)
    return x.reshape(len(x), -1)


def classify_digits(images: np.ndarray,
                    value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """The predicted digit (N,) for each image."""
    return digits_classifier().predict(to_features(images, value_range))

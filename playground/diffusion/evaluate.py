"""An independent check of the generated digits: a classifier trained on the real
sklearn digits, as the diffusion model sees them (upsampled to 16x16, values in
[-1, 1]), reads each generated sample. It is an RBF support-vector machine, as in
scikit-learn's "Recognizing hand-written digits" example; it recognises about 98 %
of held-out real digits (3-fold cross-validation, see the tests).

If the diffusion model really draws the digit it was asked for, the classifier
agrees with the requested label far above chance (10 %).
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC

from playground.diffusion.images import real_digits


def make_classifier() -> Pipeline:
    # no feature scaling: every pixel is already in [-1, 1], and border pixels that are
    # always background in the real digits would otherwise be blown up
    return make_pipeline(SVC(C=10.0, gamma="scale"))


@functools.cache
def digit_classifier() -> Pipeline:
    """Fitted on all 1797 real digits in model space; deterministic."""
    x, y = real_digits()  # (1797, 1, 16, 16), (1797,)
    return make_classifier().fit(x.reshape(len(x), -1).numpy(), y.numpy())


def classify(images16: np.ndarray) -> np.ndarray:
    """The digit the classifier reads in each (16, 16) image in [-1, 1]; shape (B,)."""
    a = np.asarray(images16, np.float32)
    return digit_classifier().predict(a.reshape(-1, 16 * 16))


def agreement(images16: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of images the classifier reads as their requested label."""
    return float(np.mean(classify(images16) == np.asarray(labels)))


def agreement_per_step(x_t: np.ndarray, x0: np.ndarray, labels: np.ndarray) -> dict[str, list[float]]:
    """For each sampler step, the share of images read as their requested digit.

    x_t, x0: (S, B, 16, 16) from a ``digits.Trajectory``; returns two lists of S values."""
    s, b = x_t.shape[:2]
    want = np.tile(np.asarray(labels), s)
    read_xt = classify(x_t.reshape(s * b, 16, 16)) == want
    read_x0 = classify(x0.reshape(s * b, 16, 16)) == want
    return {"noisy image x_t": read_xt.reshape(s, b).mean(1).tolist(),
            "predicted clean image x0": read_x0.reshape(s, b).mean(1).tolist()}

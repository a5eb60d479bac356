"""Anomaly detection: flag the points that do not look like the rest, with no labels.

* Isolation forest: build random trees that split on a random feature at a random value.
  An odd point is isolated after few splits, so a short average path means "anomalous"
  (score_samples = minus the normalised average path length).
* Local outlier factor (LOF): compare a point's local density (from the distances to its
  ``n_neighbors`` nearest neighbours) with its neighbours' densities. LOF ~ 1 inside a
  group, well above 1 for a point in a sparse spot next to a dense group
  (negative_outlier_factor_ = -LOF).

Both give every point a score (higher = more normal). *Contamination* is the share of
points you expect to be anomalous: the detector flags that share with the lowest scores.
So moving the contamination slider needs no refit, only a new threshold; the test checks
that this is exactly what scikit-learn's ``fit_predict(contamination=...)`` flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor

from playground.errors import UserInputError
from playground.unsupervised.common import limited_threads

DETECTORS = ("Isolation forest", "Local outlier factor")


def _model(method: str, seed: int, n_neighbors: int, novelty: bool = False):
    if method == "Isolation forest":
        return IsolationForest(n_estimators=100, random_state=seed)
    if method == "Local outlier factor":
        return LocalOutlierFactor(n_neighbors=n_neighbors, novelty=novelty)
    raise UserInputError(f"Unknown detector {method!r}; pick one of {', '.join(DETECTORS)}.")


def normality_scores(X: np.ndarray, method: str, seed: int = 0,
                     n_neighbors: int = 20) -> np.ndarray:
    """(n,) score of every point, higher = more normal (scikit-learn's convention)."""
    if method == "Local outlier factor" and not 1 <= n_neighbors < len(X):
        raise UserInputError(f"n_neighbors must be between 1 and {len(X) - 1}.")
    model = _model(method, seed, n_neighbors)
    with limited_threads():
        if method == "Isolation forest":
            return model.fit(X).score_samples(X)
        model.fit(X)
        return model.negative_outlier_factor_


def flag(scores: np.ndarray, contamination: float) -> np.ndarray:
    """True for the ``contamination`` share of points with the lowest scores: the threshold
    is the contamination-th percentile of the scores (what scikit-learn stores as offset_)."""
    if not 0.0 < contamination <= 0.5:
        raise UserInputError("Contamination must be above 0 and at most 0.5.")
    threshold = np.percentile(scores, 100.0 * contamination)
    return scores < threshold


@dataclass(frozen=True)
class Detection:
    flagged: int
    true_positives: int
    precision: float  # of the flagged points, the share that were injected outliers
    recall: float  # of the injected outliers, the share that got flagged


def evaluate(flags: np.ndarray, truth: np.ndarray) -> Detection:
    tp = int((flags & truth).sum())
    n_flag, n_true = int(flags.sum()), int(truth.sum())
    return Detection(n_flag, tp, tp / n_flag if n_flag else 0.0, tp / n_true if n_true else 0.0)


def sweep(scores: np.ndarray, truth: np.ndarray, contaminations: np.ndarray) -> list[Detection]:
    """Precision and recall for many contamination values, from one set of scores."""
    return [evaluate(flag(scores, c), truth) for c in contaminations]


def score_grid(X: np.ndarray, method: str, seed: int = 0, n_neighbors: int = 20,
               resolution: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores on a grid over the data, for a background map: xs (r,), ys (r,), Z (r, r).

    LOF only scores new points when fitted with novelty=True; that model sees the same
    data, so the map shows the same density comparison as the points' own scores."""
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    gx, gy = np.meshgrid(xs, ys)  # (r, r) each
    grid = np.c_[gx.ravel(), gy.ravel()]  # (r*r, 2)
    model = _model(method, seed, n_neighbors, novelty=True)
    with limited_threads():
        Z = model.fit(X).score_samples(grid).reshape(gx.shape)
    return xs, ys, Z

"""The data sets of the page, all seeded.

* 2-D toy sets, each with the labels it was generated from (used only to score a
  clustering after the fact): blobs, moons, circles, anisotropic, varied density.
  Every toy set is standardised (mean 0, standard deviation 1 per axis), so one DBSCAN
  radius ``eps`` means the same on all of them.
* The 8x8 handwritten digits that ship with scikit-learn (1797 images, pixels 0..16,
  here scaled to 0..1 so a cluster centre can be drawn as an image).
* Inliers with injected outliers, for anomaly detection.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.datasets import load_digits, make_blobs, make_circles, make_moons
from sklearn.preprocessing import StandardScaler

from playground.errors import UserInputError

TOY_SETS = ("blobs", "moons", "circles", "anisotropic", "varied density")
DATASETS = TOY_SETS + ("digits",)
MAX_TOY_POINTS = 3000


@dataclass(frozen=True)
class Dataset:
    """Points to cluster and the labels they were generated from.

    X: (n, d) features; y: (n,) true group of each point (never shown to an algorithm);
    true_k: how many groups the generator used; images: (n, 8, 8) for the digits."""

    name: str
    X: np.ndarray
    y: np.ndarray
    true_k: int
    images: np.ndarray | None = None


def _spread_centres(k: int, rng: np.random.Generator, box: float = 10.0,
                    min_dist: float = 6.0) -> np.ndarray:
    """k centres, uniform in [-box, box]^2 but at least ``min_dist`` apart, so blobs
    with standard deviation 1 do not overlap (rejection sampling, seeded)."""
    centres: list[np.ndarray] = []
    while len(centres) < k:
        c = rng.uniform(-box, box, size=2)
        if all(np.linalg.norm(c - o) >= min_dist for o in centres):
            centres.append(c)
    return np.array(centres)


def make_toy(name: str, n_samples: int = 400, seed: int = 0, n_blobs: int = 4) -> Dataset:
    """One of TOY_SETS, standardised. ``n_blobs`` is the true number of groups of "blobs"."""
    if name not in TOY_SETS:
        raise UserInputError(f"Unknown data set {name!r}; pick one of {', '.join(TOY_SETS)}.")
    if not 20 <= n_samples <= MAX_TOY_POINTS:
        raise UserInputError(f"Pick between 20 and {MAX_TOY_POINTS} points.")
    rng = np.random.default_rng(seed)
    rs = int(rng.integers(2**31 - 1))  # scikit-learn generators take an int seed
    if name == "blobs":
        if not 1 <= n_blobs <= 10:
            raise UserInputError("Pick between 1 and 10 blobs.")
        X, y = make_blobs(n_samples, centers=_spread_centres(n_blobs, rng), cluster_std=1.0,
                          random_state=rs)
        k = n_blobs
    elif name == "moons":
        X, y = make_moons(n_samples, noise=0.07, random_state=rs)
        k = 2
    elif name == "circles":
        X, y = make_circles(n_samples, factor=0.45, noise=0.05, random_state=rs)
        k = 2
    elif name == "anisotropic":
        # scikit-learn's clustering example: three round blobs (fixed centres), then one
        # linear map x -> x A shears and stretches them into parallel ellipses, which
        # k-means (it looks for round groups) cuts wrongly
        centres = np.random.RandomState(170).uniform(-10.0, 10.0, size=(3, 2))
        X, y = make_blobs(n_samples, centers=centres, cluster_std=1.0, random_state=rs)
        X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])
        k = 3
    else:  # varied density: a tight, a normal and a wide group (std 0.5, 1, 2.5), rotated
        theta = rng.uniform(0.0, 2 * np.pi)
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        centres = np.array([[0.0, 0.0], [5.0, 0.0], [2.0, 7.0]]) @ rot.T
        X, y = make_blobs(n_samples, centers=centres, cluster_std=[0.5, 1.0, 2.5],
                          random_state=rs)
        k = 3
    X = StandardScaler().fit_transform(X)
    return Dataset(name, X, y.astype(int), k)


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    return (d.data / 16.0).astype(np.float64), d.target.astype(int)


def load_digit_set() -> Dataset:
    """All 1797 digits: X (1797, 64) pixels in 0..1, y the digit written (0-9)."""
    X, y = _digits()
    X = X.copy()
    return Dataset("digits", X, y.copy(), 10, images=X.reshape(-1, 8, 8))


def load_dataset(name: str, n_samples: int = 400, seed: int = 0, n_blobs: int = 4) -> Dataset:
    """A toy set or the digits (the digits ignore n_samples and seed)."""
    if name == "digits":
        return load_digit_set()
    return make_toy(name, n_samples, seed, n_blobs)


# --- anomaly detection ------------------------------------------------------------------

OUTLIER_SETS = ("two blobs", "dense + sparse", "moons")


@dataclass(frozen=True)
class OutlierData:
    X: np.ndarray  # (n_inliers + n_outliers, 2), shuffled
    is_outlier: np.ndarray  # (n,) bool, True for the injected points


def make_outlier_data(kind: str = "two blobs", n_inliers: int = 300, n_outliers: int = 15,
                      seed: int = 0) -> OutlierData:
    """Normal points plus ``n_outliers`` points drawn uniformly over a wider box.

    Injected points that happen to fall inside a group look normal and cannot be found:
    that limits the best possible recall, as it does on real data."""
    if kind not in OUTLIER_SETS:
        raise UserInputError(f"Unknown data set {kind!r}; pick one of {', '.join(OUTLIER_SETS)}.")
    if not 20 <= n_inliers <= MAX_TOY_POINTS or not 0 <= n_outliers <= n_inliers:
        raise UserInputError("Pick 20 to 3000 normal points and at most as many outliers.")
    rng = np.random.default_rng(seed)
    rs = int(rng.integers(2**31 - 1))
    if kind == "two blobs":
        inl, _ = make_blobs(n_inliers, centers=[[-2.0, -2.0], [2.0, 2.0]], cluster_std=0.6,
                            random_state=rs)
    elif kind == "dense + sparse":
        # a tight group beside a loose one: a point just outside the tight group is
        # unusual *locally* even though it is closer to it than the loose group's points
        inl, _ = make_blobs(n_inliers, centers=[[-2.0, 0.0], [2.5, 0.0]], cluster_std=[0.3, 1.2],
                            random_state=rs)
    else:
        inl, _ = make_moons(n_inliers, noise=0.06, random_state=rs)
        inl = (inl - [0.5, 0.25]) * 2.5
    out = rng.uniform(-5.0, 5.0, size=(n_outliers, 2))
    X = np.vstack([inl, out])
    truth = np.r_[np.zeros(n_inliers, bool), np.ones(n_outliers, bool)]
    order = rng.permutation(len(X))
    return OutlierData(X[order], truth[order])


def true_groups(name: str, n_blobs: int = 4) -> int:
    """How many groups the generator of a data set used (10 for the digits)."""
    return {"blobs": n_blobs, "moons": 2, "circles": 2, "anisotropic": 3,
            "varied density": 3, "digits": 10}[name]

"""Four ways to cluster, how to score a clustering, and how to choose k.

* k-means (see ``kmeans``): round groups of similar size around k centres.
* DBSCAN: a point with at least ``min_samples`` neighbours within radius ``eps`` is a
  *core* point; core points closer than ``eps`` chain into one cluster, their neighbours
  join it, everything else is noise (label -1). No k to pick, any shape, but one density.
* Gaussian mixture: k Gaussian bells, each with its own mean and covariance (an ellipse),
  fitted by expectation-maximisation; each point goes to its most likely bell.
* Agglomerative: start with every point alone and repeatedly merge the two closest
  clusters ("closest" is the *linkage*: ward = smallest increase in variance, single =
  nearest pair of points, complete = farthest pair, average = mean distance). The merge
  history is a tree, the dendrogram; cutting it at a height gives the clusters.

Scores: the adjusted Rand index (ARI) compares a clustering with the true labels after the
fact (1 = the same partition, about 0 = no better than chance); the silhouette needs no
labels: for each point (b - a) / max(a, b), a = mean distance to its own cluster, b = to
the nearest other cluster, averaged (near 1 = tight, well separated clusters).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.cluster import hierarchy
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture

from playground.errors import UserInputError
from playground.unsupervised.common import limited_threads
from playground.unsupervised.kmeans import init_centres, kmeans_steps

ALGORITHMS = ("k-means", "DBSCAN", "Gaussian mixture", "Agglomerative")
LINKAGES = ("ward", "average", "complete", "single")
COVARIANCES = ("full", "tied", "diag", "spherical")
SILHOUETTE_SAMPLE = 2000  # silhouette costs n^2 distances: score a seeded sample above this


@dataclass(frozen=True)
class ClusterResult:
    """labels: (n,) cluster of each point, -1 = noise (DBSCAN only).
    centres: (k, d) for k-means and the mixture means; covariances: (k, d, d) for the mixture."""

    algorithm: str
    labels: np.ndarray
    centres: np.ndarray | None = None
    covariances: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        return len(set(self.labels.tolist()) - {-1})

    @property
    def n_noise(self) -> int:
        return int((self.labels == -1).sum())


def run_kmeans_sklearn(X: np.ndarray, k: int, seed: int = 0, n_init: int = 4) -> KMeans:
    """scikit-learn's k-means (the library version of our hand-written loop)."""
    with limited_threads():
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X)


def run_dbscan(X: np.ndarray, eps: float = 0.3, min_samples: int = 5) -> ClusterResult:
    if eps <= 0 or min_samples < 1:
        raise UserInputError("DBSCAN needs a radius eps > 0 and min_samples >= 1.")
    with limited_threads():
        model = DBSCAN(eps=eps, min_samples=min_samples).fit(X)
    return ClusterResult("DBSCAN", model.labels_.astype(int),
                         extra={"core": model.core_sample_indices_})


def full_covariances(gmm: GaussianMixture, d: int) -> np.ndarray:
    """(k, d, d) covariance of every component, whatever ``covariance_type`` stored."""
    k, cov = gmm.n_components, gmm.covariances_
    if gmm.covariance_type == "full":
        return cov
    if gmm.covariance_type == "tied":  # one (d, d) matrix shared by all
        return np.repeat(cov[None], k, axis=0)
    if gmm.covariance_type == "diag":  # (k, d) variances per axis
        return np.stack([np.diag(c) for c in cov])
    return np.stack([np.eye(d) * c for c in cov])  # spherical: (k,) one variance each


def run_gmm(X: np.ndarray, k: int, covariance_type: str = "full", seed: int = 0) -> ClusterResult:
    if covariance_type not in COVARIANCES:
        raise UserInputError(f"Pick a covariance type among {', '.join(COVARIANCES)}.")
    with limited_threads():
        gmm = GaussianMixture(k, covariance_type=covariance_type, n_init=2, init_params="k-means++",
                              random_state=seed, reg_covar=1e-4).fit(X)
        labels = gmm.predict(X)
    return ClusterResult("Gaussian mixture", labels.astype(int), gmm.means_,
                         full_covariances(gmm, X.shape[1]),
                         extra={"weights": gmm.weights_, "bic": float(gmm.bic(X))})


def run_agglomerative(X: np.ndarray, k: int, linkage: str = "ward") -> ClusterResult:
    if linkage not in LINKAGES:
        raise UserInputError(f"Pick a linkage among {', '.join(LINKAGES)}.")
    with limited_threads():
        model = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit(X)
    return ClusterResult("Agglomerative", model.labels_.astype(int))


def run_clustering(X: np.ndarray, algorithm: str, *, k: int = 3, seed: int = 0,
                   init: str = "k-means++", eps: float = 0.3, min_samples: int = 5,
                   covariance_type: str = "full", linkage: str = "ward") -> ClusterResult:
    """One entry point for the page. k-means runs our step-by-step loop (the steps are in
    ``extra["run"]``); the others run scikit-learn."""
    if algorithm != "DBSCAN" and not 1 <= k <= len(X):
        raise UserInputError(f"k must be between 1 and the number of points ({len(X)}).")
    if algorithm == "k-means":
        run = kmeans_steps(X, init_centres(X, k, init, seed))
        return ClusterResult("k-means", run.labels, run.centres, extra={"run": run})
    if algorithm == "DBSCAN":
        return run_dbscan(X, eps, min_samples)
    if algorithm == "Gaussian mixture":
        return run_gmm(X, k, covariance_type, seed)
    if algorithm == "Agglomerative":
        return run_agglomerative(X, k, linkage)
    raise UserInputError(f"Unknown algorithm {algorithm!r}; pick one of {', '.join(ALGORITHMS)}.")


# --- scores ------------------------------------------------------------------------------

def silhouette(X: np.ndarray, labels: np.ndarray, seed: int = 0) -> float | None:
    """Mean silhouette over the clustered points (noise left out); None if < 2 clusters."""
    keep = labels != -1
    Xk, lk = X[keep], labels[keep]
    n_clusters = len(set(lk.tolist()))
    if n_clusters < 2 or n_clusters >= len(lk):  # silhouette needs 2 .. n-1 clusters
        return None
    sample = min(SILHOUETTE_SAMPLE, len(Xk))
    with limited_threads():
        return float(silhouette_score(Xk, lk, sample_size=sample if sample < len(Xk) else None,
                                      random_state=seed))


def adjusted_rand(truth: np.ndarray, labels: np.ndarray) -> float:
    """ARI of a clustering against the true groups (noise counts as one more group)."""
    return float(adjusted_rand_score(truth, labels))


def contingency(truth: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list[int], list[int]]:
    """counts[i, j] = how many points of true group i went to cluster j."""
    rows = sorted(set(truth.tolist()))
    cols = sorted(set(labels.tolist()))
    counts = np.zeros((len(rows), len(cols)), dtype=int)
    for i, t in enumerate(rows):
        for j, c in enumerate(cols):
            counts[i, j] = int(((truth == t) & (labels == c)).sum())
    return counts, rows, cols


# --- choosing k --------------------------------------------------------------------------

@dataclass(frozen=True)
class KCurve:
    ks: np.ndarray  # (m,) candidate k
    inertia: np.ndarray  # (m,) k-means inertia for each k (falls as k grows)
    silhouette: np.ndarray  # (m,) mean silhouette (nan for k = 1)
    elbow_k: int  # where the inertia curve bends most (see elbow)
    best_silhouette_k: int


def elbow(ks: np.ndarray, inertia: np.ndarray) -> int:
    """Where the falling inertia curve bends: the k whose drop (from k-1 to k) is largest
    compared with the next drop (from k to k+1).

    With g well-separated groups, every k < g still merges two groups (a big drop), every
    k > g only splits a group (a small drop), so the ratio peaks at k = g. Needs k from
    ``ks[0]`` to at least ``ks[0] + 2``; it can never answer the first or last k."""
    drops = -np.diff(inertia)  # drops[i] = inertia(ks[i]) - inertia(ks[i+1])
    ratio = drops[:-1] / np.maximum(drops[1:], 1e-12 * inertia[0])
    return int(ks[1:-1][int(np.argmax(ratio))])


def k_curves(X: np.ndarray, k_max: int = 10, seed: int = 0, n_init: int = 2) -> KCurve:
    """Inertia and silhouette of scikit-learn k-means for k = 1..k_max."""
    k_max = min(k_max, len(X) - 1)
    if k_max < 3:
        raise UserInputError("Need at least 4 points and k up to 3 or more to find an elbow.")
    ks = np.arange(1, k_max + 1)
    inertia, sil = [], [np.nan]
    for k in ks:
        model = run_kmeans_sklearn(X, int(k), seed, n_init)
        inertia.append(model.inertia_)
        if k >= 2:
            sil.append(silhouette(X, model.labels_, seed) or np.nan)
    inertia, sil = np.array(inertia), np.array(sil)
    return KCurve(ks, inertia, sil, elbow(ks, inertia), int(ks[np.nanargmax(sil)]))


# --- the dendrogram ----------------------------------------------------------------------

@dataclass(frozen=True)
class Dendrogram:
    """Line segments of scipy's dendrogram (each merge is a "⊓" of 4 points) and the
    height at which cutting the tree leaves k clusters."""

    icoord: list[list[float]]  # x of the 4 corners of each merge
    dcoord: list[list[float]]  # heights of the 4 corners
    leaf_labels: list[str]  # one per leaf: a point index, or "(n)" for n points folded together
    cut_height: float
    colours: list[str]  # scipy's colour name per merge: one per cluster below the cut


def dendrogram(X: np.ndarray, k: int, linkage: str = "ward", leaves: int = 30) -> Dendrogram:
    """scipy's hierarchy.linkage -> Z, (n-1, 4): merged cluster a, b, height, size.

    With heights sorted, k clusters remain after the first n - k merges, so any cut between
    heights Z[n-k-1] and Z[n-k] gives them; we draw the middle. Only the last ``leaves``
    merges are drawn (truncate_mode="lastp")."""
    if linkage not in LINKAGES:
        raise UserInputError(f"Pick a linkage among {', '.join(LINKAGES)}.")
    Z = hierarchy.linkage(X, method=linkage)
    heights = Z[:, 2]
    n = len(X)
    k = int(np.clip(k, 1, n))
    if k == 1:
        cut = heights[-1] * 1.05
    else:
        cut = 0.5 * (heights[n - k - 1] + heights[n - k]) if k < n else heights[0] * 0.5
    d = hierarchy.dendrogram(Z, truncate_mode="lastp", p=leaves, no_plot=True,
                             color_threshold=cut, above_threshold_color="grey")
    return Dendrogram(d["icoord"], d["dcoord"], d["ivl"], float(cut), d["color_list"])


def dendrogram_labels(X: np.ndarray, k: int, linkage: str = "ward") -> np.ndarray:
    """Cut scipy's tree into k clusters (fcluster "maxclust"), labels 0..k-1."""
    Z = hierarchy.linkage(X, method=linkage)
    return hierarchy.fcluster(Z, t=k, criterion="maxclust") - 1

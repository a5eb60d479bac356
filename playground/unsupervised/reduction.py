"""Squeeze the 64-pixel digits into 2 numbers each, two ways.

* PCA (principal component analysis) rotates the data onto the directions of largest
  variance: centre X (n, 64) at its mean, take the top eigenvectors W (c, 64) of its
  covariance; the projection is Z = (X - mean) W^T, (n, c). It is linear, fast and
  reversible: X ~ mean + Z W, so a digit can be rebuilt from its first c numbers. The
  *explained variance ratio* of component j is its eigenvalue over the sum of all of them.
* t-SNE keeps neighbours together: it turns distances into "who is whose neighbour"
  probabilities in 64-D (perplexity ~ how many neighbours count) and moves 2-D points until
  their neighbour probabilities match (gradient descent on a KL divergence). Clusters come
  out well separated, but distances between clusters and cluster sizes mean little, and
  it cannot place a new point without running again.

The true digit labels are never given to either method; they only colour the plot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.neighbors import NearestNeighbors

from playground.errors import UserInputError
from playground.unsupervised.common import limited_threads


def subset(n_total: int, n: int, seed: int = 0) -> np.ndarray:
    """n distinct indices out of n_total, seeded, in increasing order."""
    if not 10 <= n <= n_total:
        raise UserInputError(f"Pick between 10 and {n_total} points.")
    if n == n_total:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(seed).choice(n_total, size=n, replace=False))


@dataclass(frozen=True)
class PCAResult:
    embedding: np.ndarray  # (n, 2) first two principal components of every point
    mean: np.ndarray  # (64,)
    components: np.ndarray  # (64, 64) rows = principal directions, largest variance first
    explained_variance_ratio: np.ndarray  # (64,) share of the total variance per component

    def components_for(self, share: float) -> int:
        """How many components keep at least ``share`` of the variance."""
        return int(np.searchsorted(np.cumsum(self.explained_variance_ratio), share - 1e-12) + 1)

    def reconstruct(self, x: np.ndarray, n_components: int) -> np.ndarray:
        """x (64,) -> its first n coordinates z = (x - mean) W_n^T -> mean + z W_n, (64,)."""
        W = self.components[:n_components]  # (c, 64)
        z = (x - self.mean) @ W.T  # (c,)
        return self.mean + z @ W


def pca(X: np.ndarray) -> PCAResult:
    """scikit-learn PCA with every component kept (64 for the digits)."""
    with limited_threads():
        model = PCA(n_components=min(X.shape)).fit(X)
        embedding = model.transform(X)[:, :2]
    return PCAResult(embedding, model.mean_, model.components_, model.explained_variance_ratio_)


def tsne(X: np.ndarray, perplexity: float = 30.0, seed: int = 0, max_iter: int = 500) -> np.ndarray:
    """2-D t-SNE embedding (n, 2) with scikit-learn (Barnes-Hut, PCA start, seeded)."""
    if not 2 <= perplexity < len(X):
        raise UserInputError(f"Perplexity must be at least 2 and below the number of points "
                             f"({len(X)}); try 30.")
    with limited_threads():
        return TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto",
                    max_iter=max_iter, random_state=seed).fit_transform(X)


def neighbour_agreement(E: np.ndarray, y: np.ndarray) -> float:
    """Share of points whose nearest other point in the 2-D map shows the same digit:
    a label-free map is good for the digits when this is high."""
    with limited_threads():
        nn = NearestNeighbors(n_neighbors=2).fit(E)
        _, idx = nn.kneighbors(E)  # idx[:, 0] is the point itself
    return float((y[idx[:, 1]] == y).mean())

"""Streamlit helpers of the unsupervised page: the cached computations, keyed by
their real inputs (widgets that survive closed tabs are playground.ui.common.kept)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.unsupervised import anomaly, baskets, clustering, data, reduction

# --- clustering --------------------------------------------------------------------------

@st.cache_data(max_entries=32, show_spinner=False)
def dataset(name: str, n: int, seed: int, n_blobs: int) -> data.Dataset:
    return data.load_dataset(name, n, seed, n_blobs)


@st.cache_data(max_entries=4, show_spinner=False)
def plane(name: str, n: int, seed: int, n_blobs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where to draw the points: the 2-D toy sets as they are, the digits on their first two
    principal components. Returns X2 (n, 2), mean (d,) and W (2, d) to project centres."""
    d = dataset(name, n, seed, n_blobs)
    if d.X.shape[1] == 2:
        return d.X, np.zeros(2), np.eye(2)
    p = pca_digits()
    return p.embedding, p.mean, p.components[:2]


@st.cache_data(max_entries=64, show_spinner="Clustering ...")
def clusters(name: str, n: int, seed: int, n_blobs: int, algorithm: str, k: int, init: str,
             eps: float, min_samples: int, covariance_type: str, linkage: str
             ) -> clustering.ClusterResult:
    d = dataset(name, n, seed, n_blobs)
    return clustering.run_clustering(d.X, algorithm, k=k, seed=seed, init=init, eps=eps,
                                     min_samples=min_samples, covariance_type=covariance_type,
                                     linkage=linkage)


@st.cache_data(max_entries=64, show_spinner=False)
def scores(name: str, n: int, seed: int, n_blobs: int,
           labels: np.ndarray) -> tuple[float | None, float]:
    """(silhouette, adjusted Rand index against the true groups) of a clustering."""
    d = dataset(name, n, seed, n_blobs)
    return clustering.silhouette(d.X, labels, seed), clustering.adjusted_rand(d.y, labels)


@st.cache_data(max_entries=16, show_spinner="Fitting k-means for k = 1 to 12 ...")
def k_curves(name: str, n: int, seed: int, n_blobs: int, k_max: int) -> clustering.KCurve:
    d = dataset(name, n, seed, n_blobs)
    return clustering.k_curves(d.X, k_max, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def dendrogram(name: str, n: int, seed: int, n_blobs: int, k: int,
               linkage: str) -> clustering.Dendrogram:
    d = dataset(name, n, seed, n_blobs)
    return clustering.dendrogram(d.X, k, linkage)


# --- dimensionality reduction ------------------------------------------------------------

@st.cache_data(max_entries=1, show_spinner=False)
def pca_digits() -> reduction.PCAResult:
    return reduction.pca(data.load_digit_set().X)


@st.cache_data(max_entries=8, show_spinner=False)
def tsne_digits(n: int, seed: int, perplexity: float) -> tuple[np.ndarray, np.ndarray]:
    """(subset indices (n,), t-SNE embedding (n, 2)); the slow step of the page."""
    idx = reduction.subset(len(data.load_digit_set().X), n, seed)
    return idx, reduction.tsne(data.load_digit_set().X[idx], perplexity, seed)


# --- anomaly detection -------------------------------------------------------------------

@st.cache_data(max_entries=16, show_spinner=False)
def outliers(kind: str, n_inliers: int, n_outliers: int, seed: int) -> data.OutlierData:
    return data.make_outlier_data(kind, n_inliers, n_outliers, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def normality(kind: str, n_inliers: int, n_outliers: int, seed: int, method: str,
              n_neighbors: int) -> np.ndarray:
    o = outliers(kind, n_inliers, n_outliers, seed)
    return anomaly.normality_scores(o.X, method, seed, n_neighbors)


@st.cache_data(max_entries=16, show_spinner=False)
def score_map(kind: str, n_inliers: int, n_outliers: int, seed: int, method: str,
              n_neighbors: int):
    o = outliers(kind, n_inliers, n_outliers, seed)
    return anomaly.score_grid(o.X, method, seed, n_neighbors)


# --- shopping baskets --------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def shop(n_customers: int, seed: int) -> baskets.Baskets:
    return baskets.make_baskets(n_customers, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def itemsets(n_customers: int, seed: int, min_support: float, max_len: int):
    return baskets.frequent_itemsets(shop(n_customers, seed).B, min_support, max_len)


@st.cache_data(max_entries=16, show_spinner=False)
def customer_groups(n_customers: int, seed: int, k: int) -> np.ndarray:
    return baskets.cluster_customers(shop(n_customers, seed).B, k, seed)

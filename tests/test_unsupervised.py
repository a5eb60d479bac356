"""The unsupervised logic: hand-written k-means and Apriori against scikit-learn and brute
force, the data sets, and every "try this" claim of the page."""

from itertools import combinations

import numpy as np
import pytest
from scipy.cluster import hierarchy
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.ensemble import IsolationForest
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import LocalOutlierFactor

from playground.errors import UserInputError
from playground.unsupervised import anomaly, baskets, charts, clustering, data, kmeans, reduction

# --- data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", data.TOY_SETS)
def test_toy_sets_are_seeded_standardised_and_labelled(name):
    a = data.make_toy(name, 300, seed=3)
    b = data.make_toy(name, 300, seed=3)
    c = data.make_toy(name, 300, seed=4)
    assert a.X.shape == (300, 2) and a.y.shape == (300,)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.allclose(a.X, c.X)
    np.testing.assert_allclose(a.X.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(a.X.std(axis=0), 1, atol=1e-9)
    assert len(set(a.y.tolist())) == a.true_k == data.true_groups(name)


def test_digits_are_scaled_images():
    d = data.load_digit_set()
    assert d.X.shape == (1797, 64) and d.images.shape == (1797, 8, 8)
    assert d.X.min() == 0 and d.X.max() == 1
    assert set(d.y.tolist()) == set(range(10))


def test_bad_inputs_get_clear_messages():
    with pytest.raises(UserInputError):
        data.make_toy("spirals")
    with pytest.raises(UserInputError):
        data.make_toy("moons", 5)
    X = data.make_toy("moons", 50).X
    with pytest.raises(UserInputError):
        kmeans.init_centres(X, 51)
    with pytest.raises(UserInputError):
        clustering.run_clustering(X, "mean shift")
    with pytest.raises(UserInputError):
        anomaly.flag(np.zeros(10), 0.0)
    with pytest.raises(UserInputError):
        reduction.tsne(X, perplexity=60)
    with pytest.raises(UserInputError):
        baskets.make_baskets(10)


# --- k-means by hand against scikit-learn -------------------------------------------------


# The digits' pixels are multiples of 1/16, so a point can be exactly as far from two
# centres; both answers are then right and the two codes may break the tie differently.
# Seed 0 of the digits has no exact tie on its way.
@pytest.mark.parametrize("name,k,init,seed", [("blobs", 4, "k-means++", 2),
                                              ("moons", 2, "random points", 2),
                                              ("varied density", 5, "random points", 2),
                                              ("anisotropic", 3, "k-means++", 2),
                                              ("digits", 10, "k-means++", 0)])
def test_kmeans_steps_match_sklearn_from_the_same_start(name, k, init, seed):
    ds = data.load_dataset(name, 400, seed=1)
    start = kmeans.init_centres(ds.X, k, init, seed=seed)
    run = kmeans.kmeans_steps(ds.X, start)
    ref = KMeans(n_clusters=k, init=start, n_init=1, algorithm="lloyd", tol=0.0,
                 max_iter=300).fit(ds.X)
    assert run.converged
    np.testing.assert_array_equal(run.labels, ref.labels_)
    np.testing.assert_allclose(run.centres, ref.cluster_centers_, atol=1e-10)
    assert run.inertia == pytest.approx(ref.inertia_, rel=1e-10)


def test_kmeans_steps_alternate_and_inertia_never_rises():
    ds = data.make_toy("blobs", 400, seed=0, n_blobs=5)
    run = kmeans.kmeans_steps(ds.X, kmeans.init_centres(ds.X, 5, "random points", seed=0))
    phases = [s.phase for s in run.steps]
    assert phases[0] == "init" and phases[-1] == "assign"
    assert all(a != b for a, b in zip(phases[1:], phases[2:]))  # assign, update, assign, ...
    inertia = [s.inertia for s in run.steps[1:]]
    assert all(b <= a + 1e-9 for a, b in zip(inertia, inertia[1:]))
    assert run.steps[-1].changed == 0
    assert "Converged" in kmeans.describe_step(run.steps[-1])


def test_random_start_is_seeded_data_points():
    X = data.make_toy("moons", 100, seed=0).X
    a = kmeans.init_centres(X, 4, "random points", seed=5)
    np.testing.assert_array_equal(a, kmeans.init_centres(X, 4, "random points", seed=5))
    assert all(any(np.array_equal(c, x) for x in X) for c in a)


# --- the other algorithms -----------------------------------------------------------------


@pytest.mark.parametrize("linkage", ["ward", "average", "complete"])
def test_dendrogram_cut_matches_sklearn_agglomerative(linkage):
    X = data.make_toy("varied density", 300, seed=0).X
    for k in (2, 3, 5):
        ours = clustering.dendrogram_labels(X, k, linkage)
        ref = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit_predict(X)
        assert adjusted_rand_score(ref, ours) == pytest.approx(1.0)
        # the drawn cut height leaves exactly k clusters
        d = clustering.dendrogram(X, k, linkage)
        Z = hierarchy.linkage(X, method=linkage)
        assert len(set(hierarchy.fcluster(Z, d.cut_height, "distance"))) == k
        assert len(d.icoord) == len(d.dcoord) == len(d.colours)


@pytest.mark.parametrize("cov", clustering.COVARIANCES)
def test_gmm_gives_one_covariance_matrix_per_component(cov):
    X = data.make_toy("anisotropic", 300, seed=0).X
    r = clustering.run_gmm(X, 3, cov, seed=0)
    assert r.centres.shape == (3, 2) and r.covariances.shape == (3, 2, 2)
    assert np.all(np.linalg.eigvalsh(r.covariances) > 0)


def test_silhouette_skips_noise_and_single_clusters():
    X = data.make_toy("blobs", 200, seed=0, n_blobs=3).X
    assert clustering.silhouette(X, np.zeros(200, int)) is None
    labels = clustering.run_kmeans_sklearn(X, 3).labels_
    with_noise = labels.copy()
    with_noise[:5] = -1
    assert clustering.silhouette(X, with_noise) == pytest.approx(
        clustering.silhouette(X[5:], labels[5:]))


def test_contingency_counts_every_point():
    truth = np.array([0, 0, 1, 1, 1])
    counts, rows, cols = clustering.contingency(truth, np.array([1, 1, 0, 0, -1]))
    assert rows == [0, 1] and cols == [-1, 0, 1]
    assert counts.tolist() == [[0, 0, 2], [1, 2, 0]]


# --- the page's claims ("try this") -------------------------------------------------------


@pytest.mark.parametrize("name", ["moons", "circles"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kmeans_splits_moons_and_circles_wrongly_dbscan_finds_them(name, seed):
    ds = data.make_toy(name, 400, seed)
    km = clustering.run_clustering(ds.X, "k-means", k=2, seed=seed)
    db = clustering.run_clustering(ds.X, "DBSCAN", eps=0.3, min_samples=5)
    assert clustering.adjusted_rand(ds.y, km.labels) < 0.6
    assert db.n_clusters == 2
    assert clustering.adjusted_rand(ds.y, db.labels) > 0.95


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gaussian_mixture_fits_stretched_blobs_that_kmeans_cuts(seed):
    ds = data.make_toy("anisotropic", 400, seed)
    km = clustering.run_clustering(ds.X, "k-means", k=3, seed=seed)
    gm = clustering.run_clustering(ds.X, "Gaussian mixture", k=3, seed=seed)
    assert clustering.adjusted_rand(ds.y, gm.labels) > 0.95
    assert clustering.adjusted_rand(ds.y, km.labels) < 0.8


@pytest.mark.parametrize("n_blobs", range(2, 9))
def test_elbow_and_silhouette_find_the_true_number_of_blobs(n_blobs):
    for seed in (0, 1):
        ds = data.make_toy("blobs", 400, seed, n_blobs=n_blobs)
        curve = clustering.k_curves(ds.X, 12, seed)
        assert curve.elbow_k == n_blobs
        assert curve.best_silhouette_k == n_blobs
        assert np.all(np.diff(curve.inertia) <= 1e-9)


def test_elbow_rule_on_a_hand_made_curve():
    ks = np.arange(1, 8)
    assert clustering.elbow(ks, np.array([100, 60, 20, 18, 16, 15, 14.0])) == 3


def test_digit_clusters_agree_with_the_digits_afterwards():
    ds = data.load_digit_set()
    r = clustering.run_clustering(ds.X, "k-means", k=10, seed=0)
    assert r.centres.shape == (10, 64)
    assert clustering.adjusted_rand(ds.y, r.labels) > 0.5
    assert clustering.adjusted_rand(ds.y, np.random.default_rng(0).integers(0, 10, 1797)) < 0.05


def test_pca_explained_variance_is_the_covariance_spectrum():
    X = data.load_digit_set().X
    p = reduction.pca(X)
    eig = np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False)))[::-1]
    np.testing.assert_allclose(p.explained_variance_ratio, eig / eig.sum(), atol=1e-10)
    assert p.explained_variance_ratio.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p.reconstruct(X[7], 64), X[7], atol=1e-10)
    err = [np.linalg.norm(p.reconstruct(X[7], c) - X[7]) for c in (2, 10, 30)]
    assert err[0] > err[1] > err[2]
    n90 = p.components_for(0.9)
    assert np.cumsum(p.explained_variance_ratio)[n90 - 1] >= 0.9 > np.cumsum(
        p.explained_variance_ratio)[n90 - 2]


@pytest.mark.slow
def test_tsne_separates_the_digits_far_better_than_pca():
    d = data.load_digit_set()
    idx = reduction.subset(len(d.X), 600, seed=0)
    E = reduction.tsne(d.X[idx], perplexity=30, seed=0)
    assert E.shape == (600, 2)
    pca_share = reduction.neighbour_agreement(reduction.pca(d.X).embedding[idx], d.y[idx])
    tsne_share = reduction.neighbour_agreement(E, d.y[idx])
    assert 0.5 < pca_share < 0.7  # "about 60%"
    assert tsne_share > 0.9  # "above 90%"


# --- anomaly detection --------------------------------------------------------------------


@pytest.mark.parametrize("method", anomaly.DETECTORS)
@pytest.mark.parametrize("contamination", [0.03, 0.1, 0.25])
def test_flags_match_sklearn_fit_predict(method, contamination):
    o = data.make_outlier_data("moons", 200, 12, seed=1)
    scores = anomaly.normality_scores(o.X, method, seed=1, n_neighbors=15)
    if method == "Isolation forest":
        ref = IsolationForest(n_estimators=100, random_state=1, contamination=contamination)
    else:
        ref = LocalOutlierFactor(n_neighbors=15, contamination=contamination)
    np.testing.assert_array_equal(anomaly.flag(scores, contamination), ref.fit_predict(o.X) == -1)


def test_raising_contamination_flags_more_points():
    o = data.make_outlier_data("two blobs", 300, 15, seed=0)  # the page's defaults
    scores = anomaly.normality_scores(o.X, "Isolation forest", seed=0)
    grid = np.round(np.arange(0.01, 0.301, 0.01), 2)
    sweep = anomaly.sweep(scores, o.is_outlier, grid)
    assert all(b.flagged > a.flagged for a, b in zip(sweep, sweep[1:]))
    assert all(b.recall >= a.recall for a, b in zip(sweep, sweep[1:]))
    low, high = anomaly.evaluate(anomaly.flag(scores, 0.05), o.is_outlier), anomaly.evaluate(
        anomaly.flag(scores, 0.20), o.is_outlier)
    assert (low.flagged, high.flagged) == (16, 63)  # "16 to 63 of 315"
    assert high.recall >= low.recall
    assert low.precision > 0.7 and high.precision < 0.3  # "about 80% to about 20%"


def test_score_grid_covers_the_data():
    o = data.make_outlier_data("dense + sparse", 100, 5, seed=0)
    for method in anomaly.DETECTORS:
        xs, ys, Z = anomaly.score_grid(o.X, method, resolution=20)
        assert Z.shape == (20, 20) and np.isfinite(Z).all()
        assert xs[0] < o.X[:, 0].min() and ys[-1] > o.X[:, 1].max()


# --- shopping baskets ---------------------------------------------------------------------


def test_baskets_are_seeded():
    a, b = baskets.make_baskets(300, seed=1), baskets.make_baskets(300, seed=1)
    np.testing.assert_array_equal(a.B, b.B)
    assert a.B.shape == (300, len(baskets.PRODUCTS)) and a.B.dtype == bool
    assert set(a.types.tolist()) == set(range(len(a.type_names)))


def test_apriori_matches_brute_force_counting():
    shop = baskets.make_baskets(800, seed=2)
    B = shop.B
    found = baskets.frequent_itemsets(B, min_support=0.04, max_len=3)
    brute = {}
    for size in (1, 2, 3):
        for items in combinations(range(B.shape[1]), size):
            s = B[:, list(items)].all(axis=1).mean()
            if s >= 0.04:
                brute[frozenset(items)] = s
    assert found.keys() == brute.keys()
    for items, s in found.items():
        assert s == pytest.approx(brute[items])


def test_rule_measures_follow_their_formulas():
    shop = baskets.make_baskets(1000, seed=0)
    rules = baskets.association_rules(baskets.frequent_itemsets(shop.B, 0.05, 2), shop.products,
                                      min_confidence=0.0)
    col = {p: j for j, p in enumerate(shop.products)}
    for _, r in rules.iterrows():
        a, b = shop.B[:, col[r["if bought"]]], shop.B[:, col[r["then also"]]]
        assert r["support"] == pytest.approx((a & b).mean())
        assert r["confidence"] == pytest.approx((a & b).sum() / a.sum())
        assert r["lift"] == pytest.approx((a & b).sum() / a.sum() / b.mean())
    assert list(rules["lift"]) == sorted(rules["lift"], reverse=True)


@pytest.mark.parametrize("seed", range(8))
def test_planted_rules_are_found_without_labels(seed):
    shop = baskets.make_baskets(1000, seed)  # the page's defaults
    rules = baskets.association_rules(baskets.frequent_itemsets(shop.B, 0.05, 2), shop.products,
                                      min_confidence=0.6)
    found = set(zip(rules["if bought"], rules["then also"]))
    assert {(a, b) for a, b, _ in baskets.PLANTED_RULES} <= found
    assert baskets.is_planted(rules).sum() == 3
    planted = rules[baskets.is_planted(rules)]
    assert (planted["lift"] > 2).all() and (planted["confidence"] > 0.75).all()


@pytest.mark.parametrize("seed", range(8))
def test_customer_groups_recover_the_hidden_types(seed):
    shop = baskets.make_baskets(1000, seed)
    labels = baskets.cluster_customers(shop.B, 4, seed)
    assert adjusted_rand_score(shop.types, labels) > 0.85  # chance is about 0
    shuffled = np.random.default_rng(seed).permutation(labels)
    assert abs(adjusted_rand_score(shop.types, shuffled)) < 0.05
    profile = baskets.profiles(shop.B, labels)
    assert profile.shape == (4, len(shop.products))
    assert (0 <= profile).all() and (profile <= 1).all()
    table = baskets.describe_clusters(shop.B, labels, shop.products)
    assert table["customers"].sum() == 1000


# --- figures ------------------------------------------------------------------------------


def test_figures_build():
    ds = data.make_toy("blobs", 200, seed=0, n_blobs=3)
    run = kmeans.kmeans_steps(ds.X, kmeans.init_centres(ds.X, 3, seed=0))
    figs = [
        charts.kmeans_step_figure(ds.X, run.steps[2], run.steps[2].centres,
                                  run.steps[1].centres, "t"),
        charts.inertia_figure(run, 2),
        charts.cluster_figure(ds.X, clustering.run_dbscan(ds.X).labels, "t"),
        charts.dendrogram_figure(clustering.dendrogram(ds.X, 3), 3),
        charts.k_curve_figure(clustering.k_curves(ds.X, 6), 3),
        charts.digit_grid_figure(data.load_digit_set().images[:3], ["a", "b", "c"]),
    ]
    assert all(len(f.data) > 0 for f in figs)

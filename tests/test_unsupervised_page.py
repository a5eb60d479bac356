"""AppTest of the unsupervised page: it runs, and its main controls (data set, algorithm,
k, the k-means step, the map, contamination, the basket settings) change what it shows."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT

PAGE = str(ROOT / "pages" / "unsupervised.py")


def page(tab: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    if tab:
        at.session_state["unsup_tab"] = tab
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def figures(at: AppTest) -> dict[str, dict]:
    """Every plotly chart on screen, by its key, as the JSON the browser draws."""
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def title(fig: dict) -> str:
    return fig["layout"]["title"]["text"]


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_default_clustering_view():
    at = ok(page())
    figs = figures(at)
    assert {"unsup_step_chart", "unsup_inertia_chart", "unsup_k_curves"} <= figs.keys()
    assert title(figs["unsup_step_chart"]).startswith("k-means, k = 4")
    assert metric(at, "Clusters found") == "4"
    assert metric(at, "Adjusted Rand index") == "1.00"
    assert "Elbow at k = 4, best silhouette at k = 4" in captions(at)
    assert "Converged" in captions(at)


def test_moons_kmeans_fails_and_dbscan_finds_both():
    at = page()
    at.selectbox(key="unsup_dataset").set_value("moons").run()
    ok(at)
    assert at.slider(key="unsup_k").value == 2  # a new data set starts at its true k
    kmeans_ari = float(metric(at, "Adjusted Rand index"))
    at.selectbox(key="unsup_algorithm").set_value("DBSCAN").run()
    ok(at)
    assert kmeans_ari < 0.6
    assert metric(at, "Adjusted Rand index") == "1.00"
    assert metric(at, "Clusters found") == "2"
    assert "Noise points" in [m.label for m in at.metric]
    assert title(figures(at)["unsup_cluster_chart"]) == "DBSCAN: 2 clusters"
    at.slider(key="unsup_eps").set_value(0.05).run()  # too small a radius: mostly noise
    ok(at)
    assert int(metric(at, "Noise points")) > 100


def test_k_and_step_sliders_change_the_kmeans_view():
    at = page()
    at.slider(key="unsup_k").set_value(2).run()
    ok(at)
    assert metric(at, "Clusters found") == "2"
    assert title(figures(at)["unsup_step_chart"]).startswith("k-means, k = 2")
    at.slider(key="unsup_step").set_value(0).run()
    ok(at)
    assert "Start: k centres placed" in captions(at)
    at.slider(key="unsup_step").set_value(1).run()
    assert "Iteration 1, assign" in captions(at)


def test_random_start_can_get_stuck():
    at = page()
    at.selectbox(key="unsup_init").set_value("random points").run()
    ok(at)
    assert float(metric(at, "Adjusted Rand index")) < 0.8  # two centres in one blob (seed 0)


def test_true_number_of_blobs_moves_the_elbow():
    at = page()
    for n in (2, 6):
        at.slider(key="unsup_blobs").set_value(n).run()
        ok(at)
        assert f"Elbow at k = {n}, best silhouette at k = {n}" in captions(at)


@pytest.mark.parametrize("algorithm,chart", [("Gaussian mixture", "unsup_cluster_chart"),
                                             ("Agglomerative", "unsup_dendrogram")])
def test_other_algorithms_draw_their_charts(algorithm, chart):
    at = page()
    at.selectbox(key="unsup_dataset").set_value("anisotropic").run()
    at.selectbox(key="unsup_algorithm").set_value(algorithm).run()
    ok(at)
    assert chart in figures(at)
    assert metric(at, "Clusters found") == "3"
    if algorithm == "Gaussian mixture":
        assert float(metric(at, "Adjusted Rand index")) > 0.95


def test_digits_show_cluster_centres_and_the_check_against_labels():
    at = page()
    at.selectbox(key="unsup_dataset").set_value("digits").run()
    ok(at)
    assert at.slider(key="unsup_k").value == 10
    figs = figures(at)
    assert {"unsup_centres", "unsup_contingency"} <= figs.keys()
    assert "adjusted Rand index" in title(figs["unsup_contingency"])
    assert float(metric(at, "Adjusted Rand index")) > 0.5


def test_reduction_tab_pca_and_the_digit_viewer():
    at = ok(page("Dimensionality reduction"))
    figs = figures(at)
    assert {"unsup_map", "unsup_digit_chart", "unsup_variance"} <= figs.keys()
    assert title(figs["unsup_map"]) == "PCA of 600 digits"
    assert 0.5 < float(metric(at, "Same digit as nearest neighbour")[:-1]) / 100 < 0.7
    at.number_input(key="unsup_digit").set_value(5).run()
    ok(at)
    assert "image #5: a 5" in json.dumps(figures(at)["unsup_digit_chart"])
    before = captions(at)
    at.slider(key="unsup_ncomp").set_value(40).run()
    assert captions(at) != before and "40 components keep" in captions(at)


@pytest.mark.slow
def test_reduction_tab_tsne_separates_digits():
    at = page("Dimensionality reduction")
    at.slider(key="unsup_map_n").set_value(300)
    at.radio(key="unsup_method").set_value("t-SNE").run()
    ok(at)
    assert title(figures(at)["unsup_map"]) == "t-SNE of 300 digits"
    assert float(metric(at, "Same digit as nearest neighbour")[:-1]) > 85


def test_anomaly_contamination_flags_more_points():
    at = ok(page("Anomaly detection"))
    assert metric(at, "Flagged") == "16 of 315"
    low_precision = float(metric(at, "Precision")[:-1])
    at.slider(key="unsup_contamination").set_value(0.2).run()
    ok(at)
    assert metric(at, "Flagged") == "63 of 315"
    assert float(metric(at, "Precision")[:-1]) < low_precision
    assert {"unsup_anomaly_chart", "unsup_sweep"} <= figures(at).keys()
    at.radio(key="unsup_detector").set_value("Local outlier factor").run()
    ok(at)
    assert title(figures(at)["unsup_anomaly_chart"]) == "Local outlier factor, contamination 20%"


def test_baskets_groups_and_rules():
    at = ok(page("Shopping baskets"))
    assert float(metric(at, "Match with hidden types (ARI)")) > 0.85
    assert "3 of the 3 planted rules found" in captions(at)
    at.slider(key="unsup_groups").set_value(2).run()
    ok(at)
    assert float(metric(at, "Match with hidden types (ARI)")) < 0.7
    before = captions(at)
    at.slider(key="unsup_support").set_value(0.2).run()  # stricter support: fewer rules
    ok(at)
    assert captions(at) != before


def test_settings_survive_a_tab_switch():
    at = page()
    at.slider(key="unsup_k").set_value(6).run()
    at.session_state["unsup_tab"] = "Anomaly detection"
    at.run()
    at.session_state["unsup_tab"] = "Clustering"
    at.run()
    ok(at)
    assert at.slider(key="unsup_k").value == 6

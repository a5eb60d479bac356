"""Unsupervised page: server time of a slider change, and t-SNE, beside baselines.

1. Logic alone, toy set (blobs, 400 points, 4 groups): what a k change recomputes
   (our step-by-step k-means from k-means++ starts, recording every step, plus the
   step, inertia and elbow figures as JSON) beside scikit-learn's ``KMeans`` fit alone
   from the same starting centres. The same for DBSCAN, the Gaussian mixture and
   agglomerative clustering (with its dendrogram) beside the bare scikit-learn fit.
2. The whole page in AppTest (the server's work for one rerun, charts serialised):
   a k-slider change (new k, nothing cached), a k-means step-slider change (cached
   run, figures only), a DBSCAN eps change and an anomaly contamination change (cached
   scores, new threshold), beside the bare scikit-learn fit of the same data (and the k
   change also beside a rerun of the page with nothing changed: the fixed cost of
   drawing the page and its charts).
3. t-SNE of 600 digits (the page's default) beside PCA of the same digits.

Every figure is a median; ours and the baseline are measured alternately in the same
run so a busy neighbour slows both alike. Both run with the page's thread setting (one
OpenMP / BLAS thread on machines with up to 4 cores, see
playground/unsupervised/common.py); the last line shows why.

    .venv/bin/python benchmarks/bench_unsupervised.py
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
import warnings

from _util import ROOT, header, paired_medians, row

from playground.unsupervised import charts, clustering, data, kmeans, reduction  # noqa: E402
from playground.unsupervised.common import limited_threads  # noqa: E402

warnings.filterwarnings("ignore")
PAGE = str(ROOT / "pages" / "unsupervised.py")


def _kmeans_view(ds: data.Dataset, k: int) -> None:
    """What the page computes for a k-means slider change: the run and its figures."""
    r = clustering.run_clustering(ds.X, "k-means", k=k, seed=0)
    run = r.extra["run"]
    last = run.steps[-1]
    charts.kmeans_step_figure(ds.X, last, last.centres, run.steps[-2].centres, "k-means").to_json()
    charts.inertia_figure(run, len(run.steps) - 1).to_json()
    clustering.silhouette(ds.X, r.labels)
    clustering.adjusted_rand(ds.y, r.labels)


def _sklearn_kmeans(ds: data.Dataset, k: int) -> None:
    from sklearn.cluster import KMeans

    start = kmeans.init_centres(ds.X, k, "k-means++", 0)
    with limited_threads():
        KMeans(n_clusters=k, init=start, n_init=1, algorithm="lloyd").fit(ds.X)


def logic_rows() -> None:
    header("logic alone, toy sets of 400 points (ms, median of 9)")
    from sklearn.cluster import DBSCAN, AgglomerativeClustering
    from sklearn.mixture import GaussianMixture

    blobs = data.make_toy("blobs", 400, 0, n_blobs=4)
    ks = itertools.cycle([3, 4, 5, 6])
    ours, base = paired_medians(lambda: _kmeans_view(blobs, next(ks)),
                                lambda: _sklearn_kmeans(blobs, 4), repeat=9)
    print(row("k-means k change: steps + figures (blobs)", ours * 1e3, base * 1e3, "ms",
              "sklearn KMeans fit, same start"))
    run_only, base = paired_medians(
        lambda: kmeans.kmeans_steps(blobs.X, kmeans.init_centres(blobs.X, 4, "k-means++", 0)),
        lambda: _sklearn_kmeans(blobs, 4), repeat=9)
    print(row("  of which our k-means loop alone", run_only * 1e3, base * 1e3, "ms",
              "sklearn KMeans fit, same start"))

    moons = data.make_toy("moons", 400, 0)

    def bare(model):
        def fit():
            with limited_threads():
                model.fit(moons.X)
        return fit

    def view(algorithm, **kw):
        def run():
            r = clustering.run_clustering(moons.X, algorithm, seed=0, **kw)
            charts.cluster_figure(moons.X, r.labels, algorithm, centres2=r.centres,
                                  covariances2=r.covariances).to_json()
            clustering.silhouette(moons.X, r.labels)
            if algorithm == "Agglomerative":
                charts.dendrogram_figure(clustering.dendrogram(moons.X, 2), 2).to_json()
        return run

    for name, ours_fn, model, label in (
        ("DBSCAN eps change (moons)", view("DBSCAN", eps=0.3), DBSCAN(eps=0.3),
         "sklearn DBSCAN fit"),
        ("Gaussian mixture k change (moons)", view("Gaussian mixture", k=2),
         GaussianMixture(2, n_init=2, init_params="k-means++", random_state=0),
         "sklearn GaussianMixture fit"),
        ("Agglomerative + dendrogram (moons)", view("Agglomerative", k=2),
         AgglomerativeClustering(2), "sklearn AgglomerativeClustering fit"),
    ):
        ours, base = paired_medians(ours_fn, bare(model), repeat=9)
        print(row(name, ours * 1e3, base * 1e3, "ms", label))


def apptest_rows() -> None:
    from streamlit.testing.v1 import AppTest

    header("whole page rerun in AppTest (ms, median of 5)")
    blobs = data.make_toy("blobs", 400, 0, n_blobs=4)
    at = AppTest.from_file(PAGE, default_timeout=300).run()  # warm: imports, caches
    assert not at.exception

    def timed(change) -> float:
        start = time.perf_counter()
        change()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return time.perf_counter() - start

    k_values = iter([5, 6, 7, 8, 9, 10, 11, 12])  # each new: k-means really runs
    page, base, idle = [], [], []
    for _ in range(5):
        page.append(timed(lambda: at.slider(key="unsup_k").set_value(next(k_values))))
        idle.append(timed(lambda: None))
        start = time.perf_counter()
        _sklearn_kmeans(blobs, 4)
        base.append(time.perf_counter() - start)
    fit = statistics.median(base)
    print(row("k slider, new k (blobs, k-means)", statistics.median(page) * 1e3, fit * 1e3, "ms",
              "sklearn KMeans fit, same data"))
    print(row("k slider, new k (blobs, k-means)", statistics.median(page) * 1e3,
              statistics.median(idle) * 1e3, "ms", "page rerun, nothing changed"))
    steps = itertools.cycle([0, 1, 2])
    page = [timed(lambda: at.slider(key="unsup_step").set_value(next(steps))) for _ in range(5)]
    print(row("k-means step slider (cached run)", statistics.median(page) * 1e3, fit * 1e3, "ms",
              "sklearn KMeans fit, same data"))

    at.selectbox(key="unsup_dataset").set_value("moons").run()
    at.selectbox(key="unsup_algorithm").set_value("DBSCAN").run()
    from sklearn.cluster import DBSCAN

    moons = data.make_toy("moons", 400, 0)
    eps = iter([0.2, 0.25, 0.35, 0.4, 0.45])
    page, base = [], []
    for _ in range(5):
        page.append(timed(lambda: at.slider(key="unsup_eps").set_value(next(eps))))
        start = time.perf_counter()
        with limited_threads():
            DBSCAN(eps=0.3).fit(moons.X)
        base.append(time.perf_counter() - start)
    print(row("DBSCAN eps slider (moons)", statistics.median(page) * 1e3,
              statistics.median(base) * 1e3, "ms", "sklearn DBSCAN fit, same data"))

    from sklearn.ensemble import IsolationForest

    at.session_state["unsup_tab"] = "Anomaly detection"
    at.run()
    od = data.make_outlier_data("two blobs", 300, 15, 0)
    values = itertools.cycle([0.1, 0.15, 0.2, 0.05])
    page, base = [], []
    for _ in range(5):
        page.append(timed(lambda: at.slider(key="unsup_contamination").set_value(next(values))))
        start = time.perf_counter()
        with limited_threads():
            IsolationForest(random_state=0).fit(od.X)
        base.append(time.perf_counter() - start)
    print(row("contamination slider (cached scores)", statistics.median(page) * 1e3,
              statistics.median(base) * 1e3, "ms", "sklearn IsolationForest fit"))


def tsne_rows() -> None:
    header("t-SNE of the digits (s, median of 3)")
    digits = data.load_digit_set()
    idx = reduction.subset(len(digits.X), 600, 0)
    X = digits.X[idx]
    seeds = itertools.count()
    ours, base = paired_medians(lambda: reduction.tsne(X, 30.0, next(seeds)),
                                lambda: reduction.pca(X), repeat=3, warmup=0)
    print(row("t-SNE, 600 digits, 500 iterations", ours, base, "s", "PCA, same 600 digits"))


def threads_row() -> None:
    header("why one thread: 10 k-means fits of the digits (s, median of 3)")
    from sklearn.cluster import KMeans

    X = data.load_digit_set().X

    def fits():
        for k in range(1, 11):
            KMeans(n_clusters=k, n_init=1, random_state=0).fit(X)

    def limited():
        with limited_threads():
            fits()

    ours, base = paired_medians(limited, fits, repeat=3, warmup=0)
    print(row(f"page setting ({os.cpu_count()} cores here)", ours, base, "s",
              "library default threads"))


def main() -> None:
    start = time.perf_counter()
    logic_rows()
    apptest_rows()
    tsne_rows()
    threads_row()
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

"""Unsupervised learning: structure found with no labels. Clusters (k-means step by step,
DBSCAN, Gaussian mixtures, agglomerative with its dendrogram, choosing k), 2-D maps of
the digits (PCA, t-SNE), anomaly detection, and customer groups and co-purchase rules
in a synthetic shop."""

import numpy as np
import pandas as pd
import streamlit as st

from playground.ui import unsupervised as ui
from playground.ui.common import friendly_errors, kept, page_intro
from playground.ui.teacher import presets
from playground.ui.entry import run_through_navigation
from playground.unsupervised import anomaly, baskets, charts, clustering, data, kmeans, reduction

run_through_navigation()  # first visitor of a fresh server: go through Home.py

page_intro(
    "Unsupervised learning",
    "Here the algorithms get **no labels**: only points, images or shopping baskets. They "
    "find structure on their own: **clusters** (groups of similar points), **projections** "
    "(a 2-D map of 64-pixel images), **anomalies** (points unlike the rest) and **rules** "
    "(products bought together). Where the true answer is known (the generator's groups, "
    "the digit written, the injected outliers) it is used only *afterwards*, to score what "
    "was found. Everything is computed live with scikit-learn and scipy, except k-means "
    "and the rule mining, which are written out step by step (and tested against the "
    "library).",
    [
        "**Shapes that k-means cannot see.** Clustering tab, data set *moons*, k = 2: k-means "
        "cuts each moon in half (adjusted Rand index about 0.5). Switch the algorithm to "
        "*DBSCAN*: it follows the dense curves and finds both moons (index 1.0). *Circles* "
        "does the same.",
        "**Reading k off the elbow.** Data set *blobs*: move *True number of blobs* from 2 to "
        "7. The inertia curve under **Choosing k** bends at the true number every time, and "
        "the silhouette peaks there too; no label was used.",
        "**More suspicion, more false alarms.** Anomaly detection tab: raise *contamination* "
        "from 5% to 20%. Four times as many points get flagged (16 to 63 of 315) and precision "
        "falls from about 80% to about 20%: most new flags are normal points. Recall can only "
        "stay or rise; outliers that landed inside a group stay hidden.",
    ],
)

# lesson presets: the "try this" experiments, set up (sidebar, or ?preset=... in a link)
presets({
    "Shapes k-means cannot see": {"unsup_tab": "Clustering", "unsup_dataset": "moons",
                                  "unsup_algorithm": "k-means", "unsup_k": 2},
    "Reading k off the elbow": {"unsup_tab": "Clustering", "unsup_dataset": "blobs", "unsup_blobs": 5,
                                "unsup_algorithm": "k-means"},
    "More suspicion, more false alarms": {"unsup_tab": "Anomaly detection", "unsup_contamination": 0.2},
})

clustering_tab, reduction_tab, anomaly_tab, basket_tab = st.tabs(
    ["Clustering", "Dimensionality reduction", "Anomaly detection", "Shopping baskets"],
    key="unsup_tab", on_change="rerun")

DATASET_LABELS = {"blobs": "blobs", "moons": "moons", "circles": "circles",
                  "anisotropic": "anisotropic (stretched blobs)",
                  "varied density": "varied density", "digits": "digits (64 pixels, 1797 images)"}


def _reset_k() -> None:
    """A new data set starts with k = the number of groups its generator used."""
    name = st.session_state["unsup_dataset"]
    k = data.true_groups(name, st.session_state.get("_kept_unsup_blobs", 4))
    st.session_state["unsup_k"] = st.session_state["_kept_unsup_k"] = k


# ---------------------------------------------------------------------------------------
# Clustering
# ---------------------------------------------------------------------------------------
if clustering_tab.open:
    with clustering_tab:
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            name = kept(st.selectbox, "Data set", "unsup_dataset", "blobs",
                           options=list(DATASET_LABELS), format_func=DATASET_LABELS.get,
                           on_change=_reset_k)
        digits = name == "digits"
        with c2:
            n_points = 1797 if digits else kept(
                st.slider, "Points", "unsup_n", 400, min_value=100, max_value=2000, step=100)
            n_blobs = 4
            if name == "blobs":
                n_blobs = kept(st.slider, "True number of blobs", "unsup_blobs", 4,
                                  min_value=2, max_value=8,
                                  help="How many groups the generator draws (hidden from "
                                       "the algorithms).")
        with c3:
            algorithm = kept(st.selectbox, "Algorithm", "unsup_algorithm", "k-means",
                                options=list(clustering.ALGORITHMS))
            seed = kept(st.number_input, "Seed", "unsup_seed", 0, min_value=0, max_value=9999,
                           step=1, help="Seeds the data and every random start.")
        with c4:
            k, init, eps, min_samples, cov, linkage = 3, "k-means++", 0.3, 5, "full", "ward"
            if algorithm != "DBSCAN":
                k = kept(st.slider, "k (number of clusters)", "unsup_k",
                            data.true_groups(name, n_blobs), min_value=1, max_value=15)
            if algorithm == "k-means":
                init = kept(st.selectbox, "Starting centres", "unsup_init", "k-means++",
                               options=list(kmeans.INITS),
                               help="k-means only finds a local best. Random starting points "
                                    "can leave two centres in one group (blobs, seed 0); "
                                    "k-means++ spreads the starts out.")
            elif algorithm == "DBSCAN":
                if digits:  # 64 pixels in 0..1: neighbours are 1 to 4 apart
                    eps = kept(st.slider, "eps (neighbourhood radius)", "unsup_eps_digits",
                                  1.5, min_value=0.5, max_value=4.0, step=0.05)
                else:
                    eps = kept(st.slider, "eps (neighbourhood radius)", "unsup_eps", 0.3,
                                  min_value=0.05, max_value=1.0, step=0.01)
                min_samples = kept(st.slider, "min_samples", "unsup_min_samples", 5,
                                      min_value=2, max_value=30)
            elif algorithm == "Gaussian mixture":
                cov = kept(st.selectbox, "Covariance", "unsup_cov", "full",
                              options=list(clustering.COVARIANCES),
                              help="full: any ellipse; tied: one shared ellipse; diag: "
                                   "axis-aligned; spherical: circles.")
            else:
                linkage = kept(st.selectbox, "Linkage", "unsup_linkage", "ward",
                                  options=list(clustering.LINKAGES))

        with friendly_errors("clustering"):
            ds = ui.dataset(name, n_points, seed, n_blobs)
            X2, mean, W = ui.plane(name, n_points, seed, n_blobs)
            result = ui.clusters(name, n_points, seed, n_blobs, algorithm, k, init, eps,
                                 min_samples, cov, linkage)
            sil, ari = ui.scores(name, n_points, seed, n_blobs, result.labels)

            def to_plane(P: np.ndarray) -> np.ndarray:
                """Centres (k, d) -> plot coordinates (k, 2)."""
                return (P - mean) @ W.T

            hover = [f"true digit {t}" for t in ds.y] if digits else [
                f"true group {t + 1}" for t in ds.y]
            left, right = st.columns([3, 1])
            with right:
                st.metric("Clusters found", result.n_clusters)
                if algorithm == "DBSCAN":
                    st.metric("Noise points", result.n_noise)
                st.metric("Silhouette", "n/a" if sil is None else f"{sil:.2f}",
                          help="Needs no labels: near 1 = tight, well separated clusters.")
                st.metric("Adjusted Rand index", f"{ari:.2f}",
                          help="Checked afterwards against the true groups: 1 = the same "
                               "partition, about 0 = no better than chance.")
            with left:
                if algorithm == "k-means":
                    run: kmeans.KMeansRun = result.extra["run"]
                    last = len(run.steps) - 1
                    signature = (name, n_points, seed, n_blobs, k, init)
                    # a new run shows its end; so does a return to this page (Streamlit drops a
                    # widget's state when a run does not draw it, e.g. on another page)
                    if (st.session_state.get("_unsup_step_for") != signature
                            or "unsup_step" not in st.session_state):
                        st.session_state["unsup_step"] = last
                        st.session_state["_unsup_step_for"] = signature
                    st.session_state["unsup_step"] = min(st.session_state["unsup_step"], last)
                    i = st.slider("Step through k-means (0 = start)", 0, last,
                                  key="unsup_step",
                                  help="assign: points take their nearest centre's colour; "
                                       "update: centres move to the mean of their points.")
                    step = run.steps[min(i, last)]
                    prev = run.steps[i - 1].centres if 0 < i <= last else None
                    st.plotly_chart(charts.kmeans_step_figure(
                        X2, step, to_plane(step.centres),
                        None if prev is None else to_plane(prev),
                        f"k-means, k = {k}: step {i} of {last}"), width="stretch",
                        key="unsup_step_chart")
                    st.caption(kmeans.describe_step(step)
                               + ("" if run.converged else " (stopped at the iteration limit)"))
                else:
                    centres2 = covs2 = None
                    if algorithm == "Gaussian mixture":
                        centres2 = to_plane(result.centres)
                        covs2 = None if digits else result.covariances
                    st.plotly_chart(charts.cluster_figure(
                        X2, result.labels, f"{algorithm}: {result.n_clusters} clusters",
                        centres2=centres2, covariances2=covs2, hover=hover), width="stretch",
                        key="unsup_cluster_chart")
            if algorithm == "k-means":
                st.plotly_chart(charts.inertia_figure(run, min(i, last)), width="stretch",
                                key="unsup_inertia_chart")
            if digits:
                st.caption("The digits have 64 dimensions: they are clustered in all 64 and "
                           "drawn on their first two principal components, so clusters "
                           "overlap on screen that are apart in 64-D.")
            if algorithm == "Agglomerative":
                st.plotly_chart(charts.dendrogram_figure(
                    ui.dendrogram(name, n_points, seed, n_blobs, k, linkage), k),
                    width="stretch", key="unsup_dendrogram")
                st.caption("Read it bottom-up: every ⊓ merges the two closest clusters at the "
                           "height of their distance. Cutting across the tree below a long "
                           "vertical gap gives a natural number of clusters.")
            if digits:
                members = [lab for lab in sorted(set(result.labels.tolist())) if lab >= 0]
                if result.centres is None and not members:  # DBSCAN: every image is noise
                    st.info("No cluster found: at this eps every image is noise, so there is no "
                            "centre to draw. Raise eps or lower min_samples.",
                            icon=":material/info:")
                else:
                    centres = (result.centres if result.centres is not None else
                               np.stack([ds.X[result.labels == lab].mean(axis=0)
                                         for lab in members]))
                    st.markdown("**What each cluster looks like** (its centre, drawn as an image). "
                                "The algorithm never saw a label, yet the centres look like "
                                "digits.")
                    st.plotly_chart(charts.digit_grid_figure(
                        centres[:20].reshape(-1, 8, 8),
                        [f"cluster {j + 1}" for j in range(len(centres[:20]))]),
                        width="stretch", key="unsup_centres")
                counts, rows, cols = clustering.contingency(ds.y, result.labels)
                st.plotly_chart(charts.contingency_figure(
                    counts, [f"digit {r}" for r in rows],
                    ["noise" if c < 0 else f"cluster {c + 1}" for c in cols],
                    f"True digit vs cluster (after the fact): adjusted Rand index {ari:.2f}"),
                    width="stretch", key="unsup_contingency")

        st.subheader("Choosing k")
        st.markdown(
            "Most algorithms need k. Without labels, two common guides: the **elbow** (inertia, "
            "the k-means sum of squared distances, always falls as k grows, but stops falling "
            "fast once every real group has its own centre) and the **silhouette** (highest "
            "when clusters are tight and far apart). The dotted line is the true number of "
            "groups, for checking.")
        with friendly_errors("choosing k"):
            curve = ui.k_curves(name, n_points, seed, n_blobs, 12)
            st.plotly_chart(charts.k_curve_figure(curve, ds.true_k), width="stretch",
                            key="unsup_k_curves")
            st.caption(f"Elbow at k = {curve.elbow_k}, best silhouette at k = "
                       f"{curve.best_silhouette_k}; the generator used {ds.true_k} groups. "
                       "Both guides assume round, separate groups: on moons, circles or "
                       "stretched blobs they can point to the wrong k.")

# ---------------------------------------------------------------------------------------
# Dimensionality reduction
# ---------------------------------------------------------------------------------------


def _pick_digit() -> None:
    """A click on the map shows that point's image (customdata = [image index, digit])."""
    points = st.session_state["unsup_map"].selection.get("points", [])
    if not points:
        return
    custom = points[0].get("customdata")
    if isinstance(custom, dict):  # the pair arrives as {"0": index, "1": digit}
        custom = [custom[k] for k in sorted(custom, key=int)]
    if custom:
        st.session_state["unsup_digit"] = st.session_state["_kept_unsup_digit"] = int(custom[0])


if reduction_tab.open:
    with reduction_tab:
        st.markdown(
            "Each digit is an 8x8 image: 64 numbers. **PCA** keeps the directions in which the "
            "images vary most (a rotation: linear, fast, reversible). **t-SNE** moves points "
            "in 2-D until each one has the same neighbours as in 64-D (non-linear, slower, "
            "good at separating groups, but distances between groups mean little). Colours "
            "are the true digits, which neither method sees. Click a point to see its image. "
            "Switch PCA to t-SNE and watch the share of points whose nearest neighbour is the "
            "same digit jump from about 60% to above 90%.")
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            method = kept(st.radio, "Method", "unsup_method", "PCA", options=["PCA", "t-SNE"],
                             horizontal=True)
        with c2:
            n_map = kept(st.slider, "Digits on the map", "unsup_map_n", 600, min_value=100,
                            max_value=1797, step=100,
                            help="t-SNE time grows with the number of points.")
        with c3:
            perplexity = kept(st.slider, "t-SNE perplexity", "unsup_perplexity", 30,
                                 min_value=5, max_value=50, step=5,
                                 help="About how many neighbours each point tries to keep.",
                                 disabled=method != "t-SNE")
        with c4:
            map_seed = kept(st.number_input, "Seed", "unsup_map_seed", 0, min_value=0,
                               max_value=9999, step=1, help="Which digits are drawn, t-SNE start.")
        with friendly_errors("the 2-D map"):
            digit_set = data.load_digit_set()
            pca_result = ui.pca_digits()
            if method == "PCA":
                idx = reduction.subset(len(digit_set.X), n_map, map_seed)
                E = pca_result.embedding[idx]
            else:
                with st.spinner(f"Running t-SNE on {n_map} digits (a few seconds; cached "
                                "afterwards) ...", show_time=True):
                    idx, E = ui.tsne_digits(n_map, map_seed, float(perplexity))
            left, right = st.columns([3, 2])
            with right:
                shown = kept(st.number_input, "Image # to show", "unsup_digit", int(idx[0]),
                                min_value=0, max_value=len(digit_set.X) - 1, step=1)
                n_comp = kept(st.slider, "PCA components kept", "unsup_ncomp", 10,
                                 min_value=1, max_value=64,
                                 help="Rebuild the image from its first n PCA coordinates.")
                image = digit_set.X[shown]
                rebuilt = pca_result.reconstruct(image, n_comp)
                st.plotly_chart(charts.digit_figure(
                    [image.reshape(8, 8), np.clip(rebuilt, 0, 1).reshape(8, 8)],
                    [f"image #{shown}: a {digit_set.y[shown]}", f"from {n_comp} of 64 numbers"]),
                    width="stretch", key="unsup_digit_chart")
                error = float(np.sqrt(np.mean((rebuilt - image) ** 2)))
                st.caption(f"{n_comp} components keep "
                           f"{np.cumsum(pca_result.explained_variance_ratio)[n_comp - 1]:.0%} of "
                           f"the variance of all digits; this image is rebuilt with a root mean "
                           f"square pixel error of {error:.3f} (pixels run 0 to 1).")
                agreement = reduction.neighbour_agreement(E, digit_set.y[idx])
                st.metric("Same digit as nearest neighbour", f"{agreement:.0%}",
                          help="Share of points whose closest other point in this 2-D map is "
                               "the same digit (checked with the true labels afterwards).")
            with left:
                st.plotly_chart(
                    charts.embedding_figure(E, digit_set.y[idx], idx,
                                            f"{method} of {len(idx)} digits", selected=shown),
                    width="stretch", key="unsup_map", on_select=_pick_digit,
                    selection_mode="points")
            st.plotly_chart(charts.explained_variance_figure(pca_result.explained_variance_ratio),
                            width="stretch", key="unsup_variance")
            st.caption(f"PCA: the first 2 components keep "
                       f"{pca_result.explained_variance_ratio[:2].sum():.0%} of the variance, "
                       f"{pca_result.components_for(0.9)} components keep 90%. A 2-D PCA map "
                       "therefore throws most of the information away; t-SNE keeps who is near "
                       "whom instead. On millions of points, people use faster relatives of "
                       "t-SNE (openTSNE, UMAP); the idea is the same.")

# ---------------------------------------------------------------------------------------
# Anomaly detection
# ---------------------------------------------------------------------------------------
if anomaly_tab.open:
    with anomaly_tab:
        st.markdown(
            "Normal points plus **injected outliers** scattered at random. The detector sees "
            "only the points and gives each a normality score; *contamination* says what "
            "share to flag (the lowest scores). The injected ones are known, so we can count "
            "hits (precision: flagged points that are real outliers; recall: real outliers "
            "that got flagged).")
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            kind = kept(st.selectbox, "Data", "unsup_outlier_set", "two blobs",
                           options=list(data.OUTLIER_SETS))
            n_out = kept(st.slider, "Injected outliers", "unsup_n_out", 15, min_value=0,
                            max_value=60, help="Added to 300 normal points.")
        with c2:
            detector = kept(st.radio, "Detector", "unsup_detector", anomaly.DETECTORS[0],
                               options=list(anomaly.DETECTORS))
        with c3:
            contamination = kept(st.slider, "Contamination", "unsup_contamination", 0.05,
                                    min_value=0.01, max_value=0.30, step=0.01, format="%.2f",
                                    help="The share of points the detector flags.")
        with c4:
            n_neighbors = kept(st.slider, "LOF neighbours", "unsup_lof_k", 20, min_value=2,
                                  max_value=60, disabled=detector != "Local outlier factor")
            out_seed = kept(st.number_input, "Seed", "unsup_out_seed", 0, min_value=0,
                               max_value=9999, step=1)
        with friendly_errors("anomaly detection"):
            od = ui.outliers(kind, 300, n_out, out_seed)
            s = ui.normality(kind, 300, n_out, out_seed, detector, n_neighbors)
            flags = anomaly.flag(s, contamination)
            result = anomaly.evaluate(flags, od.is_outlier)
            left, right = st.columns([3, 1])
            with right:
                st.metric("Flagged", f"{result.flagged} of {len(od.X)}")
                st.metric("Precision", f"{result.precision:.0%}",
                          help="Of the flagged points, the share that were injected outliers.")
                st.metric("Recall", "n/a" if n_out == 0 else f"{result.recall:.0%}",
                          help="Of the injected outliers, the share that got flagged.")
            with left:
                threshold = float(np.percentile(s, 100 * contamination))
                st.plotly_chart(charts.anomaly_figure(
                    od.X, flags, od.is_outlier,
                    ui.score_map(kind, 300, n_out, out_seed, detector, n_neighbors), threshold,
                    f"{detector}, contamination {contamination:.0%}"), width="stretch",
                    key="unsup_anomaly_chart")
            grid = np.round(np.arange(0.01, 0.301, 0.01), 2)
            st.plotly_chart(charts.sweep_figure(grid, anomaly.sweep(s, od.is_outlier, grid),
                                                contamination), width="stretch",
                            key="unsup_sweep")
            st.caption("Background: the detector's score over the plane (darker = more "
                       "anomalous); inside the dashed line points get flagged. Outliers that "
                       "landed inside a group look normal to any detector, so recall rarely "
                       "reaches 100% without flagging many normal points. The isolation "
                       "forest judges how easy a point is to cut off from all the data; LOF "
                       "compares a point's density with its neighbours' (try few neighbours "
                       "on *dense + sparse*).")

# ---------------------------------------------------------------------------------------
# Shopping baskets
# ---------------------------------------------------------------------------------------
if basket_tab.open:
    with basket_tab:
        st.markdown(
            "A made-up shop: each customer secretly is a *gamer*, *home office* worker, "
            "*photographer* or *student*, and buys accordingly; a few purchases are planted "
            "to follow others (a laptop brings a mouse, a camera a memory card, a console a "
            "controller). The algorithms see only the baskets, a yes/no table of customers "
            "x products.")
        c1, c2, c3 = st.columns(3)
        with c1:
            n_customers = kept(st.slider, "Customers", "unsup_customers", 1000,
                                  min_value=200, max_value=5000, step=100)
            shop_seed = kept(st.number_input, "Seed", "unsup_shop_seed", 0, min_value=0,
                                max_value=9999, step=1)
        with c2:
            groups = kept(st.slider, "Customer groups (k-means k)", "unsup_groups", 4,
                             min_value=1, max_value=8)
        with c3:
            min_support = kept(st.slider, "Minimum support", "unsup_support", 0.05,
                                  min_value=0.01, max_value=0.3, step=0.01,
                                  help="Only item sets in at least this share of baskets.")
            min_conf = kept(st.slider, "Minimum confidence", "unsup_confidence", 0.6,
                               min_value=0.1, max_value=1.0, step=0.05)
            max_len = kept(st.radio, "Items per rule", "unsup_rule_len", 2, options=[2, 3],
                              horizontal=True)
        with friendly_errors("the shopping baskets"):
            shop = ui.shop(n_customers, shop_seed)
            st.markdown("**What the algorithms see** (first 5 customers):")
            st.dataframe(pd.DataFrame({
                "customer": np.arange(1, 6),
                "basket": [", ".join(p for p, b in zip(shop.products, row) if b) or "(empty)"
                           for row in shop.B[:5]]}), hide_index=True, width="stretch")

            st.subheader("Customer groups")
            labels = ui.customer_groups(n_customers, shop_seed, groups)
            profiles = baskets.profiles(shop.B, labels)
            names = [f"group {j + 1}" for j in range(len(profiles))]
            st.plotly_chart(charts.profile_figure(profiles, shop.products, names,
                                                  "What each group buys (share of its customers)"),
                            width="stretch", key="unsup_profiles")
            st.dataframe(baskets.describe_clusters(shop.B, labels, shop.products),
                         hide_index=True, width="stretch")
            shop_ari = clustering.adjusted_rand(shop.types, labels)
            counts, rows, cols = clustering.contingency(shop.types, labels)
            left, right = st.columns([1, 2])
            with left:
                st.metric("Match with hidden types (ARI)", f"{shop_ari:.2f}",
                          help="Checked afterwards: 1 = the groups are exactly the hidden "
                               "customer types, about 0 = chance.")
            with right:
                st.plotly_chart(charts.contingency_figure(
                    counts, [shop.type_names[r] for r in rows], [names[c] for c in cols],
                    "Hidden type vs group found (after the fact)"), width="stretch",
                    key="unsup_types")

            st.subheader("Bought together")
            st.markdown("**support** = share of baskets with all the items; **confidence** = "
                        "share of baskets with the left side that also have the right side; "
                        "**lift** = confidence / support of the right side (above 1: buying the "
                        "left side makes the right side more likely).")
            found = ui.itemsets(n_customers, shop_seed, min_support, max_len)
            rules = baskets.association_rules(found, shop.products, min_conf, min_lift=1.0)
            rules["planted"] = baskets.is_planted(rules)
            planted_found = int(rules["planted"].sum())
            st.caption(f"{len(found)} frequent item sets, {len(rules)} rules; "
                       f"{planted_found} of the {len(baskets.PLANTED_RULES)} planted rules found "
                       "(the *planted* column is an after-the-fact check).")
            st.dataframe(rules, hide_index=True, width="stretch", height=360,
                         column_config={
                             "support": st.column_config.NumberColumn(format="%.3f"),
                             "confidence": st.column_config.NumberColumn(format="%.2f"),
                             "lift": st.column_config.NumberColumn(format="%.2f")})
            st.caption("Besides the planted rules, the table finds the customer types "
                       "themselves (a lens goes with a camera because photographers buy "
                       "both): rules show correlation, not cause.")

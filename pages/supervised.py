"""Supervised learning: a model learns from labelled examples; watch its decision
boundary, its scores, and the point where it starts to memorise (overfit)."""

import numpy as np
import pandas as pd
import streamlit as st

from playground.config import get_settings
from playground.errors import UserInputError
from playground.supervised import (CSV_SET, MODEL_NAMES, MODELS, SKLEARN_SETS, TOY_SETS,
                                   curve_from_points, curve_values, split_dataset)
from playground.supervised import charts
from playground.supervised.code import classification_code
from playground.supervised.learn import TRAIN_FRACTIONS
from playground.supervised.regression import FUNCTIONS, REGRESSORS, error_curve_from_points
from playground.ui import supervised as ui
from playground.ui.common import friendly_errors, page_intro, track
from playground.ui.teacher import presets
from playground.ui.entry import run_through_navigation

run_through_navigation()  # first visitor of a fresh server: go through Home.py

settings = get_settings()
page_intro(
    "Supervised learning",
    "A classifier learns a rule from **labelled examples** (points whose class is known) and "
    "is judged on **test examples it has never seen**. The coloured background is the class "
    "the model predicts at every spot: its *decision boundary*. A model that is too simple "
    "misses the pattern (underfits); one that is too flexible learns the noise of its "
    "training points by heart (overfits): high training score, lower test score. Every "
    "number here comes from scikit-learn models trained on the data you choose, as you move "
    "the sliders.",
    [
        "**Memorising the noise.** Moons, noise 0.3, *Decision tree*: set the depth to 1, then "
        "15. At 15 the training accuracy is 100% but the test accuracy is lower than at depth "
        "3–6. The **Overfitting** tab draws the whole curve (k-nearest neighbours with k = 1 "
        "does the same).",
        "**Straight lines have limits.** Circles with the noise at 0.1, *Logistic regression*: "
        "test accuracy stays "
        "near 50%, a coin toss, because no straight line separates two rings. Switch to "
        "*SVM* (rbf kernel): above 90%. Or give logistic regression polynomial degree 2.",
        "**Too wiggly to be true.** **Regression** tab, polynomial: degree 1 underfits, degree "
        "3 follows the curve, degree 15 passes near every training point and its test error "
        "shoots up.",
    ],
)

# lesson presets: the "try this" experiments, set up (sidebar, or ?preset=... in a link)
presets({
    "Memorising the noise": {"sup_tab": "Classify", "sup_dataset": "moons", "sup_noise": 0.3,
                             "sup_model": "Decision tree", "sup_p_decision_max_depth": 15},
    "Straight lines have limits": {"sup_tab": "Classify", "sup_dataset": "circles", "sup_noise": 0.1,
                                   "sup_model": "Logistic regression", "sup_p_logistic_degree": 1},
    "Too wiggly to be true": {"sup_tab": "Regression", "sup_rg_model": "Polynomial",
                              "sup_rg_value_polynomial": 15},
})

# ---------------------------------------------------------------------------
# Data (sidebar): used by Classify, Compare models and Overfitting
# ---------------------------------------------------------------------------
with st.sidebar:
    st.header("Data", divider="gray")
    labels = {**{n: f"{n} (2-D toy)" for n in TOY_SETS},
              **{n: f"{n} (scikit-learn table)" for n in SKLEARN_SETS},
              CSV_SET: "your CSV file"}
    name = ui.kept(st.selectbox, "Data set", "sup_dataset", "moons",
                   options=list(labels), format_func=labels.get)
    seed = ui.kept(st.number_input, "Seed", "sup_seed", 0, min_value=0, max_value=9999, step=1,
                   help="Every random choice (data, split, model) starts from this seed.")
    test_pct = ui.kept(st.slider, "Test share (%)", "sup_test", 20, min_value=10, max_value=50,
                       step=5, help="Rows held out to test the model; it never trains on them.")
    test_size = test_pct / 100
    csv_bytes, data_key, csv_error = None, None, None
    if name in TOY_SETS:
        noise = ui.kept(st.slider, "Noise", "sup_noise", 0.2, min_value=0.0, max_value=1.0,
                        step=0.05)
        n_points = ui.kept(st.slider, "Points", "sup_n", 200, min_value=50, max_value=1000,
                           step=50)
        data_key = ("toy", name, int(n_points), float(noise), int(seed))
    elif name in SKLEARN_SETS:
        data_key = ("sklearn", name, 0, 0.0, 0)
    else:
        upload = st.file_uploader(
            "CSV file (first row = column names)", type=None, key="sup_csv",
            max_upload_size=settings.max_upload_mb,
            help=f"At most {settings.max_upload_mb} MB and {settings.max_csv_rows:,} rows.")
        if upload is None:
            st.info("Upload a CSV: one row per example, one column per feature, and a column "
                    "with the class to predict.", icon=":material/upload_file:")
        else:
            csv_bytes = upload.getvalue()
            sha1 = ui.digest(csv_bytes)
            try:
                columns = ui.csv_columns(sha1, csv_bytes, settings.max_upload_mb,
                                         settings.max_csv_rows)
            except UserInputError as exc:
                csv_error = exc  # shown in the main area, where the user looks
            else:
                if st.session_state.get("_sup_csv_sha1") != sha1:  # a new file: guess again
                    ui.forget("sup_target")
                    st.session_state["_sup_csv_sha1"] = sha1
                guess = ui.csv_target_guess(sha1, csv_bytes, settings.max_upload_mb,
                                            settings.max_csv_rows)
                target = ui.kept(st.selectbox, "Target column (the class to predict)",
                                 "sup_target", guess, options=columns)
                data_key = ("csv", sha1, target)

dataset = split = None
with friendly_errors("preparing the data"):
    if csv_error is not None:
        raise csv_error
    if data_key is not None:
        dataset = ui.dataset(data_key, csv_bytes, settings.max_upload_mb, settings.max_csv_rows)
        split = split_dataset(dataset, test_size, int(seed))


def data_summary() -> None:
    """One line on the data, and what was done to it."""
    n_features = len(dataset.numeric) + len(dataset.categorical)
    st.caption(f"**{dataset.name}**: {len(dataset.y)} rows, {n_features} feature(s), "
               f"{dataset.n_classes} classes · {len(split.train)} train / {len(split.test)} "
               f"test rows{' (stratified)' if split.stratified else ''}.")
    for note in dataset.notes:
        st.info(note, icon=":material/info:")


def no_data() -> None:
    st.info("Choose a data set in the sidebar (or upload a CSV and pick its target column).",
            icon=":material/arrow_back:")


def model_params(model: str, prefix: str) -> dict:
    """One widget per hyperparameter of ``model``; returns {name: value}."""
    slug = model.split()[0].lower()
    params = {}
    for p in MODELS[model].params:
        key = f"{prefix}_{slug}_{p.name}"
        if p.is_choice:
            params[p.name] = ui.kept(st.selectbox, p.label, key, p.default, options=p.values,
                                     help=p.help or None)
        else:
            params[p.name] = ui.kept(st.select_slider, p.label, key, p.default, options=p.values,
                                     help=p.help or None)
    return params


tab_classify, tab_compare, tab_overfit, tab_regress = st.tabs(
    ["Classify", "Compare models", "Overfitting", "Regression"], key="sup_tab",
    on_change="rerun")

# ---------------------------------------------------------------------------
# Classify: one model, its boundary and its scores
# ---------------------------------------------------------------------------
if tab_classify.open:
    with tab_classify:
        controls, picture = st.columns([1, 3])
        with controls:
            model = ui.kept(st.selectbox, "Model", "sup_model", "Decision tree",
                            options=MODEL_NAMES)
            st.caption(MODELS[model].blurb)
            params = model_params(model, "sup_p")
        with picture:
            result = None
            if dataset is None:
                no_data()
            else:
                with friendly_errors("training the model"):
                    result = ui.classification(data_key, dataset, split, test_size, int(seed),
                                               model, tuple(sorted(params.items())))
                    st.plotly_chart(charts.boundary_figure(result, dataset, split), width="stretch",
                                    key="sup_fig_boundary")
                    data_summary()
                    if result.plane.projected:
                        n_features = len(dataset.numeric) + len(dataset.categorical)
                        ev = sum(result.plane.explained)
                        why = (f"This data has {n_features} features" if n_features > 2 else
                               f"After one-hot encoding and filling in missing values the model "
                               f"sees {result.n_inputs} input columns, not two plain numbers")
                        st.warning(
                            f"{why}: more than a flat picture can "
                            "show. The scores below use **all** of them. The picture shows every "
                            "row projected onto its first two principal components (PCA, "
                            f"{ev:.0%} of the spread of the scaled data) and the boundary of the "
                            "**same model refit on just those two numbers** (test accuracy "
                            f"{result.plane.test_accuracy:.0%} there). It is a simplified view, "
                            "not the boundary of the full model.", icon=":material/info:")
                    for note in result.notes:
                        st.caption(note)
        if result is not None:
            m = result.metrics
            st.subheader("Scores on the test rows")
            cols = st.columns(5)
            cols[0].metric("Train accuracy", f"{m.train_accuracy:.1%}")
            cols[1].metric("Test accuracy", f"{m.accuracy:.1%}",
                           delta=f"{m.accuracy - m.train_accuracy:+.1%} vs train",
                           delta_color="off")
            cols[2].metric("Precision", f"{m.precision:.1%}")
            cols[3].metric("Recall", f"{m.recall:.1%}")
            cols[4].metric("F1", f"{m.f1:.1%}")
            positive = dataset.class_names[1] if m.average == "binary" else None
            st.caption(
                "Accuracy = share of rows classified right. Precision = of the rows predicted "
                "positive, the share that are; recall = of the positive rows, the share found; "
                "F1 = their harmonic mean. "
                + (f"Positive class: **{positive}**." if positive else
                   "With more than two classes each is the mean over the classes (macro)."))
            left, right = st.columns(2)
            left.plotly_chart(charts.confusion_figure(m.confusion, dataset.class_names),
                              width="stretch", key="sup_fig_confusion")
            if m.roc is not None:
                right.plotly_chart(charts.roc_figure(*m.roc), width="stretch", key="sup_fig_roc")
                right.caption("Every threshold on the model's score gives one point: how many "
                              "positives it catches (up) for how many false alarms (right). "
                              "AUC 1 = perfect ranking, 0.5 = guessing.")
            elif dataset.n_classes == 2:
                right.caption("No ROC curve: the test rows hold a single class. Move the split "
                              "slider or the seed.")
            else:
                right.caption("The ROC curve is drawn for two classes; this data has "
                              f"{dataset.n_classes}.")
            with st.expander("Show me the code", icon=":material/code:"):
                st.caption("The scikit-learn script that reproduces this tab from your current "
                           "settings: same data, same split, same model, same test accuracy.")
                st.code(classification_code(dataset, split, model, params, int(seed), test_size,
                                            csv_path="your_data.csv"), language="python")

# ---------------------------------------------------------------------------
# Compare models: every model on the same data, like scikit-learn's comparison
# ---------------------------------------------------------------------------
if tab_compare.open:
    with tab_compare:
        if dataset is None:
            no_data()
        else:
            st.markdown("Every model with its **default** settings on the same data and split. "
                        "Circles: training rows, diamonds: test rows; the title gives test "
                        "accuracy.")
            with friendly_errors("comparing the models"):
                results = [ui.classification(data_key, dataset, split, test_size, int(seed), mdl,
                                             tuple(sorted(MODELS[mdl].defaults().items())))
                           for mdl in track(MODEL_NAMES, len(MODEL_NAMES), "Training each model")]
                st.plotly_chart(charts.compare_figure(results, dataset, split), width="stretch",
                                key="sup_fig_compare")
                data_summary()
                if results[0].plane.projected:
                    st.caption("More than two features: each picture is the model refit on the "
                               "2-D PCA projection; the titles and the table use all features.")
                st.dataframe(pd.DataFrame({
                    "model": [r.model_name for r in results],
                    "train accuracy": [r.metrics.train_accuracy for r in results],
                    "test accuracy": [r.metrics.accuracy for r in results],
                    "F1 (test)": [r.metrics.f1 for r in results],
                    "fit time (ms)": [1000 * r.fit_seconds for r in results],
                }).style.format({"train accuracy": "{:.1%}", "test accuracy": "{:.1%}",
                                 "F1 (test)": "{:.1%}", "fit time (ms)": "{:.0f}"}),
                    hide_index=True, width="stretch")

# ---------------------------------------------------------------------------
# Overfitting: validation curve and learning curve
# ---------------------------------------------------------------------------
if tab_overfit.open:
    with tab_overfit:
        if dataset is None:
            no_data()
        else:
            c1, c2, c3 = st.columns([2, 3, 2], vertical_alignment="bottom")
            of_model = ui.kept(c1.selectbox, "Model", "sup_of_model", "Decision tree",
                               options=MODEL_NAMES)
            spec = MODELS[of_model].complexity
            values = curve_values(dataset, split, of_model)
            default = MODELS[of_model].defaults().get(spec.param, values[len(values) // 2])
            if default not in values:
                default = values[len(values) // 2]
            value = ui.kept(c2.select_slider, f"Complexity: {spec.label}",
                            f"sup_of_value_{of_model.split()[0].lower()}", default, options=values)
            n_splits = 5 if ui.kept(c3.toggle, "Average 5 random splits", "sup_of_avg", False,
                                    help="Smoother curves, five times the work. Off: the "
                                         "page's own train/test split.") else 1
            st.caption(f"The complexity slider moves the {of_model.lower()} from too simple to "
                       "too flexible; its other hyperparameters stay at their defaults.")
            with friendly_errors("computing the curves"):
                train, test = [], []
                for v in track(values, len(values), "Validation curve"):
                    tr, te = ui.complexity_point(data_key, dataset, split, test_size, int(seed),
                                                 of_model, v, n_splits)
                    train.append(tr)
                    test.append(te)
                curve = curve_from_points(values, train, test, spec.label, log_x=spec.log_x)
                knob = {spec.param: value}
                params = {**MODELS[of_model].defaults(), **knob}
                result = ui.classification(data_key, dataset, split, test_size, int(seed),
                                           of_model, tuple(sorted(params.items())))
                left, right = st.columns(2)
                left.plotly_chart(charts.curve_figure(
                    curve, "Validation curve", value, spec.simple_end == "low",
                    y_range=charts.accuracy_range(curve)), width="stretch",
                    key="sup_fig_validation")
                right.plotly_chart(charts.boundary_figure(result, dataset, split, height=420,
                                                          compact=True),
                                   width="stretch", key="sup_fig_of_boundary")
                best = curve.x[int(np.nanargmax(curve.test_mean))]
                st.caption(
                    f"Test accuracy peaks at {spec.label} = {best:g}. Toward the simple end both "
                    "scores are low (underfitting); toward the flexible end training accuracy "
                    "keeps rising while test accuracy stalls or falls (overfitting).")
                sizes, ltrain, ltest = [], [], []
                for f in track(TRAIN_FRACTIONS, len(TRAIN_FRACTIONS), "Learning curve"):
                    n, tr, te = ui.training_point(data_key, dataset, split, test_size, int(seed),
                                                  of_model, tuple(sorted(params.items())), f,
                                                  n_splits)
                    sizes.append(n)
                    ltrain.append(tr)
                    ltest.append(te)
                lcurve = curve_from_points(sizes, ltrain, ltest, "training rows")
                st.plotly_chart(charts.curve_figure(
                    lcurve, f"Learning curve at {spec.label} = {value:g}",
                    y_range=charts.accuracy_range(lcurve)),
                    width="stretch", key="sup_fig_learning")
                st.caption("More data helps an overfitting model most: its test score climbs "
                           "toward its training score as rows are added. If both curves are "
                           "flat and low, more data will not help; a more flexible model will.")

# ---------------------------------------------------------------------------
# Regression: predict a number, see under- and over-fitting as error curves
# ---------------------------------------------------------------------------
if tab_regress.open:
    with tab_regress:
        st.markdown("Regression predicts a **number**. The points are a true function plus "
                    "noise; 30% of them are held out for testing. Error = mean squared "
                    "difference between prediction and point (MSE).")
        c1, c2, c3, c4 = st.columns(4)
        function = ui.kept(c1.selectbox, "True function", "sup_rg_function", "cos(1.5πx)",
                           options=list(FUNCTIONS))
        rg_model = ui.kept(c2.selectbox, "Model", "sup_rg_model", "Polynomial",
                           options=list(REGRESSORS))
        rg_n = ui.kept(c3.slider, "Points", "sup_rg_n", 20, min_value=15, max_value=300, step=5)
        rg_noise = ui.kept(c4.slider, "Noise", "sup_rg_noise", 0.2, min_value=0.0, max_value=1.0,
                           step=0.05)
        rspec = REGRESSORS[rg_model]
        rg_value = ui.kept(st.select_slider, f"Complexity: {rspec.knob}",
                           f"sup_rg_value_{rg_model.split()[0].lower()}", rspec.default,
                           options=rspec.values)
        with friendly_errors("fitting the regression"):
            rkey = (function, int(rg_n), float(rg_noise), int(seed))
            rdata = ui.regression_data(*rkey)
            fit = ui.regression_fit(rkey, rdata, rg_model, rg_value, int(seed))
            points = [ui.regression_point(rkey, rdata, rg_model, v, int(seed))
                      for v in track(rspec.values, len(rspec.values), "Error curve")]
            ecurve = error_curve_from_points(rg_model, points)
            left, right = st.columns(2)
            left.plotly_chart(charts.regression_figure(
                rdata, fit, f"{rg_model}, {rspec.knob} {rg_value}"), width="stretch",
                key="sup_fig_regression")
            left.caption(f"Train MSE **{fit.train_mse:.3f}**, test MSE **{fit.test_mse:.3f}** "
                         f"({len(rdata.train)} train / {len(rdata.test)} test points; seed from "
                         "the sidebar).")
            top = 2.5 * max(float(np.min(ecurve.test_mean)), rg_noise ** 2, 0.01)
            top = max(top, float(ecurve.train_mean[0]) * 1.1)
            right.plotly_chart(charts.curve_figure(
                ecurve, f"Error against {rspec.knob}", rg_value, True, y_range=[0, top]),
                width="stretch", key="sup_fig_error")
            best = ecurve.x[int(np.argmin(ecurve.test_mean))]
            right.caption(
                f"Lowest test error at {rspec.knob} {best:g}. Training error only goes down as "
                f"the model gets more flexible; test error goes down, then up. The noise alone "
                f"gives an error of about {rg_noise ** 2:.3f} (noise²) that no model can beat on "
                "new points. Points off the top of the chart are larger."
                + (" The network's curve is bumpy: each width is a separate training run "
                   "that stops at a different place." if rg_model == "Neural network" else ""))

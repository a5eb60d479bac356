"""Logic of the supervised-learning page: data, CSV checks, the boundary drawn
against model.predict, metrics against scikit-learn, curves, the generated code,
and the "try this" claims."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import learning_curve, train_test_split, validation_curve

from playground.errors import UserInputError
from playground.supervised import (MODEL_NAMES, MODELS, SKLEARN_SETS, TOY_SETS, classify,
                                   complexity_curve, complexity_point, csv_dataset, load_dataset,
                                   make_model, read_csv_bytes, split_dataset, training_curve)
from playground.supervised import charts, regression
from playground.supervised.code import classification_code
from playground.supervised.learn import grid_frame
from playground.supervised.models import complexity_values
from playground.threads import one_thread

LIMIT_MB, MAX_ROWS = 10, 20000


@pytest.fixture(scope="module")
def moons():
    data = load_dataset("moons", n_samples=200, noise=0.3, seed=0)
    return data, split_dataset(data, 0.2, 0)


def mixed_csv(n: int = 60, seed: int = 0) -> bytes:
    """Numbers, a text column, NaNs in both, a useless id column, a text target."""
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(size + (colour == "red") > 0.3, "yes", "no")
    frame = pd.DataFrame({"id": [f"row-{i}" for i in range(n)], "size": size,
                          "weight": rng.normal(size=n), "colour": colour, "label": label})
    frame.loc[[3, 10, 17], "size"] = np.nan
    frame.loc[[5, 12], "colour"] = np.nan
    return frame.to_csv(index=False).encode()


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", TOY_SETS)
def test_toy_sets_are_2d_seeded_and_labelled(name):
    a, b = load_dataset(name, 150, 0.2, 3), load_dataset(name, 150, 0.2, 3)
    assert a.X.shape == (150, 2) and a.is_2d and a.y.shape == (150,)
    assert a.n_classes == (3 if name == "blobs" else 2)
    assert set(np.unique(a.y)) == set(range(a.n_classes))
    pd.testing.assert_frame_equal(a.X, b.X)  # same seed, same data
    assert not load_dataset(name, 150, 0.2, 4).X.equals(a.X)
    # more noise moves the points
    assert not load_dataset(name, 150, 0.6, 3).X.equals(a.X)


@pytest.mark.parametrize("name,shape,k", [("iris", (150, 4), 3), ("wine", (178, 13), 3),
                                          ("breast cancer", (569, 30), 2),
                                          ("digits", (1797, 64), 10)])
def test_sklearn_sets(name, shape, k):
    data = load_dataset(name)
    assert data.X.shape == shape and data.n_classes == k and not data.is_2d
    assert name in SKLEARN_SETS


def test_split_matches_train_test_split(moons):
    data, split = moons
    assert split.stratified and len(split.test) == 40 and len(split.train) == 160
    _, X_test, _, _ = train_test_split(data.X, data.y, test_size=0.2, random_state=0,
                                       stratify=data.y)
    np.testing.assert_array_equal(X_test.index.to_numpy(), split.test)


# ---------------------------------------------------------------------------
# The user's CSV: good and bad input
# ---------------------------------------------------------------------------


def test_csv_with_text_and_nan_columns_is_encoded_and_imputed():
    data = csv_dataset(mixed_csv(), "label", LIMIT_MB, MAX_ROWS)
    assert data.numeric == ("size", "weight") and data.categorical == ("colour",)
    assert data.class_names == ("no", "yes")
    notes = " ".join(data.notes)
    assert "'id'" in notes and "Left out" in notes  # 60 different texts: an id
    assert "one-hot" in notes and "Missing values filled in" in notes
    assert "'size' (3)" in notes and "'colour' (2)" in notes
    split = split_dataset(data, 0.25, 0)
    result = classify(data, split, "Logistic regression", {}, 0)
    # the pipeline really one-hot encodes: 2 numbers + 3 colours
    prep = result.model.named_steps["prep"]
    assert prep.transform(data.X.iloc[:2]).shape == (2, 5)
    assert result.metrics.accuracy > 0.7 and result.plane.projected


def test_csv_target_guess_and_rows_without_label():
    frame = pd.read_csv(io.BytesIO(mixed_csv()))
    frame.loc[[0, 1], "label"] = np.nan
    data = csv_dataset(frame.to_csv(index=False).encode(), None, LIMIT_MB, MAX_ROWS)
    assert data.recipe["target"] == "label" and len(data.y) == 58
    assert any("2 row(s) with no value" in n for n in data.notes)


def test_csv_semicolons_and_latin1():
    text = "größe;farbe;klasse\n" + "".join(f"{i};{'rot' if i % 2 else 'blau'};{i % 3 == 0}\n"
                                             for i in range(30))
    data = csv_dataset(text.encode("latin-1"), "klasse", LIMIT_MB, MAX_ROWS)
    assert data.numeric == ("größe",) and data.categorical == ("farbe",)
    assert data.recipe["sep"] == ";" and data.recipe["encoding"] == "latin-1"


@pytest.mark.parametrize("content,target,message", [
    (b"a,b,label\n" + b"1,2,cat\n" * 30, "label", "single class"),
    (b"a,b,label\n1,2,cat\n", "label", "only 1 labelled row"),
    (b"", None, "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, None, "not a CSV"),
    (zlib.compress(b"a,b\n1,2\n" * 500), None, "not a CSV"),
    (b"just one line of prose without separators\nand another\n", None, "only one column"),
    (b"a,b,label\n" + b"".join(b"%d,%d,%d\n" % (i, i, i) for i in range(50)), "label",
     "50 different values"),
])
def test_bad_csv_gives_a_clear_message(content, target, message):
    with pytest.raises(UserInputError, match=message):
        csv_dataset(content, target, LIMIT_MB, MAX_ROWS)


def test_csv_over_the_upload_limit():
    big = b"a,b,label\n" + b"1.0,2.0,x\n" * 120_000  # about 1.2 MB
    with pytest.raises(UserInputError, match=r"limit here is 1 MB"):
        read_csv_bytes(big, max_upload_mb=1, max_rows=10**6)
    with pytest.raises(UserInputError, match="rows; the limit here is 1,000"):
        read_csv_bytes(big, max_upload_mb=10, max_rows=1000)


# ---------------------------------------------------------------------------
# The boundary drawn is the model's prediction
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name,model,params", [
    ("moons", "Decision tree", {"max_depth": 4}),
    ("XOR", "k-nearest neighbours", {"n_neighbors": 3}),
    ("blobs", "SVM", {"gamma": 3.0}),
    ("spirals", "Neural network", {"width": 8}),
    ("circles", "Logistic regression", {"degree": 2}),
    ("iris", "Random forest", {"n_estimators": 10}),  # 4 features: drawn on the projection
])
def test_drawn_boundary_equals_model_predict(name, model, params):
    data = load_dataset(name, 120, 0.2, 1)
    split = split_dataset(data, 0.25, 1)
    result = classify(data, split, model, params, 1, grid_res=40)
    fig = charts.boundary_figure(result, data, split)
    heat = fig.data[0]
    assert heat.type == "heatmap" and np.asarray(heat.z).shape == (40, 40)
    plane_model = result.model if not result.plane.projected else result.plane.model
    predicted = plane_model.predict(grid_frame(np.asarray(heat.x), np.asarray(heat.y),
                                               (result.plane.xlabel, result.plane.ylabel)))
    np.testing.assert_array_equal(np.asarray(heat.z), predicted.reshape(40, 40))
    # the ringed points are exactly the ones the drawn model gets wrong
    rings = [t for t in fig.data if t.name == "misclassified"]
    rows = np.r_[split.train, split.test]
    wrong = rows[np.r_[result.plane.train_pred, result.plane.test_pred] != data.y[rows]]
    if len(wrong):
        np.testing.assert_allclose(np.asarray(rings[0].x), result.plane.points[wrong, 0])
    else:
        assert not rings


def test_2d_data_draws_the_real_model(moons):
    data, split = moons
    result = classify(data, split, "Decision tree", {"max_depth": 3})
    assert not result.plane.projected and result.plane.model is result.model
    assert result.plane.test_accuracy == result.metrics.accuracy


def test_metrics_agree_with_sklearn(moons):
    data, split = moons
    result = classify(data, split, "Random forest", {"n_estimators": 20}, 0)
    y_test = data.y[split.test]
    X_test = data.X.iloc[split.test]
    m = result.metrics
    assert m.accuracy == accuracy_score(y_test, result.model.predict(X_test))
    assert m.f1 == pytest.approx(f1_score(y_test, result.model.predict(X_test)))
    assert m.confusion.sum() == len(split.test) and np.trace(m.confusion) == round(
        m.accuracy * len(split.test))
    fpr, tpr, auc = m.roc
    assert auc == pytest.approx(roc_auc_score(y_test, result.model.predict_proba(X_test)[:, 1]))
    assert fpr[0] == 0 and tpr[-1] == 1
    # SVM has no probabilities: its ROC uses the signed distance
    svm = classify(data, split, "SVM", {}, 0).metrics
    assert svm.roc is not None and 0.5 < svm.roc[2] <= 1


def test_more_neighbours_than_training_rows_is_a_clear_message():
    data = load_dataset("moons", 50, 0.2, 0)
    with pytest.raises(UserInputError, match="only 40 training rows"):
        classify(data, split_dataset(data, 0.2, 0), "k-nearest neighbours", {"n_neighbors": 45})


def test_multiclass_metrics_are_macro_and_have_no_roc():
    data = load_dataset("blobs", 150, 0.4, 0)
    result = classify(data, split_dataset(data, 0.2, 0), "k-nearest neighbours")
    assert result.metrics.average == "macro" and result.metrics.roc is None
    assert result.metrics.confusion.shape == (3, 3)


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_model_fits_the_toy_data(model, moons):
    data, split = moons
    result = classify(data, split, model, MODELS[model].defaults(), 0, grid_res=20)
    assert result.metrics.accuracy > 0.75, model  # moons are learnable by all but a line
    assert result.plane.Z.shape == (20, 20)


# ---------------------------------------------------------------------------
# Curves: scikit-learn's validation_curve / learning_curve on the page's split
# ---------------------------------------------------------------------------


def test_validation_curve_point_matches_the_classify_tab(moons):
    data, split = moons
    train, test = complexity_point(data, split, "Decision tree", 4, {}, 0, n_splits=1)
    result = classify(data, split, "Decision tree", {"max_depth": 4}, 0)
    assert train[0] == result.metrics.train_accuracy and test[0] == result.metrics.accuracy
    # and equals the library called directly
    tr, te = validation_curve(make_model("Decision tree", {}, 0), data.X, data.y,
                              param_name="clf__max_depth", param_range=[4],
                              cv=[(split.train, split.test)])
    assert tr[0, 0] == train[0] and te[0, 0] == test[0]


def test_learning_curve_grows_to_the_whole_training_set(moons):
    data, split = moons
    curve = training_curve(data, split, "Decision tree", {"max_depth": 4}, 0)
    assert curve.x[-1] == len(split.train) and np.all(np.diff(curve.x) > 0)
    sizes, _, te = learning_curve(make_model("Decision tree", {"max_depth": 4}, 0), data.X,
                                  data.y, train_sizes=[1.0], cv=[(split.train, split.test)],
                                  shuffle=True, random_state=0)
    assert curve.test_mean[-1] == te[0, 0]


def test_averaged_curves_have_a_spread(moons):
    data, split = moons
    curve = complexity_curve(data, split, "k-nearest neighbours", {}, 0, n_splits=3)
    assert np.any(curve.test_std > 0) and curve.x[0] == 1


def test_polynomial_degree_is_capped_for_many_features():
    assert complexity_values("Logistic regression", 2, 100)[-1] == 10
    assert complexity_values("Logistic regression", 64, 1000) == (1, 2)
    assert complexity_values("k-nearest neighbours", 2, 40)[-1] == 30


# ---------------------------------------------------------------------------
# "Show me the code" runs and gives the same numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name,model,params", [
    ("moons", "Decision tree", {"max_depth": 7}),
    ("XOR", "Logistic regression", {"degree": 3, "C": 10.0}),
    ("spirals", "SVM", {"gamma": 10.0}),
    ("blobs", "Gradient boosting", {"max_iter": 25}),
    ("linearly separable", "k-nearest neighbours", {"weights": "distance"}),
    ("circles", "Random forest", {"n_estimators": 10}),
    ("wine", "Neural network", {"layers": 1, "width": 8}),
])
def test_generated_code_reproduces_the_page(name, model, params, tmp_path):
    data = load_dataset(name, 150, 0.25, 2)
    split = split_dataset(data, 0.3, 2)
    result = classify(data, split, model, params, 2)
    code = classification_code(data, split, model, params, 2, 0.3)
    scope: dict = {}
    with one_thread():  # two OpenMP threads on a busy 2-core machine make boosting crawl
        exec(compile(code, "generated", "exec"), scope)  # noqa: S102 - our generated script
    assert scope["accuracy"] == result.metrics.accuracy
    np.testing.assert_array_equal(scope["Z"], result.plane.Z)
    if result.plane.projected:
        assert scope["projected_accuracy"] == result.plane.test_accuracy


def test_generated_code_for_a_csv(tmp_path):
    raw = mixed_csv()
    path = tmp_path / "mine.csv"
    path.write_bytes(raw)
    data = csv_dataset(raw, "label", LIMIT_MB, MAX_ROWS)
    split = split_dataset(data, 0.2, 0)
    result = classify(data, split, "Decision tree", {"max_depth": 3}, 0)
    code = classification_code(data, split, "Decision tree", {"max_depth": 3}, 0, 0.2,
                               csv_path=str(path))
    assert "ColumnTransformer" in code and "OneHotEncoder" in code and "SimpleImputer" in code
    scope: dict = {}
    with one_thread():
        exec(compile(code, "generated", "exec"), scope)  # noqa: S102
    assert scope["accuracy"] == result.metrics.accuracy
    np.testing.assert_array_equal(scope["Z"], result.plane.Z)


@pytest.mark.parametrize("name", ["moons", "wine"])
def test_a_slow_model_fits_a_seeded_subsample_and_the_code_does_the_same(name, monkeypatch):
    """Past FIT_ROW_LIMITS training rows the SVM is fitted on a subsample (a 20,000-row
    upload would take a minute), with a note; the exported script draws the same rows."""
    from playground.supervised import models as model_specs
    monkeypatch.setitem(model_specs.FIT_ROW_LIMITS, "SVM", 60)
    data = load_dataset(name, 150, 0.25, 2)
    split = split_dataset(data, 0.3, 2)
    result = classify(data, split, "SVM", {}, 2)
    assert any("fitted on 60 of the" in note for note in result.notes)
    assert len(result.train_pred) == len(split.train)  # train accuracy over every training row
    code = classification_code(data, split, "SVM", {}, 2, 0.3)
    assert "train_size=60" in code
    scope: dict = {}
    with one_thread():
        exec(compile(code, "generated", "exec"), scope)  # noqa: S102
    assert len(scope["y_fit"]) == 60
    assert scope["accuracy"] == result.metrics.accuracy
    np.testing.assert_array_equal(scope["Z"], result.plane.Z)
    curve = training_curve(data, split, "SVM", {}, 2)
    assert curve.x.max() <= 60
    # a fast model keeps every row
    assert not any("fitted on" in n for n in classify(data, split, "Decision tree", {}, 2).notes)


# ---------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------


def test_regression_error_point_matches_the_fit():
    data = regression.make_data("sin(2πx)", 30, 0.2, 0.3, 0)
    for name in regression.REGRESSORS:
        fit = regression.fit_regression(data, name, 3 if name != "Neural network" else 4, 0)
        train, test = regression.error_point(data, name, 3 if name != "Neural network" else 4, 0)
        assert train == pytest.approx(fit.train_mse) and test == pytest.approx(fit.test_mse)
    assert len(data.train) == 21 and len(data.test) == 9


def test_tree_regression_memorises_with_depth():
    data = regression.make_data("cos(1.5πx)", 40, 0.2, 0.3, 0)
    curve = regression.error_curve(data, "Decision tree", 0)
    assert curve.train_mean[0] > 0.05 and curve.train_mean[-1] == pytest.approx(0, abs=1e-12)


# ---------------------------------------------------------------------------
# The "try this" claims, with the page's defaults (200 points, 20% test, seed 0)
# ---------------------------------------------------------------------------


def test_claim_deep_tree_memorises_the_noise(moons):
    data, split = moons  # moons, noise 0.3
    shallow = classify(data, split, "Decision tree", {"max_depth": 1}).metrics
    deep = classify(data, split, "Decision tree", {"max_depth": 15}).metrics
    middle = [classify(data, split, "Decision tree", {"max_depth": d}).metrics.accuracy
              for d in (3, 4, 5, 6)]
    assert deep.train_accuracy == 1.0 and shallow.train_accuracy < 0.9
    assert deep.accuracy < max(middle)


def test_claim_line_cannot_separate_circles_rbf_svm_can():
    # the page's defaults (200 points, seed 0, 20 % test) with the noise the claim names, 0.1
    data = load_dataset("circles", 200, 0.1, 0)
    split = split_dataset(data, 0.2, 0)
    line = classify(data, split, "Logistic regression").metrics.accuracy
    svm = classify(data, split, "SVM", {"kernel": "rbf"}).metrics.accuracy
    poly2 = classify(data, split, "Logistic regression", {"degree": 2}).metrics.accuracy
    assert line <= 0.6 and svm > 0.9 and poly2 > 0.9


def test_claim_polynomial_under_and_overfits():
    data = regression.make_data("cos(1.5πx)", 20, 0.2, 0.3, 0)  # the tab's defaults
    (tr1, te1), (tr3, te3), (tr15, te15) = (regression.error_point(data, "Polynomial", d)
                                            for d in (1, 3, 15))
    assert te1 > 3 * te3  # degree 1 misses the curve
    assert tr15 < tr3 and te15 > 10 * te3  # degree 15 hugs the points, misses the test ones

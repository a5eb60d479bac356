"""AppTest of pages/supervised.py: the main controls change what is drawn, every
tab renders, bad uploads give a message and the page stays usable."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT
from playground.supervised.learn import grid_frame

PAGE = str(ROOT / "pages" / "supervised.py")


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def decode(value) -> np.ndarray:
    """Plotly sends numpy arrays as base64 typed arrays."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(s) for s in str(value["shape"]).split(",")])
        return array
    return np.asarray(value)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_default_page_draws_boundary_scores_and_code():
    at = run_page()
    figs = charts(at)
    assert len(figs) == 3  # boundary, confusion matrix, ROC
    assert figs[0]["data"][0]["type"] == "heatmap"
    assert set(metrics(at)) == {"Train accuracy", "Test accuracy", "Precision", "Recall", "F1"}
    assert "160 train / 40 test rows" in captions(at)
    code = at.get("code")[0].proto.code_text
    assert "DecisionTreeClassifier(max_depth=5" in code and "make_moons(n_samples=200" in code


def test_drawn_grid_is_the_page_models_prediction():
    """The picture in the browser (the heatmap sent to the front end) equals
    model.predict on its grid points, for the model the page trained."""
    at = run_page()
    heat = charts(at)[0]["data"][0]
    z, xs, ys = decode(heat["z"]), decode(heat["x"]), decode(heat["y"])
    from playground.supervised import classify, load_dataset, split_dataset

    data = load_dataset("moons", 200, 0.2, 0)
    result = classify(data, split_dataset(data, 0.2, 0), "Decision tree", {}, 0)
    expected = result.model.predict(grid_frame(xs, ys, ("x1", "x2"))).reshape(z.shape)
    np.testing.assert_array_equal(z, expected)


def test_main_controls_change_the_output():
    at = run_page()
    before = metrics(at), charts(at)[0]["layout"]["title"]["text"]
    # a hyperparameter: depth 1 cannot fit the moons, depth 15 memorises them
    at.select_slider(key="sup_p_decision_max_depth").set_value(1).run()
    shallow = metrics(at)
    at.select_slider(key="sup_p_decision_max_depth").set_value(15).run()
    assert metrics(at)["Train accuracy"] == "100.0%" != shallow["Train accuracy"]
    # the model
    at.selectbox(key="sup_model").set_value("Logistic regression").run()
    assert not at.exception
    assert charts(at)[0]["layout"]["title"]["text"].startswith("Logistic regression")
    assert "LogisticRegression(" in at.get("code")[0].proto.code_text
    # the split slider
    at.slider(key="sup_test").set_value(40).run()
    assert "120 train / 80 test rows" in captions(at)
    # the noise slider and the data set
    at.slider(key="sup_noise").set_value(0.6).run()
    assert (metrics(at), charts(at)[0]["layout"]["title"]["text"]) != before
    at.selectbox(key="sup_dataset").set_value("wine").run()
    assert not at.exception
    assert "178 rows, 13 feature(s), 3 classes" in captions(at)
    assert any("2-D PCA" in w.value or "principal components" in w.value for w in at.warning)
    assert len(charts(at)) == 2  # three classes: no ROC curve


@pytest.mark.parametrize("tab,n_charts", [("Compare models", 1), ("Overfitting", 3),
                                          ("Regression", 2)])
def test_every_tab_renders(tab, n_charts):
    at = run_page()
    at.session_state["sup_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(charts(at)) == n_charts


def test_overfitting_tab_complexity_slider_moves_the_boundary_not_the_curve():
    at = run_page()
    at.session_state["sup_tab"] = "Overfitting"
    at.run()
    curve, boundary = charts(at)[0], charts(at)[1]
    at.select_slider(key="sup_of_value_decision").set_value(12).run()
    def scores(fig):
        return [t for t in fig["data"] if t.get("name") in ("train", "test")]

    assert scores(charts(at)[0]) == scores(curve)  # same validation curve, cached
    assert [t["name"] for t in charts(at)[0]["data"]][-1] == "current (12)"  # the marker moved
    assert charts(at)[1]["layout"]["title"] != boundary["layout"]["title"] or \
        charts(at)[1]["data"][0]["z"] != boundary["data"][0]["z"]


def test_regression_tab_degree_slider():
    at = run_page()
    at.session_state["sup_tab"] = "Regression"
    at.run()
    low = captions(at)
    at.select_slider(key="sup_rg_value_polynomial").set_value(15).run()
    assert charts(at)[0]["layout"]["title"]["text"] == "Polynomial, degree 15"
    assert "Train MSE" in captions(at) and captions(at) != low
    at.selectbox(key="sup_rg_model").set_value("Decision tree").run()
    assert not at.exception
    assert charts(at)[0]["layout"]["title"]["text"] == "Decision tree, depth 3"


def test_settings_survive_a_tab_switch():
    at = run_page()
    at.selectbox(key="sup_model").set_value("SVM").run()
    at.session_state["sup_tab"] = "Regression"
    at.run()
    at.session_state["sup_tab"] = "Classify"
    at.run()
    assert at.selectbox(key="sup_model").value == "SVM"


def upload(at: AppTest, name: str, content: bytes, mime: str = "text/csv") -> AppTest:
    at.selectbox(key="sup_dataset").set_value("your CSV").run()
    at.file_uploader(key="sup_csv").set_value((name, content, mime))
    return at.run()


def test_csv_upload_with_text_and_nan_columns():
    at = run_page()
    rows = "".join(f"{i % 7 if i % 9 else ''},{['red', 'blue', ''][i % 3]},"
                   f"{'yes' if i % 7 > 3 else 'no'}\n" for i in range(60))
    upload(at, "mine.csv", ("size,colour,label\n" + rows).encode())
    assert not at.exception and not at.error
    info = " ".join(i.value for i in at.info)
    assert "Missing values filled in" in info and "one-hot" in info
    assert at.selectbox(key="sup_target").value == "label"
    # one number + one text column: the picture is a projection, and the page says why
    assert any("sees 3 input columns" in w.value for w in at.warning)
    assert "ColumnTransformer" in at.get("code")[0].proto.code_text


@pytest.mark.parametrize("name,content,message", [
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "not a CSV"),
    ("one.csv", b"a,b,label\n" + b"1,2,cat\n" * 20, "single class"),
    ("row.csv", b"a,b,label\n1,2,cat\n", "only 1 labelled row"),
])
def test_bad_upload_shows_a_message_and_the_page_stays_usable(name, content, message):
    at = run_page()
    upload(at, name, content, "application/octet-stream")
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    # still usable: back to a built-in data set, everything is drawn again
    at.selectbox(key="sup_dataset").set_value("iris").run()
    assert not at.exception and not at.error and len(charts(at)) == 2


def test_upload_over_the_limit(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_UPLOAD_MB", "1")
    at = run_page()
    upload(at, "big.csv", b"a,b,label\n" + b"1.0,2.0,x\n" * 120_000)
    assert not at.exception
    assert any("limit here is 1 MB" in e.value for e in at.error)


def test_a_new_upload_guesses_its_own_target():
    at = run_page()
    first = b"p,q,t\n" + b"".join(b"%d,%d,%s\n" % (i, i * i % 7, b"ab"[i % 2:i % 2 + 1])
                                  for i in range(40))
    upload(at, "a.csv", first)
    assert at.selectbox(key="sup_target").value == "t"
    at.selectbox(key="sup_target").set_value("q").run()
    assert not at.exception and not at.error  # q has 7 values: a fine target too
    second = b"u,v,w\n" + b"".join(b"%d,%d,%s\n" % (i, i * 3 % 5, b"xy"[i % 2:i % 2 + 1])
                                   for i in range(40))
    at.file_uploader(key="sup_csv").set_value(("b.csv", second, "text/csv"))
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="sup_target").value == "w"

"""The few-shot vs fine-tune page in AppTest: the precomputed comparison at the shipped
defaults, each "try this" claim at those defaults, live runs from the page's buttons,
the user's CSV (good and bad), lesson presets."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT

PAGE = str(ROOT / "pages" / "fewshot.py")


@pytest.fixture(autouse=True)
def no_live_results():
    """Every test starts with no live results in the process-wide cache (another test file
    may have run a method on the shipped task with the same model): "precomputed" means it."""
    from playground.fewshot.cache import RESULTS

    RESULTS.clear()
    yield
    RESULTS.clear()


def app(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=600)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]


def table(at: AppTest) -> pd.DataFrame:
    """The comparison table (section 3)."""
    frame = next(d.value for d in at.dataframe if "trainable parameters" in d.value.columns)
    return frame.set_index("method")


def accuracy(at: AppTest, method: str) -> float:
    return float(table(at).loc[method, "accuracy"])


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def test_default_render_shows_the_precomputed_comparison():
    at = app()
    assert at.title[0].value == "Few-shot vs fine-tune"
    assert not at.error
    frame = table(at)
    assert len(frame) == 9 and set(frame["result"]) == {"precomputed"}
    assert frame["accuracy"].notna().all()
    assert any("python -m playground.fewshot.precompute" in c.value for c in at.caption)
    assert len(charts(at)) >= 5  # curves, cost, label scores, orders, loss, confusions
    assert any("Message: " in c.value and "Intent:" in c.value for c in at.code)  # the prompt shown


def test_try_this_1_minilm_features_beat_lora_and_every_prompt():
    at = app()
    frame = table(at)
    minilm = accuracy(at, "MiniLM embeddings + LR")
    assert minilm > 0.9
    assert minilm > accuracy(at, "Fine-tune: LoRA")
    for prompting in ("Zero-shot prompt", "Few-shot, random examples", "Few-shot, nearest examples (KATE)"):
        assert minilm > accuracy(at, prompting)
    assert frame.loc["MiniLM embeddings + LR", "training (s)"] <= 2
    assert frame.loc["Fine-tune: LoRA", "training (s)"] >= 30


def test_try_this_2_calibration_off_drops_zero_shot_to_chance():
    at = app()
    assert accuracy(at, "Zero-shot prompt") == pytest.approx(0.51, abs=0.02)
    at.toggle(key="fs_calibrate").set_value(False).run()
    ok(at)
    off = accuracy(at, "Zero-shot prompt")
    assert off <= 0.25  # chance is 0.2
    assert set(table(at)["result"]) == {"precomputed"}  # the same scores, no model call
    at.toggle(key="fs_calibrate").set_value(True).run()
    assert accuracy(at, "Zero-shot prompt") == pytest.approx(0.51, abs=0.02)


def test_try_this_3_lora_memorises_after_epoch_5():
    at = app()
    assert at.radio(key="fs_ft_method").value == "lora"
    at.slider(key="fs_epochs_lora").set_value(12).run()
    ok(at)
    at12 = metric(at, "At epoch 12")
    train12, val12 = float(at12.delta.removeprefix("training loss ")), float(at12.value)
    assert train12 < 0.01 and val12 > 0.5 and val12 > 100 * train12  # memorised, not learned
    acc12 = float(metric(at, "Validation accuracy").value.rstrip("%")) / 100
    at.slider(key="fs_epochs_lora").set_value(5).run()
    ok(at)
    acc5 = float(metric(at, "Validation accuracy").value.rstrip("%")) / 100
    val5 = float(metric(at, "At epoch 5").value)
    assert 0.6 <= acc12 <= 0.8 and abs(acc12 - acc5) <= 0.05  # "stops at about 70 %" from epoch 5 on
    assert abs(val12 - val5) < 0.15  # "stays near 0.7 from epoch 5 on"


def test_a_preset_link_sets_the_page_up():
    at = app(preset="LoRA memorises")
    assert at.slider(key="fs_epochs_lora").value == 12
    at = app(preset="Calibration off")
    assert at.toggle(key="fs_calibrate").value is False
    assert accuracy(at, "Zero-shot prompt") <= 0.25


def test_run_one_method_live_and_train_the_head_live():
    at = app()
    at.selectbox(key="fs_run_method").set_value("feat_minilm").run()
    at.button(key="fs_run").click().run()
    ok(at)
    frame = table(at)
    assert frame.loc["MiniLM embeddings + LR", "result"] == "live"
    assert frame.loc["MiniLM embeddings + LR", "accuracy"] > 0.9
    at.radio(key="fs_ft_method").set_value("head").run()
    at.button(key="fs_train").click().run()
    ok(at)
    assert table(at).loc["Fine-tune: head only", "result"] == "live"
    assert metric(at, "Validation accuracy").value.endswith("%")


def test_settings_change_what_counts_as_precomputed():
    at = app()
    at.select_slider(key="fs_lora_r").set_value(16).run()
    ok(at)
    frame = table(at)
    assert frame.loc["Fine-tune: LoRA", "result"] == "not run yet"
    assert frame.loc["Zero-shot prompt", "result"] == "precomputed"  # other methods keep theirs
    assert any("Trainable parameters: 924,480" in m.value for m in at.markdown)  # 30 x 16 x (1152 + 768) + 2880


def test_k_and_nearest_selection_change_the_prompt_shown():
    at = app()
    before = at.code[0].value
    at.slider(key="fs_k").set_value(2).run()
    ok(at)
    assert at.code[0].value.count("\nIntent: ") == 2 + 1  # two examples, then the question and its label
    at.radio(key="fs_view").set_value("nearest").run()
    ok(at)
    assert at.code[0].value != before
    at.slider(key="fs_k").set_value(0).run()
    ok(at)
    assert at.code[0].value.count("Message: ") == 1  # zero-shot: only the question


def csv_upload(at: AppTest, data: bytes, name: str = "mine.csv") -> AppTest:
    at.radio(key="fs_source").set_value("csv").run()
    at.file_uploader(key="fs_csv").set_value((name, data, "text/csv")).run()
    ok(at)
    return at


def good_csv() -> bytes:
    rows = [(f"I love this {i}", "positive") for i in range(12)] + [(f"I hate this {i}", "negative") for i in range(12)]
    return pd.DataFrame(rows, columns=["review", "sentiment"]).to_csv(index=False).encode()


def test_a_csv_becomes_the_task_and_runs_live():
    at = csv_upload(app(), good_csv())
    assert at.selectbox(key="fs_text_col").value == "review"
    assert at.selectbox(key="fs_label_col").value == "sentiment"
    assert "Your CSV (mine.csv)" in " ".join(c.value for c in at.caption)
    assert set(table(at)["result"]) == {"not run yet"}  # nothing precomputed for a user's data
    at.selectbox(key="fs_run_method").set_value("feat_minilm").run()
    at.button(key="fs_run").click().run()
    ok(at)
    assert table(at).loc["MiniLM embeddings + LR", "result"] == "live"


@pytest.mark.parametrize("data, message", [
    (b"review,sentiment\nfine,positive\nokay,positive\ngood,positive\ngreat,positive\nnice,positive\n",
     "needs at least two labels"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV"),
    (b"only\none\ncolumn\n", "only one column"),
    (b"", "empty"),
    (("id,score\n" + "".join(f"{i},{i % 3}\n" for i in range(40))).encode(), "holds numbers, not text"),
])
def test_bad_csvs_get_clear_messages_and_the_page_stays_usable(data, message):
    at = csv_upload(app(), data)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    at.radio(key="fs_source").set_value("shipped").run()  # back to the shipped task: all there
    ok(at)
    assert len(table(at)) == 9


def test_a_csv_with_a_rare_label_and_empty_texts_says_what_was_left_out():
    frame = pd.read_csv(pd.io.common.BytesIO(good_csv()))
    frame = pd.concat([frame, pd.DataFrame({"review": ["", "strange one"], "sentiment": ["positive", "odd"]})])
    at = csv_upload(app(), frame.to_csv(index=False).encode())
    warnings = " ".join(w.value for w in at.warning)
    assert "Left out 1 row(s) with an empty text" in warnings
    assert "'odd' (1)" in warnings
    assert len(table(at)) == 9


def test_the_facts_section_shows_the_precomputed_experiment():
    at = app()
    facts = next(d.value for d in at.dataframe if "fine-tuned on the facts" in d.value.columns)
    by = facts.set_index("asked")
    verbatim = by.loc["Complete the training sentence word for word"]
    assert verbatim["the model as it is"] == "0 / 6" and verbatim["fine-tuned on the facts"] == "6 / 6"
    unseen = next(v for k, v in by.iterrows() if k.startswith("The same questions about Fernhollow"))
    assert int(unseen["fine-tuned on the facts"].split(" / ")[0]) >= 3


def test_ten_thousand_rows_are_sampled_down_and_the_page_stays_usable():
    import numpy as np

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"message": [f"customer note number {i} {rng.integers(1e9)}" for i in range(10_000)],
                          "topic": rng.choice(["billing", "shipping", "returns"], 10_000)})
    at = csv_upload(app(), frame.to_csv(index=False).encode(), "big.csv")
    warnings = " ".join(w.value for w in at.warning)
    assert "10,000 usable rows" in warnings and "sample of 600" in warnings
    assert len(table(at)) == 9 and set(table(at)["result"]) == {"not run yet"}


def test_re_run_one_precomputed_point_live():
    """Re-run MiniLM + LR at 2 per class, seed 1 from the chart's expander: a live star on the
    chart and the line that compares it with the precomputed point."""
    at = app()
    at.selectbox(key="fs_point_method").set_value("feat_minilm").run()
    at.selectbox(key="fs_point_shots").set_value(2).run()
    at.number_input(key="fs_point_seed").set_value(1).run()
    at.button(key="fs_point_run").click().run()
    ok(at)
    line = next(m.value for m in at.markdown if m.value.startswith("Live: **MiniLM embeddings + LR**"))
    assert "2 per class, seed 1" in line and "(precomputed: " in line
    live, pre = (int(v) for v in __import__("re").findall(r"(\d+)%", line))
    assert abs(live - pre) <= 2  # the same code and seed: the same point
    curve = next(c for c in charts(at) if "labelled examples per class" in c.proto.spec)
    assert "live re-run" in curve.proto.spec

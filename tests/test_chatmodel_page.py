"""The chat-model page in AppTest: the shipped stages with their measurements, the
instruction box's bad input, a live run stopped midway, a second run refused while one
is going."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from playground.pages import ROOT

PAGE = str(ROOT / "pages" / "chatmodel.py")


def app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_page_shows_every_stage_with_numbers_from_the_shipped_models():
    at = app()
    assert float(metric(at, "Held-out perplexity")) < float(metric(at, "Bigram baseline"))
    assert metric(at, "Answers in the chat format, pre-trained") == "0%"
    assert int(metric(at, "… after fine-tuning").rstrip("%")) >= 80
    assert float(metric(at, "… after DPO")) > float(metric(at, "Held-out margin, fine-tuned"))
    assert len(at.get("plotly_chart")) >= 6  # losses, mask, DPO curves, RLHF diagram, scale
    text = " ".join(str(c.value) for c in at.caption)
    assert "python -m playground.chatmodel.build" in text and "GFLOP/s" in text
    code = " ".join(c.value for c in at.code)
    assert "−log σ(" in code  # the DPO loss written out with its numbers


def test_empty_and_huge_instructions_get_a_message_and_the_text_stays():
    at = app()
    at.text_input(key="cm_ask").set_value("").run()
    ok(at)
    assert any("Type an instruction" in i.value for i in at.info)
    huge = "Tell me a story. " * 2000
    at.text_input(key="cm_ask").set_value(huge).run()
    ok(at)
    assert any("Shorten the instruction" in w.value for w in at.warning)
    assert at.text_input(key="cm_ask").value == huge


def test_a_run_stopped_midway_keeps_its_curve_and_a_second_run_waits_for_it():
    at = app()
    at.select_slider(key="cm_pt_steps").set_value(200).run()
    at.button(key="cm_pretrain_train").click().run()
    ok(at)
    run = at.session_state["cm_live"]
    try:
        _second_run_then_stop(at, run)
    finally:
        run.stop()


def _second_run_then_stop(at: AppTest, run) -> None:
    assert run.running and run.stage == "pretrain"
    at.button(key="cm_sft_train").click().run()  # a second run while the first trains
    ok(at)
    assert any("still going" in w.value for w in at.warning)
    assert at.session_state["cm_live"] is run  # the first one goes on
    while run.run.step_count < 5:
        time.sleep(0.1)
    at.button(key="cm_pretrain_stop").click().run()
    ok(at)
    assert not run.running and "cm_live" not in at.session_state
    kept = at.session_state["cm_results"]["pretrain"]
    assert kept["stopped"] and 5 <= kept["steps"] < 200 and len(kept["history"]["loss"]) == kept["steps"]
    assert any("stopped at step" in str(c.value) for c in at.caption)


def test_every_lesson_preset_opens_the_page_as_set_up():
    from playground.ui.teacher import _PRESETS

    def open_with(**params) -> AppTest:
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
        at.query_params.update(params)
        at.switch_page("pages/chatmodel.py")
        at.run()
        ok(at)
        return at

    lessons = open_with().session_state[_PRESETS]
    assert 2 <= len(lessons) <= 6
    for name, values in lessons.items():
        at = open_with(preset=name)
        assert not any("no lesson preset" in w.value for w in at.warning)
        for key, value in values.items():
            assert at.session_state[key] == value, (name, key)

"""Teacher mode (settings in the URL, locks, hidden controls, lesson presets) and the
per-session limit on heavy actions, in AppTest through Home.py as a browser runs it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT
from playground.ui.limits import seconds_until_allowed
from playground.ui.teacher import parse

HOME = str(ROOT / "Home.py")


def open_page(page: str, **params) -> AppTest:
    """A fresh session opening ``/page?params`` (a link a teacher shared)."""
    at = AppTest.from_file(HOME, default_timeout=300)
    at.query_params.update(params)
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(at: AppTest, key: str):
    for kind in ("select_slider", "slider", "number_input", "text_area", "radio", "selectbox"):
        for w in getattr(at, kind):
            if w.key == key:
                return w
    raise KeyError(key)


def test_parse_checks_values_like_the_widget_would():
    assert parse("0.2", [0.0, 0.2, 1.0]) == 0.2
    assert parse("7", None, 0, 10, like=3) == 7
    assert parse("0.25", None, 0.0, 1.0, like=0.5) == 0.25
    assert parse("yes", None, like=False) is True
    for raw, options, low, high, like in [("0.3", [0.0, 0.2], None, None, None), ("11", None, 0, 10, 3),
                                          ("nan", None, 0.0, 1.0, 0.5), ("inf", None, None, None, 1.0),
                                          ("abc", None, 0, 10, 3), ("maybe", None, None, None, True)]:
        with pytest.raises(ValueError):
            parse(raw, options, low, high, like)


def test_a_link_opens_the_page_as_set_up_and_the_address_follows_the_controls():
    at = open_page("sampling_lab", smp_T="0", smp_top_p="0.5")
    assert widget(at, "smp_T").value == 0.0 and widget(at, "smp_top_p").value == 0.5
    assert next(m.value for m in at.metric if m.label == "Tokens left to draw from") == "1"  # greedy
    assert at.query_params["smp_T"] == ["0"] or at.query_params["smp_T"] == "0"
    widget(at, "smp_top_k").set_value(5).run()
    assert not at.exception
    assert str(at.query_params.get("smp_top_k")).strip("[]'") == "5"  # written back into the address
    assert widget(at, "smp_T").value == 0.0  # the link's values are not applied again over the student's


def test_a_bad_value_in_a_link_is_ignored_with_a_note():
    at = open_page("sampling_lab", smp_T="7", smp_seed="-3", smp_top_p="nan")
    assert widget(at, "smp_T").value == 0.7 and widget(at, "smp_seed").value == 0
    notes = " ".join(w.value for w in at.warning)
    assert "'Temperature' to '7'" in notes and "Seed" in notes and "top-p" in notes


def test_locked_controls_are_disabled_and_hidden_ones_are_not_drawn():
    at = open_page("sampling_lab", smp_T="0.2", lock="smp_T", hide="smp_min_p,smp_penalty")
    assert widget(at, "smp_T").disabled and widget(at, "smp_T").value == 0.2
    assert not widget(at, "smp_top_k").disabled
    with pytest.raises(KeyError):
        widget(at, "smp_min_p")
    at.run()  # stays locked and hidden on every rerun
    assert widget(at, "smp_T").disabled and widget(at, "smp_T").value == 0.2
    assert "lock" in at.query_params and "hide" in at.query_params
    at = open_page("sampling_lab", lock="all")
    assert all(w.disabled for w in [*at.slider, *at.select_slider])


def test_a_preset_from_a_link_sets_the_page_up():
    at = open_page("sampling_lab", preset="Greedy on a fact")
    assert widget(at, "smp_prompt").value == "The capital of France is"
    assert widget(at, "smp_T").value == 0.0
    at = open_page("sampling_lab", preset="no such lesson")
    assert any("no lesson preset" in w.value for w in at.warning)


def test_heavy_action_limit_counts_per_minute():
    assert seconds_until_allowed([], 0, 100.0) == 0  # no limit
    assert seconds_until_allowed([90.0, 95.0], 3, 100.0) == 0
    assert seconds_until_allowed([50.0, 90.0, 95.0], 3, 100.0) == pytest.approx(10.0)  # 50 leaves at 110
    assert seconds_until_allowed([30.0, 90.0, 95.0], 3, 100.0) == 0  # the first is older than a minute


def test_the_class_profile_stops_the_seventh_generation_in_a_minute(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_PROFILE", "class")
    at = AppTest.from_file(str(ROOT / "pages" / "sampling_lab.py"), default_timeout=300).run()
    at.session_state["_heavy_actions"] = [__import__("time").monotonic()] * 6
    at.button(key="smp_generate").click().run()
    assert not at.exception
    assert any("heavy actions" in w.value for w in at.warning)
    assert "smp_runs" not in at.session_state


def test_a_queue_notice_inside_a_cached_function_is_not_recorded_for_replay():
    """A model call inside st.cache_* that waits in the queue must not draw the notice:
    Streamlit would replay the element on every cache hit, and fail."""
    script = '''
import threading, time
import streamlit as st
from playground.models.llm.queue import ModelQueue
from playground.ui.models import model_queue_notice

queue = st.session_state.setdefault("q", ModelQueue(slots=1, wait_s=10))

@st.cache_data
def cached(x):
    with queue.turn():
        return x * 2

def hold():
    with queue.turn():
        time.sleep(0.6)

with model_queue_notice():
    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.1)
    st.write(cached(st.session_state.setdefault("n", 1)))
    t.join()
'''
    at = AppTest.from_string(script, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    at.run()  # the cache hit replays what the function drew: nothing
    assert not at.exception, [e.value for e in at.exception]
    assert not at.info


def test_controls_with_their_own_defaults_take_a_link_value_and_keep_the_students_changes():
    script = '''
import streamlit as st
from playground.ui import teacher

teacher.set_page("demo")
c = st.columns(2)
n = teacher.control(c[0].slider, "Episodes", 10, 500, 100, step=10, key="n")
mode = teacher.control(st.radio, "Algorithm", ["SARSA", "Q-learning"], index=1, key="mode")
st.write(f"n={n} mode={mode}")
teacher.sync_url()
'''
    at = AppTest.from_string(script, default_timeout=30)
    at.query_params.update(n="250", mode="SARSA")
    at.run()
    assert not at.exception and not at.warning
    assert at.markdown[0].value == "n=250 mode=SARSA"
    at.run()
    assert at.markdown[0].value == "n=250 mode=SARSA" and not at.warning
    at.slider(key="n").set_value(40).run()
    assert at.markdown[0].value == "n=40 mode=SARSA" and not at.warning
    at.run()
    assert at.markdown[0].value == "n=40 mode=SARSA"
    assert str(at.query_params.get("n")).strip("[]'") == "40"


PAGES_WITH_PRESETS = ["supervised", "unsupervised", "reinforcement", "gan", "diffusion", "chatmodel"]


@pytest.mark.parametrize("page", PAGES_WITH_PRESETS)
def test_every_lesson_preset_opens_its_page_as_set_up(page):
    from playground.ui.teacher import _PRESETS

    lessons = open_page(page).session_state[_PRESETS]
    assert 2 <= len(lessons) <= 6
    for name, values in lessons.items():
        at = open_page(page, preset=name)
        assert not any("no lesson preset" in w.value for w in at.warning)
        assert not [e.value for e in at.error], (name, [e.value for e in at.error])
        for key, value in values.items():
            assert at.session_state[key] == value, (name, key)

"""The hallucination page in AppTest: each section renders, its main controls change what
it shows, bad input gets a message, and every "try this" claim holds at the shipped
defaults (the slow ones are marked slow)."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from playground.limits import data
from playground.pages import PAGES, ROOT

PAGE = str(ROOT / "pages" / "hallucinations.py")
SPEC = next(p for p in PAGES if p.file == "pages/hallucinations.py")


def app(tab: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=600)
    if tab:
        at.session_state["hal_tab"] = tab
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


# -- 1. the context window ------------------------------------------------------------------------------


def test_default_render_counts_the_tokens_of_the_text():
    at = app()
    assert at.title[0].value == SPEC.title == "Hallucinations & context window"  # deep links compare them
    assert not at.error
    assert metric(at, "Prompt (text + question)") == "1,098 tokens"
    assert metric(at, "Cut away") == "0 tokens"
    assert metric(at, "First sentence") == "read"
    assert charts(at) == 1  # the window bar
    assert any("8,192 tokens" in m.value for m in at.markdown)  # the model's window is stated
    assert any("135M model is not a frontier model" in h.value for h in at.subheader)


def test_try_this_the_model_forgets_the_beginning_cut_by_the_window():
    at = app()
    at.button(key="hal_cw_ask").click().run()
    ok(at)
    runs = at.session_state["hal_cw_answers"]["runs"]
    assert set(runs) == {"whole"}  # nothing cut at the model's own window
    assert "Ada Linwood" in runs["whole"].text
    at.select_slider(key="hal_cw_window").set_value(1024).run()
    ok(at)
    assert metric(at, "Cut away") == "74 tokens" and metric(at, "First sentence") == "cut away"
    assert "hal_cw_answers" in at.session_state and not any("Ada Linwood" in m.value for m in at.markdown[-3:])
    at.button(key="hal_cw_ask").click().run()
    ok(at)
    runs = at.session_state["hal_cw_answers"]["runs"]
    assert "Ada Linwood" in runs["whole"].text
    assert "Ada Linwood" not in runs["window"].text and "Smeaton" in runs["window"].text, runs["window"].text
    captions = " ".join(c.value for c in at.caption)
    assert "(Ada Linwood): **yes**" in captions and "(Ada Linwood): **no**" in captions


def test_cutting_the_end_loses_the_question():
    at = app()
    at.radio(key="hal_cw_side").set_value("end").run()
    at.select_slider(key="hal_cw_window").set_value(512).run()
    ok(at)
    first = next(m for m in at.metric if m.label == "First sentence")
    assert first.value == "read" and "question is cut away" in first.proto.delta


@pytest.mark.parametrize("text, question, message", [
    ("a" * 1_000_000, data.FORGET_QUESTION, "1,000,000 characters"),
    ("   ", data.FORGET_QUESTION, "The text is empty"),
    (data.forget_text(), "🙂🙃🤔", "no letters or digits"),
    (data.forget_text(), "", "The question is empty"),
])
def test_bad_input_in_the_context_window_gets_a_message(text, question, message):
    at = app()
    at.text_area(key="hal_cw_text").input(text).run()
    at.text_input(key="hal_cw_question").input(question).run()
    ok(at)
    assert message in errors(at)
    assert not at.metric  # nothing computed from input that was refused
    at.text_area(key="hal_cw_text").input(data.forget_text()).run()
    at.text_input(key="hal_cw_question").input(data.FORGET_QUESTION).run()
    ok(at)
    assert not at.error and at.metric  # the page stays usable


def test_a_question_in_another_script_is_counted_with_a_note():
    at = app()
    at.text_input(key="hal_cw_question").input("Кто написал этот журнал?").run()
    ok(at)
    assert any("Latin alphabet" in w.value for w in at.warning) and not at.error
    assert at.metric


# -- 2. needle in a haystack ------------------------------------------------------------------------------


def test_needle_tab_renders_its_settings_without_running_the_model():
    at = app("Needle in a haystack")
    assert not at.error
    assert any("25 cells: lengths 128, 256, 512, 1,024, 2,048 tokens" in c.value for c in at.caption)
    assert charts(at) == 0  # nothing runs before Run is pressed
    at.select_slider(key="hal_nih_longest").set_value(1024).run()
    assert any("20 cells" in c.value for c in at.caption)


@pytest.mark.parametrize("setup, message", [
    ({"hal_nih_source": "own", "hal_nih_text": ""}, "The haystack is empty"),
    ({"hal_nih_source": "own", "hal_nih_text": "Short."}, "longer than the haystack"),
    ({"hal_nih_source": "own", "hal_nih_text": "x" * 1_000_000}, "1,000,000 characters"),
    ({"hal_nih_needle": "Your own needle", "hal_nih_answer": "9999"}, "is not in the needle sentence"),
    ({"hal_nih_needle": "Your own needle", "hal_nih_question": "🔑❓"}, "no letters or digits"),
    ({"hal_nih_needle": "Your own needle", "hal_nih_sentence": " "}, "is empty"),
])
def test_bad_needles_and_haystacks_get_a_message(setup, message):
    at = app("Needle in a haystack")
    for key, value in setup.items():
        if key in ("hal_nih_source",):
            at.radio(key=key).set_value(value).run()
        elif key == "hal_nih_needle":
            at.selectbox(key=key).set_value(value).run()
        elif key == "hal_nih_text":
            at.text_area(key=key).input(value).run()
        else:
            at.text_input(key=key).input(value).run()
    ok(at)
    assert message in errors(at), errors(at)
    assert "Run the sweep" not in [b.label for b in at.button]  # nothing to run until the input is fixed


@pytest.mark.slow
def test_a_sweep_with_a_small_window_loses_the_early_needles():
    at = app("Needle in a haystack")
    at.select_slider(key="hal_nih_longest").set_value(1024).run()
    at.select_slider(key="hal_nih_window").set_value(256).run()
    at.button(key="hal_nih_run").click().run()
    ok(at)
    assert charts(at) == 1
    text = " ".join(m.value for m in at.markdown)
    assert "Found in " in text and "of 20 cells" in text and "✗ cut" in text
    # a cell whose needle was cut, then one right before the question
    at.selectbox(key="hal_nih_cell").set_value("1024@0").run()
    ok(at)
    assert metric(at, "Found") == "no"
    assert next(m for m in at.metric if m.label == "Found").proto.delta == "needle cut away"
    at.selectbox(key="hal_nih_cell").set_value("1024@1").run()
    assert metric(at, "Found") == "yes"
    assert any(":green-background[The secret password for the harbour gate is blue pelican" in m.value
               for m in at.markdown)
    # the same settings again: the finished sweep is reused, the model is not called
    at2 = app("Needle in a haystack")
    at2.select_slider(key="hal_nih_longest").set_value(1024).run()
    at2.select_slider(key="hal_nih_window").set_value(256).run()
    assert charts(at2) == 1 and any("of 20 cells" in m.value for m in at2.markdown)


@pytest.mark.slow
def test_the_default_sweep_with_distractors_draws_its_heatmap_and_some_answers_take_a_distractor():
    """The shipped grid (5 lengths up to 2,048 tokens x 5 depths) once, with the distractors
    of the "Needle among distractors" preset; its time is printed (budget: 2 minutes on two
    idle cores; benchmarks/bench_limits.py measures it beside plain transformers)."""
    at = app("Needle in a haystack")
    at.toggle(key="hal_nih_distractors").set_value(True).run()
    start, cpu = time.perf_counter(), time.process_time()
    at.button(key="hal_nih_run").click().run()
    print(f"default sweep with distractors in the page (AppTest): {time.perf_counter() - start:.1f} s wall, "
          f"{time.process_time() - cpu:.1f} s CPU")
    ok(at)
    assert charts(at) == 1
    summary = next(m.value for m in at.markdown if "Found in" in m.value)
    print(summary)
    assert "of 25 cells" in summary and "Found in 0 of" not in summary
    assert "Answers that took a distractor's words: " in summary and "words: 0." not in summary
    assert not at.session_state["_hal_partial_needle"]  # finished: moved to the store shared by all sessions
# -- 3. lost in the middle ------------------------------------------------------------------------------


def test_lost_in_the_middle_renders_and_shows_a_prompt():
    at = app("Lost in the middle")
    assert not at.error and charts(at) == 0
    assert any("Document [6]:" in c.value for c in at.code)


@pytest.mark.slow
def test_try_this_lost_in_the_middle_curve_is_u_shaped_at_the_defaults():
    at = app("Lost in the middle")
    at.button(key="hal_lim_run").click().run()
    ok(at)
    assert charts(at) == 1 and at.dataframe
    curve = _middle_curve_from_page(at)
    ends = min(curve.accuracy[0], curve.accuracy[-1])
    middle = max(curve.accuracy[1], curve.accuracy[2])
    print(f"lost in the middle at the defaults: {curve}")
    assert ends >= 0.5 and middle <= 1 / 3 < ends
    assert curve.closed_book == 0.0
    assert curve.positions == (1, 3, 6, 8, 10)


def _middle_curve_from_page(at: AppTest):
    """The curve the page drew, read back from its figure."""
    import json

    from playground.limits.context import MiddleCurve

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    accuracy, closed, logprob = spec["data"][0], spec["data"][1], spec["data"][2]
    return MiddleCurve(tuple(accuracy["x"]), tuple(accuracy["y"]), tuple(logprob["y"]), closed["y"][0], 0.0, 10)


# -- 4. probe questions ----------------------------------------------------------------------------------


def test_probe_tab_defaults_to_a_recent_event():
    at = app("Probe questions")
    assert at.selectbox(key="hal_pq_category").value == "after training"
    assert at.selectbox(key="hal_pq_question").value == "Which country won the Eurovision Song Contest in 2025?"
    assert any("after the model's training data" in c.value for c in at.caption)


@pytest.mark.slow
def test_try_this_eurovision_samples_disagree_and_retrieval_grounds_the_answer():
    at = app("Probe questions")
    at.button(key="hal_pq_ask").click().run()
    ok(at)
    without = at.session_state["hal_pq_result"]["found"]["without"]
    assert without.outcome == "wrong" and "austria" not in without.answer.lower()
    assert len(without.consistency.groups) == 5
    assert metric(at, "Semantic entropy") == "2.32 bits"
    assert charts(at) == 1  # the token strip
    at.toggle(key="hal_pq_retrieval").set_value(True).run()
    at.button(key="hal_pq_ask").click().run()
    ok(at)
    found = at.session_state["hal_pq_result"]["found"]
    grounded = found["with"]
    assert grounded.passages[0].id == "eurovision2025"
    assert grounded.outcome == "right" and "Austria" in grounded.answer
    assert found["without"] == without  # the same seed, the same answer
    assert charts(at) == 2  # two strips
    assert any("**0.7" in m.value and "Austria won the Eurovision" in m.value for m in at.markdown)  # scored passages
    assert any("By the gold rule the answer is **right**" in m.value for m in at.markdown)
    support = [m.value for m in at.markdown if m.value.startswith("**Support:**")]
    assert len(support) == 2 and "found: austria" in support[1]  # the grounded answer repeats its passage
    assert grounded.words.share > without.words.share  # the made-up winner is not in the passages
    assert at.dataframe and len(at.dataframe[0].value) == 2  # recall of both retrievers


@pytest.mark.parametrize("question, message", [("🍕🍕🍕", "no letters or digits"), ("", "is empty"),
                                               ("q" * 600, "characters long")])
def test_own_questions_that_cannot_be_asked(question, message):
    at = app("Probe questions")
    at.selectbox(key="hal_pq_category").set_value("Your own").run()
    at.text_input(key="hal_pq_own").input(question).run()
    ok(at)
    assert message in errors(at)
    at.button(key="hal_pq_ask").click().run()
    ok(at)
    assert "hal_pq_result" not in at.session_state


def test_own_question_in_another_script_is_answered_with_a_note():
    at = app("Probe questions")
    at.selectbox(key="hal_pq_category").set_value("Your own").run()
    at.number_input(key="hal_pq_samples").set_value(2).run()
    at.text_input(key="hal_pq_own").input("巴黎是哪个国家的首都？").run()
    ok(at)
    assert any("Latin alphabet" in w.value for w in at.warning)
    at.button(key="hal_pq_ask").click().run()
    ok(at)
    result = at.session_state["hal_pq_result"]["found"]["without"]
    assert result.outcome is None and len(result.consistency.answers) == 2
    assert any("no gold answer" in c.value for c in at.caption)


def test_token_colouring_switches_without_calling_the_model_again():
    at = app("Probe questions")
    at.selectbox(key="hal_pq_category").set_value("real facts").run()
    at.number_input(key="hal_pq_samples").set_value(2).run()
    at.button(key="hal_pq_ask").click().run()
    ok(at)
    result = at.session_state["hal_pq_result"]
    strip = at.get("plotly_chart")[0].proto.spec
    at.radio(key="hal_pq_colour").set_value("entropy").run()
    ok(at)
    assert at.session_state["hal_pq_result"] is result or at.session_state["hal_pq_result"] == result
    assert at.get("plotly_chart")[0].proto.spec != strip  # re-coloured from the kept answer


# -- 5. the probe-set summary --------------------------------------------------------------------------------


def test_summary_tab_states_its_size_before_running():
    at = app("Probe-set summary")
    assert charts(at) == 0
    assert any("28 questions-and-conditions" in c.value for c in at.caption)
    at.radio(key="hal_ps_size").set_value("full").run()
    assert any("82 questions-and-conditions" in c.value for c in at.caption)


def test_a_stopped_probe_set_continues_where_it_stopped_and_draws_its_three_charts(llm):
    """The quick probe set stopped one run before its end (27 runs made by hand, as a stop
    leaves them in the session); Run asks only the last question, for real, then the
    summary draws from all 28. The full run is the same loop 28 times (seconds each)."""
    from playground.config import get_settings
    from playground.limits import probes as pr
    from playground.ui.models import model_key_of

    at = app("Probe-set summary")
    at.number_input(key="hal_ps_samples").set_value(2).run()
    max_new = max(8, min(24, get_settings().max_new_tokens))  # the page's MAX_NEW
    config = pr.ProbeConfig(temperature=0.7, samples=2, seed=0, max_new_tokens=max_new, per_category=2,
                            per_digit=2)
    plan = [(p, g) for p in pr.probe_set(config) for g in ((False,) if p.number is not None else (False, True))]
    assert len(plan) == pr.planned_runs(config) == 28
    outcomes = ("right", "wrong", "don't know")
    made = tuple(pr.ProbeRun(p, g, (), "made by the test", outcomes[i % 3], ("a", "b"),
                             (outcomes[i % 3], outcomes[(i + 1) % 3]), 0.5 + i % 4, 1.0 + i % 3, float(i % 2),
                             0.5) for i, (p, g) in enumerate(plan[:-1]))
    at.session_state["_hal_partial_probes"] = {("probes", model_key_of(llm), config): made}
    at.run()
    ok(at)
    assert any("Stopped after 27 of 28" in i.value for i in at.info) and charts(at) == 3
    at.button(key="hal_ps_run").click().run()
    ok(at)
    assert not at.info and charts(at) == 3  # wrong answers by category, addition vs GPT-3, AUROC
    table = at.dataframe[0].value
    assert len(table) == 28 and set(table["grade"]) <= {"right", "don't know", "wrong"}
    last = table.iloc[-1]
    assert last["category"] == "arithmetic" and last["greedy answer"] != "made by the test"  # asked for real

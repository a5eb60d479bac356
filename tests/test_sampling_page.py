"""The sampling lab in AppTest: default render, sliders that never call the model,
example prompts, bad input, generation, forks and the comparison."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT

PAGE = str(ROOT / "pages" / "sampling_lab.py")


def app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_llm():
    """The model the page uses: the process-wide cached one."""
    from playground.ui.models import _load_default

    return _load_default()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def test_default_render_shows_the_distribution_and_the_waterfall():
    at = app()
    assert at.title[0].value == "Temperature & sampling lab"
    assert not at.error
    assert metric(at, "Most likely next token") == "␣small"
    assert metric(at, "Tokens left to draw from") == "12"  # T 0.7, top-k 40, top-p 0.8
    assert charts(at) == 4  # waterfall, distribution, funnel, dice; no generation yet
    assert any("softmax" in latex.value or r"\frac" in latex.value for latex in at.get("latex"))
    assert len(at.dataframe) == 1  # the stage table
    assert "smp_runs" not in at.session_state


def test_sliders_recompute_from_cached_logits_without_calling_the_model():
    at = app()
    lm = page_llm()
    calls = lm.model_calls
    before = metric(at, "Tokens left to draw from")
    at.slider(key="smp_top_p").set_value(1.0).run()
    ok(at)
    assert metric(at, "Tokens left to draw from") == "40" != before  # top-k 40 alone
    at.select_slider(key="smp_top_k").set_value(5).run()
    ok(at)
    assert metric(at, "Tokens left to draw from") == "5"
    at.select_slider(key="smp_T").set_value(2.0).run()
    at.slider(key="smp_min_p").set_value(0.2).run()
    at.slider(key="smp_penalty").set_value(1.5).run()
    at.number_input(key="smp_seed").set_value(7).run()
    at.select_slider(key="smp_draws").set_value(10000).run()
    ok(at)
    assert lm.model_calls == calls, "a slider move ran the model"
    at.select_slider(key="smp_T").set_value(0.0).run()
    ok(at)
    assert metric(at, "Tokens left to draw from") == "1"  # greedy: exactly the argmax
    assert metric(at, "Entropy left") == "0.00 bits"
    assert lm.model_calls == calls


def test_a_new_prompt_costs_one_model_call():
    at = app()
    lm = page_llm()
    calls = lm.model_calls
    at.text_area(key="smp_prompt").input("The weather today is sunny and").run()
    ok(at)
    assert lm.model_calls == calls + 1
    at.select_slider(key="smp_T").set_value(1.5).run()
    at.text_area(key="smp_prompt").input("The weather today is sunny and").run()
    assert lm.model_calls == calls + 1


def test_examples_fill_the_prompt_and_mode():
    at = app()
    at.selectbox(key="smp_example").set_value(4).run()  # Chat: the first word of a reply
    ok(at)
    assert at.text_area(key="smp_prompt").value == "Tell me a story."
    assert at.radio(key="smp_mode").value == "chat"
    assert metric(at, "Most likely next token") == "The"
    assert any("<|im_start|>assistant" in c.value for c in at.code)  # what the model reads
    at.selectbox(key="smp_example").set_value(1).run()
    assert metric(at, "Most likely next token") == "␣Paris"
    assert any("␣Paris" in c.value for c in at.caption)  # what this example shows


def test_empty_prompt_is_a_clear_message():
    at = app()
    at.text_area(key="smp_prompt").input("   ").run()
    ok(at)
    assert any("The prompt is empty" in e.value for e in at.error)
    assert not at.metric  # nothing computed from a missing prompt
    at.text_area(key="smp_prompt").input("Hello there").run()  # the page stays usable
    ok(at)
    assert not at.error and at.metric


def test_prompt_over_the_limit_says_how_long_and_the_limit():
    at = app()
    at.text_area(key="smp_prompt").input("word " * 1500).run()
    ok(at)
    message = " ".join(e.value for e in at.error)
    assert "tokens long; the limit is 1,024" in message
    assert "The prompt is 1,50" in message  # its own length in tokens


@pytest.mark.parametrize("mode", ["raw", "chat"])
def test_odd_unicode_and_emoji(mode):
    at = app()
    at.radio(key="smp_mode").set_value(mode).run()
    at.text_area(key="smp_prompt").input("🦜🔥 naïve café — ∑ 你好 \u200b\u0301 ").run()
    ok(at)
    assert not at.error and metric(at, "Tokens left to draw from")


def test_html_and_script_are_shown_as_text():
    at = app()
    text = '<script>alert("x")</script><b>bold</b> <img src=x onerror=alert(1)>'
    at.text_area(key="smp_prompt").input(text).run()
    ok(at)
    assert not at.error
    assert any(text in c.value for c in at.code)  # shown verbatim in a code block
    for element in [*at.markdown, *at.caption]:
        assert "<script" not in element.value and "<img" not in element.value
    for chart in at.get("plotly_chart"):
        spec = chart.proto.spec
        assert "<script" not in spec and "<img" not in spec and "<b>bold" not in spec


@pytest.mark.slow
def test_generate_streams_tokens_then_fork_continues_from_an_alternative():
    at = app()
    at.number_input(key="smp_n").set_value(2).run()
    at.slider(key="smp_new").set_value(4).run()
    at.button(key="smp_generate").click().run()
    ok(at)
    runs = at.session_state["smp_runs"]["runs"]
    assert [seed for seed, _ in runs] == [0, 1]
    assert all(1 <= len(tokens) <= 4 for _, tokens in runs)
    for _, tokens in runs:  # probabilities come with every token
        assert all(0 < t.prob <= 1 and t.alternatives for t in tokens)
    assert any(c.value.startswith("seed 0 ·") for c in at.caption)
    texts = [t.value.strip() for t in at.text]
    assert "".join(t.text for t in runs[0][1]).strip() in texts  # plain text of each completion

    # fork: step 1 of seed 0, first alternative that is not the chosen token
    at.selectbox(key="smp_fork_step").set_value(1).run()
    at.selectbox(key="smp_fork_alt").set_value(0).run()
    at.button(key="smp_fork_go").click().run()
    ok(at)
    forked = at.session_state["smp_forked"]
    original = runs[0][1]
    alt = [a for a in original[1].alternatives if a[0] != original[1].token_id][0]
    assert forked["step"] == 1
    assert forked["tokens"][0].token_id == original[0].token_id
    assert forked["tokens"][1].token_id == alt[0] != original[1].token_id
    assert len(forked["tokens"]) > 2  # generation continued after the alternative


@pytest.mark.slow
def test_greedy_generation_is_identical_across_seeds_and_compare_reports_metrics():
    at = app()
    at.select_slider(key="smp_T").set_value(0.0).run()
    at.slider(key="smp_new").set_value(4).run()
    at.button(key="smp_generate").click().run()
    ok(at)
    assert any("temperature 0 is greedy" in c.value for c in at.caption)

    at.number_input(key="smp_cmp_n").set_value(2).run()
    at.button(key="smp_compare").click().run()
    ok(at)
    compared = at.session_state["smp_cmp"]
    assert set(compared["results"]) == {"A", "B"}
    assert all(len(samples) == 2 for samples in compared["results"].values())
    table = at.dataframe[-1].value
    assert list(table.columns) == ["", "A: T=0.2", "B: T=1.5"]
    assert {"distinct-2", "repetition (3-grams)", "mean log-prob"} <= set(table[""])

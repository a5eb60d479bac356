"""The tokens, embeddings & attention page in AppTest: every tab renders on the real
models, its main controls change the output, sliders between layers and heads never run
the model again, bad input gets a clear message, teacher links open the right tab."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from playground.models.llm.tracing import TracingMixin
from playground.pages import ROOT

PAGE = str(ROOT / "pages" / "tokens.py")
TABS = ["Tokens", "Embeddings", "Context", "Attention", "Position", "Forward pass"]


def app(tab: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    ok(at)
    if tab:
        at.session_state["tok_tab"] = tab
        at.run()
        ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not any("Something went wrong" in e.value for e in at.error), [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def spec(chart) -> str:
    """A chart's figure as readable JSON (no \\u escapes)."""
    return json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)


@pytest.fixture
def trace_calls(monkeypatch):
    """Count the model's forward passes for attention maps (the page caches them)."""
    calls = []
    original = TracingMixin.trace

    def counting(self, ids):
        calls.append(tuple(ids))
        return original(self, ids)

    monkeypatch.setattr(TracingMixin, "trace", counting)
    return calls


def test_default_render_shows_tokens_of_both_tokenizers():
    at = app()
    assert at.title[0].value == "Tokens, embeddings & attention"
    assert not at.error
    assert metrics(at) | {} == {"SmolLM2 tokens": "8", "Characters": "31", "Characters per token": "3.88",
                                "MiniLM tokens": "11"}
    assert len(charts(at)) == 3  # SmolLM2 chips, WordPiece chips, tokens per language
    chips = spec(charts(at)[0])
    assert "35199" in chips and "␣strawberry" in chips  # ' strawberry': one token
    assert any("35199" in c.value for c in at.caption)  # the example says so
    assert any("how many r ' s are in strawberry?" in c.value for c in at.code)  # WordPiece round trip


def test_examples_and_chat_mode_change_the_tokens():
    at = app()
    at.selectbox(key="tok_example").set_value(1).run()  # Numbers and arithmetic
    ok(at)
    assert at.text_area(key="tok_text").value == "12345 + 678 = 13023"
    assert metric(at, "SmolLM2 tokens") == "17"
    assert '"123' in spec(charts(at)[1]) and "##45" in spec(charts(at)[1])
    at.selectbox(key="tok_example").set_value(0).run()
    at.radio(key="tok_mode").set_value("chat").run()
    ok(at)
    assert metric(at, "SmolLM2 tokens") == "38"
    assert "&lt;|im_start|&gt;" in spec(charts(at)[0])
    assert any("special tokens" in c.value for c in at.caption)


@pytest.mark.parametrize("text, note", [
    ("I love 🍓 and 🦜!", "emoji"),
    ("القطة نائمة", "right-to-left"),
    ("a\x00b\x07c\u200bd", "control or format"),
])
def test_odd_characters_get_a_note_not_an_error(text, note):
    at = app()
    at.text_area(key="tok_text").input(text).run()
    ok(at)
    assert not at.error
    assert any(note in i.value for i in at.info)
    assert int(metric(at, "SmolLM2 tokens")) > 0


def test_empty_and_huge_text_say_what_to_do():
    at = app()
    at.text_area(key="tok_text").input("   ").run()
    ok(at)
    assert "is empty" in errors(at)
    at.text_area(key="tok_text").input("x" * 50_000).run()
    ok(at)
    assert "50,000 characters long; this view reads at most 20,000" in errors(at)
    assert "nothing was cut" in errors(at)
    at.text_area(key="tok_text").input("Hello there").run()  # the page stays usable
    ok(at)
    assert not at.error and metric(at, "SmolLM2 tokens") == "2"


def test_html_is_shown_as_text():
    at = app()
    text = '<script>alert("x")</script><b>bold</b>'
    at.text_area(key="tok_text").input(text).run()
    ok(at)
    for chart in charts(at):
        assert "<script" not in chart.proto.spec and "<b>bold" not in chart.proto.spec
    for element in [*at.markdown, *at.caption]:
        assert "<script" not in element.value


@pytest.mark.parametrize("tab, figures", [
    ("Embeddings", 5), ("Context", 1), ("Attention", 5), ("Position", 3), ("Forward pass", 6)])
def test_every_tab_renders_with_real_values(tab, figures):
    at = app(tab)
    assert not at.error, errors(at)
    assert len(charts(at)) == figures


def test_embeddings_tab_controls():
    at = app("Embeddings")
    assert metric(at, "Token") == "' Monday'"
    neighbours = spec(charts(at)[1])
    assert "␣Tuesday" in neighbours and "␣Sunday" in neighbours
    at.text_input(key="tok_word").input("Paris").run()
    ok(at)
    assert metric(at, "Token") == "' Paris'" and "␣London" in spec(charts(at)[1])
    at.text_input(key="tok_word").input("antidisestablishment").run()
    assert any("tokens" in i.value and "first" in i.value for i in at.info)  # a word of several tokens
    at.selectbox(key="tok_map_set").set_value("Your own words").run()
    ok(at)
    at.text_area(key="tok_map_own").input("a: one\nb: two").run()
    assert "at least 4" in errors(at)
    at.text_area(key="tok_map_own").input("fruit: apple\nfruit: pear\ntool: saw\ntool: drill").run()
    at.radio(key="tok_map_method").set_value("t-SNE").run()
    at.radio(key="tok_map_dims").set_value(3).run()
    ok(at)
    assert not at.error and '"scatter3d"' in spec(charts(at)[3])
    at.text_input(key="tok_query").input("How long do kittens snooze?").run()
    ok(at)
    assert '"hovertext": ["Cats often sleep' in spec(charts(at)[-1])  # first, without a shared word
    at.text_input(key="tok_query").input("  ").run()
    assert "The question is empty" in errors(at)
    at.text_area(key="tok_sentences").input("just one").run()
    assert "at least 2 sentences" in errors(at)


def test_context_examples_and_a_missing_word():
    at = app("Context")
    assert metric(at, "Layer 0 (the embedding row)") == "1.00 / 1.00"
    at.selectbox(key="tok_ctx_example").set_value(2).run()  # only the words before count
    ok(at)
    assert at.text_input(key="tok_ctx_a").value == "The bank was steep and muddy."
    assert metric(at, "Last layer").endswith("/ 1.00")  # A · B stays 1
    at.text_input(key="tok_ctx_word").input("river").run()
    ok(at)
    assert "is not a word of" in errors(at)


def test_attention_sliders_never_run_the_model_again(trace_calls):
    at = app("Attention")
    first = metrics(at)
    assert first["8 ␣it → 1 ␣animal"] == "75.4%" or first["8 ␣it → 1 ␣animal"].startswith("7")
    trace_calls.clear()
    at.slider(key="tok_att_layer").set_value(1).run()
    at.slider(key="tok_att_head").set_value(2).run()
    ok(at)
    assert metrics(at) != first
    at.selectbox(key="tok_att_query").set_value(5).run()
    at.selectbox(key="tok_att_key").set_value(4).run()
    for measure in ("previous", "first", "self", "spread", "pair"):
        at.selectbox(key="tok_att_measure").set_value(measure).run()
        ok(at)
        assert not at.error
    assert trace_calls == [], "a slider move ran the model"
    at.session_state["tok_tab"] = "Position"  # the same text: the same cached trace
    at.run()
    ok(at)
    assert trace_calls == []


def test_a_new_text_runs_the_model_once_and_the_row_of_it_stays(trace_calls):
    at = app("Attention")
    before = metrics(at)["8 ␣it → 1 ␣animal"]
    trace_calls.clear()
    at.text_area(key="tok_att_text").input("The animal didn't cross the street because it was too wide").run()
    ok(at)
    assert len(trace_calls) == 1
    assert metrics(at)["8 ␣it → 1 ␣animal"] == before  # 'it' cannot see 'wide'


def test_attention_limits_are_messages():
    at = app("Attention")
    at.text_area(key="tok_att_text").input("word " * 600).run()
    ok(at)
    assert "at most 512" in errors(at)
    at.text_area(key="tok_att_text").input("").run()
    ok(at)
    assert "is empty" in errors(at)
    at.text_area(key="tok_att_text").input("🦜 مرحبا\x07 ok").run()
    ok(at)
    assert not at.error and charts(at)


def test_position_and_forward_controls():
    at = app("Position")
    assert metric(at, "Highest score at distance") == "1"
    at.slider(key="tok_pos_layer").set_value(13).run()
    at.slider(key="tok_pos_head").set_value(8).run()
    at.select_slider(key="tok_pos_far").set_value(8192).run()
    at.select_slider(key="tok_pos_span").set_value(512).run()
    ok(at)
    assert metric(at, "Highest score at distance") != "1"
    at.session_state["tok_tab"] = "Forward pass"
    at.run()
    ok(at)
    assert "␣Paris" in spec(charts(at)[3])  # the top next tokens
    at.selectbox(key="tok_fwd_pos").set_value(2).run()  # after "The capital of"
    ok(at)
    assert "␣France" in spec(charts(at)[3])


def test_teacher_link_opens_a_tab_and_presets_set_it_up():
    at = app(tok_tab="Attention", tok_att_layer="1", tok_att_head="2")
    assert at.slider(key="tok_att_layer").value == 1 and at.slider(key="tok_att_head").value == 2
    assert any(k.startswith("8 ␣it") for k in metrics(at))
    at = app(preset="Who is it")
    assert at.slider(key="tok_att_layer").value == 13 and at.selectbox(key="tok_att_measure").value == "pair"
    at = app(preset="Logit lens")
    assert "Length before the final norm" in metrics(at)

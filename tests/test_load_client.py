"""The load test (benchmarks/load.py, benchmarks/loadclient.py).

* Unit tests, no server: percentiles, the report and its table, URL checks, how
  widget values are encoded, the forward-message cache.
* e2e (a real `streamlit run Home.py`, the fixture of tests/e2e/test_browser.py):
  two simulated students over the websocket protocol, with XSRF protection on (the
  default), typing prompts into the sampling lab and going back to Home; every
  action must finish without an error and each typed prompt must come back in the
  rerun's output, which proves the widget states reached the server.
"""

from __future__ import annotations

import asyncio
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import load  # noqa: E402
import loadclient  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.Slider_pb2 import Slider  # noqa: E402

from tests.e2e.test_browser import serve  # noqa: E402


# -- statistics and the report -----------------------------------------------------------------


@pytest.mark.parametrize("values", [[1.0], [3.0, 1.0], [1, 2, 3, 4], [0.5, 9.0, 2.5, 2.5, 7.0, 1.25, 30.0],
                                    list(np.random.default_rng(0).exponential(2.0, 101))])
@pytest.mark.parametrize("q", [0, 5, 50, 95, 99, 100])
def test_percentile_matches_numpy(values, q):
    assert math.isclose(load.percentile(values, q), float(np.percentile(values, q)), rel_tol=1e-12)


def test_percentile_edges():
    assert load.percentile([], 50) is None
    assert load.percentile([1, 2, 3, 4], 50) == 2.5
    with pytest.raises(ValueError):
        load.percentile([1.0], 101)
    assert load.summarize([]) == {"count": 0, "p50": None, "p95": None, "worst": None, "mean": None}
    s = load.summarize([1.0, 2.0, 3.0, 10.0])
    assert (s["count"], s["p50"], s["worst"], s["mean"]) == (4, 2.5, 10.0, 4.0)
    assert math.isclose(s["p95"], 8.95)


def _action(user, page, kind, seconds, status="ok", errors=(), warnings=(), prompt_seen=None, at=1.0):
    return load.Action(user=user, page=page, kind=kind, at=at, seconds=seconds, status=status,
                       errors=[list(e) for e in errors], warnings=list(warnings), prompt_seen=prompt_seen)


def test_report_per_page_overall_and_errors():
    actions = [
        _action(1, "home", "open", 2.0),
        _action(2, "home", "open", 4.0),
        _action(1, "sampling_lab", "navigate", 1.0),
        _action(1, "sampling_lab", "prompt", 3.0, prompt_seen=True),
        _action(2, "sampling_lab", "slider", 60.0, status="timeout",
                errors=[("timeout", "no end of the script run within 60 s")]),
        _action(2, "sampling_lab", "navigate", None, status="disconnected",
                errors=[("disconnect", "disconnected (closed by the server, code 1011)")]),
        _action(1, "gan", "navigate", 0.5, errors=[("exception", "ValueError: boom")],
                warnings=["The model is busy"]),
    ]
    loose = [_action(2, "gan", "late", None, status="late", errors=[("late", "exceptions: KeyError: 'x'")])]
    report = load.build_report(actions, loose, command="benchmarks/load.py --users 2",
                               config={"users": 2, "duration": 10, "think": [2, 14]},
                               memory={"pids": [1], "start_mb": 100.0, "after_warmup_mb": 200.0,
                                       "end_mb": 210.0, "peak_mb": 250.0, "samples": 3, "timeline": []})
    for block in [report["overall"], *report["pages"].values(), *report["kinds"].values()]:
        assert {"count", "p50", "p95", "worst", "actions", "errors"} <= set(block)
    lab = report["pages"]["sampling_lab"]
    # the timeout counts at its 60 s (a lower bound); the disconnected action has no time
    assert (lab["actions"], lab["count"], lab["worst"], lab["errors"]) == (4, 3, 60.0, 2)
    assert lab["p50"] == 3.0
    assert report["pages"]["home"]["p50"] == 3.0
    assert report["overall"]["count"] == 6 and report["overall"]["actions"] == 7
    assert report["errors"]["total"] == 4
    assert report["errors"]["by_type"] == {"timeout": 1, "disconnect": 1, "exception": 1, "late": 1}
    assert report["errors"]["examples"]["exception"] == [
        "student 1 @ gan (navigate, t=1.0 s): ValueError: boom"]
    assert report["warnings"]["total"] == 1
    assert report["prompts"] == {"typed": 1, "seen_in_output": 1}
    text = load.format_report(report)
    assert "p50 s" in text and "p95 s" in text and "worst s" in text
    assert "ERRORS: 4" in text and "ValueError: boom" in text
    assert "after warm-up 200 MB" in text and "peak 250 MB" in text
    assert "command: benchmarks/load.py --users 2" in text
    assert any(line.startswith("all ") for line in text.splitlines())


def test_report_without_actions_or_memory():
    report = load.build_report([], config={"users": 1, "stampede": True, "rounds": 3})
    assert report["overall"]["p50"] is None and report["errors"]["total"] == 0
    text = load.format_report(report)
    assert "errors: none" in text and "not sampled" in text


def test_action_from_result_classifies_problems():
    result = loadclient.RunResult(page="", sent_at=0.0)
    result.status, result.seconds = "ok", 0.5
    result.problems.append("page not found: 'nowhere'")
    result.error_alerts.append("Something went wrong in generating: RuntimeError: x")
    action = load.action_from_result(3, "navigate", 1.0, result)
    assert action.page == "home"
    assert [e[0] for e in action.errors] == ["error on screen", "page not found"]
    typed = loadclient.RunResult(page="sampling_lab", sent_at=0.0, expect=b"hello")
    typed.status, typed.seconds = "ok", 0.2
    action = load.action_from_result(3, "prompt", 1.0, typed, detail="hello")
    assert action.prompt_seen is False and action.errors[0][0] == "prompt not applied"


# -- the client's building blocks -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:8501", "http://localhost:8501/base/", "https://[::1]:9/",
                                 "http://127.0.0.2:80?a=1"])
def test_loopback_urls_are_accepted(url):
    base = loadclient.parse_base_url(url)
    assert base.stream.startswith(("ws://", "wss://")) and base.stream.endswith("/_stcore/stream")


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.1:8501", "http://192.168.1.5",
                                 "ftp://127.0.0.1", "http://user:pw@127.0.0.1", "http://0.0.0.0:8501"])
def test_other_urls_are_refused(url):
    with pytest.raises(ValueError):
        loadclient.parse_base_url(url)


def test_command_line_refuses_a_remote_url(capsys):
    with pytest.raises(SystemExit) as exc:
        load.parse_args(["--url", "http://example.org:8501"])
    assert exc.value.code == 2
    assert "loopback" in capsys.readouterr().err


def test_press_option_is_parsed_and_checked(capsys):
    args = load.parse_args(["--press", "hallucinations:Run the sweep:0.3", "--press", "gan:Play:1"])
    assert load.config_from_args(args).presses == (("hallucinations", "Run the sweep", 0.3), ("gan", "Play", 1.0))
    for bad in ("hallucinations:Run the sweep", "hallucinations::0.5", "x:Run:2"):
        with pytest.raises(SystemExit):
            load.parse_args(["--press", bad])
    assert "PAGE:LABEL:P" in capsys.readouterr().err


def test_base_url_parts():
    base = loadclient.parse_base_url("http://localhost:8650/app/?lang=en")
    assert base.origin == "http://localhost:8650"
    assert base.http("_stcore/health") == "http://localhost:8650/app/_stcore/health"
    assert base.page("sampling_lab") == "http://localhost:8650/app/sampling_lab?lang=en"
    assert base.stream == "ws://localhost:8650/app/_stcore/stream"


def _slider(kind, **fields):
    proto = Slider(id="$$ID-x-k", label="T", type=kind, **fields)
    return loadclient.Widget(proto.id, proto.label, "slider", proto)


def test_widget_values_are_encoded_like_the_browser():
    select = _slider(Slider.SELECT_SLIDER, options=["0.0", "0.7", "1.5"], default=[1], raw_value=["0.7"])
    state = loadclient.widget_state(select, "1.5")
    assert state.WhichOneof("value") == "string_array_value" and list(state.string_array_value.data) == ["1.5"]
    assert list(loadclient.widget_state(select, 0).string_array_value.data) == ["0.0"]  # an index
    with pytest.raises(ValueError):
        loadclient.widget_state(select, "9.9")
    assert loadclient.slider_current(select) == "0.7"
    assert loadclient.slider_choices(select) == ["0.0", "0.7", "1.5"]

    numeric = _slider(Slider.SLIDER, data_type=Slider.FLOAT, min=0.05, max=1.0, step=0.05, default=[0.05],
                      value=[0.8], set_value=True)
    assert list(loadclient.widget_state(numeric, 0.5).double_array_value.data) == [0.5]
    assert loadclient.slider_current(numeric) == pytest.approx(0.8)
    choices = loadclient.slider_choices(numeric)
    assert len(choices) == 20 and choices[0] == 0.05 and choices[-1] == pytest.approx(1.0)

    area = loadclient.Widget("$$ID-a-smp_prompt", "Prompt", "text_area", None)
    assert loadclient.widget_state(area, "hi").string_value == "hi"
    button = loadclient.Widget("$$ID-b-go", "Generate", "button", None)
    assert loadclient.widget_state(button, True).trigger_value is True


def test_message_cache_resolves_and_expires():
    cache = loadclient.MessageCache()
    big = ForwardMsg(hash="h1")
    big.metadata.cacheable = True
    small = ForwardMsg(hash="h2")
    cache.add(big, b"payload")
    cache.add(small, b"other")  # not cacheable: not kept
    assert cache.hashes() == ["h1"] and cache.get("h1") == b"payload" and cache.get("h2") is None
    cache.max_age = 2
    for _ in range(3):
        cache.run_finished()
    assert cache.hashes() == []  # unused for more than max_age runs
    assert loadclient.MessageCache(enabled=False).hashes() == []


# -- against a real server --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url():
    with serve("load_client.log") as url:
        yield url


@pytest.mark.e2e
def test_widget_states_reach_the_server(app_url):
    """One scripted session: the typed prompt comes back; a later select_slider move
    resends it (the prompt is still what the model reads) and lands on the option."""

    async def scenario():
        session = loadclient.StreamlitSession(app_url, name="scripted", timeout=60)
        try:
            opened = await session.open("sampling_lab")
            assert opened.ok, (opened.status, opened.exceptions, opened.error_alerts, opened.problems)
            assert session.xsrf_token(), "XSRF protection is on by default: /_stcore/health sets the cookie"
            assert "sampling_lab" in session.pages and "" in session.pages  # from the navigation message
            prompt = "Scripted student asks: what is a lighthouse?"
            typed = await session.set_widget(session.widget("Prompt"), prompt, expect=prompt)
            assert typed.ok and typed.expect_seen
            moved = await session.set_widget(session.widget("Temperature"), "1.5", expect=prompt)
            assert moved.ok and moved.expect_seen
            assert session.current_value(session.widget("Temperature")) == "1.5"
            home = await session.navigate("")
            assert home.ok and session.page == ""
        finally:
            await session.close()

    asyncio.run(scenario())


@pytest.mark.e2e
def test_two_students_without_errors(app_url):
    # six actions each: open Home, go to the lab, its 2-3 planned interactions (one is the
    # prompt), then back to Home (or one more lab action); the duration only bounds it
    cfg = load.Config(url=app_url, users=2, duration=45, think=(0.3, 1.0), seed=1, timeout=60,
                      landing="home", pages=["home", "sampling_lab"], actions=6)
    port = int(app_url.rsplit(":", 1)[1])
    memory = load.MemorySampler([load.find_listening_pid(port)])
    rec, elapsed = asyncio.run(load.run_load(cfg, memory))
    report = load.build_report(rec.actions, rec.loose, config={"users": 2}, memory=memory.summary(),
                               warmup_at=rec.warmup_at, elapsed=elapsed)
    print(load.format_report(report))
    problems = [(a.user, a.page, a.kind, a.status, a.errors) for a in rec.actions + rec.loose
                if a.errors or a.status != "ok"]
    assert not problems
    assert {a.user for a in rec.actions} == {1, 2}
    for user in (1, 2):
        mine = [a for a in rec.actions if a.user == user]
        assert len(mine) == 6
        assert mine[0].kind == "open" and mine[0].page == "home"
        assert mine[1].kind == "navigate" and mine[1].page == "sampling_lab"
        assert [a.kind for a in mine].count("prompt") == 1
    prompts = [a for a in rec.actions if a.kind == "prompt"]
    assert all(a.prompt_seen for a in prompts) and report["prompts"]["seen_in_output"] == len(prompts)
    for block in [report["overall"], report["pages"]["home"], report["pages"]["sampling_lab"]]:
        assert block["p50"] is not None and block["p95"] is not None and block["p50"] <= block["p95"]
    assert report["memory"]["peak_mb"] > 0 and report["memory"]["after_warmup_mb"] is not None

"""Browser test of the chat-model page: the shipped stages with real curves and samples,
then a live run of each stage from its button, watched while it trains.

Screenshots (tests/e2e/screenshots/): chatmodel-shipped.png (the whole page as it opens),
chatmodel-pretrain-running.png (a live pre-training run mid-way: progress, the live curve
beside the shipped one), chatmodel-pretrain.png, chatmodel-sft.png, chatmodel-dpo.png (each
stage's section after its live run), chatmodel-scale.png, chatmodel-live.png (the whole page
after the three runs)."""

from __future__ import annotations

import re
import time

import pytest

from playground.pages import available_pages
from tests.e2e import pagetools
from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
URL_PATH = next(p.url_path for p in available_pages() if p.file == "pages/chatmodel.py")


def _section_shot(page, heading: str, until: str | None, name: str) -> None:
    """The part of the page from ``heading`` down to the ``until`` heading (or the end)."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": int(min(max(height, 1000), 16000))})
    time.sleep(1.5)  # plotly redraws at the new size

    def top(text: str) -> float:
        box = page.get_by_role("heading", name=re.compile(re.escape(text))).first.bounding_box()
        return box["y"]

    y0 = top(heading) - 10
    y1 = top(until) - 10 if until else height
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True,
                    clip={"x": 0, "y": y0, "width": 1400, "height": max(200, y1 - y0)})
    page.set_viewport_size({"width": 1400, "height": 1000})


def _set_select_slider(page, key: str, value: str) -> None:
    """Move a select slider by keyboard, as a user can, until it shows ``value``: Home, then
    ArrowRight one option at a time (a rerun may redraw it between keys: then again)."""
    slider = page.locator(f".st-key-{key}").get_by_role("slider")

    def press(name: str, pause_ms: int) -> None:
        slider.focus()
        page.keyboard.press(name)
        page.wait_for_timeout(pause_ms)
        wait_until_idle(page)

    for _ in range(4):
        if slider.get_attribute("aria-valuetext") == value:
            return
        press("Home", 400)
        for _ in range(8):
            if slider.get_attribute("aria-valuetext") == value:
                return
            press("ArrowRight", 600)
    assert slider.get_attribute("aria-valuetext") == value


def _train(page, key: str, timeout_s: float = 400) -> None:
    page.locator(f".st-key-{key} button").click()
    page.wait_for_timeout(1500)
    wait_until_idle(page, timeout_s=timeout_s)  # the progress bar goes when the run ends
    pagetools.no_exception(page, generic_too=True)


def test_each_stage_with_real_curves_and_a_live_run(server, browser):  # noqa: F811
    page = pagetools.open_page(browser, server, URL_PATH, timeout_s=300)
    try:
        pagetools.no_exception(page, generic_too=True)
        text = pagetools.main_text(page)
        assert "python -m playground.chatmodel.build" in text and "GFLOP/s" in text
        assert "Held-out perplexity" in text and "Bigram baseline" in text
        assert pagetools.drawn_charts(page) >= 6
        pagetools.whole_page_screenshot(page, "chatmodel-shipped.png", max_height=16000, settle_s=1.5, reset=True)

        # 1. pre-training, 100 steps from random weights: watched while it trains
        _set_select_slider(page, "cm_pt_steps", "100")
        page.locator(".st-key-cm_pretrain_train button").click()
        page.get_by_text(re.compile(r"pre-training \(live\): step [1-9]\d* of 100")).first.wait_for(timeout=120_000)
        time.sleep(6)  # a few frames of the live curve
        _section_shot(page, "1. Pre-training", "2. Supervised fine-tuning", "chatmodel-pretrain-running.png")
        wait_until_idle(page, timeout_s=400)
        pagetools.no_exception(page, generic_too=True)
        assert re.search(r"Your live run \(100 steps, [^)]*\): finished", pagetools.main_text(page))
        _section_shot(page, "1. Pre-training", "2. Supervised fine-tuning", "chatmodel-pretrain.png")

        # 2. fine-tuning from the shipped pre-trained model, at the fewest steps (the shipped
        #    run's full length is checked in tests/test_chatmodel.py)
        _set_select_slider(page, "cm_sft_steps", "20")
        _train(page, "cm_sft_train")
        text = pagetools.main_text(page)
        assert re.search(r"Your run: answers in the chat format 0% before → \d+%", text), text[-3000:]
        _section_shot(page, "2. Supervised fine-tuning", "3. Preference tuning", "chatmodel-sft.png")

        # 3. DPO from the shipped fine-tuned model, at the fewest steps
        _set_select_slider(page, "cm_dpo_steps", "20")
        _train(page, "cm_dpo_train")
        assert re.search(r"Your run: held-out margin -?[\d.]+ → -?[\d.]+", pagetools.main_text(page))
        _section_shot(page, "3. Preference tuning", "Ask the three stages", "chatmodel-dpo.png")

        # SmolLM2 beside the tiny model: its answer and its architecture
        page.locator(".st-key-cm_smol").get_by_text("Ask SmolLM2-135M-Instruct too").click()
        page.wait_for_timeout(1500)
        wait_until_idle(page, timeout_s=300)
        pagetools.no_exception(page, generic_too=True)
        text = pagetools.main_text(page)
        assert re.search(r"SmolLM2-135M-Instruct \(greedy, at most 48 tokens", text), text[-4000:]
        assert "to set the two architectures side by side" not in text  # the table is drawn instead
        _section_shot(page, "Ask the three stages", None, "chatmodel-scale.png")
        assert pagetools.drawn_charts(page) >= 6
        pagetools.whole_page_screenshot(page, "chatmodel-live.png", max_height=16000, settle_s=1.5)
    finally:
        page.close()

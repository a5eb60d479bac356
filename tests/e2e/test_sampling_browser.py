"""Browser tests of the sampling lab beyond the smoke test: the waterfall draws,
Generate streams coloured tokens with their alternatives on hover, and HTML in
the prompt stays text. Screenshot after Generate (whole page):
tests/e2e/screenshots/sampling-generated.png."""

from __future__ import annotations

import pytest

from playground.pages import available_pages
from tests.e2e import pagetools
from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
URL_PATH = next(p.url_path for p in available_pages() if p.file == "pages/sampling_lab.py")


def _open(browser, url: str):  # noqa: F811
    return pagetools.open_page(browser, url, URL_PATH)


def _charts(page) -> int:
    return pagetools.drawn_charts(page)


def _no_exception(page) -> None:
    pagetools.no_exception(page)


def _whole_page_screenshot(page, name: str) -> None:
    pagetools.whole_page_screenshot(page, name)


def test_generate_streams_coloured_tokens(server, browser):  # noqa: F811
    page = _open(browser, server)
    try:
        _no_exception(page)
        main = page.locator('[data-testid="stMain"]')
        assert "Tokens left to draw from" in main.inner_text()
        before = _charts(page)
        assert before >= 4  # waterfall, distribution, funnel, dice
        # fewest new tokens (keyboard on the slider, as a user can), then Generate
        page.get_by_role("slider", name="New tokens").focus()
        page.keyboard.press("Home")
        page.keyboard.press("ArrowRight")  # 8 tokens
        page.wait_for_timeout(500)
        wait_until_idle(page)
        assert page.get_by_role("slider", name="New tokens").get_attribute("aria-valuetext") == "8"
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("Fork: take another path").wait_for(timeout=600_000)  # shown once both are done
        wait_until_idle(page, timeout_s=600)
        _no_exception(page)
        text = main.inner_text()
        assert "seed 0 ·" in text and "seed 1 ·" in text and "mean log p" in text
        assert _charts(page) == before + 2  # one heat strip per completion
        assert "Fork: take another path" in text
        # hover the first token of the first heat strip: its alternatives show up
        strip = page.locator('[data-testid="stPlotlyChart"]').nth(before)
        strip.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = strip.locator("g.point").first.bounding_box()
        page.mouse.move(box["x"] + 2, box["y"] + 2)
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)  # as a user hovers
        page.wait_for_timeout(800)
        hover = " ".join(layer.text_content() or "" for layer in page.locator(".hoverlayer").all())
        assert "top alternatives at this step" in hover
        # fork at step 1 with the first alternative, then compare two settings (2 samples each)
        page.get_by_role("button", name="Continue").click()
        page.get_by_text("Fork of seed 0").wait_for(timeout=600_000)
        wait_until_idle(page, timeout_s=600)
        _no_exception(page)
        assert _charts(page) == before + 3  # the fork's heat strip
        page.get_by_role("spinbutton", name="Samples each").fill("2")
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
        wait_until_idle(page)
        page.get_by_role("button", name="Compare").click()
        page.get_by_text("distinct-1").first.wait_for(timeout=600_000)
        wait_until_idle(page, timeout_s=600)
        _no_exception(page)
        assert _charts(page) == before + 4  # the comparison chart
        _whole_page_screenshot(page, "sampling-generated.png")
    finally:
        page.close()


def test_html_in_the_prompt_stays_text(server, browser):  # noqa: F811
    page = _open(browser, server)
    try:
        box = page.locator('[data-testid="stTextArea"] textarea').first
        box.fill('<b id="injected">bold</b><img src=x onerror="window.__injected=1">')
        page.keyboard.press("Control+Enter")  # submit the text area
        page.wait_for_timeout(500)
        wait_until_idle(page)
        _no_exception(page)
        assert page.locator("#injected").count() == 0
        assert page.evaluate("() => window.__injected === undefined")
        assert "Tokens left to draw from" in page.locator('[data-testid="stMain"]').inner_text()
        assert '<b id="injected">' in page.locator('[data-testid="stMain"] [data-testid="stCode"]').first.text_content()
    finally:
        page.close()

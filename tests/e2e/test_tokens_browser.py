"""Browser tests of the tokens, embeddings & attention page: every tab draws its charts
with real values in a real `streamlit run`, a layer slider moved from the keyboard redraws
the head, HTML typed into the text stays text. Screenshots (whole page) of every tab:
tests/e2e/screenshots/tokens-*.png (look at them)."""

from __future__ import annotations

import time

import pytest

from playground.pages import available_pages
from tests.e2e import pagetools
from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
URL_PATH = next(p.url_path for p in available_pages() if p.file == "pages/tokens.py")
# tab -> (charts it draws, a text that only shows once its values are computed)
TABS = {
    "Tokens": (3, "Characters per token"),
    "Embeddings": (5, "Length of the vector"),
    "Context": (1, "Widest gap"),
    "Attention": (5, "Key/value head"),
    "Position": (3, "Highest score at distance"),
    "Forward pass": (6, "Length before the final norm"),
}


def _open(browser, url: str):  # noqa: F811
    return pagetools.open_page(browser, url, URL_PATH, timeout_s=400)


def _charts(page) -> int:
    """Plotly charts on screen (the open tab) that really drew something."""
    return pagetools.drawn_charts(page, visible_only=True)


def _no_exception(page) -> None:
    pagetools.no_exception(page)


def _main_text(page) -> str:
    return pagetools.main_text(page)


def _whole_page_screenshot(page, name: str) -> None:
    pagetools.whole_page_screenshot(page, name, settle_s=1.5, reset=True)


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_timeout(500)
    wait_until_idle(page, timeout_s=400)


def test_every_tab_draws_real_values(server, browser):  # noqa: F811
    page = _open(browser, server)
    try:
        for name, (figures, marker) in TABS.items():
            if name != "Tokens":
                _open_tab(page, name)
            _no_exception(page)
            text = _main_text(page)
            assert marker in text, f"{name}: {marker!r} not shown"
            assert "Something went wrong" not in text
            deadline = time.time() + 60
            while _charts(page) < figures and time.time() < deadline:
                page.wait_for_timeout(250)
            assert _charts(page) == figures, name
            _whole_page_screenshot(page, f"tokens-{name.lower().replace(' ', '-')}.png")
            if name == "Tokens":
                assert "35199" in page.locator('[data-testid="stPlotlyChart"]').first.inner_text()
            if name == "Attention":
                assert "75." in text  # 'it' -> 'animal' in layer 13, head 8
    finally:
        page.close()


def test_layer_slider_redraws_the_head_without_an_error(server, browser):  # noqa: F811
    page = _open(browser, server)
    try:
        _open_tab(page, "Attention")
        assert "layer 13, head 8" in _main_text(page)
        slider = page.get_by_role("slider", name="Layer")
        slider.focus()
        page.keyboard.press("ArrowLeft")  # layer 12
        page.wait_for_timeout(500)
        wait_until_idle(page)
        _no_exception(page)
        assert slider.get_attribute("aria-valuetext") == "12"
        assert "tok_att_layer=12" in page.url and "tok_tab=Attention" in page.url  # teacher mode: a link
        assert "layer 12, head 8" in _main_text(page)
        assert _charts(page) == TABS["Attention"][0]
    finally:
        page.close()


def test_html_in_the_text_stays_text(server, browser):  # noqa: F811
    page = _open(browser, server)
    try:
        box = page.locator('[data-testid="stTextArea"] textarea').first
        box.fill('<b id="injected">bold</b><img src=x onerror="window.__injected=1">')
        page.keyboard.press("Control+Enter")
        page.wait_for_timeout(500)
        wait_until_idle(page)
        _no_exception(page)
        assert page.locator("#injected").count() == 0
        assert page.evaluate("() => window.__injected === undefined")
        assert "SmolLM2 tokens" in _main_text(page)
    finally:
        page.close()

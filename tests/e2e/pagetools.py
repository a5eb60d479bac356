"""What the page-level browser tests share: open a page, count the charts that drew, check
for exceptions, read the main text, and save a screenshot of the whole page."""

from __future__ import annotations

import time

from tests.e2e.test_browser import SHOTS, wait_until_idle


def open_page(browser, url: str, url_path: str, query: str = "", timeout_s: float | None = None):
    """A new tab on ``url/url_path?query``, once its script has finished."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/{url_path}{query}", wait_until="domcontentloaded")
    if timeout_s is None:
        wait_until_idle(page)
    else:
        wait_until_idle(page, timeout_s=timeout_s)
    return page


def drawn_charts(page, visible_only: bool = False) -> int:
    """Plotly charts that really drew something (an SVG with a plot area); with
    ``visible_only``, only those on screen (the open tab)."""
    selector = '[data-testid="stPlotlyChart"]' + (":visible" if visible_only else "")
    return page.locator(selector).filter(has=page.locator(".main-svg")).count()


def no_exception(page, generic_too: bool = False) -> None:
    """No exception element; with ``generic_too``, no "Something went wrong" either."""
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()
    if generic_too:
        assert "Something went wrong" not in main_text(page)


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def whole_page_screenshot(page, name: str, max_height: int = 12000, settle_s: float = 1.0,
                          reset: bool = False) -> None:
    """The whole page in tests/e2e/screenshots/``name``: the viewport grows to the page's
    height (at most ``max_height``) and plotly gets ``settle_s`` to draw."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stAppViewContainer\"], section')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": int(min(max(height, 1000), max_height))})
    time.sleep(settle_s)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    if reset:
        page.set_viewport_size({"width": 1400, "height": 1000})

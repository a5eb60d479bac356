"""Browser tests of the reinforcement-learning page beyond the smoke test: every tab
draws its charts, a bad grid edited with clicks shows a message and the page recovers.
Screenshots (tall viewport, whole page) go to tests/e2e/screenshots/reinforcement-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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


def _set_cell(page, row: int, col: int, code: str) -> None:
    """Edit one cell of the grid editor as a user does: click it, type the code, Enter."""
    editor = page.locator('[data-testid="stDataFrame"]').first
    box = editor.bounding_box()
    n_cols = 8  # the default maze is 6 x 8; rows and the header are about 35 px high
    page.mouse.click(box["x"] + box["width"] / n_cols * (col + 0.5), box["y"] + 35 * (row + 1) + 17)
    page.wait_for_timeout(300)
    page.keyboard.type(code)  # opens the cell's selectbox filtered to this option
    page.locator('[role="option"]').filter(has_text=code).first.wait_for(timeout=30_000)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # leave the grid: the edit is sent and the script reruns
    page.wait_for_timeout(500)
    wait_until_idle(page)


def test_grid_editor_in_browser(server, browser):  # noqa: F811
    page = _open(browser, f"{server}/reinforcement")
    try:
        _set_cell(page, 0, 0, ".")  # remove the start
        expect(page.get_by_text("The grid needs exactly one start cell")).to_be_visible(timeout=30_000)
        _no_exception(page)
        _set_cell(page, 0, 0, "S")  # put it back: the page recovers
        _set_cell(page, 4, 5, "#")  # and a wall on the short way makes the path longer
        _no_exception(page)
        expect(page.locator('[data-testid="stAlert"]')).to_have_count(0, timeout=30_000)
        assert _charts(page) >= 5
        expect(page.get_by_text("One test episode of the greedy policy: 16 steps")).to_be_visible(
            timeout=30_000)
        # the edit survives a visit to another tab
        page.get_by_role("tab", name="Bandits").click()
        wait_until_idle(page)
        page.get_by_role("tab", name="Grid world & Gymnasium").click()
        wait_until_idle(page)
        expect(page.get_by_text("One test episode of the greedy policy: 16 steps")).to_be_visible(
            timeout=30_000)
        page.screenshot(path=str(SHOTS / "reinforcement-edited.png"), full_page=True)
    finally:
        page.close()


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

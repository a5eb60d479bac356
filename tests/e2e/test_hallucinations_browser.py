"""Browser tests of the hallucination page: a real `streamlit run`, Debian's Chromium.

Each test leaves a whole-page screenshot in tests/e2e/screenshots/ (look at them):
hallucinations-context.png (the window cuts the keeper's name away), hallucinations-needle.png
(a sweep up to 1,024 tokens with distractors as a heatmap, a clicked cell's prompt with the needle
highlighted), hallucinations-middle.png (the lost-in-the-middle curve with the closed-book
line), hallucinations-probe.png (an answer with and without retrieval, its tokens coloured
by probability, its samples grouped by meaning)."""

from __future__ import annotations

import re
import time

import pytest

from playground.pages import available_pages
from tests.e2e import pagetools
from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
URL_PATH = next(p.url_path for p in available_pages() if p.file == "pages/hallucinations.py")
LONG = 900  # seconds: a sweep on a busy 2-core machine
# The browser tests run each computation at a small size set by a teacher's link (the unit
# tests in tests/test_hallucinations_page.py run the page's defaults and check its claims):
# the sweep up to 1,024 tokens (4 lengths x 5 depths), lost in the middle with 3 documents and
# 5 questions, 2 samples per probe answer.
NEEDLE = "?hal_tab=Needle+in+a+haystack&hal_nih_longest=1024"
MIDDLE = "?hal_tab=Lost+in+the+middle&hal_lim_docs=3&hal_lim_questions=5"
PROBE = "?hal_tab=Probe+questions&hal_pq_samples=2"


def _open(browser, url: str, query: str = ""):  # noqa: F811
    return pagetools.open_page(browser, url, URL_PATH, query)


def _charts(page) -> int:
    return pagetools.drawn_charts(page)


def _no_exception(page) -> None:
    pagetools.no_exception(page, generic_too=True)


def _main(page) -> str:
    return pagetools.main_text(page)


def _screenshot(page, name: str) -> None:
    pagetools.whole_page_screenshot(page, name)


def test_the_window_cuts_the_keeper_away(server, browser):  # noqa: F811
    page = _open(browser, server, "?hal_cw_window=1024")  # a teacher's link sets the window
    try:
        _no_exception(page)
        assert "1,098 tokens" in _main(page) and "74 tokens" in _main(page)
        assert _charts(page) == 1  # the window bar
        page.get_by_role("button", name="Ask", exact=True).click()
        page.get_by_text("Window of 1,024 tokens").wait_for(timeout=LONG * 1000)
        wait_until_idle(page, timeout_s=LONG)
        _no_exception(page)
        text = _main(page)
        assert "(Ada Linwood): yes" in text and "(Ada Linwood): no" in text
        _screenshot(page, "hallucinations-context.png")
    finally:
        page.close()


def test_needle_sweep_heatmap_and_a_clicked_cell(server, browser):  # noqa: F811
    page = _open(browser, server, NEEDLE)
    try:
        page.get_by_test_id("stCheckbox").get_by_text("Distractors", exact=True).click()  # the toggle
        page.wait_for_timeout(500)
        wait_until_idle(page)
        start = time.time()
        page.get_by_role("button", name="Run the sweep").click()
        page.get_by_text(re.compile(r"Found in \d+ of 20 cells")).wait_for(timeout=LONG * 1000)
        wait_until_idle(page, timeout_s=LONG)
        print(f"sweep up to 1,024 tokens with distractors in the browser: {time.time() - start:.0f} s")
        _no_exception(page)
        assert _charts(page) == 1
        summary = page.get_by_text(re.compile(r"Found in \d+ of 20 cells")).inner_text()
        print(summary)
        # click the cell at 1,024 tokens, depth 0 %: its prompt replaces the default one
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        chart.scroll_into_view_if_needed()
        points = chart.locator("g.points path.point")
        assert points.count() == 20
        box = points.nth(15).bounding_box()  # row 4 (1,024), column 1 (0 %)
        middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.move(box["x"] + 4, box["y"] + 4)
        page.mouse.move(*middle, steps=4)  # as a user moves onto the cell: its hover shows the answer
        page.wait_for_timeout(500)
        hover = " ".join(layer.text_content() or "" for layer in page.locator(".hoverlayer").all())
        assert "needle at 0%" in hover and "log p(right answer)" in hover
        page.mouse.click(*middle)
        page.wait_for_timeout(1500)
        wait_until_idle(page)
        _no_exception(page)
        select = page.locator('[data-testid="stSelectbox"]').filter(has_text="Show the prompt of").locator("input")
        assert select.input_value() == "1,024 tokens · needle at 0%"
        assert "hal_nih_cell=1024%400" in page.url  # the clicked cell is in the address (teacher mode)
        text = _main(page)
        assert "Around the needle:" in text
        assert "The secret password for the harbour gate is blue pelican." in text
        # the needle is highlighted (a coloured background), not shown as markup
        marked = page.locator('[data-testid="stMarkdownContainer"] span').filter(
            has_text="The secret password for the harbour gate is blue pelican.")
        assert marked.count() >= 1
        assert ":green-background" not in _main(page)
        _screenshot(page, "hallucinations-needle.png")
    finally:
        page.close()


def test_lost_in_the_middle_curve(server, browser):  # noqa: F811
    page = _open(browser, server, MIDDLE)
    try:
        page.get_by_role("button", name="Run", exact=True).click()
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=LONG * 1000)
        wait_until_idle(page, timeout_s=LONG)
        _no_exception(page)
        assert _charts(page) == 1
        assert "closed book (no documents): 0%" in page.locator('[data-testid="stPlotlyChart"]').first.text_content()
        _screenshot(page, "hallucinations-middle.png")
    finally:
        page.close()


def test_probe_answer_with_uncertainty_colouring(server, browser):  # noqa: F811
    page = _open(browser, server, PROBE)
    try:
        page.get_by_test_id("stCheckbox").get_by_text("Retrieval", exact=True).click()  # the toggle
        page.wait_for_timeout(500)
        wait_until_idle(page)
        page.get_by_role("button", name="Ask", exact=True).click()
        page.get_by_text("With retrieval", exact=True).wait_for(timeout=LONG * 1000)
        wait_until_idle(page, timeout_s=LONG)
        _no_exception(page)
        text = _main(page)
        assert "Without retrieval" in text and "Semantic entropy" in text and "Retrieved passages" in text
        assert _charts(page) == 2  # one token strip per answer
        # hover the first token of the first strip: probability, entropy and alternatives
        strip = page.locator('[data-testid="stPlotlyChart"]').first
        strip.scroll_into_view_if_needed()
        # what the hover box shows, read from the chart the browser drew (plotly's own data)
        hover = strip.locator(".js-plotly-plot").first.evaluate(
            "gd => JSON.stringify(gd.data.map(t => [t.hovertext, t.hovertemplate, t.customdata, t.text]))")
        assert "entropy" in hover and "top tokens at this step" in hover, hover[:500]
        _screenshot(page, "hallucinations-probe.png")
    finally:
        page.close()


def test_html_in_an_own_question_stays_text(server, browser):  # noqa: F811
    page = _open(browser, server, "?hal_tab=Probe+questions&hal_pq_category=Your+own")
    try:
        box = page.locator('[data-testid="stTextInput"] input').first
        box.fill('<img src=x onerror="window.__injected=1"> Who is <b id="injected">Jimmy</b>?')
        box.press("Enter")
        page.wait_for_timeout(500)
        wait_until_idle(page)
        _no_exception(page)
        assert page.locator("#injected").count() == 0
        assert page.evaluate("() => window.__injected === undefined")
    finally:
        page.close()

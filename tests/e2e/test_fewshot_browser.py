"""Browser tests of the few-shot vs fine-tune page: the comparison with real numbers,
a method run live from its button, the epochs slider moved by keyboard.

Screenshots (whole page): tests/e2e/screenshots/fewshot-comparison.png (as it opens) and
fewshot-live.png (after the live run and the slider); fewshot-bad-csv.png (a one-label CSV's
message)."""

from __future__ import annotations

import re

import pytest

from playground.pages import available_pages
from tests.e2e import pagetools
from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
URL_PATH = next(p.url_path for p in available_pages() if p.file == "pages/fewshot.py")


def _open(browser, url: str):  # noqa: F811
    return pagetools.open_page(browser, url, URL_PATH, timeout_s=300)


def _charts(page) -> int:
    return pagetools.drawn_charts(page)


def _no_exception(page) -> None:
    pagetools.no_exception(page)


def _whole_page_screenshot(page, name: str) -> None:
    pagetools.whole_page_screenshot(page, name, max_height=16000, settle_s=1.5)


def test_comparison_with_real_numbers_then_a_live_run(server, browser):  # noqa: F811
    page = _open(browser, server)
    try:
        _no_exception(page)
        main = page.locator('[data-testid="stMain"]')
        text = main.inner_text()
        assert "Every method at 8 examples per class, seed 0" in text
        summary = re.search(r"Most accurate here: (.+?) at (\d+)%", text)
        assert summary and int(summary.group(2)) > 80, text[:2000]
        assert "precomputed" in text and "python -m playground.fewshot.precompute" in text
        assert _charts(page) >= 8  # curves, cost, label scores, orders, loss, confusions
        _whole_page_screenshot(page, "fewshot-comparison.png")
        page.set_viewport_size({"width": 1400, "height": 1000})

        # run one cheap method live from its button
        box = page.locator(".st-key-fs_run_method").locator('[role="combobox"]').first
        box.click()
        box.press_sequentially("MiniLM embeddings", delay=30)  # the list is virtual: filter it, as a user can
        option = page.locator('[role="option"]').filter(has_text="MiniLM embeddings + LR").first
        option.wait_for(timeout=30_000)
        option.click()
        page.wait_for_timeout(300)
        wait_until_idle(page)
        page.locator(".st-key-fs_run button").click()
        page.get_by_text(re.compile(r"MiniLM embeddings \+ LR at \d+% \(live\)")).first.wait_for(timeout=300_000)
        wait_until_idle(page, timeout_s=300)
        _no_exception(page)

        # the epochs slider, by keyboard as a user can: LoRA to 12 epochs
        slider = page.locator(".st-key-fs_epochs_lora").get_by_role("slider")
        slider.focus()
        page.keyboard.press("Home")
        page.wait_for_timeout(500)
        wait_until_idle(page)
        for _ in range(10):  # a rerun can redraw the slider between key presses: press on to 12
            value = int(slider.get_attribute("aria-valuetext") or 0)
            if value == 12:
                break
            slider.focus()
            for _ in range(abs(12 - value)):
                page.keyboard.press("ArrowRight" if value < 12 else "ArrowLeft")
            page.wait_for_timeout(700)
            wait_until_idle(page)
        assert slider.get_attribute("aria-valuetext") == "12"
        text = main.inner_text()
        assert "At epoch 12" in text and "Lowest validation loss" in text
        _no_exception(page)
        _whole_page_screenshot(page, "fewshot-live.png")
    finally:
        page.close()


def test_a_bad_csv_gets_a_clear_message_and_the_page_stays_usable(server, browser):  # noqa: F811
    """Upload a CSV whose labels are all the same: a clear message, no exception; back to the
    shipped task, the comparison is there again. Screenshot: fewshot-bad-csv.png."""
    page = _open(browser, server)
    try:
        page.locator(".st-key-fs_source").get_by_text("your CSV").click()
        wait_until_idle(page)
        one_label = "review,sentiment\n" + "".join(f"fine product {i},positive\n" for i in range(12))
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            files=[{"name": "one-label.csv", "mimeType": "text/csv", "buffer": one_label.encode()}])
        page.get_by_text(re.compile("needs at least two labels")).first.wait_for(timeout=120_000)
        wait_until_idle(page)
        _no_exception(page)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "fewshot-bad-csv.png"), full_page=False)
        page.locator(".st-key-fs_source").get_by_text("customer messages (shipped)").click()
        wait_until_idle(page, timeout_s=300)
        _no_exception(page)
        assert "Every method at 8 examples per class, seed 0" in page.locator('[data-testid="stMain"]').inner_text()
    finally:
        page.close()

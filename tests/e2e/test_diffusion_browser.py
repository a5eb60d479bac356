"""Browser test of the diffusion page beyond the smoke test: the default render has
sampled a grid of digits; uploads that are not pictures give a clear message and a
transparent PNG is composited and said; the page stays usable.
Screenshots go to tests/e2e/screenshots/diffusion-*.png."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def _no_exception(page) -> None:
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()


def _upload(page, name: str, mime: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.wait_for_timeout(500)
    wait_until_idle(page)


def test_diffusion_page_in_browser(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{server}/diffusion", wait_until="domcontentloaded")
    wait_until_idle(page)
    try:
        _no_exception(page)
        main = page.locator('[data-testid="stMain"]')
        verdict = main.get_by_text("The digit classifier (trained on the real digits) reads")
        expect(verdict).to_be_visible(timeout=60_000)
        assert main.locator('[data-testid="stImage"] img').count() >= 16 + 3, "the sample grid is drawn"
        assert main.locator('[data-testid="stPlotlyChart"] .main-svg').count() >= 3

        main.get_by_text("my own picture").click()
        wait_until_idle(page)
        _upload(page, "notes.txt", "text/plain", b"this is not a picture\n")
        expect(main.get_by_text("is not an image this page can read")).to_be_visible(timeout=30_000)
        _no_exception(page)

        img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
        img.paste((20, 20, 20, 255), (28, 8, 38, 56))  # a dark stroke on a transparent background
        buf = io.BytesIO()
        img.save(buf, "PNG")
        _upload(page, "stroke.png", "image/png", buf.getvalue())
        expect(main.get_by_text("they were filled with white")).to_be_visible(timeout=30_000)
        expect(main.get_by_text("x0: your picture (stroke.png)")).to_be_visible(timeout=30_000)
        _no_exception(page)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "diffusion-upload.png"), full_page=True)
    finally:
        page.close()

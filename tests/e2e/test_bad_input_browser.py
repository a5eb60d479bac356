"""Browser part of the bad-input sweep (tests/test_bad_input.py): a file that is not what
the uploader asks for, sent to every file uploader of the app as a user would (the file
chooser of a real Chromium). Each page answers with a clear message, shows no
traceback, and stays usable. Screenshots: tests/e2e/screenshots/bad-upload-*.png."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _no_exception(page) -> None:
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()


def _choose(page, label: str, option: str) -> None:
    """Pick an option of the selectbox with this label, as a user does."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.locator(
        '[role="combobox"]').first.click()
    page.locator('[role="option"]').filter(has_text=option).first.click()
    page.wait_for_timeout(300)
    wait_until_idle(page)


def _upload(page, name: str, mime: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.wait_for_timeout(500)
    wait_until_idle(page)


# page, how to show its uploader, the file, the message the page must show
CASES = [
    ("supervised", lambda p: _choose(p, "Data set", "your CSV file"),
     ("photo.png", "image/png", _png()), "This file is not a CSV"),
    ("gan", lambda p: _choose(p, "Data set", "Upload a CSV of points"),
     ("photo.csv", "text/csv", _png()), "This file is not a CSV text file"),
    ("diffusion", lambda p: (p.get_by_text("my own picture").click(), wait_until_idle(p)),
     ("people.csv", "text/csv", b"name,age\nada,36\n"), "is not an image this page can read"),
]


@pytest.mark.parametrize("url_path,show,upload,message", CASES, ids=[c[0] for c in CASES])
def test_a_file_of_the_wrong_kind_gets_a_message(server, browser, url_path, show, upload,  # noqa: F811
                                                 message):
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{server}/{url_path}", wait_until="domcontentloaded")
    wait_until_idle(page)
    try:
        _no_exception(page)
        show(page)
        _upload(page, *upload)
        expect(page.get_by_text(message).first).to_be_visible(timeout=60_000)
        _no_exception(page)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"bad-upload-{url_path}.png"), full_page=True)
    finally:
        page.close()

"""Browser tests: Playwright drives Debian's headless Chromium against a real
`streamlit run Home.py`, visits every page, waits for the script to finish,
asserts that no exception is on screen and saves a screenshot per page in
tests/e2e/screenshots/ (look at them)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from playground.pages import ROOT, available_pages

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(log_name: str = "streamlit.log"):
    """A real `streamlit run Home.py` on a free port; yields its URL."""
    port = _free_port()
    SHOTS.mkdir(exist_ok=True)
    with open(SHOTS / log_name, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.time() + 60
            while True:
                try:
                    if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                        break
                except OSError:
                    if time.time() > deadline:
                        pytest.fail("streamlit did not start within 60 s")
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server():
    with serve() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def wait_until_idle(page, timeout_s: float = 240.0, quiet_s: float = 2.0) -> None:
    """Wait until the app is connected, has drawn its page and its script has
    stopped running (no status widget, no skeleton, no spinner) for a while."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    deadline = time.time() + timeout_s
    quiet_since = None
    busy = ('[data-testid="stStatusWidget"], [data-testid="stSkeleton"], '
            '[data-testid="stSpinner"], [data-testid="stAppSkeleton"], [data-testid="stProgress"]')
    while time.time() < deadline:
        drawn = page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').count() > 0
        if not drawn or page.locator(busy).count() > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since >= quiet_s:
            return
        time.sleep(0.25)
    raise AssertionError(f"the page was still running after {timeout_s:.0f} s")


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url, wait_until="domcontentloaded")
    wait_until_idle(page)
    return page


def check_page(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    # Streamlit scrolls inside its own container: grow the viewport to the content first
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stAppViewContainer\"], section')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": int(min(max(height, 1000), 12000))})
    time.sleep(0.5)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert page.locator('[data-testid="stMain"]').inner_text().strip(), "the page is blank"


@pytest.mark.parametrize("spec", available_pages(), ids=lambda s: s.url_path)
def test_page_in_browser(server, browser, spec):
    path = "" if spec.url_path == "home" else spec.url_path  # Home is the default page: "/"
    page = open_page(browser, f"{server}/{path}")
    try:
        check_page(page, spec.url_path)
        if spec.url_path == "home":
            assert "embedded package" in page.locator('[data-testid="stMain"]').inner_text()
    finally:
        page.close()


def test_sidebar_model_setting_falls_back_on_screen(server, browser):
    """Type a model id that cannot be fetched offline: Home says so and keeps working."""
    page = open_page(browser, server + "/")
    try:
        box = page.locator('[data-testid="stSidebar"] input[aria-label="Language model"]')
        box.fill("example-org/not-a-real-model")
        box.press("Enter")
        page.get_by_role("button", name="Use this model").click()
        page.get_by_text("Could not load 'example-org/not-a-real-model'").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        check_page(page, "home-fallback")
    finally:
        page.close()


def test_first_visit_of_a_fresh_server_by_deep_link_gets_the_whole_app(browser):
    """The very first request of a new server goes to a page, not to Home: the page
    still runs inside Home.py's navigation (grouped sections, shared sidebar)."""
    spec = available_pages()[-1]
    with serve("streamlit-deeplink.log") as url:
        page = open_page(browser, f"{url}/{spec.url_path}")
        try:
            sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
            assert "Compute" in sidebar  # Home.py's shared sidebar ran
            assert spec.group in sidebar  # grouped navigation, not a plain file list
            assert spec.title in page.locator('[data-testid="stMain"]').inner_text()
        finally:
            page.close()

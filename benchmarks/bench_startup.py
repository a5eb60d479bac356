"""Seconds until `streamlit run Home.py` serves Home, beside a one-line Streamlit
app started the same way in the same run.

    .venv/bin/python benchmarks/bench_startup.py

Two figures each: the server answering HTTP, and Home drawn in headless
Chromium (the script has run to the end) when Debian's chromium is installed."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _util import ROOT, header, row

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(script: Path, marker: str, browser) -> tuple[float, float]:
    port = _port()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        served = time.perf_counter() - start
        drawn = float("nan")
        if browser is not None:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text(marker).first.wait_for(timeout=120_000)
            drawn = time.perf_counter() - start
            page.close()
        return served, drawn
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text("import streamlit as st\nst.write('Hello')\n")
        browser = ctx = None
        if Path(CHROMIUM).exists():
            from playwright.sync_api import sync_playwright

            ctx = sync_playwright().start()
            browser = ctx.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ours, base = [], []
        for _ in range(3):
            ours.append(measure(ROOT / "Home.py", "Status", browser))
            base.append(measure(hello, "Hello", browser))
        header("Startup (median of 3)")
        print(row("`streamlit run Home.py` until HTTP 200", statistics.median(o[0] for o in ours),
                  statistics.median(b[0] for b in base), "s", "one-line app", "budget < 5 s"))
        print(row("... until Home is drawn in Chromium", statistics.median(o[1] for o in ours),
                  statistics.median(b[1] for b in base), "s", "one-line app drawn"))
        if browser is not None:
            browser.close()
            ctx.stop()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()

"""Every page in the navigation runs in AppTest without an exception."""

import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT, available_pages


@pytest.mark.parametrize("spec", available_pages(), ids=lambda s: s.url_path)
def test_page_runs(spec):
    # Home links to the other pages, which exist only inside Home.py's navigation
    script = ROOT / "Home.py" if spec.url_path == "home" else spec.path
    at = AppTest.from_file(str(script), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title or at.markdown, "the page drew nothing"


def test_home_navigation_lists_every_page():
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    # the status panel shows the default LLM, loaded from the embedded package on this device
    text = " ".join(m.value for m in at.markdown)
    assert "**SmolLM2-135M-Instruct** · language model" in text
    assert "Source: **embedded package**" in text
    assert "Device: **cpu**" in text

"""Home: the status panel and the sidebar's model setting, driven through AppTest."""

from streamlit.testing.v1 import AppTest

from playground.config import get_settings
from playground.models import llm as llm_module
from playground.pages import ROOT, available_pages
from playground.ui.models import LLM_KEY


def _home() -> AppTest:
    return AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)


def _status_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_home_has_a_card_per_page_and_the_device():
    at = _home().run()
    assert not at.exception
    text = _status_text(at)
    assert "**Device:** CPU" in text
    captions = " ".join(c.value for c in at.caption)
    for spec in available_pages()[1:]:
        assert spec.question in captions


# AppTest reruns a st.navigation app's page file without its entry point, so the
# sidebar button itself is clicked in the browser test (tests/e2e); here the session
# already holds the choice the button stores.


def test_a_session_can_swap_the_model_to_a_local_folder():
    at = _home()
    at.session_state[LLM_KEY] = str(llm_module.converted_dir(get_settings()))
    at.run()
    assert not at.exception
    assert "Source: **local folder**" in _status_text(at)


def test_unreachable_model_falls_back_with_a_note_on_screen():
    at = _home()
    at.session_state[LLM_KEY] = "example-org/not-a-real-model"
    at.run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "Could not load 'example-org/not-a-real-model'" in warnings
    assert "Source: **embedded package**" in _status_text(at)

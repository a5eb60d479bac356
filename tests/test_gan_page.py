"""The GAN page in AppTest: the default view shows a GAN mid-training and the digits
grid; Step, +100, Play and Reset move the step counter and the losses; settings
rebuild the GAN; bad uploads get a clear message; the digits controls change the
output. A Playwright check clicks Play in a real browser and keeps screenshots."""

from __future__ import annotations

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT

PAGE = str(ROOT / "pages" / "gan.py")


def _app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=300)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _step(at: AppTest) -> int:
    return int(_metric(at, "step").replace(",", ""))


@pytest.fixture(scope="module")
def first() -> AppTest:
    at = _app().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_default_view_shows_a_gan_mid_training(first):
    assert _step(first) == 300
    assert _metric(first, "modes covered").endswith("/8")
    float(_metric(first, "D loss"))  # a real number
    assert len(first.get("plotly_chart")) == 3  # points + surface + arrows, losses, coverage
    assert any("300 training steps" in c.value for c in first.caption)


def test_step_and_hundred_steps_advance_the_counter_and_losses():
    at = _app().run()
    d0, g0 = _metric(at, "D loss"), _metric(at, "G loss")
    at.button(key="gan2d_step").click().run()
    assert _step(at) == 301
    at.button(key="gan2d_step100").click().run()
    assert _step(at) == 401
    assert (_metric(at, "D loss"), _metric(at, "G loss")) != (d0, g0)
    gan = at.session_state["gan2d_gan"]
    assert len(gan.history.d_loss) == 401 and gan.history.eval_step[-1] == 400


def _play_until_stopped(at: AppTest, timeout_s: float = 120) -> AppTest:
    """What the fragment's timer does in a browser: ask for frames while playing."""
    deadline = time.time() + timeout_s
    while at.session_state["gan2d_playing"] and time.time() < deadline:
        time.sleep(0.2)
        at.run()
    return at


def test_play_trains_until_the_step_limit(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_TRAINING_STEPS", "360")
    at = _app().run()
    d0 = _metric(at, "D loss")
    at.button(key="gan2d_play").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="gan2d_play").disabled and not at.button(key="gan2d_pause").disabled
    _play_until_stopped(at)
    assert not at.exception, [e.value for e in at.exception]
    assert _step(at) == 360
    assert _metric(at, "D loss") != d0
    assert at.button(key="gan2d_play").disabled and at.button(key="gan2d_step").disabled
    assert any("Reached the limit of 360 steps" in i.value for i in at.info)
    assert at.session_state["gan2d_playing"] is False
    at.button(key="gan2d_reset_btn").click().run()
    assert _step(at) == 0
    assert not at.button(key="gan2d_play").disabled


def test_pause_stops_training():
    at = _app().run()
    at.button(key="gan2d_play").click().run()
    deadline = time.time() + 60
    while at.session_state["gan2d_gan"].step < 350 and time.time() < deadline:
        time.sleep(0.1)
    at.button(key="gan2d_pause").click().run()
    paused = _step(at)
    assert paused >= 350 and not at.session_state["gan2d_playing"]
    time.sleep(0.5)
    at.run()
    assert _step(at) == paused == at.session_state["gan2d_gan"].step
    gan = at.session_state["gan2d_gan"]
    assert len(gan.history.g_loss) == paused  # the losses advanced with the steps


def test_changing_a_setting_rebuilds_the_gan():
    at = _app().run()
    at.selectbox(key="gan2d_loss").set_value("wgan_gp").run()
    assert _step(at) == 0
    assert any("Step 0" in c.value for c in at.caption)
    at.button(key="gan2d_step").click().run()
    assert _step(at) == 1
    at.selectbox(key="gan2d_dataset").set_value("moons").run()
    assert _step(at) == 0
    assert _metric(at, "real points covered").endswith("%")


def test_settings_and_training_survive_a_tab_switch():
    at = _app().run()
    at.select_slider(key="gan2d_g_lr").set_value(1e-2).run()
    at.button(key="gan2d_step100").click().run()
    assert _step(at) == 100
    at.session_state["gan_tab"] = "Digits DCGAN"
    at.run()
    at.session_state["gan_tab"] = "Live 2D GAN"
    at.run()
    assert at.select_slider(key="gan2d_g_lr").value == 1e-2
    assert _step(at) == 100


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.selectbox(key="gan2d_dataset").set_value("upload").run()
    at.file_uploader(key="gan2d_upload").upload(name, data, "text/csv")
    return at.run()


BAD_UPLOADS = [
    ("points.csv", b"x,y\n" + b"1,2\n" * 25 + b"one,2\n", "not a number"),
    ("points.csv", b"x,y\n1,2\n3,4\n", "at least 20"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(100), "not a CSV"),
    ("wide.csv", b"a,b,c\n" + b"1,2,3\n" * 30, "exactly two numeric columns"),
]


def test_bad_uploads_show_a_message_and_the_page_stays_usable():
    at = _app().run()
    for name, data, message in BAD_UPLOADS:
        at = _upload(at, name, data)
        assert not at.exception, [e.value for e in at.exception]
        assert len(at.error) == 1 and message in at.error[0].value, [e.value for e in at.error]
        assert "Something went wrong" not in at.error[0].value
        assert at.selectbox(key="gan2d_loss") is not None  # the settings are still there
    at.selectbox(key="gan2d_dataset").set_value("ring").run()
    assert not at.error and _step(at) == 300  # back to the GAN it had before


def test_a_good_upload_trains():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(200, 2)) * [5, 1]
    data = ("x,y\n" + "\n".join(f"{a:.3f},{b:.3f}" for a, b in pts)).encode()
    at = _upload(_app().run(), "mine.csv", data)
    assert not at.error and _step(at) == 0
    at.button(key="gan2d_step100").click().run()
    assert _step(at) == 100 and _metric(at, "real points covered").endswith("%")
    at.session_state["gan_tab"] = "Digits DCGAN"
    at.run()
    at.session_state["gan_tab"] = "Live 2D GAN"
    at.run()  # the uploader is drawn empty again, but the points and the GAN are kept
    assert _step(at) == 100 and any("mine.csv, uploaded before" in c.value for c in at.caption)


def _digits(at: AppTest) -> AppTest:
    at.session_state["gan_tab"] = "Digits DCGAN"
    return at.run()


def test_digits_tab_shows_samples_checked_by_the_classifier():
    at = _digits(_app())
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 4  # grid, moved digit, direction strips, interpolation
    agree = next(c.value for c in at.caption if "classifier agrees" in c.value)
    share = int(agree.split("digit on ")[1].split("%")[0])
    assert share >= 70, agree  # chance is 10%


def test_toy_vs_stylegan_tab():
    at = _app()
    at.session_state["gan_tab"] = "Toy GAN vs. StyleGAN"
    at.run()
    assert not at.exception
    assert any("StyleGAN" in m.value and "mapping" in m.value for m in at.markdown)


@pytest.mark.slow
def test_digits_controls_change_the_output():
    at = _digits(_app())

    grid0 = [c.proto.spec for c in at.get("plotly_chart")]
    at.number_input(key="gan_digits_seed").set_value(5).run()
    grid1 = [c.proto.spec for c in at.get("plotly_chart")]
    assert grid1 != grid0
    label = at.slider(key="gan_digits_dir0").label
    at.segmented_control(key="gan_digits_label").set_value(7).run()
    assert not at.exception
    assert at.slider(key="gan_digits_dir0").label != label  # strengths differ per digit
    before = [c.proto.spec for c in at.get("plotly_chart")]
    at.slider(key="gan_digits_dir0").set_value(2.5).run()
    after = [c.proto.spec for c in at.get("plotly_chart")]
    assert sum(a != b for a, b in zip(before, after)) >= 1
    at.selectbox(key="gan_digits_label_b").set_value(1).run()
    assert not at.exception


# ---- in a real browser ------------------------------------------------------------------

try:  # the shared browser-test fixtures (a real `streamlit run`, headless chromium)
    from tests.e2e.test_browser import SHOTS, browser, server, wait_until_idle  # noqa: F401
except ImportError:  # pragma: no cover
    server = browser = None


def _step_text(page) -> int:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="step").first
    return int(metric.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))


@pytest.mark.e2e
@pytest.mark.slow
def test_play_pause_in_the_browser(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1800})  # the whole live view
    try:
        page.goto(f"{server}/gan", wait_until="domcontentloaded")
        wait_until_idle(page)
        assert _step_text(page) == 300
        page.get_by_role("button", name="Play", exact=True).click()
        deadline = time.time() + 60
        while time.time() < deadline and _step_text(page) < 400:
            time.sleep(0.5)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "gan_training.png"), full_page=True)
        page.get_by_role("button", name="Pause", exact=True).click()
        wait_until_idle(page)
        paused_at = _step_text(page)
        assert paused_at >= 400
        time.sleep(1.5)
        assert _step_text(page) == paused_at  # paused means paused
        assert page.locator('[data-testid="stException"]').count() == 0
        page.get_by_role("tab", name="Digits DCGAN").click()
        time.sleep(1.0)
        wait_until_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(SHOTS / "gan_digits.png"), full_page=True)
    finally:
        page.close()

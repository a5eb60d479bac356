"""AppTest interactions with the diffusion page: its main controls change what it shows."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT
from tests.tiny_sd import build_tiny_sd

PAGE = str(ROOT / "pages" / "diffusion.py")


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def at(monkeypatch) -> AppTest:
    monkeypatch.delenv("PLAYGROUND_DIFFUSION_PIPELINE", raising=False)
    return _run(AppTest.from_file(PAGE, default_timeout=300))


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _hits(at: AppTest) -> int:
    m = re.search(r"reads the requested digit in \*\*(\d+) of 16\*\*", _text(at))
    assert m, "the verdict of the classifier is missing"
    return int(m.group(1))


def _samples(at: AppTest) -> list[str]:
    """Captions of the 16 samples ("asked 3 · reads 3")."""
    for image in at.image:
        if len(image.captions) == 16:
            return image.captions
    raise AssertionError("no grid of 16 samples on the page")


def _caption_with(at: AppTest, start: str) -> str:
    for image in at.image:
        for caption in image.captions:
            if caption.startswith(start):
                return caption
    raise AssertionError(f"no image caption starts with {start!r}")


def test_default_render_samples_a_grid(at):
    assert [c.split(" · ")[0] for c in _samples(at)] == [f"asked {i % 10}" for i in range(16)]
    assert _hits(at) >= 12
    assert "x_{250}" in at.latex[0].value
    assert any("PLAYGROUND_DIFFUSION_PIPELINE" in i.value for i in at.info), "says how to enable text-to-image"
    assert "pixel space" in _text(at) and "latent space" in _text(at)


def test_forward_process_controls(at):
    at.slider(key="diff_t").set_value(500)
    _run(at)
    assert "**0.492** of the signal" in _text(at)  # cosine
    assert _caption_with(at, "x_t at t").endswith("500")
    at.radio(key="diff_schedule").set_value("linear")
    _run(at)
    assert "**0.078** of the signal" in _text(at)
    at.number_input(key="diff_index").set_value(5)
    _run(at)
    assert _caption_with(at, "x0:") == "x0: digit #5 (a 5)"


def test_guidance_and_class(at):
    at.slider(key="diff_guidance").set_value(0.0)
    _run(at)
    assert _hits(at) <= 6, "without guidance the label is ignored"
    at.slider(key="diff_guidance").set_value(3.0)
    at.selectbox(key="diff_class").set_value("7")
    _run(at)
    assert all(c.startswith("asked 7") for c in _samples(at))
    assert _hits(at) >= 12


def test_sampler_steps_and_scrubbing(at):
    at.selectbox(key="diff_sampler").set_value("DPM-Solver++")
    at.slider(key="diff_steps").set_value(10)
    _run(at)
    assert "10 steps of DPM-Solver++" in _text(at)
    assert at.slider(key="diff_traj_step").max == 10
    at.slider(key="diff_traj_step").set_value(1)
    _run(at)
    assert "at step 1 (t = 900," in _caption_with(at, "x_t: the model's input")
    at.slider(key="diff_traj_step").set_value(10)
    _run(at)
    last = _caption_with(at, "x_t: the model's input")
    assert "at step 10 (t = " in last and int(re.search(r"t = (\d+)", last).group(1)) <= 100
    at.selectbox(key="diff_sampler").set_value("Euler")
    _run(at)
    assert "10 steps of Euler" in _text(at)


def test_points_2d_dataset_and_live_training(at):
    before = _text(at)
    assert "Model: **shipped weights**, 5000 training steps" in before
    at.selectbox(key="diff_pts_data").set_value("spiral")
    _run(at)
    assert _text(at) != before
    at.number_input(key="diff_pts_train_steps").set_value(200)
    at.button(key="diff_pts_train").click()
    _run(at)
    assert "Model: **trained live**, 200 training steps" in _text(at)
    at.slider(key="diff_pts_step").set_value(0)
    _run(at)
    assert "after step 0" in _text(at)
    at.button(key="diff_pts_reset").click()
    _run(at)
    _run(at)
    assert "Model: **shipped weights**" in _text(at)


def test_training_limit_from_settings(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_TRAINING_STEPS", "50")
    at = _run(AppTest.from_file(PAGE, default_timeout=300))
    assert at.number_input(key="diff_pts_train_steps").value == 50
    assert at.number_input(key="diff_pts_train_steps").max == 50


@pytest.mark.slow
def test_text_to_image_when_configured(monkeypatch, tmp_path):
    folder = build_tiny_sd(tmp_path / "tiny-sd")
    monkeypatch.setenv("PLAYGROUND_DIFFUSION_PIPELINE", str(folder))
    at = _run(AppTest.from_file(PAGE, default_timeout=300))
    assert any("no GPU" in w.value for w in at.warning)
    at.text_area(key="diff_prompt").set_value("a small red house")
    at.slider(key="diff_t2i_steps").set_value(6)
    at.button(key="diff_t2i_go").click()
    _run(at)
    assert _caption_with(at, "final picture")
    assert _caption_with(at, "after step 1") or _caption_with(at, "after step")
    # an empty prompt gives a message, not a traceback
    at.text_area(key="diff_prompt").set_value("  ")
    at.button(key="diff_t2i_go").click()
    _run(at)
    assert any("Type a prompt" in e.value for e in at.error)

"""Diffusion logic: the forward process against diffusers, the shipped digit model
(checked by a classifier trained on the real digits), every sampler, 2D points,
uploads, and the text-to-image loader on a tiny random-weight pipeline."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import torch
from PIL import Image

from playground.config import Settings
from playground.diffusion import digits, evaluate, images, points2d, text2image
from playground.diffusion import schedule as sch
from playground.errors import UserInputError
from tests.tiny_sd import build_tiny_sd

# 4 of each digit
LABELS = np.repeat(np.arange(10), 4)


# ---- forward process ------------------------------------------------------------------


@pytest.mark.parametrize("schedule", list(sch.SCHEDULES))
def test_add_noise_equals_diffusers(schedule):
    scheduler = sch.noise_scheduler(schedule)
    g = torch.Generator().manual_seed(0)
    x0 = images.real_digits()[0][:8]  # (8, 1, 16, 16)
    noise = torch.randn(x0.shape, generator=g)
    t = torch.tensor([0, 1, 50, 250, 500, 750, 998, 999])
    ours = sch.add_noise(x0, noise, t, sch.alpha_bars(schedule))
    theirs = scheduler.add_noise(x0, noise, t)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_schedules_are_diffusers_beta_schedules():
    assert sch.noise_scheduler("linear").config.beta_schedule == "linear"
    assert sch.noise_scheduler("cosine").config.beta_schedule == "squaredcos_cap_v2"
    for name in sch.SCHEDULES:
        ab = sch.alpha_bars(name)
        assert ab.shape == (1000,)
        assert torch.all(ab[1:] < ab[:-1]), "alpha_bar must fall at every step"
        snr = sch.snr(ab)
        assert snr[0] > 1e3 and snr[-1] < 1e-3


@pytest.mark.parametrize("t", [10, 300, 700])
def test_moments_of_x_t_match_closed_form(t):
    """Over many noise draws, x_t has mean sqrt(ab) x0 and variance 1 - ab per pixel."""
    ab = sch.alpha_bars("cosine")
    x0 = images.one_digit(5)[0]  # (1, 1, 16, 16)
    n = 20000
    noise = torch.randn((n, 1, 16, 16), generator=torch.Generator().manual_seed(1))
    x_t = sch.add_noise(x0.expand(n, -1, -1, -1), noise, t, ab)
    mean, var = sch.closed_form_moments(x0[0], t, ab)
    se = (var / n) ** 0.5  # standard error of a per-pixel mean
    assert (x_t.mean(0) - mean).abs().max() < 5 * se
    assert abs(x_t.var(0).mean().item() - var) < 0.02 * var
    assert (x_t.var(0) - var).abs().max() < 0.1 * var


def test_try_this_schedules_at_t_500():
    """The page's first experiment: at t = 500 linear has left ~0.08, cosine about half."""
    lin, cos = sch.alpha_bars("linear")[500].item(), sch.alpha_bars("cosine")[500].item()
    assert 0.07 < lin < 0.09 and sch.snr(torch.tensor(lin)) < 0.1
    assert 0.45 < cos < 0.55 and 0.8 < sch.snr(torch.tensor(cos)) < 1.2


# ---- the digit model ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return digits.load_model()


@pytest.fixture(scope="module")
def guided(model):
    return digits.sample(model, LABELS, steps=25, guidance=3.0, sampler="DDIM", seed=0)


def test_classifier_is_trustworthy():
    """The checker itself reads held-out real digits correctly (so its verdicts mean something)."""
    from sklearn.model_selection import train_test_split

    x, y = images.real_digits()
    xtr, xte, ytr, yte = train_test_split(x.reshape(len(x), -1).numpy(), y.numpy(), test_size=0.3,
                                          random_state=0, stratify=y.numpy())
    assert evaluate.make_classifier().fit(xtr, ytr).score(xte, yte) > 0.95
    noise = np.random.default_rng(0).uniform(-1, 1, (200, 16, 16))
    assert evaluate.agreement(noise, np.random.default_rng(1).integers(0, 10, 200)) < 0.3


def test_generated_digits_are_recognised(guided):
    assert guided.final.shape == (40, 16, 16)
    acc = evaluate.agreement(guided.final, LABELS)
    assert acc >= 0.7, f"only {acc:.0%} of the samples read as the requested digit"


def test_guidance_zero_ignores_the_label(model, guided):
    """Try-this 2: w = 0 -> about chance; w = 3 -> nearly all."""
    unguided = digits.sample(model, LABELS, steps=25, guidance=0.0, sampler="DDIM", seed=0, record=False)
    assert evaluate.agreement(unguided.final, LABELS) <= 0.35
    assert evaluate.agreement(guided.final, LABELS) >= 0.8


def test_x0_prediction_is_readable_before_x_t(guided):
    """Try-this 3: a third of the way in, x0_hat is readable while x_t is not."""
    per_step = evaluate.agreement_per_step(guided.x_t, guided.x0, guided.labels)
    i = 25 // 3 - 1  # step 8 of 25
    assert per_step["predicted clean image x0"][i] >= 0.7
    assert per_step["noisy image x_t"][i] <= 0.3


def test_trajectory_records_every_step(guided):
    assert guided.x_t.shape == guided.eps.shape == guided.x0.shape == (25, 40, 16, 16)
    assert list(guided.timesteps[:3]) == [960, 920, 880] and guided.timesteps[-1] == 0
    assert np.all(np.diff(guided.alpha_bar) > 0)
    assert np.abs(guided.x0).max() <= 1.0
    # x0_hat is the forward formula solved for x0 (exact where not clipped)
    i = 20
    ab = guided.alpha_bar[i]
    x0 = (guided.x_t[i] - np.sqrt(1 - ab) * guided.eps[i]) / np.sqrt(ab)
    np.testing.assert_allclose(np.clip(x0, -1, 1), guided.x0[i], atol=1e-4)


@pytest.mark.parametrize("sampler", list(sch.SAMPLERS))
def test_each_sampler_runs_and_is_seeded(model, sampler):
    labels = [0, 1, 7, 7]
    a = digits.sample(model, labels, steps=6, guidance=3.0, sampler=sampler, seed=3)
    b = digits.sample(model, labels, steps=6, guidance=3.0, sampler=sampler, seed=3)
    c = digits.sample(model, labels, steps=6, guidance=3.0, sampler=sampler, seed=4)
    assert a.final.shape == (4, 16, 16) and a.x_t.shape == (6, 4, 16, 16)
    assert np.isfinite(a.final).all() and np.isfinite(a.eps).all()
    np.testing.assert_array_equal(a.final, b.final)
    assert np.abs(a.final - c.final).max() > 0.1
    assert isinstance(sch.make_sampler(sampler, model.scheduler_config), sch.SAMPLERS[sampler][0])


def test_samplers_are_fresh_and_configured(model):
    s1 = sch.make_sampler("DPM-Solver++", model.scheduler_config)
    s2 = sch.make_sampler("DPM-Solver++", model.scheduler_config)
    assert s1 is not s2 and s1.config.algorithm_type == "dpmsolver++"
    assert s1.config.beta_schedule == "squaredcos_cap_v2"
    with pytest.raises(ValueError):
        sch.make_sampler("PLMS", model.scheduler_config)


def test_guidance_one_needs_one_pass(model):
    """w = 1 is the plain conditional model: the same result as the unguided baseline loop."""
    a = digits.sample(model, [3, 8], steps=5, guidance=1.0, sampler="DDIM", seed=0, record=False)
    b = digits.sample_unguided(model, [3, 8], steps=5, sampler="DDIM", seed=0)
    np.testing.assert_allclose(a.final, b, atol=1e-5)


@pytest.mark.slow
def test_training_script_runs_and_reloads(tmp_path):
    from playground.diffusion import train_digits

    unet, scheduler, info = train_digits.train(steps=3, batch_size=8, seed=0)
    assert np.isfinite(info["final_loss"]) and info["steps"] == 3
    train_digits.save(unet, scheduler, info, tmp_path)
    reloaded = digits.load_model(tmp_path)
    out = digits.sample(reloaded, [1, 2], steps=2, guidance=2.0, sampler="Euler", seed=0)
    assert out.final.shape == (2, 16, 16)


def test_shipped_weights_are_small_and_described():
    files = list(digits.ASSET_DIR.iterdir())
    assert {"config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json",
            "training.json"} <= {f.name for f in files}
    assert sum(f.stat().st_size for f in files) < 3 * 2**20
    assert points2d.WEIGHTS.stat().st_size < 2**20


# ---- uploads --------------------------------------------------------------------------------


def _png(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def test_upload_of_a_picture():
    img = Image.new("RGB", (64, 64), "black")
    img.paste((255, 255, 255), (24, 8, 40, 56))  # a white bar: a "1"
    up = images.read_upload(_png(img, "JPEG"), "one.jpg")
    assert up.image.shape == (1, 1, 16, 16) and up.notes == []
    a = up.image[0, 0]
    assert a[8, 8] > 0.9 and a[8, 0] < -0.9  # bar bright, background dark


def test_upload_that_is_not_an_image():
    with pytest.raises(UserInputError, match="not an image"):
        images.read_upload(b"name,age\nada,36\n", "people.csv")
    with pytest.raises(UserInputError, match="empty"):
        images.read_upload(b"", "empty.png")


def test_damaged_image():
    data = _png(Image.new("RGB", (64, 64), "red"))
    with pytest.raises(UserInputError, match="damaged"):
        images.read_upload(data[: len(data) // 2], "cut.png")


def test_upload_too_many_bytes():
    settings = Settings(max_upload_mb=1)
    with pytest.raises(UserInputError, match="limit is 1 MB"):
        images.read_upload(b"\x89PNG" + b"0" * (2 * 2**20), "big.png", settings)


def test_upload_too_many_pixels():
    data = _png(Image.new("L", (3000, 2000), 0))  # compresses to a few kB
    with pytest.raises(UserInputError, match="megapixels"):
        images.read_upload(data, "huge.png", Settings(max_image_pixels=1_000_000))
    ok = images.read_upload(data, "huge.png", Settings(max_image_pixels=10_000_000))
    assert ok.image.shape == (1, 1, 16, 16)


@pytest.mark.parametrize("ink, background", [((0, 0, 0, 255), "white"), ((255, 255, 255, 255), "black")])
def test_transparent_png_is_composited_and_said(ink, background):
    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    img.paste(ink, (12, 4, 20, 28))
    up = images.read_upload(_png(img), "clear.png")
    assert any("transparent" in n and background in n for n in up.notes)
    a = up.image[0, 0]
    stroke, rest = a[8, 8].item(), a[8, 0].item()
    assert abs(stroke - rest) > 1.5, "the drawing must stay visible"


def test_16_bit_png_is_stretched_and_said():
    a = np.zeros((32, 32), np.uint16)
    a[4:28, 14:18] = 60000  # a bright bar in 16-bit
    up = images.read_upload(_png(Image.fromarray(a)), "deep.png")
    assert any("16-bit" in n for n in up.notes)
    assert up.image[0, 0, 8, 8] > 0.9 and up.image[0, 0, 8, 0] < -0.9


def test_non_square_is_cropped_and_said():
    up = images.read_upload(_png(Image.new("L", (60, 30), 128)), "wide.png")
    assert any("cropped" in n for n in up.notes)


def test_digit_index_is_checked():
    with pytest.raises(UserInputError):
        images.one_digit(5000)


# ---- 2D points -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", points2d.DATASETS)
def test_shipped_2d_models_put_points_on_the_shape(name):
    m = points2d.load_shipped(name)
    path = points2d.sample(m, n=300, steps=40, sampler="DDIM", seed=0)
    assert path.shape == (41, 300, 2)
    noise = np.random.default_rng(0).standard_normal((300, 2)).astype(np.float32)
    start, end = points2d.nearest_distance(path[0], m.data), points2d.nearest_distance(path[-1], m.data)
    assert end < 0.06 and end < 0.4 * points2d.nearest_distance(noise, m.data)
    assert start > 2 * end


@pytest.mark.parametrize("sampler", list(sch.SAMPLERS))
def test_2d_every_sampler(sampler):
    m = points2d.load_shipped("two moons")
    path = points2d.sample(m, n=200, steps=20, sampler=sampler, seed=1)
    assert np.isfinite(path).all()
    assert abs(path[0].std() - 1) < 0.15, "drawn on the x_t scale: starts as N(0, I)"
    assert points2d.nearest_distance(path[-1], m.data) < 0.1


def test_2d_live_training_reports_progress_and_learns():
    seen = []
    m = points2d.train("two moons", steps=300, seed=0, progress=lambda d, t: seen.append(d))
    assert seen[-1] == 300 and len(seen) == 300
    assert np.mean(m.losses[-50:]) < np.mean(m.losses[:50])
    assert len(points2d.loss_curve(m)) == 3
    again = points2d.train("two moons", steps=300, seed=0)
    assert m.losses == again.losses, "seeded training is repeatable"


# ---- text to image (tiny random-weight pipeline, offline) -----------------------------------


@pytest.fixture(scope="session")
def tiny_pipeline_dir(tmp_path_factory):
    return build_tiny_sd(tmp_path_factory.mktemp("tiny-sd"))


@pytest.mark.slow
def test_text_to_image_from_a_local_folder(tiny_pipeline_dir):
    t2i = text2image.load_pipeline(str(tiny_pipeline_dir))
    assert t2i.info.source == "local folder" and t2i.info.parameters > 0
    out = text2image.generate(t2i, "a red fox", steps=6, guidance=5.0, seed=1, previews=3)
    assert out.image.size == (16, 16)
    assert [s for s, _, _ in out.previews] == [2, 4], "intermediate latents decoded through the VAE"
    assert all(img.size == (16, 16) for _, _, img in out.previews)
    again = text2image.generate(t2i, "a red fox", steps=6, guidance=5.0, seed=1, previews=3)
    assert np.array_equal(np.asarray(out.image), np.asarray(again.image)), "same seed, same picture"
    other = text2image.generate(t2i, "a red fox", steps=6, guidance=5.0, seed=2, previews=0)
    assert not np.array_equal(np.asarray(out.image), np.asarray(other.image))
    assert type(t2i.pipe.scheduler).__name__ == "DDIMScheduler"


def test_text_to_image_bad_prompts(tiny_pipeline_dir):
    t2i = text2image.load_pipeline(str(tiny_pipeline_dir))
    with pytest.raises(UserInputError, match="Type a prompt"):
        text2image.generate(t2i, "   ")
    with pytest.raises(UserInputError, match="characters"):
        text2image.generate(t2i, "x" * 1000)
    with pytest.raises(UserInputError, match="steps"):
        text2image.generate(t2i, "a cat", steps=0)


def test_text_to_image_fails_fast_offline(tmp_path):
    start = time.perf_counter()
    with pytest.raises(UserInputError, match="cannot be reached"):
        text2image.load_pipeline("someone/a-model-that-is-not-cached")
    assert time.perf_counter() - start < 10
    with pytest.raises(UserInputError, match="model_index.json"):
        text2image.load_pipeline(str(tmp_path))
    with pytest.raises(UserInputError, match="PLAYGROUND_DIFFUSION_PIPELINE"):
        text2image.load_pipeline("")

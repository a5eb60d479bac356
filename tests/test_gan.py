"""The GAN page's logic: data sets and CSV checks, coverage measures (a collapsed
generator is flagged), losses against torch's own, the live 2D GAN (learns the ring,
collapses with a too-fast generator, is reproducible), and the digits DCGAN (the
samples are recognised as the requested class; latent directions)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch import nn

from playground.digits_check import classify_digits, holdout_accuracy, real_digits, to_features
from playground.errors import UserInputError
from playground.gan import charts, data2d, digits, toy2d
from playground.gan.coverage import KNNCoverage, mixture_coverage

# ---- data sets and uploads --------------------------------------------------------------


@pytest.mark.parametrize("name", list(data2d.DATASETS))
def test_builtin_datasets(name):
    ds = data2d.make_dataset(name, seed=3)
    assert ds.points.shape == (data2d.POOL_SIZE, 2) and ds.points.dtype == np.float32
    assert np.isfinite(ds.points).all()
    np.testing.assert_array_equal(ds.points, data2d.make_dataset(name, seed=3).points)
    if name in ("ring", "grid"):
        assert ds.is_mixture and len(ds.modes) == {"ring": 8, "grid": 25}[name]


def _csv(rows, header="x,y"):
    body = "\n".join(f"{a},{b}" for a, b in rows)
    return ((header + "\n") if header else "").encode() + body.encode()


def test_csv_with_and_without_header():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(50, 2)) * [3, 0.5] + [10, -4]
    with_header = data2d.points_from_csv(_csv(pts), 10, 20000)
    without = data2d.points_from_csv(_csv(pts, header=None), 10, 20000)
    assert with_header.points.shape == without.points.shape == (50, 2)
    np.testing.assert_allclose(with_header.points, without.points)
    # standardised: mean 0, standard deviation 1.5 per column
    np.testing.assert_allclose(with_header.points.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(with_header.points.std(0), 1.5, rtol=1e-4)


@pytest.mark.parametrize("data, max_mb, message", [
    (b"", 10, "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), 10, "not a CSV"),
    ("x,y\n1,2\n".encode("utf-16"), 10, "not a CSV"),
    (b"\xff\xfe\xfa" * 50, 10, "not UTF-8"),
    (_csv([(1, 2)] * 30 + [("abc", 3)]), 10, "not a number"),
    (_csv([(1, 2)] * 30 + [("", 3)]), 10, "not a number"),
    (_csv([(i, i * 2) for i in range(5)]), 10, "at least 20"),
    (_csv([(i, 7) for i in range(30)]), 10, "same x or the same y"),
    (_csv([(i, i) for i in range(3000)]), 0.01, "limit is 0.01 MB"),
    (b"a,b,c\n" + b"1,2,3\n" * 30, 10, "exactly two numeric columns"),
    (b"x\n" + b"1\n" * 30, 10, "exactly two numeric columns"),
])
def test_bad_uploads_get_clear_messages(data, max_mb, message):
    with pytest.raises(UserInputError, match=message):
        data2d.points_from_csv(data, max_mb, 20000)


def test_too_many_rows():
    with pytest.raises(UserInputError, match="limit is 100"):
        data2d.points_from_csv(_csv([(i, -i) for i in range(101)]), 10, 100)


def test_nan_and_inf_cells_are_refused():
    with pytest.raises(UserInputError, match="Row 31"):
        data2d.points_from_csv(_csv([(1, i) for i in range(30)] + [("nan", 1)]), 10, 100)
    with pytest.raises(UserInputError, match="not a number"):
        data2d.points_from_csv(_csv([(1, i) for i in range(30)] + [("inf", 1)]), 10, 100)


# ---- coverage ------------------------------------------------------------------------------


def test_mixture_coverage_flags_a_collapsed_generator():
    ring = data2d.ring(seed=0)
    rng = np.random.default_rng(1)
    collapsed = ring.modes[3] + ring.sigma * rng.standard_normal((1000, 2))  # all on one mode
    good = data2d.ring(n=1000, seed=1).points  # fresh samples of the real distribution
    c_bad = mixture_coverage(collapsed, ring.modes, ring.sigma)
    c_good = mixture_coverage(good, ring.modes, ring.sigma)
    assert c_bad.coverage == 1 / 8 and c_bad.detail == "1 of 8 modes"
    assert c_bad.quality > 0.95  # collapsed samples are still "high quality": that is the trap
    assert c_good.coverage == 1.0 and c_good.quality > 0.95
    # samples far from every mode are low quality and cover nothing
    off = mixture_coverage(np.zeros((500, 2)), ring.modes, ring.sigma)
    assert off.coverage == 0.0 and off.quality == 0.0


def test_knn_coverage_flags_a_collapsed_generator():
    moons = data2d.moons(seed=0)
    measure = KNNCoverage(moons.points[:1000])
    good = measure(data2d.moons(n=1000, seed=1).points)
    part = moons.points[moons.points[:, 0] < -1.5]  # only the tip of one moon
    collapsed = measure(part[np.random.default_rng(0).integers(0, len(part), 1000)])
    assert good.coverage > 0.9 and good.quality > 0.9
    assert collapsed.coverage < 0.2 and collapsed.quality > 0.9


# ---- losses: parity with torch's own loss functions ---------------------------------------


def test_losses_match_torch():
    g = torch.Generator().manual_seed(0)
    d_real, d_fake = torch.randn(64, 1, generator=g), torch.randn(64, 1, generator=g)
    bce = nn.BCEWithLogitsLoss()
    ns_d = toy2d.discriminator_loss("nonsaturating", d_real, d_fake)
    torch.testing.assert_close(ns_d, bce(d_real, torch.ones_like(d_real)) +
                               bce(d_fake, torch.zeros_like(d_fake)))
    torch.testing.assert_close(toy2d.generator_loss("nonsaturating", d_fake),
                               bce(d_fake, torch.ones_like(d_fake)))
    mse = nn.MSELoss()
    torch.testing.assert_close(toy2d.discriminator_loss("least_squares", d_real, d_fake),
                               0.5 * mse(d_real, torch.ones_like(d_real)) +
                               0.5 * mse(d_fake, torch.zeros_like(d_fake)))
    torch.testing.assert_close(toy2d.generator_loss("least_squares", d_fake),
                               0.5 * mse(d_fake, torch.ones_like(d_fake)))
    torch.testing.assert_close(toy2d.discriminator_loss("wgan_gp", d_real, d_fake),
                               d_fake.mean() - d_real.mean())


def test_gradient_penalty_of_a_linear_critic():
    # D(x) = w·x has gradient w everywhere, so the penalty is (‖w‖ - 1)²
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 4.0]]))
    g = torch.Generator().manual_seed(0)
    gp = toy2d.gradient_penalty(lin, torch.randn(32, 2, generator=g), torch.randn(32, 2, generator=g), g)
    torch.testing.assert_close(gp, torch.tensor(16.0))


# ---- the live 2D GAN -----------------------------------------------------------------------


def test_training_is_reproducible_and_clone_continues_identically():
    ring = data2d.ring()
    a = toy2d.Toy2DGAN(toy2d.Toy2DConfig(seed=5), ring)
    b = toy2d.Toy2DGAN(toy2d.Toy2DConfig(seed=5), ring)
    a.train(30)
    b.train(30)
    assert a.history.d_loss == b.history.d_loss and a.step == 30
    c = a.clone()
    a.train(20)
    c.train(20)
    assert a.history.g_loss == c.history.g_loss and c.step == 50
    np.testing.assert_array_equal(a.sample(), c.sample())
    assert b.step == 30  # the copy did not share state with the original


def test_many_sessions_clone_the_shared_gan_at_once_without_changing_it():
    """The page hands every session a clone of one cached warm-start GAN."""
    import threading

    shared = toy2d.Toy2DGAN(toy2d.Toy2DConfig(seed=2), data2d.ring())
    shared.train(10)
    state = shared.gen.get_state()
    weights = {k: v.clone() for k, v in shared.G.state_dict().items()}
    seen, errors = [], []

    def session():
        try:
            for _ in range(20):
                assert shared.gen is not None  # never emptied, not even for a moment
                seen.append(shared.clone().sample()[:3].tolist())
        except Exception as exc:  # noqa: BLE001 - collected for the assert below
            errors.append(exc)

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert torch.equal(shared.gen.get_state(), state)
    assert all(torch.equal(v, weights[k]) for k, v in shared.G.state_dict().items())
    assert all(s == seen[0] for s in seen)  # every clone is the same GAN


@pytest.mark.parametrize("loss", list(toy2d.LOSSES))
@pytest.mark.parametrize("optimizer", list(toy2d.OPTIMIZERS))
def test_every_loss_and_optimizer_trains(loss, optimizer):
    cfg = toy2d.Toy2DConfig(loss=loss, optimizer=optimizer, d_steps=2, g_depth=1, d_width=16,
                            noise_dim=3, batch_size=64)
    gan = toy2d.Toy2DGAN(cfg, data2d.spiral(n=500), eval_every=5)
    before = [p.clone() for p in gan.G.parameters()]
    gan.train(10)
    assert gan.step == 10 and len(gan.history.d_loss) == 10
    assert np.isfinite(gan.history.d_loss).all() and np.isfinite(gan.history.g_loss).all()
    assert len(gan.history.coverage) == 3  # step 0, 5, 10
    assert any(not torch.equal(a, b) for a, b in zip(before, gan.G.parameters()))
    xs, ys, values = gan.decision_grid(resolution=20)
    assert values.shape == (20, 20) and np.isfinite(values).all()
    if loss == "nonsaturating":
        assert values.min() >= 0 and values.max() <= 1


def test_generator_push_is_the_gradient_of_log_d():
    gan = toy2d.Toy2DGAN(toy2d.Toy2DConfig(), data2d.ring())
    gan.train(50)
    pts, push = gan.generator_push(64)
    x = torch.from_numpy(pts).requires_grad_(True)
    (grad,) = torch.autograd.grad(nn.functional.logsigmoid(gan.D(x)).sum(), x)
    np.testing.assert_allclose(push, grad.numpy(), rtol=1e-4, atol=1e-6)
    # a small step along the push raises D's belief that the points are real
    with torch.no_grad():
        before = gan.D(torch.from_numpy(pts)).mean()
        after = gan.D(torch.from_numpy(pts + 1e-3 * push / np.linalg.norm(push, axis=1, keepdims=True))).mean()
    assert after > before


def test_live_run_trains_in_the_background_until_the_limit_or_a_stop():
    gan = toy2d.Toy2DGAN(toy2d.Toy2DConfig(), data2d.ring())
    run = toy2d.LiveRun(gan, limit=60, ahead=1000, chunk=25)
    run._thread.join(timeout=60)
    assert not run.running and run.error is None and gan.step == 60  # 25 + 25 + 10
    other = toy2d.Toy2DGAN(toy2d.Toy2DConfig(), data2d.ring())
    run = toy2d.LiveRun(other, limit=10_000, ahead=10_000, chunk=5)
    time.sleep(0.2)
    run.stop()
    stopped_at = other.step
    assert not run.running and 0 < stopped_at < 10_000 and stopped_at % 5 == 0
    time.sleep(0.1)
    assert other.step == stopped_at
    with run.lock:  # a reader holding the lock sees a whole number of chunks
        assert len(other.history.d_loss) == other.step


def test_live_run_stays_at_most_ahead_steps_past_the_last_frame():
    gan = toy2d.Toy2DGAN(toy2d.Toy2DConfig(), data2d.ring())
    run = toy2d.LiveRun(gan, limit=1000, ahead=30, chunk=25)
    time.sleep(0.5)
    assert gan.step == 30  # 25, then the 5 left before the next frame
    run.drawn(gan.step)
    time.sleep(0.5)
    assert gan.step == 60
    run.stop()
    assert not run.running
    # nobody draws frames any more (the browser tab was closed): the thread ends by itself
    run = toy2d.LiveRun(gan, limit=1000, ahead=10, idle_s=0.3)
    time.sleep(1.0)
    assert not run.running and gan.step == 70


@pytest.mark.slow
def test_training_on_the_ring_improves_coverage():
    """Try-this 1: the default GAN spreads over most of the ring within ~1,000 steps."""
    gan = toy2d.Toy2DGAN(toy2d.Toy2DConfig(seed=0), data2d.ring())
    start = gan.coverage().coverage
    gan.train(1000)
    assert start <= 0.25
    assert gan.coverage().coverage >= 0.75
    assert gan.last_coverage.quality > 0.5


@pytest.mark.slow
def test_a_too_fast_generator_collapses():
    """Try-this 2: generator lr 0.01 vs discriminator lr 0.001 -> stays on 1-2 modes."""
    gan = toy2d.Toy2DGAN(toy2d.Toy2DConfig(g_lr=1e-2, d_lr=1e-3, seed=0), data2d.ring())
    gan.train(1500)
    assert np.median(gan.history.coverage) <= 0.125  # one mode most of the time
    assert max(gan.history.coverage) <= 0.375
    assert gan.coverage().coverage <= 0.25


# ---- the digits classifier and DCGAN ------------------------------------------------------


def test_digits_classifier_on_real_digits():
    assert holdout_accuracy() > 0.95
    images, labels = real_digits()
    up = np.kron(images[:50], np.ones((2, 2)))  # 16x16 versions are averaged back to 8x8
    np.testing.assert_allclose(to_features(up), to_features(images[:50]))
    np.testing.assert_array_equal(classify_digits(up), classify_digits(images[:50]))
    # another value range: [-1, 1]
    np.testing.assert_array_equal(classify_digits(images[:50] * 2 - 1, (-1, 1)), labels[:50])


@pytest.fixture(scope="module")
def generator():
    gen, card = digits.load_generator()
    return gen


def test_generated_digits_are_recognised_as_the_requested_class(generator):
    """Try-this 3: the real-digits classifier reads most samples as the requested digit."""
    per_class = 50
    z = digits.noise(per_class * 10, generator.cfg.z_dim, seed=2024)
    labels = np.repeat(np.arange(10), per_class)
    images = digits.generate(generator, z, torch.from_numpy(labels))
    assert images.shape == (500, 8, 8) and images.min() >= 0 and images.max() <= 1
    predicted = classify_digits(images)
    accuracy = (predicted == labels).mean()
    assert accuracy >= 0.7, accuracy  # chance is 0.1
    per_digit = [(predicted[labels == k] == k).mean() for k in range(10)]
    assert min(per_digit) >= 0.3, per_digit


def test_sample_grid_and_interpolation(generator):
    grid = digits.sample_grid(generator, 4, seed=7)
    assert grid.shape == (10, 4, 8, 8)
    np.testing.assert_array_equal(grid, digits.sample_grid(generator, 4, seed=7))
    path = digits.interpolate(generator, 1, 2, 3, 3, steps=6)
    ends = digits.generate(generator, torch.cat([digits.noise(1, 16, 1), digits.noise(1, 16, 2)]), 3)
    np.testing.assert_allclose(path[[0, -1]], ends, atol=1e-5)
    morph = digits.interpolate(generator, 5, 5, 1, 7, steps=5)
    assert classify_digits(morph[[0]])[0] == 1 or classify_digits(morph[[-1]])[0] == 7


def test_slerp_keeps_the_ends_and_the_radius():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(16, generator=g), torch.randn(16, generator=g)
    z1 = z1 * z0.norm() / z1.norm()  # two points on the same sphere
    path = digits.slerp(z0, z1, torch.linspace(0, 1, 7))
    torch.testing.assert_close(path[0], z0)
    torch.testing.assert_close(path[-1], z1)
    torch.testing.assert_close(path.norm(dim=1), z0.norm().expand(7))  # stays on the sphere
    assert ((z0 + z1) / 2).norm() < 0.9 * z0.norm()  # a straight line cuts inside it


def test_jacobians_match_torch_func(generator):
    z = digits.noise(16, 16, seed=3)
    exact = torch.func.vmap(torch.func.jacrev(
        lambda zi: digits.generate_tensor(generator, zi[None], 5)[0]))(z)  # (16, 64, 16)
    approx = digits.jacobians(generator, z, 5)
    assert (approx - exact).abs().mean() < 5e-4  # equal but where a ReLU kink is crossed
    m_exact = torch.einsum("npi,npj->ij", exact, exact)
    m_approx = torch.einsum("npi,npj->ij", approx, approx)
    assert (m_approx - m_exact).norm() / m_exact.norm() < 0.01


@pytest.mark.slow
def test_latent_directions_change_the_image_most(generator):
    """Try-this 3 (second half): direction 1 changes the digit two to three times as
    much as direction 16, and more than random directions."""
    dirs = digits.latent_directions(generator, label=3)
    v = dirs.vectors
    np.testing.assert_allclose(v @ v.T, np.eye(len(v)), atol=1e-4)  # orthonormal
    assert (np.diff(dirs.strengths) <= 1e-6).all()  # sorted, strongest first

    def change(seed, step):  # mean absolute pixel change after z += step
        z = digits.noise(1, 16, seed)[0].numpy()
        moved = np.stack([z, z + step]).astype(np.float32)
        a, b = digits.generate(generator, torch.from_numpy(moved), 3)
        return np.abs(b - a).mean()

    seeds = range(10)
    first = np.mean([change(s, 3.0 * v[0]) for s in seeds])
    last = np.mean([change(s, 3.0 * v[15]) for s in seeds])
    rng = np.random.default_rng(0)
    rand = rng.standard_normal((10, 16))
    rand /= np.linalg.norm(rand, axis=1, keepdims=True)
    random = np.mean([change(s, 3.0 * r) for s, r in zip(seeds, rand)])
    assert first >= 2.0 * last, (first, last)
    assert first > random > last, (first, random, last)
    # the page's slider does the same move
    np.testing.assert_allclose(digits.move_along(generator, 0, 3, dirs, {0: 3.0}),
                               digits.generate(generator, torch.from_numpy(
                                   (digits.noise(1, 16, 0)[0].numpy() + 3.0 * v[0])[None]), 3)[0],
                               atol=1e-6)
    strips = digits.direction_strips(generator, 0, 3, dirs, (0, 15))
    assert strips.shape == (2, 5, 8, 8)
    np.testing.assert_allclose(strips[0, 2], digits.move_along(generator, 0, 3, dirs, {}), atol=1e-6)


# ---- charts --------------------------------------------------------------------------------


def test_figures():
    gan = toy2d.Toy2DGAN(toy2d.Toy2DConfig(), data2d.ring())
    gan.train(5)
    fig = charts.gan_2d_figure(gan.data.points[:100], gan.sample(), gan.decision_grid(20),
                               gan.generator_push(16), gan.bounds(), "nonsaturating",
                               gan.data.modes, gan.data.sigma)
    names = [t.name for t in fig.data]
    assert names[1:] == ["real", "generated", "generator push"]
    assert len(fig.layout.shapes) == 8
    h = gan.history
    assert len(charts.loss_figure(h.step, h.d_loss, h.g_loss).data) == 2
    assert len(charts.coverage_figure(h.eval_step, h.coverage, h.quality, "a", "b").data) == 2
    grid = np.random.default_rng(0).random((2, 3, 8, 8))
    fig = charts.digits_figure(grid, ["a", "b"], ["1", "2", "3"], np.zeros((2, 3), int),
                               np.eye(2, 3, dtype=bool))
    assert fig.data[0].z.shape == (26, 30) and len(fig.layout.annotations) == 6

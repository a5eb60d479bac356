"""GAN page benchmark: live 2D GAN training speed, with and without the charts the
page draws for each frame, next to a baseline measured in the same run:
the bare forward and backward passes of the same two MLPs (no optimizer, no data
sampling, no history), which is the least any training step can cost.

    .venv/bin/python benchmarks/bench_gan.py

Budget: at least 100 training steps per second on a 2-core CPU (batch 256), with the
charts redrawn every 50 steps (the page's default steps per frame).
Medians of several runs; absolute numbers drift on a shared machine, ratios less.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from the repo root

from playground.digits_check import classify_digits
from playground.gan import charts, data2d, digits, toy2d
from playground.threads import one_thread

STEPS = 200
REPEATS = 5
BUDGET = 100.0  # steps per second


def _median_rate(fn, steps: int, repeats: int = REPEATS) -> float:
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(steps)
        rates.append(steps / (time.perf_counter() - t))
    return statistics.median(rates)


def bare_passes(gan: toy2d.Toy2DGAN):
    """The baseline: per step, D forward+backward on a real and a generated batch, then
    G -> D forward+backward, with fixed tensors and no optimizer or bookkeeping."""
    b, c = gan.config.batch_size, gan.config
    real = gan.real[:b].clone()
    z = torch.randn(b, c.noise_dim, generator=torch.Generator().manual_seed(0))

    def run(steps: int) -> None:
        with one_thread():
            for _ in range(steps):
                for _ in range(c.d_steps):
                    with torch.no_grad():
                        fake = gan.G(z)
                    gan.D(torch.cat([real, fake])).sum().backward()
                for _ in range(c.g_steps):
                    gan.D(gan.G(z)).sum().backward()
    return run


def with_frames(gan: toy2d.Toy2DGAN, every: int = 50):
    """What Play does per frame, at the default 50 training steps per frame: train,
    then build the page's charts and serialise them as st.plotly_chart does. (The
    page trains in a thread while the browser draws; here the two take turns, so this
    is the slower, serial bound.)"""
    def run(steps: int) -> None:
        for _ in range(steps // every):
            gan.train(every)
            with one_thread():
                figs = [charts.live_points_figure(gan), *charts.live_history_figures(gan)]
            for f in figs:
                f.to_json()
    return run


def bench_2d(loss: str, d_steps: int = 1) -> None:
    cfg = toy2d.Toy2DConfig(loss=loss, d_steps=d_steps)
    gan = toy2d.Toy2DGAN(cfg, data2d.ring())
    gan.train(20)  # warm up
    train = _median_rate(gan.train, STEPS)
    base = _median_rate(bare_passes(gan), STEPS)
    page = _median_rate(with_frames(gan), STEPS, repeats=3)
    ok = "meets" if page >= BUDGET else "MISSES"
    print(f"2D GAN, ring, batch {cfg.batch_size}, G/D {cfg.g_depth}x{cfg.g_width} MLPs, "
          f"{toy2d.LOSSES[loss]}, Adam, D:G {d_steps}:1")
    print(f"  training loop              {train:8.0f} steps/s")
    print(f"  baseline: bare fwd+bwd     {base:8.0f} steps/s   ratio training/baseline = {train / base:.2f}")
    print(f"  with a frame every 50 steps{page:8.0f} steps/s   ratio page/baseline     = {page / base:.2f}"
          f"   -> {ok} the {BUDGET:.0f} steps/s budget")


def bench_digits() -> None:
    gen, _ = digits.load_generator()
    classify_digits(digits.sample_grid(gen, 1, 0).reshape(-1, 8, 8))  # fit the classifier once

    def grid_and_check(n: int) -> None:
        for i in range(n):
            g = digits.sample_grid(gen, 8, i)
            classify_digits(g.reshape(-1, 8, 8))

    def bare_forward(n: int) -> None:
        z, y = digits.noise(80, gen.cfg.z_dim, seed=0), torch.arange(10).repeat_interleave(8)
        with torch.no_grad():
            for _ in range(n):
                gen(z, y)

    grid = _median_rate(grid_and_check, 20)
    base = _median_rate(bare_forward, 20)
    jac = 1 / _median_rate(lambda n: [digits.latent_directions(gen, 3) for _ in range(n)], 1, 3)
    print("Digits DCGAN")
    print(f"  80-sample grid + classifier check   {1000 / grid:6.1f} ms")
    print(f"  baseline: bare generator forward    {1000 / base:6.1f} ms   ratio {base / grid:.1f}x slower")
    print(f"  latent directions (128 Jacobians)   {1000 * jac:6.1f} ms (once per digit, cached)")


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads available; "
          "the 2D GAN trains on one thread (see playground/threads.py)\n")
    bench_2d("nonsaturating")
    bench_2d("wgan_gp", d_steps=1)
    bench_digits()


if __name__ == "__main__":
    main()

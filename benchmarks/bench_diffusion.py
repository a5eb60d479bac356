"""Diffusion page benchmark: 16 digit samples with 25 steps and classifier-free
guidance (what the page draws by default), next to baselines measured in the same run:

* the loop of diffusers' ``DDPMPipeline``: one conditional UNet pass per step, no
  guidance, nothing recorded (the least 25 steps can cost);
* the same guided sampling with the default 1000-step DDPM schedule would take
  40x the passes: we time 40 of its steps and scale up (x25).

Also the quality of the samples (a classifier trained on the real digits reads
the requested digit) beside the unguided model, and the 2D point sampler beside
its bare MLP loop.

    .venv/bin/python benchmarks/bench_diffusion.py

Budget: 16 samples x 25 steps with guidance in under 1 s on a 2-core CPU.
Medians of several runs, measured alternately; wall time drifts on a shared
machine, so the CPU time of one run is printed too.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from _util import header, paired_medians, row  # noqa: I001 (puts the repo on sys.path)
from playground.diffusion import digits, evaluate, points2d
from playground.diffusion import schedule as sch
from playground.threads import one_thread

LABELS = [i % 10 for i in range(16)]
STEPS = 25
GUIDANCE = 3.0


def _cpu_seconds(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def bench_digits(model: digits.DigitModel) -> None:
    header("Digits: 16 samples, 25 steps (DDIM), classifier-free guidance w = 3")

    def ours():
        digits.sample(model, LABELS, steps=STEPS, guidance=GUIDANCE, sampler="DDIM", seed=0)

    def bare():
        digits.sample_unguided(model, LABELS, steps=STEPS, sampler="DDIM", seed=0)

    a, b = paired_medians(ours, bare, repeat=5)
    print(row("guided sampling + recorded trajectory", a, b, "s", "DDPMPipeline-style loop, no CFG",
              "(budget < 1 s)" + (" OK" if a < 1 else " OVER on this run")))
    print(f"   CPU time of one guided run: {_cpu_seconds(ours):.2f} s; unguided: {_cpu_seconds(bare):.2f} s "
          f"(torch threads in the sampling loop: 1, see playground/threads.py)")

    # 1000-step DDPM: time 40 steps of the same guided loop and scale by 25
    sched = sch.make_sampler("DDPM", model.scheduler_config)
    sched.set_timesteps(1000)
    y = torch.tensor(LABELS)
    y2 = torch.cat([y, torch.full_like(y, digits.NULL_CLASS)])
    x = torch.randn(16, 1, 16, 16, generator=torch.Generator().manual_seed(0))

    def ddpm_40_steps():
        with torch.inference_mode(), one_thread():
            z = x.clone()
            for t in sched.timesteps[:40]:
                e_c, e_u = model.unet(torch.cat([z, z]), t, class_labels=y2).sample.chunk(2)
                z = sched.step(e_u + GUIDANCE * (e_c - e_u), t, z).prev_sample

    sched_start = time.perf_counter()
    ddpm_40_steps()
    full = (time.perf_counter() - sched_start) * 25
    print(row("guided sampling, 25 DDIM steps", a, full, "s", "the same, 1000 DDPM steps (40 x 25)"))

    header("Digits: quality (share read as the requested digit by a classifier on real digits)")
    labels = np.repeat(np.arange(10), 5)
    scores = {}
    for w in (GUIDANCE, 1.0, 0.0):
        out = digits.sample(model, labels, steps=STEPS, guidance=w, sampler="DDIM", seed=0, record=False)
        scores[w] = evaluate.agreement(out.final, labels)
    print(row("50 samples, guidance w = 3", scores[GUIDANCE], scores[1.0], "share", "no guidance (w = 1)"))
    print(row("50 samples, guidance w = 3", scores[GUIDANCE], scores[0.0], "share", "label ignored (w = 0)"))


def bench_points() -> None:
    header("2D points: 500 points, 50 DDIM steps, whole trajectory kept")
    m = points2d.load_shipped("two moons")
    sched = sch.make_sampler("DDIM", points2d.SCHEDULER_CONFIG)
    sched.set_timesteps(50)
    x = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))

    def ours():
        points2d.sample(m, n=500, steps=50, sampler="DDIM", seed=0)

    def bare():
        with torch.inference_mode(), one_thread():
            for t in sched.timesteps:
                m.net(x, t.float())

    a, b = paired_medians(ours, bare, repeat=7)
    print(row("sampling with a diffusers scheduler", a, b, "s", "50 bare MLP passes"))


def main() -> None:
    model = digits.load_model()
    print(f"digit UNet: {model.parameters / 1e3:.0f} k parameters; torch {torch.__version__}, "
          f"default threads {torch.get_num_threads()}")
    bench_digits(model)
    bench_points()


if __name__ == "__main__":
    main()

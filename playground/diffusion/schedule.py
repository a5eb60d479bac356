"""The noise schedule and the forward (noising) process of DDPM.

Ho et al. 2020, "Denoising Diffusion Probabilistic Models":

1. A schedule of variances beta_1..beta_T (T = 1000) says how much noise each step adds.
2. alpha_t = 1 - beta_t and alpha_bar_t = prod_{s<=t} alpha_s is the fraction of the
   original signal's *variance* left after t steps.
3. Because a sum of Gaussians is Gaussian, we can jump straight to any step (eq. 4):

       x_t = sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * eps,   eps ~ N(0, I)

   so x_t given x0 has mean sqrt(alpha_bar_t) x0 and variance (1 - alpha_bar_t).
4. The signal-to-noise ratio SNR(t) = alpha_bar_t / (1 - alpha_bar_t) falls from very
   large (clean image) to almost 0 (pure noise).

We compute the schedule with diffusers' ``DDPMScheduler`` (the library that the
reverse process uses too), and write step 3 by hand because it is what the page
teaches; ``tests/test_diffusion.py`` checks it equals ``DDPMScheduler.add_noise``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import torch
from diffusers import (
    DDIMScheduler,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerDiscreteScheduler,
)

T_TRAIN = 1000  # number of noising steps the models are trained with

# page name -> diffusers' beta_schedule
SCHEDULES: dict[str, str] = {
    "linear": "linear",  # betas from 1e-4 to 0.02 in a straight line (DDPM paper)
    "cosine": "squaredcos_cap_v2",  # alpha_bar = cos^2(...) (Nichol & Dhariwal 2021)
}

# page name -> (diffusers scheduler class, extra config)
SAMPLERS: dict[str, tuple[type, dict[str, Any]]] = {
    "DDPM": (DDPMScheduler, {}),  # the original ancestral sampler: adds fresh noise each step
    "DDIM": (DDIMScheduler, {}),  # deterministic (eta = 0): same noise in, same image out
    "DPM-Solver++": (DPMSolverMultistepScheduler, {"algorithm_type": "dpmsolver++"}),
    "Euler": (EulerDiscreteScheduler, {}),  # Karras et al.'s ODE view, first-order steps
}


def noise_scheduler(schedule: str = "cosine", num_train_timesteps: int = T_TRAIN) -> DDPMScheduler:
    """The training-time noise schedule as a diffusers ``DDPMScheduler``."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {list(SCHEDULES)}, not {schedule!r}")
    return DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule=SCHEDULES[schedule])


def alpha_bars(schedule: str = "cosine") -> torch.Tensor:
    """alpha_bar_t for t = 0..T-1, shape (T,), float32."""
    return noise_scheduler(schedule).alphas_cumprod.clone()


def snr(alpha_bar: torch.Tensor) -> torch.Tensor:
    """Signal-to-noise ratio alpha_bar / (1 - alpha_bar) (step 4)."""
    return alpha_bar / (1.0 - alpha_bar)


def add_noise(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor | int,
              alpha_bar: torch.Tensor) -> torch.Tensor:
    """Step 3 by hand: x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps.

    x0, noise: (B, C, H, W) (any shape whose first axis is the batch);
    t: an int or a (B,) tensor of timesteps; alpha_bar: (T,)."""
    t = torch.as_tensor(t, dtype=torch.long).reshape(-1)
    a = alpha_bar.to(x0.dtype)[t]  # (B,) or (1,)
    a = a.reshape(-1, *([1] * (x0.ndim - 1)))  # (B, 1, 1, 1): broadcast over pixels
    return a.sqrt() * x0 + (1.0 - a).sqrt() * noise


def closed_form_moments(x0: torch.Tensor, t: int, alpha_bar: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Mean and variance of x_t given x0: (sqrt(alpha_bar_t) x0, 1 - alpha_bar_t)."""
    a = float(alpha_bar[t])
    return a ** 0.5 * x0, 1.0 - a


def make_sampler(name: str, config: dict[str, Any]):
    """A *fresh* diffusers scheduler for one request, built from the saved training
    config (schedulers keep per-run state, so two users must never share one)."""
    if name not in SAMPLERS:
        raise ValueError(f"sampler must be one of {list(SAMPLERS)}, not {name!r}")
    cls, extra = SAMPLERS[name]
    return cls.from_config(dict(config), **extra)


def step_kwargs(scheduler, generator: torch.Generator | None) -> dict[str, Any]:
    """Pass the seeded generator to ``step`` where the sampler draws noise."""
    if "generator" in inspect.signature(scheduler.step).parameters:
        return {"generator": generator}
    return {}


def alpha_bar_at(scheduler, t: float | torch.Tensor) -> float:
    """alpha_bar at a (possibly fractional) timestep of the training schedule."""
    ab = scheduler.alphas_cumprod.double().numpy()
    return float(np.interp(float(t), np.arange(len(ab)), ab))


def to_variance_preserving(scheduler, x: torch.Tensor) -> torch.Tensor:
    """The sample on the x_t scale of the forward formula. Euler keeps its sample as
    x_t / sqrt(alpha_bar_t) = x0 + sigma eps (sigma^2 = (1 - alpha_bar) / alpha_bar);
    dividing by sqrt(sigma^2 + 1) brings it back. The other samplers already use x_t."""
    if isinstance(scheduler, EulerDiscreteScheduler):
        i = scheduler.step_index if scheduler.step_index is not None else 0
        sigma = float(scheduler.sigmas[i])
        return x / (sigma ** 2 + 1) ** 0.5
    return x

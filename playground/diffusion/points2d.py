"""The same diffusion idea on 2D points, small enough to train live in seconds.

Data: a cloud of points (x, y) shaped like two moons, a spiral or eight blobs.
Forward process: exactly as for images, x_t = sqrt(alpha_bar_t) x0 + sqrt(1-alpha_bar_t) eps,
so every shape dissolves into a round Gaussian blob.
Model: a small MLP eps_theta(x_t, t) -> eps, shape (N, 2) + (N,) -> (N, 2), with the
timestep fed in as diffusers' sinusoidal embedding.
Reverse process: start from N(0, I) and let a diffusers scheduler step back to t = 0;
we keep every intermediate point cloud, so each point's path can be drawn.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler
from diffusers.models.embeddings import get_timestep_embedding
from sklearn.datasets import make_moons
from torch import nn

from playground import seeding
from playground.diffusion import schedule as sch
from playground.threads import one_thread

DATASETS = ("two moons", "spiral", "eight blobs")
ASSET_DIR = Path(__file__).resolve().parent.parent / "assets" / "diffusion"
WEIGHTS = ASSET_DIR / "points2d.safetensors"  # made by train_points2d.py
LIVE_STEPS = 2000  # the page's default for training live (about 6 s of one CPU core)
CURVE_EVERY = 100  # loss curves are kept as means over this many training steps
SCHEDULER_CONFIG = dict(num_train_timesteps=sch.T_TRAIN, beta_schedule=sch.SCHEDULES["linear"],
                        prediction_type="epsilon", clip_sample=False, timestep_spacing="leading")


def make_points(name: str, n: int = 2000, seed: int = 0) -> np.ndarray:
    """(n, 2) float32 points, centred and scaled to unit standard deviation."""
    rng = np.random.default_rng(seed)
    if name == "two moons":
        x, _ = make_moons(n, noise=0.05, random_state=seed)
    elif name == "eight blobs":
        centre = rng.integers(0, 8, n) * (np.pi / 4)  # 8 Gaussians on a circle
        x = np.stack([np.cos(centre), np.sin(centre)], axis=1) * 2 + rng.normal(0, 0.12, (n, 2))
    elif name == "spiral":
        r = np.sqrt(rng.uniform(0.02, 1.0, n))  # uniform density along the arm's area
        angle = 3.5 * np.pi * r
        x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1) + rng.normal(0, 0.02, (n, 2))
    else:
        raise ValueError(f"dataset must be one of {DATASETS}, not {name!r}")
    x = (x - x.mean(0)) / x.std()
    return x.astype(np.float32)


class Denoiser(nn.Module):
    """eps_theta(x_t, t): an MLP on [x_t, embedding(t)]."""

    def __init__(self, hidden: int = 128, t_dim: int = 32):
        super().__init__()
        self.t_dim = t_dim
        self.net = nn.Sequential(
            nn.Linear(2 + t_dim, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, 2),
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t).reshape(-1).expand(len(x))  # (N,)
        emb = get_timestep_embedding(t, self.t_dim)  # (N, t_dim) sin/cos features
        return self.net(torch.cat([x, emb], dim=1))  # (N, 2)


@dataclass
class PointModel:
    net: Denoiser
    data: np.ndarray  # (n, 2) the training points
    losses: list[float]  # one per training step (live) or one per CURVE_EVERY steps (shipped)
    seconds: float
    steps: int = 0
    seed: int = 0
    source: str = "trained live"


def train(name: str, steps: int = LIVE_STEPS, seed: int = 0, batch_size: int = 256, lr: float = 1e-2,
          progress: Callable[[int, int], None] | None = None) -> PointModel:
    """The DDPM training loop (see train_digits.py) on a 2D point cloud."""
    with one_thread():
        return _train(name, steps, seed, batch_size, lr, progress)


def _train(name, steps, seed, batch_size, lr, progress) -> PointModel:
    data = make_points(name, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    net = seeding.build(Denoiser, seed)
    scheduler = DDPMScheduler(**SCHEDULER_CONFIG)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    x_all = torch.from_numpy(data)
    losses, start = [], time.perf_counter()
    for step in range(steps):
        x0 = x_all[torch.randint(0, len(x_all), (batch_size,), generator=generator)]  # (B, 2)
        t = torch.randint(0, scheduler.config.num_train_timesteps, (batch_size,), generator=generator)
        eps = torch.randn(x0.shape, generator=generator)
        loss = F.mse_loss(net(scheduler.add_noise(x0, eps, t), t), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        decay.step()
        losses.append(loss.item())
        if progress is not None:
            progress(step + 1, steps)
    return PointModel(net.eval(), data, losses, time.perf_counter() - start, steps, seed)


def loss_curve(model: PointModel) -> list[float]:
    """The training loss as means over CURVE_EVERY steps."""
    if model.source == "shipped weights":
        return list(model.losses)
    ls = model.losses
    return [float(np.mean(ls[i:i + CURVE_EVERY])) for i in range(0, len(ls), CURVE_EVERY)]


def _key(name: str) -> str:
    return name.replace(" ", "_")


def save_all(models: dict[str, PointModel], path: Path = WEIGHTS) -> None:
    """All datasets' weights in one safetensors file, the training record beside it."""
    from safetensors.torch import save_file

    tensors = {f"{_key(name)}.{k}": v.contiguous() for name, m in models.items()
               for k, v in m.net.state_dict().items()}
    save_file(tensors, str(path))
    record = {name: dict(steps=m.steps, seed=m.seed, seconds=round(m.seconds, 1),
                         final_loss=round(float(np.mean(m.losses[-100:])), 4),
                         loss_curve=[round(v, 4) for v in loss_curve(m)])
              for name, m in models.items()}
    path.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")


def load_shipped(name: str, path: Path = WEIGHTS) -> PointModel:
    """The model that train_points2d.py trained for ``name``."""
    from safetensors.torch import load_file

    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, not {name!r}")
    record = json.loads(path.with_suffix(".json").read_text())[name]
    prefix = f"{_key(name)}."
    state = {k[len(prefix):]: v for k, v in load_file(str(path)).items() if k.startswith(prefix)}
    net = seeding.load(Denoiser, state)
    curve = record["loss_curve"]
    return PointModel(net.eval(), make_points(name, seed=record["seed"]), curve, record["seconds"],
                      record["steps"], record["seed"], source="shipped weights")


def sample(model: PointModel, n: int = 500, steps: int = 50, sampler: str = "DDPM",
           seed: int = 0) -> np.ndarray:
    """The whole reverse trajectory, shape (steps + 1, n, 2): x_T first, x_0 last."""
    with one_thread():
        return _sample(model, n, steps, sampler, seed)


@torch.inference_mode()
def _sample(model, n, steps, sampler, seed) -> np.ndarray:
    scheduler = sch.make_sampler(sampler, SCHEDULER_CONFIG)  # fresh per request
    scheduler.set_timesteps(steps)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((n, 2), generator=generator) * scheduler.init_noise_sigma
    extra = sch.step_kwargs(scheduler, generator)
    path = [sch.to_variance_preserving(scheduler, x).numpy().copy()]
    for t in scheduler.timesteps:
        model_in = scheduler.scale_model_input(x, t)
        eps = model.net(model_in, t.float())
        x = scheduler.step(eps, t, x, **extra).prev_sample
        # draw every step on the same scale (Euler works in a rescaled space)
        path.append(sch.to_variance_preserving(scheduler, x).numpy().copy())
    return np.stack(path)


def nearest_distance(points: np.ndarray, data: np.ndarray) -> float:
    """Mean distance from each generated point to its nearest training point
    (small = the samples lie on the shape)."""
    from scipy.spatial import cKDTree  # a k-d tree: no (n, m) matrix of every distance

    distances, _ = cKDTree(data).query(points, k=1)
    return float(np.mean(distances))

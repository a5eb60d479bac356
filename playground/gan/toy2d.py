"""A GAN on 2D points that trains live, in the spirit of GAN Lab.

Two small MLPs play a game:

* the generator G maps noise z ~ N(0, I) (shape (B, noise_dim)) to points (B, 2);
* the discriminator D maps a point (B, 2) to one score (B, 1): a logit that says
  "real" (large) or "generated" (small).

One training step = ``d_steps`` updates of D, then ``g_steps`` updates of G.
The three losses, with d = D(x) the raw score:

* non-saturating (Goodfellow et al. 2014):  L_D = -log σ(d_real) - log(1 - σ(d_fake)),
  L_G = -log σ(d_fake)   (the generator maximises log D(G(z)) instead of minimising
  log(1 - D(G(z))), which would saturate when D wins early);
* least squares (Mao et al. 2017, LSGAN):  L_D = ½(d_real - 1)² + ½ d_fake²,
  L_G = ½(d_fake - 1)²;
* WGAN-GP (Gulrajani et al. 2017):  L_D = d_fake - d_real + λ(‖∇ₓ D(x̂)‖ - 1)² with x̂ a
  random mix of a real and a generated point, L_G = -d_fake.  D is a "critic" whose
  score is unbounded; λ = 0.1 as in the paper's 2D experiments.

Everything the page shows comes from one ``Toy2DGAN`` object: its step counter,
loss history, coverage history, the decision surface of D on a grid and the
gradient arrows -∂L_G/∂x at generated points (the direction each generated point is
pushed by the next generator update).
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from playground import seeding
from playground.gan.coverage import Coverage, KNNCoverage, mixture_coverage
from playground.gan.data2d import Points2D
from playground.threads import one_thread

LOSSES = {
    "nonsaturating": "Non-saturating (standard GAN)",
    "least_squares": "Least squares (LSGAN)",
    "wgan_gp": "Wasserstein + gradient penalty (WGAN-GP)",
}
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}
GP_WEIGHT = 0.1  # λ of WGAN-GP for 2D toy data (Gulrajani et al., gan_toy.py)
N_VIS = 512  # generated points drawn on the chart (always the same noise: you see G move)
N_EVAL = 1000  # generated points used for the coverage measure


@dataclass(frozen=True)
class Toy2DConfig:
    """Every setting of the 2D GAN; the page fills it from its widgets."""

    g_depth: int = 2  # hidden layers of the generator
    g_width: int = 64  # units per hidden layer
    d_depth: int = 2
    d_width: int = 64
    g_lr: float = 1e-3
    d_lr: float = 1e-3
    optimizer: str = "adam"
    d_steps: int = 1  # discriminator updates per training step
    g_steps: int = 1  # generator updates per training step
    loss: str = "nonsaturating"
    noise_dim: int = 2
    batch_size: int = 256
    seed: int = 0

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, not {self.loss!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, not {self.optimizer!r}")
        if min(self.g_depth, self.d_depth, self.g_width, self.d_width, self.d_steps,
               self.g_steps, self.noise_dim, self.batch_size) < 1:
            raise ValueError("depths, widths, steps, noise_dim and batch_size must be >= 1")


def mlp(in_dim: int, width: int, depth: int, out_dim: int) -> nn.Sequential:
    """in_dim -> [Linear(width) -> LeakyReLU(0.2)] x depth -> Linear(out_dim)."""
    layers: list[nn.Module] = []
    d = in_dim
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.LeakyReLU(0.2)]
        d = width
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """On a CPU torch picks the one-tensor-at-a-time implementations by default; for
    these many small tensors the fused / foreach ones are faster (same arithmetic)."""
    if name == "adam":  # β1 = 0.5: the usual GAN choice (Radford et al. 2016, DCGAN)
        return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999), fused=True)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True)
    return torch.optim.SGD(params, lr=lr, foreach=True)


# ---- the losses, on raw scores d (shape (B, 1)) --------------------------------------

def discriminator_loss(loss: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """L_D without the gradient penalty (see the module docstring)."""
    if loss == "nonsaturating":
        # -log σ(d) = softplus(-d) and -log(1 - σ(d)) = softplus(d), numerically stable
        return nn.functional.softplus(-d_real).mean() + nn.functional.softplus(d_fake).mean()
    if loss == "least_squares":
        return 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (d_fake ** 2).mean()
    return d_fake.mean() - d_real.mean()  # wgan_gp: the critic's Wasserstein estimate, negated


def generator_loss(loss: str, d_fake: torch.Tensor, reduce: bool = True) -> torch.Tensor:
    """L_G; with reduce=False one value per sample (B, 1), used for the arrows."""
    if loss == "nonsaturating":
        per = nn.functional.softplus(-d_fake)  # -log σ(d_fake)
    elif loss == "least_squares":
        per = 0.5 * (d_fake - 1) ** 2
    else:
        per = -d_fake
    return per.mean() if reduce else per


def gradient_penalty(disc: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     gen: torch.Generator) -> torch.Tensor:
    """WGAN-GP: (‖∇ₓ D(x̂)‖₂ - 1)² averaged over x̂ = ε·real + (1-ε)·fake, ε ~ U(0, 1)."""
    eps = torch.rand(real.shape[0], 1, generator=gen)
    mix = (eps * real + (1 - eps) * fake).requires_grad_(True)  # (B, 2)
    (grad,) = torch.autograd.grad(disc(mix).sum(), mix, create_graph=True)  # (B, 2)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


@dataclass
class History:
    step: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    coverage: list[float] = field(default_factory=list)
    quality: list[float] = field(default_factory=list)


class Toy2DGAN:
    """Generator, discriminator, their optimizers and the training history.

    Keep one in st.session_state: ``train(n)`` continues exactly where it stopped
    (same optimizer moments, same random stream), so Play, Pause and Step are just
    calls to ``train`` with different n.
    """

    def __init__(self, config: Toy2DConfig, data: Points2D, eval_every: int = 25):
        self.config = config
        self.data = data
        self.eval_every = eval_every
        c = config
        # 1. networks, initialised from the seed without touching torch's global RNG
        self.G, self.D = seeding.build(
            lambda: (mlp(c.noise_dim, c.g_width, c.g_depth, 2), mlp(2, c.d_width, c.d_depth, 1)),
            c.seed)
        self.opt_g = make_optimizer(c.optimizer, self.G.parameters(), c.g_lr)
        self.opt_d = make_optimizer(c.optimizer, self.D.parameters(), c.d_lr)
        # 2. one random stream for noise, batches and the penalty's ε
        self.gen = torch.Generator().manual_seed(c.seed + 1)
        self.real = torch.from_numpy(data.points)  # (N, 2)
        fixed = torch.Generator().manual_seed(c.seed + 2)
        self.z_vis = torch.randn(N_VIS, c.noise_dim, generator=fixed)  # the points you watch
        self.z_eval = torch.randn(N_EVAL, c.noise_dim, generator=fixed)
        # 3. the coverage measure for this data set
        if data.is_mixture:
            self._measure = lambda s: mixture_coverage(s, data.modes, data.sigma)
        else:
            rng = np.random.default_rng(c.seed)
            ref = data.points[rng.choice(len(data.points), min(1000, len(data.points)), replace=False)]
            self._measure = KNNCoverage(ref)
        self.step = 0
        self.history = History()
        self.last_coverage: Coverage = self._record_coverage()

    # ---- training ------------------------------------------------------------------
    def _real_batch(self) -> torch.Tensor:
        idx = torch.randint(0, self.real.shape[0], (self.config.batch_size,), generator=self.gen)
        return self.real[idx]  # (B, 2)

    def _noise(self, n: int | None = None) -> torch.Tensor:
        return torch.randn(n or self.config.batch_size, self.config.noise_dim, generator=self.gen)

    def _d_update(self) -> float:
        c = self.config
        real = self._real_batch()
        with torch.no_grad():
            fake = self.G(self._noise())  # (B, 2), no gradient into G
        scores = self.D(torch.cat([real, fake]))  # one pass for both halves: (2B, 1)
        d_real, d_fake = scores[: len(real)], scores[len(real):]
        loss = discriminator_loss(c.loss, d_real, d_fake)
        if c.loss == "wgan_gp":
            loss = loss + GP_WEIGHT * gradient_penalty(self.D, real, fake, self.gen)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return loss.item()

    def _g_update(self) -> float:
        fake = self.G(self._noise())
        loss = generator_loss(self.config.loss, self.D(fake))
        # gradients for G's weights only (D's weights are not updated here)
        grads = torch.autograd.grad(loss, list(self.G.parameters()))
        for p, g in zip(self.G.parameters(), grads):
            p.grad = g
        self.opt_g.step()
        return loss.item()

    def train(self, n_steps: int) -> None:
        """Run n_steps training steps (each: d_steps D updates, g_steps G updates)."""
        c = self.config
        with one_thread():
            for _ in range(n_steps):
                for _ in range(c.d_steps):
                    d_loss = self._d_update()
                for _ in range(c.g_steps):
                    g_loss = self._g_update()
                self.step += 1
                h = self.history
                h.step.append(self.step)
                h.d_loss.append(d_loss)
                h.g_loss.append(g_loss)
                if self.step % self.eval_every == 0:
                    self.last_coverage = self._record_coverage()

    # ---- what the page shows ------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int | None = None, seed: int | None = None) -> np.ndarray:
        """Generated points (n, 2); by default the fixed chart noise z_vis."""
        if n is None:
            z = self.z_vis
        else:
            z = torch.randn(n, self.config.noise_dim, generator=torch.Generator().manual_seed(seed or 0))
        return self.G(z).numpy()

    @torch.no_grad()
    def coverage(self) -> Coverage:
        return self._measure(self.G(self.z_eval).numpy())

    def _record_coverage(self) -> Coverage:
        cov = self.coverage()
        h = self.history
        h.eval_step.append(self.step)
        h.coverage.append(cov.coverage)
        h.quality.append(cov.quality)
        return cov

    def bounds(self, margin: float = 0.6) -> tuple[float, float, float, float]:
        """A square view around the real data (fixed, so the chart does not jump)."""
        lo = self.data.points.min(axis=0) - margin
        hi = self.data.points.max(axis=0) + margin
        centre, half = (lo + hi) / 2, (hi - lo).max() / 2
        return (float(centre[0] - half), float(centre[0] + half),
                float(centre[1] - half), float(centre[1] + half))

    @torch.no_grad()
    def decision_grid(self, resolution: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """D's output on a resolution x resolution grid: xs (R,), ys (R,), values (R, R).

        Non-saturating: σ(d), the probability D gives to "real". Least squares: d
        (target 1 for real, 0 for generated). WGAN-GP: the critic's raw score."""
        x0, x1, y0, y1 = self.bounds()
        xs = np.linspace(x0, x1, resolution, dtype=np.float32)
        ys = np.linspace(y0, y1, resolution, dtype=np.float32)
        gx, gy = np.meshgrid(xs, ys)  # (R, R) each; row = y, column = x
        pts = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))  # (R*R, 2)
        d = self.D(pts)
        if self.config.loss == "nonsaturating":
            d = torch.sigmoid(d)
        return xs, ys, d.reshape(resolution, resolution).numpy()

    def generator_push(self, n: int = 128) -> tuple[np.ndarray, np.ndarray]:
        """Generated points x = G(z) (n, 2) and the direction -∂L_G/∂x (n, 2) that the
        generator's loss pushes each of them (for non-saturating: ∇ₓ log D(x))."""
        with torch.no_grad():
            x = self.G(self.z_vis[:n])
        x.requires_grad_(True)
        per_sample = generator_loss(self.config.loss, self.D(x), reduce=False)  # (n, 1)
        (grad,) = torch.autograd.grad(per_sample.sum(), x)
        return x.detach().numpy(), (-grad).numpy()

    def clone(self) -> Toy2DGAN:
        """An independent copy (models, optimizer moments, random stream, history).

        Only reads ``self``: many sessions clone the one cached warm-start GAN at once.
        torch.Generator cannot be deep-copied, so the memo maps it to None in the copy
        (deepcopy takes what the memo already holds) and the copy gets its own."""
        other = copy.deepcopy(self, memo={id(self.gen): None})
        other.gen = torch.Generator()
        other.gen.set_state(self.gen.get_state())
        return other


class LiveRun:
    """Train a Toy2DGAN in a background thread until stopped or a step limit.

    The page draws a frame whenever the browser asks for one and then calls
    ``drawn(step)``. Training runs while the browser draws, but at most ``ahead``
    steps past the last frame drawn, so every frame shows the GAN ``ahead`` steps or
    less after the one before (a slow browser slows training down instead of
    skipping hundreds of steps between frames). Read the GAN only while holding
    ``lock``: training holds it for each chunk, so a frame shows one consistent step.
    With no frame for ``idle_s`` seconds (the browser tab was closed) the thread ends.
    """

    def __init__(self, gan: Toy2DGAN, limit: int, ahead: int = 50, chunk: int = 25,
                 idle_s: float = 60.0):
        self.gan, self.limit, self.ahead, self.chunk = gan, limit, ahead, chunk
        self.idle_s = idle_s  # no frame for this long (the browser went away): stop
        self.lock = threading.Lock()
        self.error: Exception | None = None
        self._last_drawn = gan.step
        self._last_frame_at = time.monotonic()
        self._stop = threading.Event()
        self._frame = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gan2d-training", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set() and self.gan.step < self.limit:
                room = self._last_drawn + self.ahead - self.gan.step
                if room <= 0:  # far enough ahead: wait for the next frame
                    if time.monotonic() - self._last_frame_at > self.idle_s:
                        return
                    self._frame.wait(timeout=0.1)
                    self._frame.clear()
                    continue
                with self.lock:
                    self.gan.train(min(self.chunk, room, self.limit - self.gan.step))
                time.sleep(0.002)  # let a waiting reader take the lock
        except Exception as exc:  # noqa: BLE001 - reported by the page through .error
            self.error = exc

    def drawn(self, step: int) -> None:
        """A frame showing ``step`` was drawn: training may go ``ahead`` steps further."""
        self._last_drawn = step
        self._last_frame_at = time.monotonic()
        self._frame.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop after the current chunk and wait for the thread to end."""
        self._stop.set()
        self._frame.set()
        self._thread.join(timeout=30)

"""The reverse process on digits: a tiny class-conditional UNet and sampling with
classifier-free guidance.

The model (diffusers ``UNet2DModel``) sees a noisy image x_t, the timestep t and a
class label y, and predicts the noise eps that was added. Labels 0..9 are the
digits; label 10 is the "null" class meaning "no label": during training we replace
the true label by it 10 % of the time, so one network learns both p(x | y) and p(x).

Sampling, for each of the sampler's timesteps t (say 25 of the 1000):

1. eps_cond   = model(x_t, t, y)        what noise is there, if this is a y?
   eps_uncond = model(x_t, t, null)     what noise is there, for any digit?
   (one forward pass on a batch of 2B images)
2. classifier-free guidance (Ho & Salimans 2022):
       eps = eps_uncond + w * (eps_cond - eps_uncond)
   w = 0: ignore the label; w = 1: plain conditional model; w > 1: push harder towards y.
3. x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)
   the clean image the model currently believes in (the forward formula solved for x0).
4. the sampler (DDPM, DDIM, DPM-Solver++, Euler) uses eps to take one step to x_{t-1}.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers import UNet2DModel

from playground import seeding
from playground.diffusion import schedule as sch
from playground.diffusion.images import IMAGE_SIZE
from playground.models import registry
from playground.threads import one_thread

ASSET_DIR = Path(__file__).resolve().parent.parent / "assets" / "diffusion" / "digits_unet"
NUM_CLASSES = 10
NULL_CLASS = NUM_CLASSES  # the "no label" class used for classifier-free guidance

# Small enough to sample 16 images x 25 steps with guidance (25 forward passes on a
# batch of 32) in well under a second on two CPU cores. Most of the time goes into
# the convolutions at 16x16, so the first level is kept narrow (16 channels).
UNET_CONFIG = dict(
    sample_size=IMAGE_SIZE,
    in_channels=1,
    out_channels=1,
    block_out_channels=(16, 32),  # 16 channels at 16x16, 32 at 8x8
    layers_per_block=1,
    down_block_types=("DownBlock2D", "AttnDownBlock2D"),  # self-attention at 8x8 only
    up_block_types=("AttnUpBlock2D", "UpBlock2D"),
    norm_num_groups=8,
    attention_head_dim=16,
    num_class_embeds=NUM_CLASSES + 1,  # class_embed_type=None: an nn.Embedding added to the time embedding
)

# The noise schedule the model was trained with; samplers are built from it.
SCHEDULER_CONFIG = dict(
    num_train_timesteps=sch.T_TRAIN,
    beta_schedule=sch.SCHEDULES["cosine"],
    prediction_type="epsilon",
    clip_sample=True,  # clip x0_hat to [-1, 1] inside DDPM/DDIM, as diffusers' default
    timestep_spacing="leading",  # 25 steps -> t = 960, 920, ..., 0
)


def build_unet(seed: int = 0) -> UNet2DModel:
    """A freshly initialised UNet (the values torch.manual_seed(seed) would give),
    built without touching torch's global random generator."""
    return seeding.build(lambda: UNet2DModel(**UNET_CONFIG), seed)


@dataclass
class DigitModel:
    unet: UNet2DModel
    scheduler_config: dict
    info: dict  # what the training script recorded (steps, seconds, loss, seed)
    lock: threading.Lock  # one forward loop at a time on the shared network

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.unet.parameters())


def load_model(folder: Path = ASSET_DIR) -> DigitModel:
    """The shipped weights (safetensors + config json), made by ``train_digits.py``."""
    if not (folder / "config.json").exists():
        raise FileNotFoundError(
            f"No trained digit model in {folder}. Train one with "
            "`.venv/bin/python -m playground.diffusion.train_digits`.")
    start = time.perf_counter()
    unet = UNet2DModel.from_pretrained(folder).eval()
    scheduler_config = json.loads((folder / "scheduler_config.json").read_text())
    info_path = folder / "training.json"
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    model = DigitModel(unet, scheduler_config, info, threading.Lock())
    registry.record(registry.ModelInfo(
        key="diffusion:digits", name="Digit diffusion UNet (16x16)", role="class-conditional diffusion model",
        source="trained by the project", detail=str(folder.name), load_seconds=time.perf_counter() - start,
        parameters=model.parameters))
    return model


@dataclass
class Trajectory:
    """Everything the page scrubs through. Arrays are numpy float32.

    S = number of sampler steps, B = number of images."""

    labels: np.ndarray  # (B,) requested digits
    timesteps: np.ndarray  # (S,) the t of each step
    alpha_bar: np.ndarray  # (S,) alpha_bar at each step's t
    x_t: np.ndarray  # (S, B, 16, 16) the model's input at each step
    eps: np.ndarray  # (S, B, 16, 16) the guided noise prediction at each step
    x0: np.ndarray  # (S, B, 16, 16) the predicted clean image at each step (clipped to [-1, 1])
    final: np.ndarray  # (B, 16, 16) the sampler's output
    seconds: float  # time spent in the loop


def _labels(labels, n: int | None = None) -> torch.Tensor:
    y = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
    if n is not None and y.numel() == 1:
        y = y.expand(n)
    if ((y < 0) | (y > NULL_CLASS)).any():
        raise ValueError(f"labels must be in 0..{NULL_CLASS}")
    return y


@torch.inference_mode()
def sample(model: DigitModel, labels, steps: int = 25, guidance: float = 3.0,
           sampler: str = "DDIM", seed: int = 0, record: bool = True,
           progress: Callable[[int, int], None] | None = None) -> Trajectory:
    """Draw one image per label (labels: a sequence of digits 0..9) with the
    given sampler, number of steps and guidance scale w."""
    if steps < 1:
        raise ValueError("steps must be at least 1")
    y = _labels(labels)
    b = y.numel()
    unet = model.unet
    scheduler = sch.make_sampler(sampler, model.scheduler_config)  # fresh per request
    scheduler.set_timesteps(steps)
    generator = torch.Generator().manual_seed(seed)
    shape = (b, 1, IMAGE_SIZE, IMAGE_SIZE)
    # x_T ~ N(0, I), scaled to the sampler's starting noise level (1 for DDPM/DDIM/DPM; sigma_max for Euler)
    x = torch.randn(shape, generator=generator) * scheduler.init_noise_sigma
    y2 = torch.cat([y, torch.full_like(y, NULL_CLASS)])  # (2B,) conditional then unconditional
    use_cfg = guidance != 1.0
    extra = sch.step_kwargs(scheduler, generator)
    xs, epss, x0s = [], [], []
    start = time.perf_counter()
    with model.lock, one_thread():
        for i, t in enumerate(scheduler.timesteps):
            model_in = scheduler.scale_model_input(x, t)  # (B, 1, 16, 16), the variance-preserving x_t
            # 1. one forward pass for both predictions (or the conditional one alone when w = 1)
            if use_cfg:
                out = unet(torch.cat([model_in, model_in]), t, class_labels=y2).sample  # (2B, 1, 16, 16)
                eps_cond, eps_uncond = out.chunk(2)
                # 2. classifier-free guidance
                eps = eps_uncond + guidance * (eps_cond - eps_uncond)
            else:
                eps = unet(model_in, t, class_labels=y).sample
            if record:
                # 3. the model's current guess of the clean image
                ab = sch.alpha_bar_at(scheduler, t)
                x0 = ((model_in - (1 - ab) ** 0.5 * eps) / ab ** 0.5).clamp(-1, 1)
                xs.append(model_in[:, 0].numpy().copy())
                epss.append(eps[:, 0].numpy().copy())
                x0s.append(x0[:, 0].numpy().copy())
            # 4. one sampler step x_t -> x_{t-1}
            x = scheduler.step(eps, t, x, **extra).prev_sample
            if progress is not None:
                progress(i + 1, len(scheduler.timesteps))
    seconds = time.perf_counter() - start
    empty = np.zeros((0, b, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    return Trajectory(
        labels=y.numpy(),
        timesteps=np.asarray([float(t) for t in scheduler.timesteps], np.float32),
        alpha_bar=np.asarray([sch.alpha_bar_at(scheduler, t) for t in scheduler.timesteps], np.float32),
        x_t=np.stack(xs) if xs else empty,
        eps=np.stack(epss) if epss else empty,
        x0=np.stack(x0s) if x0s else empty,
        final=x[:, 0].clamp(-1, 1).numpy(),
        seconds=seconds,
    )


@torch.inference_mode()
def sample_unguided(model: DigitModel, labels, steps: int = 25, seed: int = 0,
                    sampler: str = "DDIM") -> np.ndarray:
    """The baseline loop of diffusers' ``DDPMPipeline``: one conditional forward pass
    per step, no guidance, nothing recorded. Returns (B, 16, 16)."""
    y = _labels(labels)
    scheduler = sch.make_sampler(sampler, model.scheduler_config)
    scheduler.set_timesteps(steps)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((y.numel(), 1, IMAGE_SIZE, IMAGE_SIZE), generator=generator) * scheduler.init_noise_sigma
    extra = sch.step_kwargs(scheduler, generator)
    with model.lock, one_thread():
        for t in scheduler.timesteps:
            eps = model.unet(scheduler.scale_model_input(x, t), t, class_labels=y).sample
            x = scheduler.step(eps, t, x, **extra).prev_sample
    return x[:, 0].clamp(-1, 1).numpy()

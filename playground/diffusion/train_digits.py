"""Train the digit diffusion model and save it to playground/assets/diffusion/digits_unet.

    .venv/bin/python -m playground.diffusion.train_digits            # the shipped weights
    .venv/bin/python -m playground.diffusion.train_digits --steps 200 --out /tmp/x

The DDPM training loop (Ho et al. 2020, Algorithm 1), with classifier-free guidance
dropout (Ho & Salimans 2022):

1. take a batch of real digits x0 (B, 1, 16, 16) and their labels y (B,)
2. replace 10 % of the labels by the null class (so the model also learns p(x))
3. draw t ~ Uniform{0..999} and eps ~ N(0, I); make x_t with scheduler.add_noise
4. loss = mean squared error between model(x_t, t, y) and eps
5. an exponential moving average (EMA) of the weights is what we ship: it gives
   smoother samples than the last step's weights.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from playground.diffusion import digits
from playground.diffusion.images import real_digits
from playground.threads import one_thread

DEFAULTS = dict(steps=1500, batch_size=64, lr=2e-3, seed=0, label_dropout=0.1, ema=0.995)


def train(steps: int = DEFAULTS["steps"], batch_size: int = DEFAULTS["batch_size"],
          lr: float = DEFAULTS["lr"], seed: int = DEFAULTS["seed"],
          label_dropout: float = DEFAULTS["label_dropout"], ema_decay: float = DEFAULTS["ema"],
          log: Callable[[int, float], None] | None = None):
    """Returns (EMA UNet, scheduler, info dict)."""
    generator = torch.Generator().manual_seed(seed)
    x_all, y_all = real_digits()  # (1797, 1, 16, 16), (1797,)
    unet = digits.build_unet(seed).train()
    ema = copy.deepcopy(unet).eval().requires_grad_(False)
    scheduler = DDPMScheduler(**digits.SCHEDULER_CONFIG)
    opt = torch.optim.AdamW(unet.parameters(), lr=lr, weight_decay=1e-4)
    warmup = max(steps // 20, 1)
    # linear warm-up, then cosine decay to 0
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, 0.5 * (1 + math.cos(math.pi * s / steps))))
    losses, start = [], time.perf_counter()
    for step in range(steps):
        # 1. a batch of real digits; a random shift of up to one pixel adds variety
        idx = torch.randint(0, len(y_all), (batch_size,), generator=generator)
        x0, y = x_all[idx], y_all[idx].clone()
        dx, dy = torch.randint(-1, 2, (2,), generator=generator).tolist()
        x0 = torch.roll(x0, shifts=(dy, dx), dims=(2, 3))
        # 2. classifier-free guidance dropout
        drop = torch.rand(batch_size, generator=generator) < label_dropout
        y[drop] = digits.NULL_CLASS
        # 3. noise at a random timestep
        t = torch.randint(0, scheduler.config.num_train_timesteps, (batch_size,), generator=generator)
        eps = torch.randn(x0.shape, generator=generator)
        x_t = scheduler.add_noise(x0, eps, t)
        # 4. predict the noise
        loss = F.mse_loss(unet(x_t, t, class_labels=y).sample, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        sched.step()
        # 5. EMA of the weights
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), unet.parameters()):
                pe.lerp_(p, 1 - ema_decay)
        losses.append(loss.item())
        if log is not None:
            log(step + 1, loss.item())
    seconds = time.perf_counter() - start
    # smooth the loss curve into 50 points for the record
    chunk = max(len(losses) // 50, 1)
    curve = [sum(losses[i:i + chunk]) / len(losses[i:i + chunk]) for i in range(0, len(losses), chunk)]
    info = dict(steps=steps, batch_size=batch_size, lr=lr, seed=seed, label_dropout=label_dropout,
                ema_decay=ema_decay, seconds=round(seconds, 1), final_loss=round(curve[-1], 4),
                loss_curve=[round(v, 4) for v in curve], threads=torch.get_num_threads(),
                torch=torch.__version__)
    # copy the buffers (none trainable here, but keep them in step)
    for be, b in zip(ema.buffers(), unet.buffers()):
        be.copy_(b)
    return ema, scheduler, info


def save(unet, scheduler, info: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    unet.save_pretrained(out)  # config.json + diffusion_pytorch_model.safetensors
    scheduler.save_pretrained(out)  # scheduler_config.json
    (out / "training.json").write_text(json.dumps(info, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=DEFAULTS["steps"])
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    p.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    p.add_argument("--out", type=Path, default=digits.ASSET_DIR)
    args = p.parse_args(argv)

    def log(step: int, loss: float) -> None:
        if step % 100 == 0 or step == args.steps:
            print(f"step {step:5d}/{args.steps}  loss {loss:.4f}", flush=True)

    with one_thread():  # the machine is shared; the shipped weights were made on one thread
        unet, scheduler, info = train(args.steps, args.batch_size, args.lr, args.seed, log=log)
    save(unet, scheduler, info, args.out)
    print(f"saved to {args.out} after {info['seconds']} s (final loss {info['final_loss']})")


if __name__ == "__main__":
    main()

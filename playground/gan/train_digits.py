"""Train the class-conditional DCGAN on scikit-learn's digits and save it.

    .venv/bin/python -m playground.gan.train_digits            # writes playground/assets/gan/
    .venv/bin/python -m playground.gan.train_digits --epochs 20 --out /tmp/gan

Data: the 1,797 digits of ``sklearn.datasets.load_digits`` (8x8, 16 gray levels),
scaled to [-1, 1]. Loss: the hinge loss that goes with spectral normalisation and
the projection discriminator (Miyato et al. 2018):
    L_D = E[max(0, 1 - D(x, y))] + E[max(0, 1 + D(G(z, y), y))]
    L_G = -E[D(G(z, y), y)]
The saved generator is an exponential moving average (EMA) of the trained one's
weights, which averages out the last epochs' jitter (as in BigGAN / StyleGAN).
Everything is seeded; one run takes a few minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import save_file

from playground import seeding
from playground.digits_check import classify_digits, real_digits
from playground.gan.digits import (
    ASSET_DIR, CONFIG, WEIGHTS, DigitsDiscriminator, DigitsGANConfig, DigitsGenerator, generate,
    noise,
)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 60
    batch_size: int = 64
    g_lr: float = 1e-4  # two time-scale update rule (Heusel et al. 2017): D learns faster
    d_lr: float = 4e-4
    betas: tuple[float, float] = (0.0, 0.9)  # as in the spectral-norm / SAGAN papers
    ema_decay: float = 0.999
    seed: int = 0


def class_accuracy(gen: DigitsGenerator, per_class: int = 100, seed: int = 1234) -> float:
    """Share of generated samples that the real-digits classifier labels as the
    class they were asked for (chance: 10%)."""
    z = noise(per_class * 10, gen.cfg.z_dim, seed)
    labels = torch.arange(10).repeat_interleave(per_class)
    images = generate(gen.eval(), z, labels)
    return float((classify_digits(images) == labels.numpy()).mean())


def train(model_cfg: DigitsGANConfig = DigitsGANConfig(), cfg: TrainConfig = TrainConfig(),
          progress: Callable[[int, int, dict], None] | None = None) -> tuple[DigitsGenerator, dict]:
    """Train and return the EMA generator (eval mode) and a log of the run."""
    gen, disc = seeding.build(lambda: (DigitsGenerator(model_cfg), DigitsDiscriminator(model_cfg)),
                              cfg.seed)  # no global RNG: see playground/seeding.py
    ema = copy.deepcopy(gen).eval()
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.g_lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.d_lr, betas=cfg.betas)
    rng = torch.Generator().manual_seed(cfg.seed)

    images, labels = real_digits()
    x_all = torch.from_numpy(images[:, None] * 2 - 1)  # (1797, 1, 8, 8) in [-1, 1]
    y_all = torch.from_numpy(labels).long()
    n, b = len(x_all), cfg.batch_size
    log = {"epoch": [], "d_loss": [], "g_loss": [], "seconds": []}
    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        perm = torch.randperm(n, generator=rng)
        d_sum = g_sum = 0.0
        steps = n // b
        for i in range(steps):
            idx = perm[i * b:(i + 1) * b]
            x, y = x_all[idx], y_all[idx]  # (B, 1, 8, 8), (B,)
            # 1. discriminator: real digits up, generated digits (of the same classes) down
            z = torch.randn(b, model_cfg.z_dim, generator=rng)
            with torch.no_grad():
                fake = gen(z, y)
            d_loss = (torch.relu(1 - disc(x, y)).mean() + torch.relu(1 + disc(fake, y)).mean())
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            # 2. generator: make D score its digits as real, for random classes
            z = torch.randn(b, model_cfg.z_dim, generator=rng)
            y_fake = torch.randint(0, model_cfg.n_classes, (b,), generator=rng)
            g_loss = -disc(gen(z, y_fake), y_fake).mean()
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            # 3. EMA of the generator: θ_ema <- d θ_ema + (1 - d) θ  (buffers copied)
            with torch.no_grad():
                for pe, p in zip(ema.parameters(), gen.parameters()):
                    pe.lerp_(p, 1 - cfg.ema_decay)
                for be, bf in zip(ema.buffers(), gen.buffers()):
                    be.copy_(bf)
            d_sum += d_loss.item()
            g_sum += g_loss.item()
        log["epoch"].append(epoch)
        log["d_loss"].append(d_sum / steps)
        log["g_loss"].append(g_sum / steps)
        log["seconds"].append(time.perf_counter() - start)
        if progress is not None:
            progress(epoch, cfg.epochs, {k: v[-1] for k, v in log.items()})
    return ema.eval(), log


def save(gen: DigitsGenerator, card: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in gen.state_dict().items()}
    save_file(state, str(folder / WEIGHTS))
    (folder / CONFIG).write_text(json.dumps(card, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--g-lr", type=float, default=TrainConfig.g_lr)
    parser.add_argument("--d-lr", type=float, default=TrainConfig.d_lr)
    parser.add_argument("--beta1", type=float, default=TrainConfig.betas[0])
    parser.add_argument("--beta2", type=float, default=TrainConfig.betas[1])
    parser.add_argument("--g-channels", type=int, default=DigitsGANConfig.g_channels)
    parser.add_argument("--d-channels", type=int, default=DigitsGANConfig.d_channels)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ASSET_DIR)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)  # a script of its own; 1 thread: the machine is shared
    cfg = TrainConfig(epochs=args.epochs, seed=args.seed, g_lr=args.g_lr, d_lr=args.d_lr,
                      betas=(args.beta1, args.beta2))
    model_cfg = DigitsGANConfig(g_channels=args.g_channels, d_channels=args.d_channels)

    def report(epoch: int, total: int, last: dict) -> None:
        if epoch % 10 == 0 or epoch == total:
            print(f"epoch {epoch}/{total}  D {last['d_loss']:.3f}  G {last['g_loss']:.3f}  "
                  f"{last['seconds']:.0f} s", flush=True)

    gen, log = train(model_cfg, cfg, report)
    acc = class_accuracy(gen)
    print(f"samples recognised as the requested class: {acc:.1%} (chance 10%)")
    card = {
        "model": asdict(model_cfg),
        "training": {**asdict(cfg), "data": "sklearn.datasets.load_digits (1797 images, 8x8)",
                     "loss": "hinge, spectral norm + projection discriminator, EMA generator",
                     "seconds": round(log["seconds"][-1], 1), "threads": args.threads,
                     "torch": torch.__version__},
        "result": {"class_accuracy": round(acc, 4),
                   "final_d_loss": round(log["d_loss"][-1], 4),
                   "final_g_loss": round(log["g_loss"][-1], 4)},
        "made_by": "python -m playground.gan.train_digits",
    }
    save(gen, card, args.out)
    n_params = sum(p.numel() for p in gen.parameters())
    print(f"saved {n_params} generator parameters to {args.out}")


if __name__ == "__main__":
    main()

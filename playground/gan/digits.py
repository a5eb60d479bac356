"""A small class-conditional DCGAN for scikit-learn's 8x8 digits.

Generator  G(z, y): noise z (N, z_dim) and a class y -> image (N, 1, 8, 8) in [-1, 1]
    [z, embed(y)] -> Linear -> (2C, 2, 2) -> ConvT -> (C, 4, 4) -> ConvT -> (C/2, 8, 8)
    -> Conv 3x3 -> (1, 8, 8) -> tanh
Discriminator D(x, y): image and class -> one score (N,)
    Conv 3x3 (C, 8, 8) -> Conv 4x4/2 (2C, 4, 4) -> Conv 4x4/2 (4C, 2, 2) -> h (16C,)
    score = w·h + embed(y)·h   (the "projection" discriminator of Miyato & Koyama 2018:
    the class enters as an inner product with the image features)
Every layer of D is spectrally normalised (Miyato et al. 2018), which keeps D's
slope bounded and the game stable on this tiny data set.

The trained weights (playground/assets/gan/) come from ``train_digits.py``. This
module loads them and does what the page shows: sample grids, interpolation
between two seeds, and latent directions found from G's Jacobian.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from playground import seeding

ASSET_DIR = Path(__file__).resolve().parent.parent / "assets" / "gan"
WEIGHTS = "digits_dcgan.safetensors"
CONFIG = "digits_dcgan.json"


@dataclass(frozen=True)
class DigitsGANConfig:
    z_dim: int = 16
    n_classes: int = 10
    embed_dim: int = 16
    g_channels: int = 32  # C in the generator
    d_channels: int = 32  # C in the discriminator


class DigitsGenerator(nn.Module):
    def __init__(self, cfg: DigitsGANConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.g_channels
        self.embed = nn.Embedding(cfg.n_classes, cfg.embed_dim)
        self.fc = nn.Sequential(nn.Linear(cfg.z_dim + cfg.embed_dim, 2 * c * 2 * 2),
                                nn.BatchNorm1d(2 * c * 2 * 2), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.BatchNorm2d(c), nn.ReLU(),  # 2 -> 4
            nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.BatchNorm2d(c // 2), nn.ReLU(),  # 4 -> 8
            nn.Conv2d(c // 2, 1, 3, 1, 1), nn.Tanh(),
        )

    def class_vector(self, y: torch.Tensor) -> torch.Tensor:
        """Integer labels (N,) -> embeddings (N, E); soft labels (N, 10) -> the
        weighted mix of embeddings (used to morph one class into another)."""
        if y.dtype in (torch.int64, torch.int32):
            return self.embed(y)
        return y @ self.embed.weight

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.fc(torch.cat([z, self.class_vector(y)], dim=1))  # (N, 8C)
        h = h.view(len(z), 2 * self.cfg.g_channels, 2, 2)  # (N, 2C, 2, 2)
        return self.net(h)  # (N, 1, 8, 8)


class DigitsDiscriminator(nn.Module):
    def __init__(self, cfg: DigitsGANConfig):
        super().__init__()
        c = cfg.d_channels
        act = nn.LeakyReLU(0.2)
        self.features = nn.Sequential(
            spectral_norm(nn.Conv2d(1, c, 3, 1, 1)), act,  # (c, 8, 8)
            spectral_norm(nn.Conv2d(c, 2 * c, 4, 2, 1)), act,  # (2c, 4, 4)
            spectral_norm(nn.Conv2d(2 * c, 4 * c, 4, 2, 1)), act,  # (4c, 2, 2)
            nn.Flatten(),  # (16c,)
        )
        self.linear = spectral_norm(nn.Linear(16 * c, 1))
        self.embed = spectral_norm(nn.Embedding(cfg.n_classes, 16 * c))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.features(x)  # (N, 16c)
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)  # (N,)


# ---- loading and sampling ------------------------------------------------------------

def load_generator(folder: Path = ASSET_DIR) -> tuple[DigitsGenerator, dict]:
    """The trained generator (eval mode, CPU, fp32) and its JSON card."""
    card = json.loads((folder / CONFIG).read_text())
    cfg = DigitsGANConfig(**card["model"])
    gen = seeding.load(lambda: DigitsGenerator(cfg), load_file(str(folder / WEIGHTS)))
    return gen.eval(), card


def noise(n: int, z_dim: int, seed: int) -> torch.Tensor:
    """z ~ N(0, I), shape (n, z_dim), from its own seeded generator."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(int(seed)))


def to_unit(images: torch.Tensor) -> np.ndarray:
    """(N, 1, 8, 8) in [-1, 1] -> (N, 8, 8) in [0, 1], the range of load_digits()/16."""
    return ((images[:, 0].clamp(-1, 1) + 1) / 2).numpy()


@torch.no_grad()
def generate(gen: DigitsGenerator, z: torch.Tensor, labels) -> np.ndarray:
    """Images (N, 8, 8) in [0, 1] for noise z (N, z_dim) and labels (N,) or (N, 10)."""
    if isinstance(labels, int):
        labels = torch.full((len(z),), labels, dtype=torch.long)
    return to_unit(gen(z, torch.as_tensor(labels)))


def sample_grid(gen: DigitsGenerator, per_class: int, seed: int) -> np.ndarray:
    """per_class samples of every digit: (10, per_class, 8, 8). Column j uses the same
    z for every class, so a column shows one "style" written as ten digits."""
    z = noise(per_class, gen.cfg.z_dim, seed).repeat(gen.cfg.n_classes, 1)  # (10*P, z)
    labels = torch.arange(gen.cfg.n_classes).repeat_interleave(per_class)
    return generate(gen, z, labels).reshape(gen.cfg.n_classes, per_class, 8, 8)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between (z_dim,) vectors at fractions t (T,) -> (T, z_dim).

    Gaussian noise lives near a sphere of radius √z_dim; a straight line between two
    points cuts through the inside, where G saw no noise during training."""
    omega = torch.arccos(torch.clamp(torch.dot(z0 / z0.norm(), z1 / z1.norm()), -1.0, 1.0))
    if omega.abs() < 1e-6:
        return torch.lerp(z0, z1, t[:, None])
    s = torch.sin(omega)
    return (torch.sin((1 - t) * omega)[:, None] * z0 + torch.sin(t * omega)[:, None] * z1) / s


def interpolate(gen: DigitsGenerator, seed_a: int, seed_b: int, label_a: int, label_b: int,
                steps: int = 8) -> np.ndarray:
    """Images (steps, 8, 8) from (seed_a, label_a) to (seed_b, label_b): the noise
    moves along the sphere and the class embedding moves in a straight line."""
    z_dim, k = gen.cfg.z_dim, gen.cfg.n_classes
    t = torch.linspace(0, 1, steps)
    z = slerp(noise(1, z_dim, seed_a)[0], noise(1, z_dim, seed_b)[0], t)  # (steps, z)
    eye = torch.eye(k)
    soft = (1 - t)[:, None] * eye[label_a] + t[:, None] * eye[label_b]  # (steps, 10)
    return generate(gen, z, soft)


@dataclass(frozen=True)
class LatentDirections:
    vectors: np.ndarray  # (z_dim, z_dim): row k is direction k, unit length
    strengths: np.ndarray  # (z_dim,): RMS pixel change (0..1 scale) per unit step
    label: int


def jacobians(gen: DigitsGenerator, z: torch.Tensor, label: int, eps: float = 1e-3) -> torch.Tensor:
    """J_i = ∂G(z_i, label)/∂z for every row of z (n, z_dim): shape (n, 64, z_dim),
    pixels on the [0, 1] scale. Central differences, (G(z + ε e_k) - G(z - ε e_k)) / 2ε,
    for all n samples and all z_dim coordinates in one batched forward pass: much
    faster on a CPU than autograd here. It agrees with torch.func.jacrev except where
    a step of ε crosses a ReLU's kink; the average JᵀJ below agrees within 1%."""
    n, d = z.shape
    steps = eps * torch.eye(d)  # (d, d): row k = ε e_k
    zs = torch.cat([z[:, None, :] + steps, z[:, None, :] - steps], dim=1)  # (n, 2d, d)
    with torch.no_grad():
        out = generate_tensor(gen, zs.reshape(-1, d), label).reshape(n, 2, d, 64)
    return ((out[:, 0] - out[:, 1]) / (2 * eps)).transpose(1, 2)  # (n, 64, d)


def generate_tensor(gen: DigitsGenerator, z: torch.Tensor, label: int) -> torch.Tensor:
    """G(z, label) as (N, 64) pixels in [0, 1], a differentiable torch tensor."""
    y = torch.full((len(z),), label, dtype=torch.long)
    return ((gen(z, y)[:, 0] + 1) / 2).flatten(1)


def latent_directions(gen: DigitsGenerator, label: int, n: int = 128,
                      seed: int = 0) -> LatentDirections:
    """Principal directions of G's Jacobian for one class.

    1. Draw n noise vectors z_i and compute J_i = ∂G(z_i, y)/∂z, shape (64, z_dim):
       how each of the 64 pixels responds to each noise coordinate.
    2. Average M = (1/n) Σ_i J_iᵀ J_i, shape (z_dim, z_dim). For a small step δ,
       ‖G(z + δ) - G(z)‖² ≈ δᵀ JᵀJ δ, so M says how much the image changes, on
       average, when z moves along δ.
    3. The eigenvectors of M with the largest eigenvalues λ are the directions that
       change the image the most; √(λ/64) is the RMS pixel change per unit step.
    For this small generator the spectrum is fairly flat: the first direction moves
    the pixels about 2-3 times as much as the last, more than a random direction.
    """
    jac = jacobians(gen, noise(n, gen.cfg.z_dim, seed), label)  # (n, 64, z)
    m = torch.einsum("npi,npj->ij", jac, jac) / n  # (z, z)
    eigvals, eigvecs = torch.linalg.eigh(m.double())  # ascending
    order = torch.argsort(eigvals, descending=True)
    strengths = torch.sqrt(eigvals[order].clamp(min=0) / 64)
    vectors = eigvecs[:, order].T.float()  # row k = direction k
    return LatentDirections(vectors.numpy(), strengths.numpy(), label)


def move_along(gen: DigitsGenerator, seed: int, label: int, directions: LatentDirections,
               amounts: dict[int, float]) -> np.ndarray:
    """One image (8, 8): z(seed) + Σ_k amounts[k] · direction_k (k counts from 0)."""
    z = noise(1, gen.cfg.z_dim, seed)[0].numpy()
    for k, a in amounts.items():
        z = z + a * directions.vectors[k]
    return generate(gen, torch.from_numpy(z[None].astype(np.float32)), label)[0]


def direction_strips(gen: DigitsGenerator, seed: int, label: int,
                     directions: LatentDirections, indices=(0, 1, 2, 15),
                     amounts=(-3.0, -1.5, 0.0, 1.5, 3.0)) -> np.ndarray:
    """Images (len(indices), len(amounts), 8, 8): row i walks z(seed) along direction
    indices[i] (0 = the strongest)."""
    z0 = noise(1, gen.cfg.z_dim, seed)[0]
    vecs = torch.from_numpy(directions.vectors[list(indices)])  # (K, z)
    a = torch.tensor(amounts)
    z = z0[None, None, :] + a[None, :, None] * vecs[:, None, :]  # (K, A, z)
    out = generate(gen, z.reshape(-1, gen.cfg.z_dim), label)
    return out.reshape(len(indices), len(amounts), 8, 8)

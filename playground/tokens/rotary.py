"""Rotary position embeddings (RoPE), as the real model applies them.

A transformer's attention by itself does not know the order of the tokens: it compares
every query with every key. GPT-2 adds a learned *position vector* to each token.
Llama-family models like SmolLM2 instead **rotate** each query and key by an angle that
grows with the token's position (Su et al. 2021, "RoFormer", eq. 34):

* the head's 64 dimensions form 32 pairs; in transformers' layout pair ``i`` is
  dimensions ``(i, i + 32)`` (``rotate_half``);
* pair ``i`` turns by ``θ_i = base^(-2i/d)`` radians per position (``base`` = 100,000 for
  SmolLM2, ``d`` = 64): pair 0 once per radian, the last pair barely at all;
* a query at position ``m`` and a key at position ``n`` are turned by ``m·θ_i`` and
  ``n·θ_i``; their dot product then depends only on the **distance** ``m - n``, because
  rotating both by the same extra angle changes nothing.

The frequencies are read from the model (its ``rotary_emb.inv_freq``), so the page shows
the real model's numbers, not a formula typed in again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from playground.errors import UserInputError


@dataclass(frozen=True)
class RotaryInfo:
    """The rotary settings of a model."""

    inv_freq: np.ndarray  # (d/2,) θ_i: radians turned per position, one per dimension pair
    base: float  # θ in the papers (rope_theta)
    head_dim: int
    max_positions: int
    scaling: float  # attention_scaling (1 for the default rotary type)

    @property
    def pairs(self) -> int:
        return len(self.inv_freq)

    def wavelengths(self) -> np.ndarray:
        """Positions per full turn of each pair: 2π / θ_i."""
        return 2 * math.pi / self.inv_freq


def rotary_of(model) -> RotaryInfo:
    """The rotary frequencies of a loaded transformers model (Llama family)."""
    base_model = getattr(model, "base_model", model)
    emb = getattr(base_model, "rotary_emb", None)
    if emb is None or not hasattr(emb, "inv_freq"):
        raise UserInputError("This model does not use rotary positions (no rotary_emb): the position "
                             "view needs a Llama-family model such as the default SmolLM2.")
    config = model.config
    params = getattr(config, "rope_parameters", None) or {}
    base = float(params.get("rope_theta", getattr(config, "rope_theta", float("nan"))))
    inv_freq = emb.inv_freq.detach().float().cpu().numpy().copy()
    inv_freq.flags.writeable = False
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)
    return RotaryInfo(inv_freq, base, head_dim, int(config.max_position_embeddings),
                      float(getattr(emb, "attention_scaling", 1.0)))


def angles(info: RotaryInfo, positions: np.ndarray) -> np.ndarray:
    """(pairs, P): the angle in radians each pair is turned by at each position."""
    return np.outer(info.inv_freq, np.asarray(positions, dtype=np.float64))


def rotate(x: torch.Tensor, positions: torch.Tensor, inv_freq: torch.Tensor, scaling: float = 1.0) -> torch.Tensor:
    """Rotate vectors ``x`` (..., T, d) at ``positions`` (T,): pair i = (x[i], x[i + d/2])
    turns by positions·θ_i. The same result as transformers' ``apply_rotary_pos_emb``."""
    half = x.shape[-1] // 2
    theta = positions.to(torch.float32)[:, None] * inv_freq.to(torch.float32)[None, :]  # (T, d/2)
    cos, sin = theta.cos() * scaling, theta.sin() * scaling
    x1, x2 = x[..., :half], x[..., half:]
    # a 2D rotation of every pair: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def score_vs_distance(q: np.ndarray, k: np.ndarray, info: RotaryInfo, distances: np.ndarray) -> np.ndarray:
    """The attention score q·k/√d of one query and one key (before rotation, (d,) each)
    when the query sits ``distance`` positions after the key. Only the distance matters,
    so the key stays at position 0 and the query is turned by distance·θ_i."""
    q = torch.as_tensor(np.asarray(q, dtype=np.float32))
    k = torch.as_tensor(np.asarray(k, dtype=np.float32))
    d = torch.as_tensor(np.asarray(distances), dtype=torch.float32)
    inv = torch.tensor(info.inv_freq, dtype=torch.float32)
    q_at = rotate(q.expand(len(d), -1), d, inv, info.scaling)  # (D, d): the query at each distance
    k_at = rotate(k[None, :], torch.zeros(1), inv, info.scaling)  # the key at position 0
    return ((q_at @ k_at[0]) / math.sqrt(q.shape[-1])).numpy()

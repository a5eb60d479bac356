"""One transformer layer of the real model, computed by hand from its own weights.

The attention weights the page shows come from the engine's trace (the model's own
eager attention). This module recomputes them step by step, the way a textbook writes
them, so the page (and the tests) can show that nothing is hidden:

1. ``x = RMSNorm(h)``: the layer's input, scaled to unit root-mean-square, times a
   learned weight per dimension (``input_layernorm``);
2. ``q = x W_q``, ``k = x W_k``, ``v = x W_v``: 9 query heads but only 3 key/value heads
   of 64 dimensions each (grouped-query attention: query heads 0-2 share key/value
   head 0, heads 3-5 share head 1, heads 6-8 share head 2);
3. rotate q and k by their positions (:mod:`playground.tokens.rotary`);
4. ``scores = q kᵀ / √64``, one (T, T) matrix per query head, using the key head its
   group shares;
5. the causal mask: a token may not look at tokens after it (score -∞ above the
   diagonal);
6. ``softmax`` along each row: every row is a probability distribution over the tokens
   so far;
7. ``out = weights · v``, heads side by side, then ``W_o``; added to ``h`` (the residual
   stream); then RMSNorm and the MLP (``down(silu(gate(x)) * up(x))``), added again.

Everything runs in float32 on the CPU from the model's weights (read only), so with the
fp32 model it matches the model within 1e-4; with the bf16 model it is the same
computation without the bf16 rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from playground.errors import UserInputError
from playground.tokens.rotary import rotary_of, rotate


@dataclass(frozen=True)
class Shapes:
    layers: int
    heads: int  # query heads
    kv_heads: int  # key/value heads (grouped-query attention when fewer than heads)
    head_dim: int
    hidden: int

    @property
    def group(self) -> int:
        """Query heads per key/value head."""
        return self.heads // self.kv_heads

    def kv_head_of(self, head: int) -> int:
        """The key/value head a query head reads (transformers' ``repeat_kv`` order)."""
        return head // self.group


def shapes_of(model) -> Shapes:
    c = model.config
    heads = int(c.num_attention_heads)
    return Shapes(int(c.num_hidden_layers), heads, int(getattr(c, "num_key_value_heads", None) or heads),
                  int(getattr(c, "head_dim", None) or c.hidden_size // heads), int(c.hidden_size))


def _layer(model, layer: int):
    layers = getattr(getattr(model, "base_model", model), "layers", None)
    if layers is None or not hasattr(layers[0], "self_attn") or not hasattr(layers[0].self_attn, "q_proj"):
        raise UserInputError("Recomputing attention by hand needs a Llama-family model (q_proj, k_proj, "
                             "v_proj, rotary positions), such as the default SmolLM2.")
    attn = layers[0].self_attn
    if hasattr(attn, "q_norm") or hasattr(attn, "sinks"):
        raise UserInputError("This model adds steps to attention that this page does not recompute "
                             "(query/key norms or attention sinks). Use the default SmolLM2.")
    if not 0 <= layer < len(layers):
        raise UserInputError(f"Pick a layer from 0 to {len(layers) - 1}.")
    return layers[layer]


def _linear(x: torch.Tensor, module) -> torch.Tensor:
    """x W^T + b in float32 with the module's own weights."""
    bias = module.bias.detach().float() if getattr(module, "bias", None) is not None else None
    return F.linear(x, module.weight.detach().float(), bias)


def rms_norm(x: torch.Tensor, norm) -> torch.Tensor:
    """RMSNorm: x / sqrt(mean(x²) + ε) times the learned weight (Zhang & Sennrich 2019)."""
    eps = float(getattr(norm, "variance_epsilon", getattr(norm, "eps", 1e-6)))
    x = x.float()
    return norm.weight.detach().float() * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


@dataclass(frozen=True)
class QKV:
    """One layer's queries, keys and values for T tokens, float32."""

    q: torch.Tensor  # (heads, T, d), before rotation
    k: torch.Tensor  # (kv_heads, T, d), before rotation
    v: torch.Tensor  # (kv_heads, T, d)
    q_rot: torch.Tensor  # (heads, T, d), rotated to each token's position
    k_rot: torch.Tensor  # (kv_heads, T, d)


def qkv(model, hidden_in: torch.Tensor, layer: int) -> QKV:
    """Steps 1-3 for ``hidden_in`` (T, hidden): the input of ``layer`` (a trace's
    ``hidden_states[layer]``)."""
    block = _layer(model, layer)
    s = shapes_of(model)
    rot = rotary_of(model)
    x = rms_norm(torch.as_tensor(hidden_in), block.input_layernorm)  # (T, H)
    T = x.shape[0]
    attn = block.self_attn
    q = _linear(x, attn.q_proj).view(T, s.heads, s.head_dim).transpose(0, 1)  # (heads, T, d)
    k = _linear(x, attn.k_proj).view(T, s.kv_heads, s.head_dim).transpose(0, 1)  # (kv_heads, T, d)
    v = _linear(x, attn.v_proj).view(T, s.kv_heads, s.head_dim).transpose(0, 1)
    positions = torch.arange(T)
    inv = torch.tensor(rot.inv_freq)
    return QKV(q, k, v, rotate(q, positions, inv, rot.scaling), rotate(k, positions, inv, rot.scaling))


def scores_by_hand(parts: QKV, model) -> torch.Tensor:
    """Step 4: q kᵀ / √d for every query head, (heads, T, T), before the mask."""
    s = shapes_of(model)
    keys = parts.k_rot.repeat_interleave(s.group, dim=0)  # (heads, T, d): each key head serves its group
    return parts.q_rot @ keys.transpose(-1, -2) / math.sqrt(s.head_dim)


def causal_mask(T: int) -> torch.Tensor:
    """Step 5: True where a query (row) may look at a key (column): on and below the diagonal."""
    return torch.ones(T, T, dtype=torch.bool).tril()


def weights_from_scores(scores: torch.Tensor) -> torch.Tensor:
    """Steps 5-6: -∞ above the diagonal, then softmax along each row (sums to 1)."""
    masked = scores.masked_fill(~causal_mask(scores.shape[-1]), float("-inf"))
    return torch.softmax(masked, dim=-1)


def attention_by_hand(model, hidden_in: torch.Tensor, layer: int) -> torch.Tensor:
    """Steps 1-6: the attention weights of every head of ``layer``, (heads, T, T)."""
    return weights_from_scores(scores_by_hand(qkv(model, hidden_in, layer), model))


def layer_by_hand(model, hidden_in: torch.Tensor, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Steps 1-7: what ``layer`` writes into the residual stream.

    Returns (after_attention, after_mlp), both (T, hidden): the stream after the
    attention block was added, and after the MLP was added (the layer's output)."""
    block = _layer(model, layer)
    h = torch.as_tensor(hidden_in).float()
    weights = attention_by_hand(model, h, layer)  # (heads, T, T)
    parts = qkv(model, h, layer)
    values = parts.v.repeat_interleave(shapes_of(model).group, dim=0)  # (heads, T, d)
    heads_out = weights @ values  # (heads, T, d)
    T = h.shape[0]
    joined = heads_out.transpose(0, 1).reshape(T, -1)  # (T, heads * d): heads side by side
    after_attention = h + _linear(joined, block.self_attn.o_proj)
    x = rms_norm(after_attention, block.post_attention_layernorm)
    mlp = block.mlp
    act = F.silu(_linear(x, mlp.gate_proj)) * _linear(x, mlp.up_proj)  # (T, intermediate)
    return after_attention, after_attention + _linear(act, mlp.down_proj)

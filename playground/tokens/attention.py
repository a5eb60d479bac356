"""Attention: which earlier tokens each token reads from, in every layer and head.

In each layer, every token sends out a *query* ("what am I looking for?") and every token
offers a *key* ("what do I contain?") and a *value* ("what I pass on"). The attention
weights of one head form a T x T matrix: row i says how token i spreads its attention over
tokens 0..i (it may not look ahead: the **causal mask**), and each row sums to 1.
SmolLM2 has 30 layers of 9 heads, so 270 such matrices per text.

This module holds one traced text as read-only numpy arrays (:class:`TraceView`, made
once per text and shared by every session, so moving a layer or head slider never runs
the model again) and the measures that find heads with a job:

* **previous token**: the mean weight a token gives to the token just before it;
* **first token**: the mean weight on token 0. Many heads park most of their attention
  there when they have nothing better to do (an *attention sink*, Xiao et al. 2023);
* **itself**: the mean weight on the diagonal;
* **spread**: the mean entropy of a row in bits (0 = all on one token);
* **query → key**: the weight one chosen token gives another (say "it" → "animal").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from playground.errors import UserInputError
from playground.threads import one_thread

MEASURES = {
    "pair": "from the chosen token to the other chosen token",
    "previous": "to the previous token",
    "first": "to the first token",
    "self": "to itself",
    "spread": "spread (entropy in bits)",
}
UNITS = {"pair": "weight", "previous": "mean weight", "first": "mean weight", "self": "mean weight",
         "spread": "bits"}  # colour-bar titles


@dataclass(frozen=True)
class TraceView:
    """One forward pass of one text, read only (shared by every session)."""

    token_ids: tuple[int, ...]
    tokens: tuple[str, ...]  # each token as text
    hidden: np.ndarray  # (layers + 1, T, hidden) float32: embeddings, after each layer (last: after the final norm)
    attentions: np.ndarray  # (layers, heads, T, T) float32: row = query, column = key
    precision: str  # what the model computed in ("bfloat16", "float32")

    @property
    def layers(self) -> int:
        return int(self.attentions.shape[0])

    @property
    def heads(self) -> int:
        return int(self.attentions.shape[1])

    @property
    def length(self) -> int:
        return len(self.token_ids)

    @property
    def nbytes(self) -> int:
        return int(self.hidden.nbytes + self.attentions.nbytes)


def _frozen(array) -> np.ndarray:
    out = np.ascontiguousarray(array, dtype=np.float32)
    out.flags.writeable = False
    return out


def trace_view(lm, ids: Sequence[int]) -> TraceView:
    """Run the model once on ``ids`` (the engine's eager-attention twin) and keep what the
    page needs as read-only arrays. Bounded by ``PLAYGROUND_MAX_TRACE_TOKENS``."""
    with one_thread():  # one thread per session: far faster on a shared, busy CPU
        trace = lm.trace(list(ids))
    tokens = tuple(lm.token_strings(list(ids)))
    return TraceView(tuple(int(i) for i in ids), tokens, _frozen(trace.hidden_states.numpy()),
                     _frozen(trace.attentions.numpy()), lm.precision)


def check_layer_head(view: TraceView, layer: int, head: int) -> None:
    if not 0 <= layer < view.layers:
        raise UserInputError(f"Pick a layer from 0 to {view.layers - 1}.")
    if not 0 <= head < view.heads:
        raise UserInputError(f"Pick a head from 0 to {view.heads - 1}.")


def head_map(view: TraceView, layer: int, head: int) -> np.ndarray:
    """(T, T) weights of one head; NaN above the diagonal (masked: never looked at)."""
    check_layer_head(view, layer, head)
    weights = view.attentions[layer, head].astype(np.float64)  # a copy: the shared array stays as it is
    weights[np.triu_indices(view.length, k=1)] = np.nan
    return weights


def head_scores(view: TraceView, measure: str, query: int | None = None, key: int | None = None) -> np.ndarray:
    """(layers, heads): one number per head for the chosen measure (see :data:`MEASURES`)."""
    A = view.attentions  # (L, H, T, T)
    T = view.length
    if measure == "pair":
        if query is None or key is None or not (0 <= key <= query < T):
            raise UserInputError("Pick a token and an earlier (or the same) token for it to look at.")
        return A[:, :, query, key].astype(np.float64)
    if T < 2:
        raise UserInputError("This measure needs a text of at least 2 tokens.")
    rows = np.arange(1, T)  # token 0 can only look at itself: leave it out
    with one_thread():
        if measure == "previous":
            return A[:, :, rows, rows - 1].mean(-1, dtype=np.float64)
        if measure == "first":
            return A[:, :, 1:, 0].mean(-1, dtype=np.float64)
        if measure == "self":
            return A[:, :, rows, rows].mean(-1, dtype=np.float64)
        if measure == "spread":
            p = A[:, :, 1:, :].astype(np.float64)
            logs = np.log2(np.where(p > 0, p, 1.0))
            return -(p * logs).sum(-1).mean(-1)
    raise UserInputError(f"Unknown measure {measure!r}: use one of {', '.join(MEASURES)}.")


def top_heads(scores: np.ndarray, k: int = 5, largest: bool = True) -> list[tuple[int, int, float]]:
    """The ``k`` heads with the highest (or lowest) score: (layer, head, score)."""
    flat = scores.ravel()
    order = np.argsort(-flat if largest else flat, kind="stable")[:k]
    heads = scores.shape[1]
    return [(int(i // heads), int(i % heads), float(flat[i])) for i in order]


def kv_groups(heads: int, kv_heads: int) -> list[list[int]]:
    """Query heads listed by the key/value head they share: [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    for SmolLM2 (transformers' ``repeat_kv`` repeats each key head for a run of query heads)."""
    group = heads // kv_heads
    return [list(range(g * group, (g + 1) * group)) for g in range(kv_heads)]


def head_similarity(view: TraceView, layer: int) -> np.ndarray:
    """(heads, heads): how alike the heads' attention patterns are in ``layer`` (1 minus the
    mean total-variation distance between their rows: 1 = identical, 0 = no overlap)."""
    A = view.attentions[layer].astype(np.float64)  # (H, T, T)
    H = A.shape[0]
    out = np.ones((H, H))
    for a in range(H):
        for b in range(a + 1, H):
            out[a, b] = out[b, a] = 1.0 - 0.5 * np.abs(A[a] - A[b]).sum(-1).mean()
    return out


def find_token(tokens: Sequence[str], word: str, last: bool = True) -> int | None:
    """The position of the token that is ``word`` (spaces and case ignored), the last
    (or first) such token; None when there is none."""
    target = word.strip().lower()
    hits = [i for i, t in enumerate(tokens) if t.strip().lower() == target]
    if not hits:
        return None
    return hits[-1] if last else hits[0]


def where_it_looks(view: TraceView, layer: int, head: int, query: int, k: int = 8) -> list[tuple[int, float]]:
    """The ``k`` tokens the query token gives the most weight to in one head: (position, weight)."""
    check_layer_head(view, layer, head)
    if not 0 <= query < view.length:
        raise UserInputError(f"Pick a token from 0 to {view.length - 1}.")
    row = view.attentions[layer, head, query, : query + 1]
    order = np.argsort(-row, kind="stable")[:k]
    return [(int(i), float(row[i])) for i in order]

"""One forward pass, step by step, and the logit lens.

1. **Input ids**: the tokenizer's integers.
2. **Embedding rows**: one row of the embedding matrix per id (576 numbers for SmolLM2).
   This vector is the start of the *residual stream*: a running sum every layer adds to.
3. **The layers**: each of the 30 layers reads the stream, computes attention and an MLP,
   and *adds* its result back. The size (norm) of the stream shows how much has been
   written into it.
4. **Final norm**: RMSNorm rescales the last vector to a fixed root-mean-square size.
5. **Logits**: a dot product with every row of the output matrix (SmolLM2 reuses its
   embedding matrix here: tied embeddings) gives one score per vocabulary token; softmax
   turns the scores into next-token probabilities.

**The logit lens** (nostalgebraist, 2020) applies steps 4-5 to the stream after *every*
layer, as if the model stopped there: what would it predict so far? Early layers mostly
echo the input token; the answer appears, and firms up, in later layers.

The trace gives the stream after layers 0..28 as the model computed it; after the last
layer transformers returns the stream *after* the final norm, so the last layer's output
before the norm is recomputed by hand (:func:`playground.tokens.inside.layer_by_hand`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.errors import UserInputError
from playground.threads import one_thread
from playground.tokens import inside
from playground.tokens.attention import TraceView

EMBED_DIMS = 24  # dimensions of the embedding rows shown


def final_norm_module(model):
    base = getattr(model, "base_model", model)
    norm = getattr(base, "norm", None)
    if norm is None:
        raise UserInputError("This model has no final norm the page knows (base_model.norm): use a Llama-family "
                             "model such as the default SmolLM2.")
    return norm


def residual_stream(lm, view: TraceView) -> np.ndarray:
    """(layers + 1, T, hidden) float32: the stream before any layer (the embeddings) and
    after each layer, all *before* the final norm."""
    L = view.layers
    with one_thread(), torch.inference_mode():
        _, last = inside.layer_by_hand(lm.model, torch.from_numpy(view.hidden[L - 1].copy()), L - 1)
    stream = np.concatenate([view.hidden[:L], last.numpy()[None]], axis=0)
    stream.flags.writeable = False
    return stream


def lens_logits(lm, stream: np.ndarray) -> torch.Tensor:
    """Final norm and output head applied to stream vectors (..., hidden) -> (..., vocab),
    float32."""
    with one_thread(), torch.inference_mode():
        x = inside.rms_norm(torch.from_numpy(np.array(stream, dtype=np.float32)),  # a private copy
                            final_norm_module(lm.model))
        if lm.dtype != torch.float32:
            x = x.to(lm.dtype)  # as the model: the norm's output in its own precision, the head in float32
        return lm.logits_from_hidden(x).float()


@dataclass(frozen=True)
class LensRow:
    layer: int  # 0 = the embeddings, l = after layer l - 1 ... L = the model's output
    top: tuple[tuple[int, float], ...]  # (token id, probability), most likely first
    final_prob: float  # probability of the model's final top token, read out here
    final_rank: int  # its rank here (1 = top)


@dataclass(frozen=True)
class ForwardSteps:
    position: int  # the token whose next token is predicted
    input_ids: tuple[int, ...]
    embedding_rows: np.ndarray  # (T, EMBED_DIMS): the first dimensions of each token's row
    embedding_norms: np.ndarray  # (T,)
    stream_norms: np.ndarray  # (layers + 1, T): size of the residual stream
    before_norm: float  # stream size at ``position`` before the final norm
    after_norm: float  # ... and after it
    top: tuple[tuple[int, float], ...]  # the model's top next tokens at ``position``
    lens: tuple[LensRow, ...]  # layers + 1 rows


def forward_steps(lm, view: TraceView, stream: np.ndarray, position: int | None = None, k: int = 10,
                  lens_k: int = 5) -> ForwardSteps:
    """Every step of the forward pass for one position (default: the last token)."""
    T = view.length
    pos = T - 1 if position is None else int(position)
    if not 0 <= pos < T:
        raise UserInputError(f"Pick a token from 0 to {T - 1}.")
    norms = np.linalg.norm(stream.astype(np.float64), axis=-1)  # (L+1, T)
    logits = lens_logits(lm, stream[:, pos])  # (L+1, V)
    probs = torch.softmax(logits, dim=-1)
    final_id = int(probs[-1].argmax())
    lens = []
    for layer in range(len(probs)):
        values, ids = probs[layer].topk(lens_k)
        rank = int((probs[layer] > probs[layer, final_id]).sum()) + 1
        lens.append(LensRow(layer, tuple(zip(ids.tolist(), values.tolist())), float(probs[layer, final_id]), rank))
    values, ids = probs[-1].topk(k)
    after = view.hidden[-1, pos].astype(np.float64)
    embeddings = stream[0].astype(np.float64)
    return ForwardSteps(pos, view.token_ids, embeddings[:, :EMBED_DIMS], np.linalg.norm(embeddings, axis=-1),
                        norms, float(norms[-1, pos]), float(np.linalg.norm(after)),
                        tuple(zip(ids.tolist(), values.tolist())), tuple(lens))


def lens_grid(lm, stream: np.ndarray, positions: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The logit lens for several positions at once: (layers + 1, P) top token ids and their
    probabilities."""
    logits = lens_logits(lm, stream[:, positions])  # (L+1, P, V)
    probs = torch.softmax(logits, dim=-1)
    values, ids = probs.max(dim=-1)
    return ids.numpy(), values.numpy()

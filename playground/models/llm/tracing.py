"""What the model computes inside: hidden states and attention weights of one text.

The fast attention kernel (``sdpa``) never forms the attention matrix, so it cannot
return it. Switching the shared model to ``eager`` attention would change it for every
session. Instead, :meth:`TracingMixin.trace` runs a *twin*: a second module tree built from
the same config with ``attn_implementation="eager"`` whose parameters and buffers are the
shared model's own tensors (no copy, no extra memory). Both only read the weights, so
they can serve at once; every other call keeps the fast kernel.

All layers' attention maps of n tokens take layers x heads x n² floats (30 x 9 x n² x 4
bytes for SmolLM2: 0.28 GB at 512 tokens, 18 GB at 4,096), so a trace is bounded by
``PLAYGROUND_MAX_TRACE_TOKENS``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from playground.errors import UserInputError


@dataclass(frozen=True)
class Trace:
    """One forward pass, every layer. Tensors are float32 on the CPU, owned by the caller."""

    token_ids: list[int]
    hidden_states: torch.Tensor  # (layers + 1, T, hidden): the embeddings, then after each layer
    #                              (the last one after the final norm, as transformers returns it)
    attentions: torch.Tensor  # (layers, heads, T, T): row = query position, column = key position
    logits: torch.Tensor  # (T, vocab): the logits at position i predict token i + 1

    @property
    def layers(self) -> int:
        return int(self.attentions.shape[0])

    @property
    def heads(self) -> int:
        return int(self.attentions.shape[1])


def share_weights_twin(model, attn_implementation: str = "eager"):
    """A second module tree of ``model`` with another attention implementation, whose
    parameters, buffers and tensor attributes are ``model``'s own tensors."""
    from transformers import AutoModelForCausalLM

    config = copy.deepcopy(model.config)
    config._attn_implementation = attn_implementation
    with torch.device("meta"):
        twin = AutoModelForCausalLM.from_config(config, dtype=model.dtype)
    for (name, source), (twin_name, target) in zip(model.named_modules(), twin.named_modules(), strict=True):
        if name != twin_name or type(source) is not type(target):
            raise RuntimeError(f"twin of the model differs at {name!r}")
        target._parameters = dict(source._parameters)  # the same Parameter objects (ties kept)
        target._buffers = dict(source._buffers)
        for attr, value in vars(source).items():  # e.g. rotary embeddings' original_inv_freq
            if isinstance(value, torch.Tensor):
                setattr(target, attr, value)
    twin.generation_config = model.generation_config
    return twin.eval()


class TracingMixin:
    """Hidden states and attention for :class:`~playground.models.llm.engine.LanguageModel`."""

    def __init__(self) -> None:
        self._twin = None
        self._twin_lock = threading.Lock()

    def attention_model(self):
        """The eager-attention twin, built on first use (shares the weights)."""
        with self._twin_lock:
            if self._twin is None:
                self._twin = share_weights_twin(self.model)
            return self._twin

    def trace(self, ids: Sequence[int]) -> Trace:
        """Hidden states and attention weights of ``ids`` (at most
        ``PLAYGROUND_MAX_TRACE_TOKENS`` tokens)."""
        ids = [int(i) for i in ids]
        limit = self.settings.max_trace_tokens
        if not ids:
            raise UserInputError("The text is empty. Type a sentence to look inside the model.")
        if len(ids) > limit:
            raise UserInputError(
                f"The text is {len(ids):,} tokens long; attention maps are shown for at most {limit:,} "
                "(PLAYGROUND_MAX_TRACE_TOKENS). Shorten it.")
        twin = self.attention_model()
        with self._guarded(), torch.inference_mode():
            out = twin.base_model(input_ids=torch.tensor([ids], device=self.device),
                                  output_attentions=True, output_hidden_states=True)
            hidden = torch.stack([h[0] for h in out.hidden_states]).float().cpu()  # (L+1, T, H)
            attentions = torch.stack([a[0] for a in out.attentions]).float().cpu()  # (L, heads, T, T)
            logits = self.logits_from_hidden(out.last_hidden_state[0]).cpu()  # (T, V)
        return Trace(ids, hidden, attentions, logits)

"""How likely is a continuation? Log-probabilities, one pair or thousands.

``log p(continuation | prompt) = Σ_j log p(c_j | prompt, c_<j)``. One forward pass over
``prompt + continuation`` gives every term: the logits at position i predict token i+1, so
continuation token j (at position ``len(prompt) + j``) is scored by the logits one
position before it. Pages use this to classify by label likelihood (few-shot), to score
the right answer of a needle-in-a-haystack question, to colour tokens by probability.

Thousands of pairs are cheap when they are batched:

1. **Shared prefix once.** When every prompt starts with the same tokens (few-shot
   examples, a long haystack), the prefix runs through the model once; its key/value
   cache (transformers' ``DynamicCache``) is kept, read-only, and each batch gets its own
   copy to grow. Only the rest of each pair runs again.
2. **Padded batches.** The remaining rows are padded to one length. With right padding
   (the default) each real token keeps positions ``0..n-1`` after the prefix; with left
   padding the position ids are the running count of real tokens, so a token's position
   never depends on how much padding its row got. The attention mask hides the padding.
3. **Chunked by a token budget.** Rows are sorted by length (less padding) and cut into
   batches of at most ``PLAYGROUND_SCORE_TOKEN_BUDGET`` tokens (rows x (prefix + longest
   row)), so memory stays bounded for any number of pairs.
4. **Only the logits needed.** The output head (576 -> 49,152, in float32) runs only at
   the positions that score a continuation token, not at every prompt position.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from playground.errors import UserInputError

MIN_SHARED_PREFIX = 16  # tokens; shorter common prefixes are not worth a cache
PREFIX_CACHE_SIZE = 4  # prefixes whose key/value caches are kept


@dataclass
class ContinuationScore:
    tokens: list[str]
    token_ids: list[int]
    logprobs: list[float]  # log p(token_i | prompt, tokens before i), natural log

    @property
    def total(self) -> float:
        return float(sum(self.logprobs))


@dataclass(frozen=True)
class PrefixState:
    """The key/value cache of a prefix, shared read-only: (1, kv_heads, L, head_dim) per layer."""

    ids: tuple[int, ...]
    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]

    def __len__(self) -> int:
        return len(self.ids)


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """How many leading tokens every sequence shares."""
    first = sequences[0]
    n = min(len(s) for s in sequences)
    for i in range(n):
        token = first[i]
        if any(s[i] != token for s in sequences):
            return i
    return n


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int, side: str = "right",
              offset: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[int]]:
    """Pad token rows to one length.

    Returns ``input_ids`` and ``attention_mask`` (B, S), ``position_ids`` (B, S) counting
    only real tokens from ``offset`` (the length of a cached prefix), and each row's
    start column (its number of left pads)."""
    if side not in ("left", "right"):
        raise ValueError("side must be 'left' or 'right'")
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    starts = []
    for b, row in enumerate(rows):
        start = width - len(row) if side == "left" else 0
        ids[b, start:start + len(row)] = torch.tensor(row, dtype=torch.long)
        mask[b, start:start + len(row)] = 1
        starts.append(start)
    positions = (mask.cumsum(-1) - 1).clamp(min=0) + offset  # (B, S)
    return ids, mask, positions, starts


class ScoringMixin:
    """Continuation scoring for :class:`~playground.models.llm.engine.LanguageModel`."""

    def __init__(self) -> None:
        self._prefixes: OrderedDict[tuple[int, ...], PrefixState] = OrderedDict()
        self._prefix_lock = threading.Lock()
        self.prefix_passes = 0  # prefixes run through the model (tests read it)

    # -- one pair: the plain reference ------------------------------------------------

    def continuation_logprob(self, prompt_ids: list[int], continuation_ids: list[int]) -> ContinuationScore:
        """log p(continuation | prompt), token by token, in one unbatched forward pass.

        The logits at position i predict token i+1, so token j of the
        continuation is scored by the logits one position before it."""
        _check_pair(prompt_ids, continuation_ids)
        ids = list(prompt_ids) + list(continuation_ids)
        with self._guarded(), torch.inference_mode():
            x = torch.tensor([ids], device=self.device)
            hidden = self.model.base_model(input_ids=x).last_hidden_state[0]  # (T, H)
            logits = self.logits_from_hidden(hidden)  # (T, V) float32
        logp = torch.log_softmax(logits, dim=-1)
        n = len(prompt_ids)
        positions = torch.arange(n - 1, len(ids) - 1, device=logp.device)
        targets = torch.tensor(continuation_ids, device=logp.device)
        values = logp[positions, targets].cpu().tolist()
        return ContinuationScore(self.token_strings(list(continuation_ids)), list(continuation_ids), values)

    # -- many pairs: batched ------------------------------------------------------------

    def continuation_logprobs(self, pairs: Sequence[tuple[Sequence[int], Sequence[int]]],
                              padding_side: str = "right", reuse_prefix: bool = True,
                              token_budget: int | None = None) -> list[ContinuationScore]:
        """``continuation_logprob`` for every ``(prompt_ids, continuation_ids)`` pair, in
        padded batches; one score per pair, in the order given.

        ``reuse_prefix``: run the prompts' common prefix once (when at least
        ``MIN_SHARED_PREFIX`` tokens) and reuse its key/value cache."""
        if not pairs:
            return []
        for prompt, continuation in pairs:
            _check_pair(prompt, continuation)
        budget = int(token_budget or self.settings.score_token_budget)
        prompts = [list(p) for p, _ in pairs]
        # 1. the shared prefix; keep at least one prompt token per row, whose logits
        #    score the first continuation token
        shared = common_prefix_length(prompts) if reuse_prefix else 0
        shared = min(shared, min(len(p) for p in prompts) - 1)
        prefix = self.prefix_state(prompts[0][:shared]) if shared >= MIN_SHARED_PREFIX else None
        skip = len(prefix) if prefix else 0
        rows = [p[skip:] + list(c) for p, (_, c) in zip(prompts, pairs)]
        # 3. chunks of similar length within the token budget
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        results: list[ContinuationScore | None] = [None] * len(rows)
        chunk: list[int] = []
        for i in order:
            if chunk and (len(chunk) + 1) * (skip + len(rows[i])) > budget:
                self._score_chunk(chunk, rows, pairs, skip, prefix, padding_side, results)
                chunk = []
            chunk.append(i)
        self._score_chunk(chunk, rows, pairs, skip, prefix, padding_side, results)
        return results  # type: ignore[return-value]

    def _score_chunk(self, chunk, rows, pairs, skip, prefix, side, results) -> None:
        ids, mask, positions, starts = pad_batch([rows[i] for i in chunk], self.pad_id, side, offset=skip)
        # where each continuation token sits in its row, and the position whose logits predict it
        where_row, where_col, targets, owners = [], [], [], []
        for b, i in enumerate(chunk):
            continuation = list(pairs[i][1])
            first = starts[b] + len(rows[i]) - len(continuation)  # column of the first continuation token
            for j, token in enumerate(continuation):
                where_row.append(b)
                where_col.append(first + j - 1)  # the logits at column c predict column c + 1
                targets.append(token)
                owners.append(i)
        device = self.device
        with self._guarded(), torch.inference_mode():
            cache = prefix_cache(self.model, prefix, len(chunk)) if prefix else None
            if prefix:
                mask = torch.cat([torch.ones(len(chunk), skip, dtype=torch.long), mask], dim=1)
            hidden = self.model.base_model(
                input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                past_key_values=cache, use_cache=cache is not None,
            ).last_hidden_state  # (B, S, H), after the final norm
            picked = hidden[torch.tensor(where_row, device=device), torch.tensor(where_col, device=device)]  # (N, H)
            logits = self.logits_from_hidden(picked)  # (N, V) float32
        logp = torch.log_softmax(logits, dim=-1)
        values = logp[torch.arange(len(targets), device=logp.device), torch.tensor(targets, device=logp.device)]
        values = values.cpu().tolist()
        per_pair: dict[int, list[float]] = {}
        for owner, value in zip(owners, values):
            per_pair.setdefault(owner, []).append(value)
        for i in chunk:
            continuation = list(pairs[i][1])
            results[i] = ContinuationScore(self.token_strings(continuation), continuation, per_pair[i])

    # -- shared prefixes -----------------------------------------------------------------

    def prefix_state(self, prefix_ids: Sequence[int]) -> PrefixState:
        """The key/value cache of a prefix: computed once, kept (a few, least recently
        used dropped first) and shared read-only by every request that starts with it."""
        key = tuple(int(i) for i in prefix_ids)
        with self._prefix_lock:
            if key in self._prefixes:
                self._prefixes.move_to_end(key)
                return self._prefixes[key]
        with self._guarded(), torch.inference_mode():
            out = self.model.base_model(input_ids=torch.tensor([key], device=self.device), use_cache=True)
            cache = out.past_key_values
            state = PrefixState(key, tuple(layer.keys for layer in cache.layers),
                                tuple(layer.values for layer in cache.layers))
            self.prefix_passes += 1
        with self._prefix_lock:
            self._prefixes[key] = state
            while len(self._prefixes) > PREFIX_CACHE_SIZE:
                self._prefixes.popitem(last=False)
        return state


def prefix_cache(model, prefix: PrefixState, batch: int):
    """A fresh ``DynamicCache`` holding ``prefix`` for ``batch`` rows.

    The shared tensors are only read: building the cache concatenates them into new
    tensors, and the forward pass grows those, never the prefix's own."""
    from transformers import DynamicCache

    data = [(k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1))
            for k, v in zip(prefix.keys, prefix.values)]
    return DynamicCache(ddp_cache_data=data, config=model.config)


def _check_pair(prompt_ids: Sequence[int], continuation_ids: Sequence[int]) -> None:
    if not prompt_ids:
        raise UserInputError("The prompt is empty: a continuation needs at least one token before it.")
    if not continuation_ids:
        raise UserInputError("The continuation is empty.")

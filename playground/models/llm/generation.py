"""Generation: one completion or N seeded completions of one prompt, streamed.

The loop is what ``model.generate`` does for sampling, written out so that each
completion draws from its own ``torch.Generator`` (``generate`` draws from torch's
global generator, which every session of the process shares):

1. **Prefill.** The prompt runs through the model once (batch 1); its key/value cache
   (``DynamicCache``) is repeated for the N completions.
2. **Pick.** The last logits (the output head in float32, see
   ``LanguageModel.logits_from_hidden``) go through transformers' own logits processors (repetition
   penalty, temperature, top-k, top-p, min-p: :meth:`GenerationMixin.logits_processors`),
   then softmax, then one draw per completion from that completion's generator, seeded
   with its own seed (greedy: the argmax). The draw runs on the CPU, so a seed gives the
   same text on any device that computes the same probabilities.
3. **Step.** The N new tokens run through the model together (one position each), the
   cache grows, and the loop yields one :class:`GeneratedToken` per completion.

Completion i with seed s in a batch is the completion a batch of one with seed s gives
(tests check it). A completion ends at an end-of-sequence token or ``max_new_tokens``.
The model is held for one forward pass at a time, so other sessions' requests run
between steps, and ``stop`` ends the loop at the next step.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import torch

from playground.errors import UserInputError


@dataclass(frozen=True)
class GenerationSettings:
    """How to pick each next token. Neutral values switch a stage off."""

    max_new_tokens: int = 64
    temperature: float = 1.0  # 0 means greedy: always the most likely token
    top_k: int = 0  # 0: off
    top_p: float = 1.0  # 1.0: off
    min_p: float = 0.0  # 0.0: off
    repetition_penalty: float = 1.0  # 1.0: off
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass
class GeneratedToken:
    """One generated token with what the model thought at that step."""

    token_id: int
    text: str  # the new text this token adds (may be "" inside a multi-byte character)
    prob: float  # the model's own probability (temperature 1, no filtering)
    sampled_prob: float  # the probability under the settings actually used to pick it
    alternatives: list[tuple[int, str, float]] = field(default_factory=list)  # model's top tokens


class _Detokenizer:
    """Turns one completion's ids into text pieces as they arrive; a piece is held back
    while it ends inside a multi-byte character."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.printed = ""

    def add(self, token_id: int) -> str:
        self.ids.append(token_id)
        text = self.tokenizer.decode(self.ids)
        if text.endswith("\ufffd"):
            return ""
        piece, self.printed = text[len(self.printed):], text
        return piece


class GenerationMixin:
    """Generation for :class:`~playground.models.llm.engine.LanguageModel`."""

    def logits_processors(self, gen: GenerationSettings):
        """transformers' own processors for the settings, in the order generate uses."""
        from transformers import (
            LogitsProcessorList,
            MinPLogitsWarper,
            RepetitionPenaltyLogitsProcessor,
            TemperatureLogitsWarper,
            TopKLogitsWarper,
            TopPLogitsWarper,
        )

        procs = LogitsProcessorList()
        if gen.repetition_penalty != 1.0:
            procs.append(RepetitionPenaltyLogitsProcessor(gen.repetition_penalty))
        if gen.greedy:
            return procs
        if gen.temperature != 1.0:
            procs.append(TemperatureLogitsWarper(gen.temperature))
        if gen.top_k > 0:
            procs.append(TopKLogitsWarper(gen.top_k))
        if gen.top_p < 1.0:
            procs.append(TopPLogitsWarper(gen.top_p))
        if gen.min_p > 0.0:
            procs.append(MinPLogitsWarper(gen.min_p))
        return procs

    def _check_generation(self, prompt_ids: Sequence[int], gen: GenerationSettings, n: int) -> None:
        if not prompt_ids:
            raise UserInputError("The prompt is empty. Type a question or a sentence to continue.")
        limit = self.settings.max_new_tokens
        if gen.max_new_tokens > limit:
            raise UserInputError(f"At most {limit} new tokens per completion (PLAYGROUND_MAX_NEW_TOKENS).")
        if gen.max_new_tokens < 1:
            raise UserInputError("Ask for at least one new token.")
        if not 1 <= n <= max(1, self.settings.max_samples):
            raise UserInputError(
                f"Between 1 and {self.settings.max_samples} completions at once (PLAYGROUND_MAX_SAMPLES).")

    def generate_batch_stream(self, prompt_ids: Sequence[int], gen: GenerationSettings,
                              seeds: Sequence[int] | None = None, stop: threading.Event | None = None,
                              alternatives: int = 5) -> Iterator[list[GeneratedToken | None]]:
        """Generate one completion per seed (default: ``gen.seed``) in one batch.

        Yields, after each step, one entry per completion: its new token, or None once
        that completion has ended. Set ``stop`` (or stop iterating) to end early."""
        seeds = [int(gen.seed)] if seeds is None else [int(s) for s in seeds]
        self._check_generation(prompt_ids, gen, len(seeds))
        n = len(seeds)
        stop = stop or threading.Event()
        processors = self.logits_processors(gen)
        generators = [torch.Generator().manual_seed(s) for s in seeds]  # CPU: same draws on any device
        eos = set(self.eos_ids)
        texts = [_Detokenizer(self.tokenizer) for _ in seeds]
        seqs = torch.tensor([list(prompt_ids)] * n, dtype=torch.long)  # (N, T) all tokens so far, CPU
        finished = [False] * n
        prompt_len = len(prompt_ids)

        # 1. prefill once, then one cache row per completion
        with self._guarded(), torch.inference_mode():
            out = self.model.base_model(input_ids=torch.tensor([list(prompt_ids)], device=self.device),
                                        use_cache=True)
            cache = out.past_key_values
            cache.batch_repeat_interleave(n)  # this request's own cache: growing it is safe
            logits = self.logits_from_hidden(out.last_hidden_state[:, -1]).cpu().expand(n, -1)  # (N, V)

        for step in range(gen.max_new_tokens):
            if stop.is_set():
                return
            # 2. pick one token per completion
            with torch.inference_mode():
                raw = torch.softmax(logits, dim=-1)  # (N, V) the model's own distribution
                scores = processors(seqs, logits.clone())
                final = torch.softmax(scores, dim=-1)
                if gen.greedy:
                    chosen = scores.argmax(dim=-1)
                else:
                    chosen = torch.stack([torch.multinomial(final[i], 1, generator=generators[i])[0]
                                          for i in range(n)])
            with self._guarded():  # the tokenizer is shared too
                events: list[GeneratedToken | None] = []
                for i in range(n):
                    if finished[i]:
                        events.append(None)
                        continue
                    token = int(chosen[i])
                    alts = []
                    if alternatives:
                        values, indices = raw[i].topk(alternatives)
                        alts = [(int(t), self.tokenizer.decode([int(t)]), float(v))
                                for t, v in zip(indices, values)]
                    events.append(GeneratedToken(token, texts[i].add(token), float(raw[i, token]),
                                                 float(final[i, token]), alts))
            for i in range(n):
                finished[i] = finished[i] or int(chosen[i]) in eos
            chosen = torch.where(torch.tensor(finished), torch.tensor(self.pad_id), chosen)
            yield events
            if all(finished) or step == gen.max_new_tokens - 1 or stop.is_set():
                return
            # 3. one forward step for every completion
            seqs = torch.cat([seqs, chosen[:, None]], dim=1)
            position = torch.full((n, 1), prompt_len + step, dtype=torch.long, device=self.device)
            with self._guarded(), torch.inference_mode():
                out = self.model.base_model(input_ids=chosen[:, None].to(self.device), position_ids=position,
                                            past_key_values=cache, use_cache=True)
                cache = out.past_key_values
                logits = self.logits_from_hidden(out.last_hidden_state[:, -1]).cpu()

    def generate_stream(self, prompt_ids: Sequence[int], gen: GenerationSettings,
                        stop: threading.Event | None = None, alternatives: int = 5) -> Iterator[GeneratedToken]:
        """One completion, token by token (a batch of one with ``gen.seed``)."""
        for events in self.generate_batch_stream(prompt_ids, gen, None, stop, alternatives):
            if events[0] is None:
                return
            yield events[0]

    def generate_batch(self, prompt_ids: Sequence[int], gen: GenerationSettings,
                       seeds: Sequence[int]) -> list[list[GeneratedToken]]:
        """N whole completions, one per seed."""
        out: list[list[GeneratedToken]] = [[] for _ in seeds]
        for events in self.generate_batch_stream(prompt_ids, gen, seeds):
            for tokens, event in zip(out, events):
                if event is not None:
                    tokens.append(event)
        return out

    def generate(self, prompt_ids: Sequence[int], gen: GenerationSettings) -> list[GeneratedToken]:
        return list(self.generate_stream(prompt_ids, gen))

    def generate_text(self, prompt_ids: Sequence[int], gen: GenerationSettings,
                      skip_special_tokens: bool = True) -> str:
        ids = [t.token_id for t in self.generate(prompt_ids, gen)]
        return self.decode(ids, skip_special_tokens=skip_special_tokens)


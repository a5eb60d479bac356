"""The context window, measured on the model's own answers.

A language model reads at most a fixed number of tokens at once (its *context window*:
8,192 positions for SmolLM2). Three experiments:

1. **Window and truncation** (:func:`window_prompt`): a text with a fact at its very
   start and a question at its end, cut to a window. Cutting the beginning (what a chat
   app does when a conversation grows too long) loses the fact, and the model's answer
   shows it forgot; cutting the end (a tokenizer's default ``truncation=True``) loses
   the question itself.
2. **Needle in a haystack** (:func:`needle_prompts`, :func:`run_needle_cell`): a fact
   (the *needle*) hidden at a chosen depth of a filler text of a chosen length, then a
   question about it. Each cell of the lengths x depths grid is scored twice: did the
   greedy answer contain the right words (an exact rule), and what log-probability did
   the model give the right answer (from the same read of the prompt that starts the answer,
   :func:`answer_and_score`; no judge model, no API).
3. **Lost in the middle** (:func:`middle_prompts`): k short documents, one of them
   holding the answer, its position swept; the closed-book score (no documents) is the
   baseline (Liu et al. 2023, "Lost in the Middle: How Language Models Use Long Contexts").

Prompts are built from separately tokenized pieces (sentences, the needle, the question),
so where the needle sits is known exactly in tokens, and a window cut is a cut in tokens.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from playground.errors import UserInputError
from playground.limits import data
from playground.limits.text import contains, contains_any
from playground.models.llm import GenerationSettings, LanguageModel, PrefixState
from playground.models.llm.scoring import prefix_cache

DEFAULT_LENGTHS = (128, 256, 512, 1024, 2048)
DEFAULT_DEPTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
DISTRACTOR_DEPTHS = (0.125, 0.375, 0.625, 0.875)  # where distractor needles go
DEFAULT_BOUND = 2048  # longest prompt this page runs unless PLAYGROUND_MAX_CONTEXT_TOKENS says more
ANSWER_TOKENS = 12  # new tokens per needle answer: enough for the longest right answer


def model_window(lm: LanguageModel) -> int:
    """The model's context window in tokens (its number of trained positions)."""
    config = lm.model.config
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return 2048


def context_bound(lm: LanguageModel, settings=None) -> int:
    """The longest prompt the page may run: the setting, never past the model's window."""
    if settings is None:
        from playground.config import get_settings
        settings = get_settings()
    bound = int(getattr(settings, "max_context_tokens", 0) or 8192)
    return max(128, min(bound, model_window(lm)))


# -- tokens of pieces -------------------------------------------------------------------------------


def _bos(lm: LanguageModel) -> list[int]:
    """The start-of-text token the tokenizer puts in front of raw text, if any."""
    ids = lm.encode("a", mode="raw", check_length=False)
    bos = getattr(lm.tokenizer, "bos_token_id", None)
    return [int(bos)] if bos is not None and ids and ids[0] == bos else []


def piece_ids(lm: LanguageModel, text: str) -> list[int]:
    """Token ids of a piece of text that goes in the middle of a prompt (no start token)."""
    ids = lm.encode(text, mode="raw", check_length=False)
    bos = getattr(lm.tokenizer, "bos_token_id", None)
    if bos is not None and ids and ids[0] == bos:
        ids = ids[1:]
    return ids


def split_sentences(text: str) -> list[str]:
    """Sentences of a text; a paragraph break stays with the sentence after it."""
    out = []
    for p, paragraph in enumerate(re.split(r"\n\s*\n", text.strip())):
        parts = re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split()))
        for s, sentence in enumerate(part for part in parts if part):
            out.append(("\n\n" if p and s == 0 else " ") + sentence)
    if out:
        out[0] = out[0].lstrip()
    return out


@dataclass(frozen=True)
class Haystack:
    """Filler text as sentences with their token ids, ready to cut to any length."""

    sentences: tuple[str, ...]
    ids: tuple[tuple[int, ...], ...]

    @property
    def tokens(self) -> int:
        return sum(len(i) for i in self.ids)


def build_haystack(lm: LanguageModel, text: str | None = None) -> Haystack:
    """The project's essays (``text=None``) or the user's text, sentence by sentence."""
    text = data.haystack_text() if text is None else text
    sentences = split_sentences(text)
    if not sentences:
        raise UserInputError("The haystack is empty. Paste a text to hide the needle in, or pick the "
                             "project's essays.")
    return Haystack(tuple(sentences), tuple(tuple(piece_ids(lm, s)) for s in sentences))


# -- 1. window and truncation ---------------------------------------------------------------------


@dataclass(frozen=True)
class WindowPrompt:
    """A text plus a question, cut to a window."""

    full: tuple[int, ...]  # the whole prompt
    ids: tuple[int, ...]  # what the model reads after the cut
    text_tokens: int  # tokens of the text alone
    question_tokens: int  # tokens of the question block at the end
    cut_start: int  # tokens cut from the beginning
    cut_end: int  # tokens cut from the end
    fact_span: tuple[int, int] | None  # the fact's tokens in ``full`` (when the text starts with it)

    @property
    def fact_kept(self) -> bool:
        return self.fact_span is not None and self.fact_span[0] >= self.cut_start and \
            self.fact_span[1] <= len(self.full) - self.cut_end

    @property
    def question_kept(self) -> bool:
        return self.cut_end == 0


def question_block(question: str, answer_start: str = "") -> str:
    return f"\n\nQuestion: {question.strip()}\nAnswer:" + (f" {answer_start.strip()}" if answer_start.strip() else "")


def window_prompt(lm: LanguageModel, text: str, question: str, window: int, side: str = "start",
                  answer_start: str = "", fact: str | None = None) -> WindowPrompt:
    """``text`` then the question, cut to ``window`` tokens: ``side="start"`` cuts the
    beginning (keeps the last tokens, the question included), ``side="end"`` cuts the end
    (keeps the first tokens, as ``truncation=True`` does by default)."""
    if side not in ("start", "end"):
        raise ValueError("side must be 'start' or 'end'")
    if window < 16:
        raise UserInputError("Pick a window of at least 16 tokens.")
    start = _bos(lm)
    fact_span = None
    if fact and text.startswith(fact):
        fact_ids = piece_ids(lm, fact)
        rest = text[len(fact):]
        body = fact_ids + (piece_ids(lm, rest) if rest.strip() else [])
        fact_span = (len(start), len(start) + len(fact_ids))
    else:
        body = piece_ids(lm, text)
    tail = piece_ids(lm, question_block(question, answer_start))
    full = start + body + tail
    over = max(0, len(full) - window)
    cut_start, cut_end = (over, 0) if side == "start" else (0, over)
    ids = full[cut_start: len(full) - cut_end]
    return WindowPrompt(tuple(full), tuple(ids), len(body), len(tail), cut_start, cut_end, fact_span)


# -- 2. needle in a haystack ---------------------------------------------------------------------


def needle_continuation(needle: data.Needle) -> str:
    """The right answer as the model should continue the prompt: the rest of the needle
    sentence after the answer's start, or the answer words."""
    start = needle.answer_start.strip()
    if start and needle.sentence.startswith(start):
        return " " + needle.sentence[len(start):].strip().rstrip(".")
    return " " + needle.answer.strip()


def check_needle(needle: data.Needle) -> None:
    """A user's needle must hold its own answer, or no answer could be right."""
    if not needle.sentence.strip():
        raise UserInputError("The needle is empty. Write one sentence with a fact, e.g. \"The door code is 4711.\"")
    if not needle.question.strip():
        raise UserInputError("The question is empty. Ask for the needle's fact, e.g. \"What is the door code?\"")
    if not needle.answer.strip():
        raise UserInputError("The answer is empty. Write the words of the needle a right answer must contain.")
    if not contains(needle.sentence, needle.answer):
        raise UserInputError(f"The answer {needle.answer!r} is not in the needle sentence, so no answer could "
                             "be checked against it. Use words that appear in the needle.")


def lengths_up_to(longest: int, n: int = 5, shortest: int = 128) -> tuple[int, ...]:
    """Up to n lengths doubling up to ``longest``, none under ``shortest`` (room for the
    needle, the question and the distractors): 2,048 -> 128, 256, 512, 1,024, 2,048."""
    return tuple(x for i in range(n) if (x := longest // 2 ** (n - 1 - i)) >= shortest)


def positions_for(documents: int, n: int = 5) -> tuple[int, ...]:
    """Up to n positions spread from the first document to the last."""
    if documents <= n:
        return tuple(range(1, documents + 1))
    return tuple(sorted({round(1 + i * (documents - 1) / (n - 1)) for i in range(n)}))


@dataclass(frozen=True)
class SweepConfig:
    lengths: tuple[int, ...] = DEFAULT_LENGTHS  # prompt tokens, needle and question included
    depths: tuple[float, ...] = DEFAULT_DEPTHS  # 0: the needle opens the text; 1: right before the question
    distractors: bool = False
    window: int = 0  # 0: read everything; else keep only the last ``window`` tokens
    max_new_tokens: int = ANSWER_TOKENS

    @property
    def cells(self) -> int:
        return len(self.lengths) * len(self.depths)


@dataclass(frozen=True)
class NeedlePrompt:
    length: int  # the length asked for
    depth: float
    ids: tuple[int, ...]  # what the model reads (after any cut)
    needle_span: tuple[int, int] | None  # the needle's tokens in ``ids``; None when cut away
    distractor_spans: tuple[tuple[int, int], ...]  # in ``ids``, those that survived the cut
    cut: int  # tokens cut from the beginning
    repeated: bool  # the haystack had to be repeated to reach the length


def _fill(hay: Haystack, budget: int) -> tuple[list[tuple[int, ...]], bool]:
    """Whole sentences, repeating the haystack if needed, up to ``budget`` tokens."""
    out, total, i = [], 0, 0
    n = len(hay.ids)
    while True:
        piece = hay.ids[i % n]
        if total + len(piece) > budget:
            break
        out.append(piece)
        total += len(piece)
        i += 1
        if i > 100_000:  # cannot happen with non-empty sentences; a guard all the same
            break
    return out, i > n


def needle_prompt(lm: LanguageModel, hay: Haystack, needle: data.Needle, length: int, depth: float,
                  distractors: bool = False, window: int = 0) -> NeedlePrompt:
    """One prompt: the haystack cut to fit ``length`` tokens in all, the needle after the
    sentence at ``depth`` of it, distractors (if on) at fixed depths, then the question."""
    start = _bos(lm)
    needle_ids = piece_ids(lm, " " + needle.sentence.strip())
    others = [piece_ids(lm, " " + d.strip()) for d in needle.distractors] if distractors else []
    tail = piece_ids(lm, question_block(needle.question, needle.answer_start))
    fixed = len(start) + len(needle_ids) + sum(len(d) for d in others) + len(tail)
    if len(needle_ids) >= hay.tokens:
        raise UserInputError(
            f"The needle ({len(needle_ids)} tokens) is longer than the haystack ({hay.tokens} tokens): there "
            "is nothing to hide it in. Paste a longer text or write a shorter needle.")
    budget = length - fixed
    shortest = min(len(i) for i in hay.ids)
    if budget < shortest:
        raise UserInputError(
            f"A {length}-token prompt has no room for filler: the needle, question and distractors take "
            f"{fixed} tokens. Pick longer lengths or switch the distractors off.")
    sentences, repeated = _fill(hay, budget)
    # (1) where each inserted sentence goes: after sentence round(depth * n)
    n = len(sentences)
    inserts = [(round(depth * n), 0, needle_ids)]
    inserts += [(round(d * n), k + 1, ids) for k, (d, ids) in enumerate(zip(DISTRACTOR_DEPTHS, others))]
    inserts.sort(key=lambda t: (t[0], t[1]))  # the needle first where two meet
    # (2) assemble, remembering each inserted sentence's token span
    ids: list[int] = list(start)
    spans: dict[int, tuple[int, int]] = {}
    j = 0
    for i in range(n + 1):
        while j < len(inserts) and inserts[j][0] == i:
            _, which, piece = inserts[j]
            spans[which] = (len(ids), len(ids) + len(piece))
            ids.extend(piece)
            j += 1
        if i < n:
            ids.extend(sentences[i])
    ids.extend(tail)
    # (3) the window: keep the last ``window`` tokens (the question stays)
    cut = max(0, len(ids) - window) if window else 0
    ids = ids[cut:]

    def shifted(span: tuple[int, int]) -> tuple[int, int] | None:
        return (span[0] - cut, span[1] - cut) if span[0] >= cut else None

    needle_span = shifted(spans[0])
    kept = tuple(s for k, span in sorted(spans.items()) if k and (s := shifted(span)) is not None)
    return NeedlePrompt(length, depth, tuple(ids), needle_span, kept, cut, repeated)


def needle_prompts(lm: LanguageModel, hay: Haystack, needle: data.Needle, config: SweepConfig) -> list[NeedlePrompt]:
    """Every cell's prompt, row by row (lengths), depths within a row."""
    return [needle_prompt(lm, hay, needle, length, depth, config.distractors, config.window)
            for length in config.lengths for depth in config.depths]


@dataclass(frozen=True)
class Answer:
    text: str  # up to the first line break
    token_ids: tuple[int, ...]
    probs: tuple[float, ...]  # the model's probability of each generated token (T = 1)


def greedy_answer(lm: LanguageModel, ids: Sequence[int], max_new_tokens: int,
                  stop: threading.Event | None = None, stop_at_period: bool = True) -> Answer:
    """The most likely continuation, token by token, up to a line break (or a sentence
    end when ``stop_at_period``) or ``max_new_tokens``."""
    tokens = []
    gen = GenerationSettings(max_new_tokens=max_new_tokens, temperature=0.0)
    eos = set(lm.eos_ids)
    for token in lm.generate_stream(list(ids), gen, stop=stop, alternatives=0):
        if token.token_id in eos:  # the end of the answer: not part of its text
            break
        tokens.append(token)
        if _answer_ends("".join(t.text for t in tokens), stop_at_period):
            break
    text = "".join(t.text for t in tokens)
    stripped = text.lstrip()
    if "\n" in stripped:
        text = stripped.split("\n", 1)[0]
    return Answer(text.strip(), tuple(t.token_id for t in tokens), tuple(t.prob for t in tokens))


def _answer_ends(text: str, stop_at_period: bool) -> bool:
    return "\n" in text.lstrip() or (stop_at_period and text.rstrip().endswith(".") and len(text.strip()) > 1)


def answer_and_score(lm: LanguageModel, ids: Sequence[int], gold: Sequence[int], max_new_tokens: int,
                     stop: threading.Event | None = None, stop_at_period: bool = True) -> tuple[Answer, float]:
    """The greedy answer (as :func:`greedy_answer` gives it) and log p(gold | ids), from
    one read of the prompt instead of two.

    1. One forward pass over ``ids + gold`` (n + g tokens) keeps its key/value cache. The
       logits at positions n-1 .. n+g-2 score the g gold tokens (position i predicts
       token i+1); those at n-1 also pick the first answer token.
    2. The cache, cut back to the n prompt tokens (views of its first n positions; the
       decode steps grow new tensors from them), then one greedy token per step, each
       step in its own turn of the model queue so other sessions are not held up.

    For a 2,048-token cell the prompt is most of the work, so a sweep runs in a little
    over half the time of a generation followed by a separate scoring pass."""
    ids, gold = [int(i) for i in ids], [int(i) for i in gold]
    if not ids or not gold:
        raise UserInputError("Both the prompt and the answer to score need at least one token.")
    n, g = len(ids), len(gold)
    with lm.queue.turn(), torch.inference_mode():
        out = lm.model.base_model(input_ids=torch.tensor([ids + gold], device=lm.device), use_cache=True)
        logits = lm.logits_from_hidden(out.last_hidden_state[0, n - 1: n + g - 1]).cpu()  # (g, V) float32
        layers = out.past_key_values.layers
        prompt_state = PrefixState(tuple(ids), tuple(layer.keys[:, :, :n] for layer in layers),
                                   tuple(layer.values[:, :, :n] for layer in layers))
        del out, layers
    logp = torch.log_softmax(logits, dim=-1)  # (g, V)
    score = float(logp[torch.arange(g), torch.tensor(gold)].sum())
    step = logp[0]  # (V,) the distribution of the first answer token
    eos = set(lm.eos_ids)
    tokens: list[int] = []
    probs: list[float] = []
    cache = None
    text = ""
    for i in range(max_new_tokens):
        if stop is not None and stop.is_set():
            break
        token = int(step.argmax())
        if token in eos:  # the end of the answer: not part of its text
            break
        tokens.append(token)
        probs.append(float(step[token].exp()))
        text = lm.decode(tokens)
        if _answer_ends(text, stop_at_period) or i == max_new_tokens - 1:
            break
        with lm.queue.turn(), torch.inference_mode():
            cache = prefix_cache(lm.model, prompt_state, 1) if cache is None else cache
            out = lm.model.base_model(input_ids=torch.tensor([[token]], device=lm.device),
                                      position_ids=torch.tensor([[n + i]], device=lm.device),
                                      past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            step = torch.log_softmax(lm.logits_from_hidden(out.last_hidden_state[0, -1]).cpu(), dim=-1)
    stripped = text.lstrip()
    if "\n" in stripped:
        text = stripped.split("\n", 1)[0]
    return Answer(text.strip(), tuple(tokens), tuple(probs)), score


@dataclass(frozen=True)
class NeedleCell:
    prompt: NeedlePrompt
    answer: str
    found: bool  # the answer holds the needle's answer words
    logprob: float  # log p(right answer | prompt), natural log, summed over its tokens
    answer_tokens: int
    distractor: str | None  # a distractor's answer the model gave instead, if any
    seconds: float

    @property
    def length(self) -> int:
        return self.prompt.length

    @property
    def depth(self) -> float:
        return self.prompt.depth

    @property
    def tokens(self) -> int:
        return len(self.prompt.ids)

    @property
    def needle_kept(self) -> bool:
        return self.prompt.needle_span is not None


def run_needle_cell(lm: LanguageModel, prompt: NeedlePrompt, needle: data.Needle, max_new_tokens: int = ANSWER_TOKENS,
                    stop: threading.Event | None = None) -> NeedleCell:
    """Answer one cell greedily and score the right answer's log-probability."""
    begin = time.perf_counter()
    gold = piece_ids(lm, needle_continuation(needle))
    # one read of the prompt for both; nothing goes into the engine's shared-prefix cache: a
    # sweep's prompts share little, and caching each would push out other sessions' prefixes
    answer, score = answer_and_score(lm, prompt.ids, gold, max_new_tokens, stop)
    found = contains(answer.text, needle.answer)
    hit = None if found else contains_any(answer.text, needle.distractor_answers)
    return NeedleCell(prompt, answer.text, found, score, len(gold), hit, time.perf_counter() - begin)


def needle_sweep(lm: LanguageModel, hay: Haystack, needle: data.Needle, config: SweepConfig,
                 stop: threading.Event | None = None, skip=()) -> Iterator[NeedleCell]:
    """Every cell of the grid in turn (rows of lengths), except the (length, depth) cells
    in ``skip`` (done before a stop); stops between cells when ``stop`` is set."""
    check_needle(needle)
    prompts = needle_prompts(lm, hay, needle, config)  # all built first: bad settings fail before any model call
    skip = set(skip)
    for prompt in prompts:
        if stop is not None and stop.is_set():
            return
        if (prompt.length, prompt.depth) in skip:
            continue
        yield run_needle_cell(lm, prompt, needle, config.max_new_tokens, stop)


@dataclass(frozen=True)
class SweepTable:
    """The sweep's cells as grids (rows: lengths, columns: depths)."""

    lengths: tuple[int, ...]
    depths: tuple[float, ...]
    found: tuple[tuple[float | None, ...], ...]  # 1 found, 0 not, None not run
    logprob: tuple[tuple[float | None, ...], ...]


def sweep_table(cells: Sequence[NeedleCell], config: SweepConfig) -> SweepTable:
    by_key = {(c.length, c.depth): c for c in cells}
    found = tuple(tuple((float(by_key[(n, d)].found) if (n, d) in by_key else None) for d in config.depths)
                  for n in config.lengths)
    logprob = tuple(tuple((by_key[(n, d)].logprob if (n, d) in by_key else None) for d in config.depths)
                    for n in config.lengths)
    return SweepTable(config.lengths, config.depths, found, logprob)


def segments(lm: LanguageModel, prompt: NeedlePrompt) -> list[tuple[str, str]]:
    """The prompt as (text, kind) pieces: kind is "needle", "distractor" or "text"."""
    marks = [(s, e, "distractor") for s, e in prompt.distractor_spans]
    if prompt.needle_span:
        marks.append((*prompt.needle_span, "needle"))
    marks.sort()
    out, at = [], 0
    for s, e, kind in marks:
        if s > at:
            out.append((lm.decode(list(prompt.ids[at:s])), "text"))
        out.append((lm.decode(list(prompt.ids[s:e])), kind))
        at = e
    if at < len(prompt.ids):
        out.append((lm.decode(list(prompt.ids[at:])), "text"))
    return out


# -- 3. lost in the middle ------------------------------------------------------------------------


@dataclass(frozen=True)
class MiddleConfig:
    documents: int = 10  # k documents per prompt, one of them with the answer
    positions: tuple[int, ...] = (1, 3, 6, 8, 10)  # where the answer's document goes (1 = first)
    questions: int = 10  # how many questions (one per town, attributes in turn)
    seed: int = 0  # the order of the other documents
    max_new_tokens: int = 6


@dataclass(frozen=True)
class MiddleQuestion:
    town: data.Town
    attribute: str
    question: str
    answer_start: str
    answer: str
    documents: tuple[str, ...]  # the k - 1 documents without the answer, in a fixed order
    gold: str  # the document with the answer


def _document(tq: data.TownQuestion, town: data.Town) -> str:
    return tq.document.format(town=town.name, value=getattr(town, tq.attribute), setting=town.setting)


def middle_questions(config: MiddleConfig) -> list[MiddleQuestion]:
    k = config.documents
    if not 2 <= k <= len(data.TOWNS):
        raise UserInputError(f"Use between 2 and {len(data.TOWNS)} documents.")
    if not config.positions or any(not 1 <= p <= k for p in config.positions):
        raise UserInputError(f"Positions go from 1 to {k}.")
    attributes = list(data.TOWN_QUESTIONS)
    out = []
    for i in range(config.questions):
        town = data.TOWNS[i % len(data.TOWNS)]
        tq = data.TOWN_QUESTIONS[attributes[i % len(attributes)]]
        others = [t for t in data.TOWNS if t is not town]
        random.Random(config.seed * 1000 + i).shuffle(others)  # each question its own order, seeded
        out.append(MiddleQuestion(town, tq.attribute, tq.question.format(town=town.name),
                                  tq.answer_start.format(town=town.name), getattr(town, tq.attribute),
                                  tuple(_document(tq, t) for t in others[: k - 1]), _document(tq, town)))
    return out


def middle_text(q: MiddleQuestion, position: int | None) -> str:
    """The prompt text: documents (the answer's at ``position``; None: closed book), question."""
    if position is None:
        head = "Answer the question."
    else:
        docs = list(q.documents)
        docs.insert(position - 1, q.gold)
        head = "Read the documents and answer the question.\n\n" + "\n".join(
            f"Document [{i}]: {d}" for i, d in enumerate(docs, start=1))
    return head + question_block(q.question, q.answer_start)


@dataclass(frozen=True)
class MiddleResult:
    question: int  # index into middle_questions
    position: int | None  # None: closed book
    answer: str
    right: bool
    logprob: float


def middle_run(lm: LanguageModel, config: MiddleConfig, stop: threading.Event | None = None,
               skip=()) -> Iterator[MiddleResult]:
    """Each question closed-book first, then with the answer's document at each position;
    (question, position) pairs in ``skip`` were done before a stop."""
    questions = middle_questions(config)
    start = _bos(lm)
    skip = set(skip)
    for i, q in enumerate(questions):
        gold = piece_ids(lm, " " + q.answer)
        for position in (None, *config.positions):
            if stop is not None and stop.is_set():
                return
            if (i, position) in skip:
                continue
            ids = start + piece_ids(lm, middle_text(q, position))
            answer, score = answer_and_score(lm, ids, gold, config.max_new_tokens, stop)
            yield MiddleResult(i, position, answer.text, contains(answer.text, q.answer), score)


@dataclass(frozen=True)
class MiddleCurve:
    positions: tuple[int, ...]
    accuracy: tuple[float, ...]  # share right at each position
    mean_logprob: tuple[float, ...]
    closed_book: float
    closed_book_logprob: float
    questions: int


def middle_curve(results: Sequence[MiddleResult], config: MiddleConfig) -> MiddleCurve:
    def stats(position):
        rows = [r for r in results if r.position == position]
        if not rows:
            return float("nan"), float("nan")
        return sum(r.right for r in rows) / len(rows), sum(r.logprob for r in rows) / len(rows)

    per = [stats(p) for p in config.positions]
    closed = stats(None)
    return MiddleCurve(tuple(config.positions), tuple(a for a, _ in per), tuple(lp for _, lp in per),
                       closed[0], closed[1], len({r.question for r in results}))

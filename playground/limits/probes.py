"""Probe questions: ask, grade by an exact rule, and measure a whole labelled set.

Grading (:func:`grade`) never asks a model. An answer is

* **right** when it holds one of the probe's accepted phrases as whole words (after
  :func:`~playground.limits.text.normalise`), or, for arithmetic, when the first number
  in it is the sum;
* **don't know** when it holds none of them but says it does not know (``data.ABSTAIN``):
  the right answer for fictional entities and events after training, not a wrong one
  anywhere;
* **wrong** otherwise: an answer given with words, but not the right one.

The probe set (:func:`run_probe_set`) asks every question greedily (temperature 0) and k
times sampled (temperature 0.7 by default), without and with retrieved passages, and
keeps every answer's uncertainty signals; :func:`summarise` turns the runs into the
tables the page shows. Arithmetic uses the few-shot format of the GPT-3 paper
("Q: What is 48 plus 76?  A: 124") so its curve can sit beside GPT-3's.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from playground.limits import data, retrieval
from playground.limits.context import greedy_answer
from playground.limits.text import check_question, contains_any, numbers_in
from playground.limits.uncertainty import (
    Consistency,
    TokenInfo,
    auroc,
    consistency,
    sampled_answers,
    summarise_tokens,
    token_uncertainty,
)
from playground.models.llm import LanguageModel

SYSTEM = "Answer the question in one short sentence. If you do not know the answer, say so."
OUTCOMES = ("right", "don't know", "wrong")
FEW_SHOT = (
    "Q: What is 3 plus 5?\nA: 8\n\n"
    "Q: What is 27 plus 14?\nA: 41\n\n"
    "Q: What is 318 plus 675?\nA: 993\n\n"
)


def grade(probe: data.Probe, answer: str) -> str:
    """"right", "don't know" or "wrong", by the rule in the module docstring."""
    if probe.number is not None:
        numbers = numbers_in(answer)
        if numbers:
            return "right" if numbers[0] == probe.number else "wrong"
        return "don't know" if contains_any(answer, data.ABSTAIN) else "wrong"
    if contains_any(answer, probe.accept):
        return "right"
    if contains_any(answer, data.ABSTAIN):
        return "don't know"
    return "wrong"


def counts_as_right(probe: data.Probe, outcome: str) -> bool:
    return outcome == "right" or (outcome == "don't know" and probe.abstain_ok)


# -- arithmetic ------------------------------------------------------------------------------------


def addition(digits: int, n: int, seed: int = 0) -> list[data.Probe]:
    """n additions of two ``digits``-digit numbers, drawn from their own seeded generator."""
    if not 1 <= digits <= 12:
        raise ValueError("digits from 1 to 12")
    rng = random.Random(seed * 100 + digits)
    low, high = (1 if digits == 1 else 10 ** (digits - 1)), 10 ** digits - 1
    out = []
    for _ in range(n):
        a, b = rng.randint(low, high), rng.randint(low, high)
        out.append(data.Probe("arithmetic", f"What is {a} plus {b}?", number=a + b))
    return out


def digits_of(probe: data.Probe) -> int:
    return len(str(numbers_in(probe.question)[0]))


def arithmetic_probes(per_digit: int = 1, digits: Sequence[int] = (1, 2, 3, 4, 5, 6), seed: int = 0):
    return [p for d in digits for p in addition(d, per_digit, seed)]


def all_probes(seed: int = 0) -> list[data.Probe]:
    """The fixed questions and one addition per number of digits (1 to 6)."""
    return list(data.PROBES) + arithmetic_probes(1, seed=seed)


# -- asking -------------------------------------------------------------------------------------------


def prompt_ids(lm: LanguageModel, probe: data.Probe, passages: Sequence[retrieval.Passage] = ()) -> list[int]:
    """Arithmetic: the few-shot text. Everything else: the chat template, a system line
    asking for one short sentence, and the retrieved passages (if any) before the question."""
    if probe.number is not None:
        return lm.encode(FEW_SHOT + f"Q: {probe.question}\nA:", mode="raw")
    text = retrieval.grounded_question(probe.question, passages) if passages else probe.question
    return lm.encode(text, mode="chat", system=SYSTEM)


def prompt_text(lm: LanguageModel, probe: data.Probe, passages: Sequence[retrieval.Passage] = ()) -> str:
    if probe.number is not None:
        return FEW_SHOT + f"Q: {probe.question}\nA:"
    text = retrieval.grounded_question(probe.question, passages) if passages else probe.question
    return lm.render_prompt(text, "chat", system=SYSTEM)


@dataclass(frozen=True)
class ProbeConfig:
    temperature: float = 0.7  # the sampled answers' temperature (the other is 0: greedy)
    samples: int = 5  # k sampled answers per question
    seed: int = 0  # sample i uses seed + i; arithmetic problems are drawn from it too
    retrieval_k: int = 3
    threshold: float = 0.85  # MiniLM cosine similarity above which two answers mean the same
    max_new_tokens: int = 32
    per_category: int = 0  # questions per category; 0: all of them
    digits: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    per_digit: int = 5  # additions per number of digits
    retriever: str = "minilm"  # "minilm" (meaning) or "bm25" (words): see retrieval.py


@dataclass(frozen=True)
class ProbeRun:
    probe: data.Probe
    retrieval: bool
    passages: tuple[str, ...]  # ids of the passages put in front of the question
    greedy: str
    outcome: str  # of the greedy answer
    samples: tuple[str, ...]
    sample_outcomes: tuple[str, ...]
    mean_entropy: float  # bits, over the greedy answer's tokens
    mean_surprisal: float  # bits
    semantic_entropy: float  # bits, over the groups of the sampled answers
    agreement: float  # share of the samples that mean the same as the greedy answer

    @property
    def wrong(self) -> bool:
        return self.outcome == "wrong"


def probe_set(config: ProbeConfig) -> list[data.Probe]:
    out = []
    for category in data.CATEGORIES[:-1]:
        questions = [p for p in data.PROBES if p.category == category]
        out += questions[: config.per_category] if config.per_category else questions
    return out + arithmetic_probes(config.per_digit, config.digits, config.seed)


def planned_runs(config: ProbeConfig) -> int:
    return sum(1 if p.number is not None else 2 for p in probe_set(config))


def ask(lm: LanguageModel, embedder, probe: data.Probe, config: ProbeConfig,
        kb: retrieval.KnowledgeBase | None = None, stop: threading.Event | None = None) -> ProbeRun:
    """One question, one condition (with passages when ``kb`` is given)."""
    passages = kb.search(embedder, probe.question, config.retrieval_k, config.retriever) if kb is not None else []
    ids = prompt_ids(lm, probe, passages)
    numeric = probe.number is not None
    new = 12 if numeric else config.max_new_tokens
    answer = greedy_answer(lm, ids, new, stop, stop_at_period=False)
    tokens = token_uncertainty(lm, ids, answer.token_ids) if answer.token_ids else []
    summary = summarise_tokens(tokens)
    seeds = [config.seed + i for i in range(config.samples)]
    samples = sampled_answers(lm, ids, config.temperature, seeds, new, stop) if config.samples else []
    groups = consistency(samples, answer.text, embedder, config.threshold, numeric) if samples else None
    return ProbeRun(
        probe, kb is not None, tuple(p.id for p in passages), answer.text, grade(probe, answer.text),
        tuple(samples), tuple(grade(probe, s) for s in samples), summary.mean_entropy, summary.mean_surprisal,
        groups.entropy if groups else float("nan"), groups.agreement if groups else float("nan"))


def run_probe_set(lm: LanguageModel, embedder, kb: retrieval.KnowledgeBase, config: ProbeConfig,
                  stop: threading.Event | None = None, skip=()) -> Iterator[ProbeRun]:
    """Every question without, then with retrieval (arithmetic: without only); the
    (question, retrieval) pairs in ``skip`` were done before a stop."""
    skip = set(skip)
    for probe in probe_set(config):
        for grounded in ((False,) if probe.number is not None else (False, True)):
            if stop is not None and stop.is_set():
                return
            if (probe.question, grounded) in skip:
                continue
            yield ask(lm, embedder, probe, config, kb if grounded else None, stop)


# -- one question, looked at closely --------------------------------------------------------------------


@dataclass(frozen=True)
class Examined:
    """One answer with everything the page shows about it."""

    probe: data.Probe
    prompt: str  # the exact text the model reads
    passages: tuple[retrieval.Passage, ...]  # retrieved for the question
    grounded: bool  # the passages were put in front of the question (else only checked against)
    answer: str
    tokens: tuple[TokenInfo, ...]
    outcome: str | None  # by the gold rule; None for the user's own question
    consistency: Consistency | None
    sample_outcomes: tuple[str, ...]
    support: float  # MiniLM similarity of the answer to the closest passage (NaN without passages)
    words: retrieval.Support | None  # the answer's new words the passages hold, and those they do not


def own_question(text: str) -> data.Probe:
    """The user's question, checked; it has no gold label."""
    check_question(text)
    return data.Probe("your question", " ".join(text.split()))


def examine(lm: LanguageModel, embedder, probe: data.Probe, config: ProbeConfig,
            kb: retrieval.KnowledgeBase | None = None, stop: threading.Event | None = None,
            grounded: bool = True) -> Examined:
    """Ask one question: the greedy answer with each token's probability and entropy, k
    sampled answers grouped by meaning, the grade. With ``kb``, the closest passages are
    retrieved: put in front of the question when ``grounded``, else only used to check
    which words of the answer they hold."""
    passages = tuple(kb.search(embedder, probe.question, config.retrieval_k, config.retriever)) \
        if kb is not None else ()
    ids = prompt_ids(lm, probe, passages if grounded else ())
    numeric = probe.number is not None
    new = 12 if numeric else config.max_new_tokens
    answer = greedy_answer(lm, ids, new, stop, stop_at_period=False)
    tokens = tuple(token_uncertainty(lm, ids, answer.token_ids)) if answer.token_ids else ()
    seeds = [config.seed + i for i in range(config.samples)]
    samples = sampled_answers(lm, ids, config.temperature, seeds, new, stop) if config.samples else []
    groups = consistency(samples, answer.text, embedder, config.threshold, numeric) if samples else None
    gold = probe.category in data.CATEGORIES
    return Examined(
        probe, prompt_text(lm, probe, passages if grounded else ()), passages, bool(grounded and passages),
        answer.text, tokens, grade(probe, answer.text) if gold else None, groups,
        tuple(grade(probe, s) for s in samples) if gold else (),
        retrieval.support(answer.text, passages, embedder) if passages else float("nan"),
        retrieval.word_support(answer.text, probe.question, passages) if passages else None)


# -- the summary tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    # wrong-answer rate by category: {category: {condition: rate}}; conditions like "T=0 · no retrieval"
    wrong: dict[str, dict[str, float]]
    dont_know: dict[str, dict[str, float]]
    conditions: tuple[str, ...]
    # arithmetic: {digits: (accuracy greedy, accuracy sampled, problems)}
    arithmetic: dict[int, tuple[float, float, int]]
    # signal -> (AUROC, wrong answers, right answers), greedy answers without retrieval
    separation: dict[str, tuple[float, int, int]]
    runs: int


SIGNALS = {
    "token entropy (mean)": lambda r: r.mean_entropy,
    "token surprisal (mean)": lambda r: r.mean_surprisal,
    "semantic entropy of samples": lambda r: r.semantic_entropy,
    "disagreement with samples": lambda r: 1.0 - r.agreement if not math.isnan(r.agreement) else float("nan"),
}


def condition_name(temperature: float, grounded: bool) -> str:
    return f"T={temperature:g} · {'retrieval' if grounded else 'no retrieval'}"


def summarise(runs: Sequence[ProbeRun], config: ProbeConfig) -> Summary:
    conditions = tuple(condition_name(t, g) for t in (0.0, config.temperature) for g in (False, True))
    wrong: dict[str, dict[str, float]] = {}
    dont_know: dict[str, dict[str, float]] = {}
    for category in data.CATEGORIES:
        wrong[category], dont_know[category] = {}, {}
        for grounded in (False, True):
            rows = [r for r in runs if r.probe.category == category and r.retrieval == grounded]
            if not rows:
                continue
            greedy = [r.outcome for r in rows]
            sampled = [o for r in rows for o in r.sample_outcomes]
            for temperature, outcomes in ((0.0, greedy), (config.temperature, sampled)):
                if outcomes:
                    name = condition_name(temperature, grounded)
                    wrong[category][name] = sum(o == "wrong" for o in outcomes) / len(outcomes)
                    dont_know[category][name] = sum(o == "don't know" for o in outcomes) / len(outcomes)
    arithmetic = {}
    for d in sorted({digits_of(r.probe) for r in runs if r.probe.number is not None}):
        rows = [r for r in runs if r.probe.number is not None and digits_of(r.probe) == d]
        sampled = [o for r in rows for o in r.sample_outcomes]
        arithmetic[d] = (sum(r.outcome == "right" for r in rows) / len(rows),
                         sum(o == "right" for o in sampled) / len(sampled) if sampled else float("nan"),
                         len(rows))
    base = [r for r in runs if not r.retrieval and r.outcome != "don't know"]
    separation = {}
    for name, signal in SIGNALS.items():
        values = [signal(r) for r in base]
        usable = [(v, r.wrong) for v, r in zip(values, base) if not math.isnan(v)]
        separation[name] = (auroc([v for v, _ in usable], [w for _, w in usable]),
                            sum(1 for _, w in usable if w), sum(1 for _, w in usable if not w))
    return Summary(wrong, dont_know, conditions, arithmetic, separation, len(runs))

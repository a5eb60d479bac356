"""How sure was the model? Three signals, none of them a verdict.

1. **Token probability and entropy** (:func:`token_uncertainty`). One forward pass over
   prompt + answer gives, at every position, the model's whole next-token distribution.
   The logits at position i predict token i+1, so answer token j (at position
   ``n + j`` for an n-token prompt) is read from the distribution at position
   ``n + j - 1``: its probability p, and the entropy of that distribution,
   H = -Σ_v p_v log2 p_v bits (0: one token certain; 15.6 bits: all 49,152 alike).
2. **Self-consistency / semantic entropy** (:func:`consistency`). Ask again k times with
   sampling, group the k answers by meaning, and measure how spread the groups are:
   H = -Σ_g (n_g / k) log2(n_g / k) bits over the groups (Kuhn, Gal & Farquhar 2023,
   "Semantic Uncertainty"; they group by entailment with a second model, here two
   answers mean the same when their MiniLM sentence vectors have cosine similarity at
   least ``threshold``, or, for numbers, when they state the same number).
3. **AUROC** (:func:`auroc`): how well a signal separates the wrong answers from the
   right ones over a labelled set: the chance that a random wrong answer has a higher
   uncertainty than a random right one (0.5: no better than a coin, 1.0: perfect).

None of these says "this answer is made up": a confident model can be wrong and an
unsure one right. The page shows them as uncertainty, beside the gold labels.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from playground.limits.text import numbers_in
from playground.models.llm import GenerationSettings, LanguageModel

ENTROPY_MAX_NOTE = "log2(vocabulary size)"


@dataclass(frozen=True)
class TokenInfo:
    token_id: int
    text: str
    prob: float  # p(token | everything before it), temperature 1
    entropy: float  # bits, of the distribution the token was drawn from
    alternatives: tuple[tuple[str, float], ...]  # the model's top tokens at that step


def token_uncertainty(lm: LanguageModel, prompt_ids: Sequence[int], answer_ids: Sequence[int],
                      top: int = 5) -> list[TokenInfo]:
    """Probability and entropy of each answer token, from one forward pass.

    Shapes: ids (1, T) with T = n + m; hidden (T, H); the head runs only at the m
    positions n-1 .. n+m-2, whose logits (m, V) predict the m answer tokens."""
    prompt_ids, answer_ids = list(prompt_ids), list(answer_ids)
    if not prompt_ids or not answer_ids:
        return []
    n, m = len(prompt_ids), len(answer_ids)
    with lm.queue.turn(), torch.inference_mode():  # the shared model, in its turn
        x = torch.tensor([prompt_ids + answer_ids], device=lm.device)  # (1, T)
        hidden = lm.model.base_model(input_ids=x).last_hidden_state[0]  # (T, H)
        logits = lm.logits_from_hidden(hidden[n - 1: n + m - 1]).cpu()  # (m, V) float32
    logp = torch.log_softmax(logits, dim=-1)  # (m, V)
    probs = logp.exp()
    entropy = -(probs * logp).sum(-1) / math.log(2)  # (m,) bits
    chosen = logp[torch.arange(m), torch.tensor(answer_ids)].exp()  # (m,)
    values, indices = probs.topk(top, dim=-1)  # (m, top)
    strings = lm.token_strings(answer_ids + indices.flatten().tolist())
    texts, alt_strings = strings[:m], strings[m:]
    out = []
    for j in range(m):
        alts = tuple((alt_strings[j * top + a], float(values[j, a])) for a in range(top))
        out.append(TokenInfo(answer_ids[j], texts[j], float(chosen[j]), float(entropy[j]), alts))
    return out


@dataclass(frozen=True)
class TokenSummary:
    mean_entropy: float  # bits
    mean_surprisal: float  # -mean log2 p, bits
    lowest_prob: float


def summarise_tokens(tokens: Sequence[TokenInfo]) -> TokenSummary:
    if not tokens:
        return TokenSummary(float("nan"), float("nan"), float("nan"))
    return TokenSummary(
        float(np.mean([t.entropy for t in tokens])),
        float(np.mean([-math.log2(max(t.prob, 1e-30)) for t in tokens])),
        float(min(t.prob for t in tokens)))


# -- sampled answers --------------------------------------------------------------------------------


def sampled_answers(lm: LanguageModel, ids: Sequence[int], temperature: float, seeds: Sequence[int],
                    max_new_tokens: int, stop: threading.Event | None = None) -> list[str]:
    """k answers drawn in one batch (answer i from seed i), each up to its first line break."""
    gen = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature, seed=int(seeds[0]))
    texts = [""] * len(seeds)
    done = [False] * len(seeds)
    eos = set(lm.eos_ids)
    for events in lm.generate_batch_stream(list(ids), gen, list(seeds), stop=stop, alternatives=0):
        for i, event in enumerate(events):
            if event is None or done[i] or event.token_id in eos:
                done[i] = True
                continue
            texts[i] += event.text
            if "\n" in texts[i].lstrip():
                done[i] = True
        if all(done):
            break
    return [t.lstrip().split("\n", 1)[0].strip() for t in texts]


# -- grouping by meaning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consistency:
    answers: tuple[str, ...]
    groups: tuple[tuple[int, ...], ...]  # indices into answers, largest group first
    entropy: float  # bits over the groups: 0 = all mean the same; log2(k) = all different
    largest_share: float  # share of the answers in the largest group
    agreement: float  # share of the sampled answers that mean the same as ``reference``
    how: str  # "meaning" (MiniLM) or "number"


def _same_number(a: str, b: str) -> bool:
    na, nb = numbers_in(a), numbers_in(b)
    return bool(na) and bool(nb) and na[-1] == nb[-1]


def group_answers(answers: Sequence[str], embedder=None, threshold: float = 0.85,
                  numeric: bool = False) -> tuple[list[list[int]], np.ndarray | None]:
    """Greedy grouping in order: an answer joins the first group whose first answer means
    the same (cosine >= threshold, or the same last number when ``numeric``), else starts
    a new group. Returns the groups and the similarity matrix (None for numbers)."""
    groups: list[list[int]] = []
    sims = None
    if numeric:
        for i, a in enumerate(answers):
            for g in groups:
                if _same_number(answers[g[0]], a) or (not numbers_in(a) and not numbers_in(answers[g[0]])):
                    g.append(i)
                    break
            else:
                groups.append([i])
        return groups, None
    shown = [a if a.strip() else "(no answer)" for a in answers]
    vectors = embedder.encode(list(shown))  # (k, 384) unit vectors
    sims = vectors @ vectors.T  # (k, k) cosine similarities
    for i in range(len(answers)):
        for g in groups:
            if sims[g[0], i] >= threshold or shown[g[0]].lower() == shown[i].lower():
                g.append(i)
                break
        else:
            groups.append([i])
    return groups, sims


def entropy_bits(counts: Sequence[int]) -> float:
    total = sum(counts)
    return float(-sum(c / total * math.log2(c / total) for c in counts if c)) + 0.0 if total else float("nan")


def consistency(samples: Sequence[str], reference: str | None = None, embedder=None, threshold: float = 0.85,
                numeric: bool = False) -> Consistency:
    """Group the sampled answers by meaning; ``reference`` (the greedy answer) is grouped
    with them to measure how many samples agree with it, but is not counted in the entropy."""
    answers = list(samples) + ([reference] if reference is not None else [])
    groups, _ = group_answers(answers, embedder, threshold, numeric)
    k = len(samples)
    sample_groups = [[i for i in g if i < k] for g in groups]
    sample_groups = sorted((g for g in sample_groups if g), key=len, reverse=True)
    entropy = entropy_bits([len(g) for g in sample_groups])
    agreement = float("nan")
    if reference is not None and k:
        ref_group = next(g for g in groups if k in g)
        agreement = sum(1 for i in ref_group if i < k) / k
    largest = len(sample_groups[0]) / k if sample_groups else float("nan")
    return Consistency(tuple(samples), tuple(tuple(g) for g in sample_groups), entropy, largest, agreement,
                       "number" if numeric else "meaning")


# -- how well a signal separates wrong from right ----------------------------------------------------


def auroc(uncertainty: Sequence[float], wrong: Sequence[bool]) -> float:
    """P(a random wrong answer is more uncertain than a random right one), ties counting
    half (the Mann-Whitney U statistic divided by n_wrong * n_right). NaN signals are
    left out; NaN when either class is empty."""
    pairs = [(float(u), bool(w)) for u, w in zip(uncertainty, wrong) if u is not None and not math.isnan(u)]
    bad = [u for u, w in pairs if w]
    good = [u for u, w in pairs if not w]
    if not bad or not good:
        return float("nan")
    wins = 0.0
    for b in bad:
        for g in good:
            wins += 1.0 if b > g else 0.5 if b == g else 0.0
    return wins / (len(bad) * len(good))

"""How a language model picks its next token: the sampling pipeline, stage by stage.

A causal LM reads the prompt and returns one score (a *logit*) per vocabulary
token, ``z`` of shape (V,), V = 49,152 for SmolLM2. Turning those scores into one
chosen token is a pipeline; ``model.generate`` runs it at every step:

1. **repetition penalty** (θ): every token already in the context gets
   ``z → z / θ`` if ``z > 0`` and ``z → z · θ`` if ``z < 0`` (always less likely for θ > 1);
2. **temperature** (T): ``z → z / T``; T < 1 sharpens the distribution, T > 1
   flattens it, T = 0 means *greedy*: take the argmax, no randomness at all;
3. **top-k**: keep the k highest scores, drop the rest (score → −∞);
4. **top-p** (nucleus): keep the smallest set of most likely tokens whose
   probabilities add up to at least p;
5. **min-p**: keep the tokens whose probability is at least ``min_p × p_max``;
6. **softmax** of what is left: ``p_i = exp(z_i) / Σ_j exp(z_j)``, renormalised
   over the survivors (−∞ becomes probability 0), then one token is drawn.

:func:`sampling_waterfall` applies transformers' own logits processors one at a
time, in exactly the order ``LanguageModel.logits_processors`` gives them to
``generate``, to the *cached* logits of the prompt, and records what each stage
did: how many tokens survive and the entropy left. No model call is made, so a
slider that changes a setting only costs this arithmetic.

The ``reference_*`` functions are the same formulas in a few lines of numpy,
written to be read; tests check them against transformers on random logits.

Also here: dice rolls from the final distribution, the diversity metrics used to
compare two settings, and the numbers behind the softmax formula on the page.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from playground.errors import UserInputError
from playground.models.llm import GeneratedToken, GenerationSettings

# Temperatures offered by the slider: fine steps near 0 (where small changes matter
# most: 0.05 vs 0.2 is a big difference), coarser ones above 1.
TEMPERATURES: tuple[float, ...] = (
    0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9,
    1.0, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0, 2.5, 3.0,
)
TOP_KS: tuple[int, ...] = (0, 1, 2, 3, 5, 10, 20, 40, 50, 100, 200, 500, 1000)  # 0: off


@dataclass(frozen=True)
class ExamplePrompt:
    label: str
    text: str
    mode: str  # "raw" (plain continuation) or "chat" (instruct template)
    shows: str  # what its distribution teaches; tests check each claim on the default model


# Chosen by printing SmolLM2-135M-Instruct's next-token distributions for many
# prompts; tests/test_sampling.py checks every claim below on the default model.
EXAMPLES: tuple[ExamplePrompt, ...] = (
    ExamplePrompt(
        "Wide open: a story start", "Once upon a time, there was a", "raw",
        "Wide open: even the most likely next word gets less than 10 %, and hundreds of "
        "tokens share the rest. Temperature and top-p change a lot here.",
    ),
    ExamplePrompt(
        "Near-certain: a fact", "The capital of France is", "raw",
        "Near-certain: one token, ␣Paris, takes more than half of the probability. "
        "Low temperatures and top-p barely change the pick; high temperatures still can.",
    ),
    ExamplePrompt(
        "Tokens are not words: counting", "1, 2, 3, 4,", "raw",
        "The model is almost sure of the next token, but it is a lone space (␣), not ␣5: "
        "SmolLM2's tokenizer writes every digit as its own token.",
    ),
    ExamplePrompt(
        "Most likely is not most correct", "The sun rises in the", "raw",
        "The top token is ␣sky, ahead of ␣east: the most probable continuation is not "
        "always the most informative one, and greedy decoding always takes it.",
    ),
    ExamplePrompt(
        "Chat: the first word of a reply", "Tell me a story.", "chat",
        "Chat mode wraps the request in the instruct template; the distribution is over "
        "the first token of the assistant's reply, where a few openers (The, There, A, I, "
        "One) share most of the mass.",
    ),
)


# ---------------------------------------------------------------------------
# Showing tokens as text
# ---------------------------------------------------------------------------

_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def visible(token: str) -> str:
    """A token string with its whitespace made visible: ' Paris' -> '␣Paris'.

    Other control characters are written as \\xNN; an empty string is '∅'."""
    if token == "":
        return "∅"
    out = []
    for ch in token:
        if ch in _VISIBLE:
            out.append(_VISIBLE[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def display_width(text: str) -> int:
    """Columns the text takes in a monospace font (wide East Asian glyphs and emoji: 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


# ---------------------------------------------------------------------------
# Entropy
# ---------------------------------------------------------------------------


def entropy_bits(probs: torch.Tensor) -> float:
    """H(p) = -Σ p_i log2 p_i, in bits; tokens with p = 0 contribute nothing.

    2**H is the "effective number of choices": H = 3 bits is as uncertain as a
    fair pick among 8 tokens."""
    # numpy here (and below): elementwise work on one 49k vector is faster single-threaded
    p = probs.detach().cpu().numpy().astype(np.float64)
    nz = p[p > 0]
    return max(0.0, float(-(nz * np.log2(nz)).sum()))  # max: never "-0.00" for a single token


# ---------------------------------------------------------------------------
# The waterfall: one stage per logits processor
# ---------------------------------------------------------------------------


SHORT_NAMES = {"logits": "softmax(z)", "penalty": "rep. penalty", "temperature": "÷ T",
               "top_k": "top-k", "top_p": "top-p", "min_p": "min-p"}


@dataclass
class Stage:
    key: str  # "logits", "penalty", "temperature", "top_k", "top_p", "min_p"
    name: str  # shown in tables
    setting: str  # the value used, e.g. "T = 0.7" or "off"
    detail: str  # what the stage did, in words, with the real numbers
    active: bool  # False when the setting switches the stage off
    logits: torch.Tensor  # (V,) scores after this stage; removed tokens are -inf
    probs: torch.Tensor  # (V,) softmax(logits): renormalised over the survivors

    @property
    def short(self) -> str:
        """A name short enough for a narrow chart column."""
        return SHORT_NAMES.get(self.key, self.name)

    @cached_property
    def survivors(self) -> int:
        """Tokens still possible (finite score, p > 0)."""
        return int(np.isfinite(self.logits.numpy()).sum())

    @cached_property
    def entropy(self) -> float:
        return entropy_bits(self.probs)

    @property
    def effective_choices(self) -> float:
        return 2.0 ** self.entropy


@dataclass
class Waterfall:
    stages: list[Stage]
    settings: GenerationSettings
    prompt_ids: list[int]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    @property
    def probs(self) -> torch.Tensor:
        """The distribution the next token is drawn from, (V,)."""
        return self.final.probs

    @property
    def penalized_logits(self) -> torch.Tensor:
        """The scores entering the temperature stage (after the repetition penalty)."""
        return self.stages[1].logits

    def row_tokens(self, n: int) -> list[int]:
        """The n tokens to show in each stage: the top n after the penalty. Later
        stages never change that order (÷T, top-k, top-p, min-p all keep it)."""
        return self.penalized_logits.topk(min(n, self.penalized_logits.numel())).indices.tolist()


def _apply(processor, prompt_ids: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Run one transformers logits processor on a single distribution.

    Processors work on batches: input_ids (1, T) and scores (1, V) -> (1, V)."""
    return processor(prompt_ids, logits.unsqueeze(0).clone())[0]


def check_settings(gen: GenerationSettings) -> None:
    """Clear messages for values the processors would reject."""
    if gen.temperature < 0:
        raise UserInputError("The temperature cannot be negative (0 means greedy).")
    if gen.top_k < 0:
        raise UserInputError("top-k cannot be negative (0 switches it off).")
    if not 0.0 < gen.top_p <= 1.0:
        raise UserInputError("top-p must be above 0 and at most 1 (1 switches it off).")
    if not 0.0 <= gen.min_p <= 1.0:
        raise UserInputError("min-p must be between 0 and 1 (0 switches it off).")
    if gen.repetition_penalty <= 0:
        raise UserInputError("The repetition penalty must be positive (1 switches it off).")


def sampling_waterfall(logits: torch.Tensor, prompt_ids: Sequence[int], gen: GenerationSettings) -> Waterfall:
    """Apply the sampling pipeline to cached logits, one transformers processor at
    a time, keeping every intermediate distribution.

    ``logits``: (V,) raw scores for the token after ``prompt_ids`` (which the
    repetition penalty needs: it penalises the tokens already in the context)."""
    from transformers import (
        MinPLogitsWarper,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    check_settings(gen)
    z = logits.detach().float().cpu().reshape(-1)  # (V,)
    ids = torch.tensor([list(prompt_ids)], dtype=torch.long)  # (1, T)
    stages: list[Stage] = []

    def add(key, name, setting, detail, active, scores):
        stages.append(Stage(key, name, setting, detail, active, scores, torch.softmax(scores, -1)))

    # 0. The model's own distribution: softmax(z) at T = 1.
    add("logits", "logits → softmax", "T = 1", "The model's own probabilities: softmax(z).", True, z)

    # 1. Repetition penalty: tokens already in the context get less likely.
    theta = float(gen.repetition_penalty)
    if theta != 1.0:
        z = _apply(RepetitionPenaltyLogitsProcessor(theta), ids, z)
        seen = len(set(prompt_ids))
        add("penalty", "repetition penalty", f"θ = {theta:g}",
            f"The {seen} distinct tokens already in the context: z → z/θ if z > 0, z·θ if z < 0.",
            True, z)
    else:
        add("penalty", "repetition penalty", "off", "θ = 1: no change.", False, z)

    # 2. Temperature. T = 0 is greedy decoding: generate takes the argmax of the
    # penalised scores and skips every later stage.
    if gen.greedy:
        best = int(z.argmax())
        z = torch.full_like(z, -math.inf)
        z[best] = stages[-1].logits[best]
        add("temperature", "÷ temperature", "T = 0 (greedy)",
            "T = 0 is greedy decoding: only the argmax survives, p = 1.", True, z)
        for key, name in (("top_k", "top-k"), ("top_p", "top-p"), ("min_p", "min-p")):
            add(key, name, "skipped", "Greedy decoding ignores this stage.", False, z)
        return Waterfall(stages, gen, list(prompt_ids))

    temperature = float(gen.temperature)
    if temperature != 1.0:
        z = _apply(TemperatureLogitsWarper(temperature), ids, z)
        add("temperature", "÷ temperature", f"T = {temperature:g}",
            f"z → z / {temperature:g}: " + ("sharper (T < 1)." if temperature < 1 else "flatter (T > 1)."),
            True, z)
    else:
        add("temperature", "÷ temperature", "T = 1", "T = 1: no change.", False, z)

    # 3. top-k: keep the k highest scores.
    if gen.top_k > 0:
        z = _apply(TopKLogitsWarper(int(gen.top_k)), ids, z)
        add("top_k", "top-k", f"k = {gen.top_k}", f"Keep the {gen.top_k} highest scores.", True, z)
    else:
        add("top_k", "top-k", "off", "k = 0: no limit.", False, z)

    # 4. top-p (nucleus): keep the smallest set with mass >= p.
    if gen.top_p < 1.0:
        z = _apply(TopPLogitsWarper(float(gen.top_p)), ids, z)
        add("top_p", "top-p", f"p = {gen.top_p:g}",
            f"Keep the smallest set of top tokens whose probabilities add up to ≥ {gen.top_p:g}.", True, z)
    else:
        add("top_p", "top-p", "off", "p = 1: keep everything.", False, z)

    # 5. min-p: keep tokens with p >= min_p * p_max (p measured after the stages above).
    if gen.min_p > 0.0:
        p_max = float(torch.softmax(z, -1).max())
        z = _apply(MinPLogitsWarper(float(gen.min_p)), ids, z)
        add("min_p", "min-p", f"min-p = {gen.min_p:g}",
            f"Keep tokens with p ≥ {gen.min_p:g} × p_max = {gen.min_p * p_max:.3g}.", True, z)
    else:
        add("min_p", "min-p", "off", "min-p = 0: keep everything.", False, z)
    return Waterfall(stages, gen, list(prompt_ids))


def apply_chain(processors, logits: torch.Tensor, prompt_ids: Sequence[int]) -> torch.Tensor:
    """Run a whole LogitsProcessorList, the way generate does: (V,) -> (V,)."""
    ids = torch.tensor([list(prompt_ids)], dtype=torch.long)
    return processors(ids, logits.float().reshape(1, -1).clone())[0]


# ---------------------------------------------------------------------------
# The same formulas by hand (numpy), to read; tested against transformers
# ---------------------------------------------------------------------------


def reference_repetition_penalty(z: np.ndarray, context_ids: Sequence[int], theta: float) -> np.ndarray:
    """z_i -> z_i / θ if z_i > 0 else z_i · θ, for every token i in the context."""
    out = z.astype(np.float64).copy()
    seen = np.unique(np.asarray(context_ids, dtype=np.int64))
    out[seen] = np.where(out[seen] > 0, out[seen] / theta, out[seen] * theta)
    return out


def reference_temperature(z: np.ndarray, temperature: float) -> np.ndarray:
    """z / T; T -> 0 is the argmax (here: exactly the argmax at T = 0)."""
    if temperature == 0:
        out = np.full_like(z, -np.inf, dtype=np.float64)
        out[int(np.argmax(z))] = z[int(np.argmax(z))]
        return out
    return z / temperature


def reference_top_k(z: np.ndarray, k: int) -> np.ndarray:
    """Keep the k largest scores (ties with the k-th are kept), the rest -> -inf."""
    kth = np.sort(z)[::-1][min(k, z.size) - 1]
    return np.where(z >= kth, z, -np.inf)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - np.max(z))  # subtracting the max changes nothing but avoids overflow
    return e / e.sum()


def reference_top_p(z: np.ndarray, p: float) -> np.ndarray:
    """Sort by probability, walk down the list adding probabilities, stop at the
    first token where the running sum reaches p: those tokens are kept."""
    probs = _softmax(z)
    order = np.argsort(-probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    n_keep = int(np.searchsorted(cumulative, p) + 1)  # first index with cumulative >= p, plus one
    keep = np.zeros(z.size, dtype=bool)
    keep[order[: min(n_keep, z.size)]] = True
    return np.where(keep, z, -np.inf)


def reference_min_p(z: np.ndarray, min_p: float) -> np.ndarray:
    """Keep tokens with p_i >= min_p · max_j p_j."""
    probs = _softmax(z)
    return np.where(probs >= min_p * probs.max(), z, -np.inf)


# ---------------------------------------------------------------------------
# Rolling the dice
# ---------------------------------------------------------------------------


def roll_dice(probs: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """n independent draws (token ids) from the distribution, with a seeded generator."""
    if n < 1:
        raise UserInputError("Draw at least one token.")
    generator = torch.Generator().manual_seed(int(seed))
    return torch.multinomial(probs.double(), n, replacement=True, generator=generator)


@dataclass
class DiceRow:
    token_id: int | None  # None: every other token, lumped together
    count: int
    frequency: float  # count / n
    probability: float  # what the final distribution says


def dice_table(draws: torch.Tensor, probs: torch.Tensor, top: int = 12) -> list[DiceRow]:
    """Observed frequency beside the probability for the most likely tokens (and
    any token drawn often enough to make the list), the rest lumped as one row."""
    n = int(draws.numel())
    counts = Counter(draws.tolist())
    candidates = set(probs.topk(min(top, probs.numel())).indices.tolist()) | {
        t for t, _ in counts.most_common(top)
    }
    ranked = sorted(candidates, key=lambda t: (-float(probs[t]), -counts.get(t, 0)))[:top]
    ranked = [t for t in ranked if float(probs[t]) > 0 or counts.get(t, 0) > 0]
    rows = [DiceRow(t, counts.get(t, 0), counts.get(t, 0) / n, float(probs[t])) for t in ranked]
    rest_count = n - sum(r.count for r in rows)
    rest_prob = max(0.0, 1.0 - sum(r.probability for r in rows))
    if rest_count > 0 or rest_prob > 1e-4:
        rows.append(DiceRow(None, rest_count, rest_count / n, rest_prob))
    return rows


# ---------------------------------------------------------------------------
# The softmax formula with real numbers
# ---------------------------------------------------------------------------

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                  "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}"}


def latex_text(token: str) -> str:
    r"""A token as LaTeX \text{...}: whitespace visible, special characters escaped,
    characters KaTeX may not have in text mode replaced by '?'."""
    out = []
    for ch in visible(token):
        if ch in _LATEX_SPECIAL:
            out.append(_LATEX_SPECIAL[ch])
        elif ch.isascii() or ch in "␣↵⇥␍∅" or unicodedata.category(ch).startswith("L"):
            out.append(ch)
        else:
            out.append("?")
    return r"\text{" + "".join(out) + "}"


@dataclass
class FormulaTerm:
    token_id: int
    logit: float  # z_i (after the repetition penalty)
    numerator: float  # exp((z_i - z_max) / T)
    probability: float  # numerator / denominator


@dataclass
class SoftmaxNumbers:
    temperature: float
    z_max: float
    denominator: float  # Σ_j exp((z_j - z_max) / T) over the whole vocabulary
    vocab: int
    terms: list[FormulaTerm] = field(default_factory=list)


def softmax_numbers(z: torch.Tensor, temperature: float, k: int = 4) -> SoftmaxNumbers:
    """The numbers in p_i = exp((z_i - z_max)/T) / Σ_j exp((z_j - z_max)/T) for the
    top k tokens (float64; subtracting z_max cancels out and prevents overflow)."""
    if temperature <= 0:
        raise ValueError("softmax needs T > 0; T = 0 is the argmax")
    z64 = z.detach().cpu().numpy().astype(np.float64)  # (V,)
    z_max = float(z64.max())
    e = np.exp((z64 - z_max) / temperature)  # (V,), every value in (0, 1]
    denominator = float(e.sum())
    top = np.argsort(-z64, kind="stable")[:k].tolist()
    terms = [FormulaTerm(t, float(z64[t]), float(e[t]), float(e[t]) / denominator) for t in top]
    return SoftmaxNumbers(temperature, z_max, denominator, int(z64.size), terms)


def softmax_latex(numbers: SoftmaxNumbers, strings: Sequence[str]) -> str:
    """LaTeX for the formula, then one line per top token with its real numbers."""
    T = numbers.temperature
    vocab = f"{numbers.vocab:,}".replace(",", "{,}")  # 49{,}152: no space after the comma
    lines = [
        rf"p_i = \frac{{e^{{z_i/T}}}}{{\sum_{{j=1}}^{{{vocab}}} e^{{z_j/T}}}}"
        rf" = \frac{{e^{{(z_i - z_{{\max}})/T}}}}{{\sum_j e^{{(z_j - z_{{\max}})/T}}}},"
        rf"\quad T = {T:g},\ z_{{\max}} = {numbers.z_max:.2f}"
    ]
    for term in numbers.terms:
        lines.append(
            rf"p({latex_text(strings[term.token_id])}) = "
            rf"\frac{{e^{{({term.logit:.2f} - {numbers.z_max:.2f})/{T:g}}}}}{{{numbers.denominator:.4g}}}"
            rf" = \frac{{{term.numerator:.4g}}}{{{numbers.denominator:.4g}}} = {term.probability:.4f}"
        )
    return r"\begin{aligned}" + r" \\[8pt] ".join(_align(line) for line in lines) + r"\end{aligned}"


def _align(line: str) -> str:
    """Put the alignment mark before the first '='."""
    return line.replace(" = ", " &= ", 1) if " = " in line else line


# ---------------------------------------------------------------------------
# Everything a slider move recomputes (no model call)
# ---------------------------------------------------------------------------


@dataclass
class Analysis:
    waterfall: Waterfall
    raw_probs: torch.Tensor  # (V,) softmax of the raw logits, T = 1
    draws: torch.Tensor  # (n,) token ids drawn from the final distribution
    dice: list[DiceRow]
    numbers: SoftmaxNumbers | None  # None for greedy (T = 0): no softmax, just the argmax
    kept_mass: float  # Σ over the final survivors of their probability after ÷T (before the filters)


def analyse(logits: torch.Tensor, prompt_ids: Sequence[int], gen: GenerationSettings,
            draws: int = 1000, formula_tokens: int = 4) -> Analysis:
    """The waterfall, the dice and the formula's numbers for cached logits (V,)."""
    wf = sampling_waterfall(logits, prompt_ids, gen)
    rolled = roll_dice(wf.probs, draws, gen.seed)
    numbers = None if gen.greedy else softmax_numbers(wf.penalized_logits, float(gen.temperature), formula_tokens)
    after_t = wf.stages[2].probs.numpy()
    kept = np.isfinite(wf.final.logits.numpy())
    return Analysis(wf, wf.stages[0].probs, rolled, dice_table(rolled, wf.probs), numbers,
                    float(after_t[kept].sum(dtype=np.float64)))


# ---------------------------------------------------------------------------
# Completions, forks and diversity metrics
# ---------------------------------------------------------------------------


def fork_ids(prompt_ids: Sequence[int], tokens: Sequence[GeneratedToken], step: int, alternative: int) -> list[int]:
    """Context for continuing from an alternative: the prompt, the tokens generated
    before ``step``, then the chosen alternative in place of token ``step``."""
    if not 0 <= step < len(tokens):
        raise UserInputError(f"Pick a step between 0 and {len(tokens) - 1}.")
    return list(prompt_ids) + [t.token_id for t in tokens[:step]] + [int(alternative)]


def forced_token(tokens: Sequence[GeneratedToken], step: int, alternative: int, text: str) -> GeneratedToken:
    """The alternative picked at ``step``, as a token with the model's probability for it
    (from that step's alternatives) and the same alternatives list."""
    alts = tokens[step].alternatives
    prob = next((p for i, _, p in alts if i == alternative), math.nan)
    return GeneratedToken(int(alternative), text, prob, math.nan, list(alts))


def ngrams(ids: Sequence[int], n: int) -> list[tuple[int, ...]]:
    return [tuple(ids[i:i + n]) for i in range(len(ids) - n + 1)]


def distinct_n(samples: Sequence[Sequence[int]], n: int) -> float:
    """Distinct n-grams across all samples / all n-grams (1.0: nothing repeats
    anywhere; low: the samples say the same things). Li et al. 2016, 'distinct-n'."""
    grams = [g for s in samples for g in ngrams(s, n)]
    return len(set(grams)) / len(grams) if grams else math.nan


def repetition_rate(sample: Sequence[int], n: int) -> float:
    """Fraction of the n-grams in one sample that already occurred earlier in it."""
    grams = ngrams(sample, n)
    if not grams:
        return math.nan
    return 1.0 - len(set(grams)) / len(grams)


def mean_logprob(tokens: Sequence[GeneratedToken]) -> float:
    """Mean natural log-probability of the chosen tokens under the model at T = 1
    (GeneratedToken.prob comes from the logits one position before each token)."""
    values = [math.log(max(t.prob, 1e-30)) for t in tokens if not math.isnan(t.prob)]
    return float(np.mean(values)) if values else math.nan


@dataclass
class SampleStats:
    samples: int
    tokens: int
    distinct_1: float
    distinct_2: float
    repetition_3: float  # mean over samples of repetition_rate(sample, 3)
    mean_logprob: float  # mean over every generated token
    identical: bool  # all samples the same token sequence


def sample_stats(completions: Sequence[Sequence[GeneratedToken]]) -> SampleStats:
    ids = [[t.token_id for t in c] for c in completions]
    reps = [repetition_rate(s, 3) for s in ids]
    reps = [r for r in reps if not math.isnan(r)]
    all_tokens = [t for c in completions for t in c]
    return SampleStats(
        samples=len(ids),
        tokens=sum(len(s) for s in ids),
        distinct_1=distinct_n(ids, 1),
        distinct_2=distinct_n(ids, 2),
        repetition_3=float(np.mean(reps)) if reps else math.nan,
        mean_logprob=mean_logprob(all_tokens),
        identical=len({tuple(s) for s in ids}) <= 1,
    )


def settings_label(gen: GenerationSettings) -> str:
    """A short description of the settings, e.g. 'T=0.7 · top-k 50 · top-p 0.9'."""
    if gen.greedy:
        parts = ["T=0 (greedy)"]
    else:
        parts = [f"T={gen.temperature:g}"]
        if gen.top_k:
            parts.append(f"top-k {gen.top_k}")
        if gen.top_p < 1:
            parts.append(f"top-p {gen.top_p:g}")
        if gen.min_p > 0:
            parts.append(f"min-p {gen.min_p:g}")
    if gen.repetition_penalty != 1:
        parts.append(f"penalty {gen.repetition_penalty:g}")
    return " · ".join(parts)

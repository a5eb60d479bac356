"""Context changes meaning: the same word gets a different vector in each sentence.

The embedding row of " bank" is the same in every sentence (layer 0). Each layer then
mixes in information from the tokens before it (attention) and transforms it (MLP), so
after a few layers the vector of " bank" in "the river bank" and in "the bank raised its
rates" point in different directions. We measure it with the cosine between the word's
hidden states in two sentences, layer by layer, next to a pair where the word means the
same.

SmolLM2 reads left to right: a word's vector can only use the words *before* it. If the
words that decide the meaning come after it ("The bank was steep"), its vector cannot
know them yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from playground.errors import UserInputError
from playground.tokens.attention import TraceView
from playground.tokens.pieces import Vocabulary

MAX_SENTENCE_CHARS = 300


@dataclass(frozen=True)
class ContextExample:
    label: str
    a: str
    b: str  # the word means something else than in a
    c: str  # the word means the same as in a
    word: str
    shows: str


EXAMPLES: tuple[ContextExample, ...] = (
    ContextExample(
        "Server: restaurant or computer?", "At the restaurant, the server brought the check.",
        "Looks like I just crashed the server.", "The waiter was busy, so another server took our order.",
        "server", "From layer 6 on, the two restaurant servers stay closer to each other than to the computer "
                  "server."),
    ContextExample(
        "Bank: river or money?", "She sat on the river bank.", "She put her money in the bank.",
        "He fished from the river bank.", "bank",
        "The gap opens early: by layer 8 the two river banks are about 0.2 closer than river and money bank."),
    ContextExample(
        "Only the words before count", "The bank was steep and muddy.", "The bank was closed on Sunday.",
        "We walked along the river bank.", "bank",
        "A and B differ only after 'bank': the model has not read those words yet, so A and B give the very "
        "same vector (cosine 1.00) at every layer."),
)


def check_sentence(text: str, label: str) -> str:
    if not text or not text.strip():
        raise UserInputError(f"Sentence {label} is empty. Type a sentence that contains the word.")
    if len(text) > MAX_SENTENCE_CHARS:
        raise UserInputError(f"Sentence {label} is {len(text):,} characters long; at most {MAX_SENTENCE_CHARS} "
                             "here. Shorten it (nothing was cut).")
    return text


def word_token_positions(ids: Sequence[int], vocab: Vocabulary, text: str, word: str) -> list[int]:
    """The token positions that cover the last whole-word occurrence of ``word`` in ``text``
    (case ignored), found through the tokens' bytes."""
    word = word.strip()
    if not word:
        raise UserInputError("Type the word to follow (it must appear in every sentence).")
    matches = list(re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE))
    if not matches:
        raise UserInputError(f"{word!r} is not a word of {text!r}. Put it in every sentence (or change the word).")
    m = matches[-1]
    first_byte = len(text[: m.start()].encode("utf-8"))
    last_byte = len(text[: m.end()].encode("utf-8"))
    positions, offset = [], 0
    for n, i in enumerate(ids):
        data = vocab.raw[i] if 0 <= i < len(vocab.raw) else None
        size = len(data) if data is not None else 0
        if size and offset < last_byte and offset + size > first_byte:
            positions.append(n)
        offset += size
    if not positions:
        raise UserInputError(f"Could not find the tokens of {word!r} in {text!r}.")
    return positions


def cosine_per_layer(a: TraceView, pos_a: int, b: TraceView, pos_b: int) -> np.ndarray:
    """(layers + 1,): cosine between the hidden state of token ``pos_a`` of one text and
    ``pos_b`` of another, at the embeddings (0) and after every layer."""
    x = a.hidden[:, pos_a].astype(np.float64)  # (L+1, H)
    y = b.hidden[:, pos_b].astype(np.float64)
    dots = (x * y).sum(-1)
    return dots / np.maximum(np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1), 1e-12)


@dataclass(frozen=True)
class ContextComparison:
    word_tokens: tuple[tuple[str, ...], ...]  # the word's tokens in A, B and C
    positions: tuple[int, int, int]  # the position used in each (the word's last token)
    other: np.ndarray  # (layers + 1,) cosine A-B (meaning differs)
    same: np.ndarray  # (layers + 1,) cosine A-C (meaning alike)

    @property
    def gap(self) -> np.ndarray:
        return self.same - self.other

    @property
    def same_token(self) -> bool:
        """Is the word the same token(s) in all three sentences (so layer 0 gives cosine 1)?"""
        return len(set(self.word_tokens)) == 1


def compare(views: Sequence[TraceView], positions: Sequence[Sequence[int]]) -> ContextComparison:
    """Follow the word's last token (it has read the whole word) in three traced sentences."""
    a, b, c = views
    last = tuple(int(p[-1]) for p in positions)
    tokens = tuple(tuple(v.tokens[i] for i in p) for v, p in zip(views, positions))
    return ContextComparison(tokens, last, cosine_per_layer(a, last[0], b, last[1]),
                             cosine_per_layer(a, last[0], c, last[2]))

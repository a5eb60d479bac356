"""Grounding: find passages that may hold the answer, and put them in front of the question.

Two ways to retrieve from the knowledge base, each returning the k best passages with
their scores:

* **By meaning, MiniLM** (``method="minilm"``): every passage becomes a unit vector once
  (all-MiniLM-L6-v2 sentence embeddings); a question becomes one too, and the score is
  the cosine similarity (a dot product of unit vectors), from -1 to 1.
* **By words, BM25** (``method="bm25"``, :class:`BM25`): the classic search-engine score.
  For each word w of the question found in a passage d,

      idf(w) · tf / (tf + k1 · (1 - b + b · |d| / avgdl))

  summed over the question's words: tf is how often w occurs in d, |d| the passage's
  length in words, avgdl the mean length, idf(w) = ln(1 + (N - df + 0.5) / (df + 0.5))
  with df the number of the N passages holding w (the Lucene variant; k1 = 1.5,
  b = 0.75, as the ``bm25s`` library uses by default, against which the tests check it).
  Rare words weigh most; a word repeated in a short passage counts more than in a long
  one. Unlike MiniLM it finds no synonyms, but it never confuses two names.

Retrieval always returns the k closest passages, even when none is about the question:
the scores say how close they are, and the page shows them.

Whether an answer is *supported* by the passages (:func:`word_support`) is checked by an
exact rule: the words of the answer that are not already in the question, and how many
of them the passages hold. A hint, not proof: a passage can hold a word by chance.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from playground.limits import data
from playground.limits.text import normalise

METHODS = {"minilm": "MiniLM (meaning)", "bm25": "BM25 (words)"}
# short English words that carry no topic; left out of BM25 and of word support
STOPWORDS = frozenset((
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "but", "by", "can", "could", "did", "do", "does", "during", "each", "for", "from",
    "had", "has", "have", "he", "her", "him", "his", "how", "i", "if", "in", "into", "is", "it",
    "its", "itself", "many", "may", "me", "more", "most", "much", "my", "no", "nor", "not", "of",
    "on", "one", "only", "or", "our", "out", "over", "she", "so", "some", "such", "than", "that",
    "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to",
    "too", "under", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "whom", "whose", "why", "will", "with", "would", "you", "your",
))
_WORD = re.compile(r"\w+(?:'\w+)*")  # words, apostrophes inside them kept (sun's, don't)


def words(text: str) -> list[str]:
    """The text's words for BM25: normalised (lower case, accents folded), stopwords out."""
    return [w for w in _WORD.findall(normalise(text)) if w not in STOPWORDS]


@dataclass(frozen=True)
class BM25:
    """A BM25 index over a few passages: the word counts as one (N, V) matrix."""

    vocabulary: tuple[str, ...]
    tf: np.ndarray  # (N, V) how often each word occurs in each passage, read-only
    idf: np.ndarray  # (V,)
    lengths: np.ndarray  # (N,) passage lengths in words
    k1: float = 1.5
    b: float = 0.75

    @classmethod
    def build(cls, texts: Sequence[str], k1: float = 1.5, b: float = 0.75) -> BM25:
        docs = [words(t) for t in texts]
        vocabulary = tuple(sorted({w for d in docs for w in d}))
        column = {w: j for j, w in enumerate(vocabulary)}
        tf = np.zeros((len(docs), len(vocabulary)), dtype=np.float64)
        for i, d in enumerate(docs):
            for w, count in Counter(d).items():
                tf[i, column[w]] = count
        n = len(docs)
        df = (tf > 0).sum(axis=0)  # (V,) passages holding each word
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        lengths = tf.sum(axis=1)
        for array in (tf, idf, lengths):
            array.flags.writeable = False
        return cls(vocabulary, tf, idf, lengths, k1, b)

    def scores(self, query: str | Sequence[str]) -> np.ndarray:
        """(N,) the BM25 score of every passage for the query (each distinct word once)."""
        terms = words(query) if isinstance(query, str) else list(query)
        column = {w: j for j, w in enumerate(self.vocabulary)}
        cols = sorted({column[w] for w in terms if w in column})
        if not cols:
            return np.zeros(len(self.lengths))
        tf = self.tf[:, cols]  # (N, q)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / self.lengths.mean())  # (N,)
        return (self.idf[cols] * tf / (tf + norm[:, None])).sum(axis=1)


@dataclass(frozen=True)
class Passage:
    id: str
    text: str
    score: float  # MiniLM: cosine similarity to the question; BM25: its score (0 = no shared word)
    method: str = "minilm"


@dataclass(frozen=True)
class KnowledgeBase:
    """Passages, their vectors and their BM25 index; immutable, so one copy can serve
    every session."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    vectors: np.ndarray  # (N, 384) unit vectors, read-only
    bm25: BM25

    def search(self, embedder, question: str, k: int = 3, method: str = "minilm") -> list[Passage]:
        if method == "minilm":
            query = embedder.encode([question])[0]  # (384,)
            scores = self.vectors @ query  # (N,) cosine similarities
        elif method == "bm25":
            scores = self.bm25.scores(question)  # (N,)
        else:
            raise ValueError(f"method is one of {', '.join(METHODS)}")
        order = np.argsort(-scores, kind="stable")[:k]
        return [Passage(self.ids[i], self.texts[i], float(scores[i]), method) for i in order]


def build_knowledge_base(embedder, passages: Mapping[str, str] | None = None) -> KnowledgeBase:
    passages = data.KNOWLEDGE_BASE if passages is None else passages
    ids, texts = tuple(passages), tuple(passages.values())
    vectors = np.array(embedder.encode(list(texts)), dtype=np.float32)
    vectors.flags.writeable = False
    return KnowledgeBase(ids, texts, vectors, BM25.build(texts))


def grounded_question(question: str, passages: Sequence[Passage]) -> str:
    """The user message with the retrieved passages in front of the question."""
    lines = "\n".join(f"[{i}] {p.text}" for i, p in enumerate(passages, start=1))
    return f"Passages:\n{lines}\n\nUse the passages if they help. Question: {question.strip()}"


def recall_at_k(kb: KnowledgeBase, embedder, probes: Sequence[data.Probe] | None = None, k: int = 3,
                method: str = "minilm") -> float:
    """Share of the questions that have a gold passage whose gold passage is among the top k."""
    probes = [p for p in (data.PROBES if probes is None else probes) if p.passage]
    hits = sum(1 for p in probes if p.passage in {r.id for r in kb.search(embedder, p.question, k, method)})
    return hits / len(probes) if probes else float("nan")


@dataclass(frozen=True)
class Support:
    """Which new words of an answer (not already in the question) the passages hold."""

    found: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def share(self) -> float:
        total = len(self.found) + len(self.missing)
        return len(self.found) / total if total else float("nan")


def word_support(answer: str, question: str, passages: Sequence[Passage]) -> Support:
    """The answer's words that are not stopwords and not in the question, split into those
    the passages hold and those they do not (an exact rule: whole normalised words)."""
    asked = set(words(question))
    held = {w for p in passages for w in words(p.text)}
    new = list(dict.fromkeys(w for w in words(answer) if w not in asked))
    return Support(tuple(w for w in new if w in held), tuple(w for w in new if w not in held))


def support(answer: str, passages: Sequence[Passage], embedder) -> float:
    """How close the answer is to the closest retrieved passage (cosine similarity of
    MiniLM vectors): a hint that the answer repeats the passages, not proof that it is true."""
    if not answer.strip() or not passages:
        return float("nan")
    vectors = embedder.encode([answer] + [p.text for p in passages])
    return float(np.max(vectors[1:] @ vectors[0]))

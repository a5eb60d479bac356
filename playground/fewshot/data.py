"""The task every method is measured on: short texts, one label each, a fixed split.

Two sources, one shape (:class:`Task`):

1. **The shipped task** (``data/customer_messages.csv``): 350 short customer messages that
   this project wrote by hand, 70 in each of five intents (delivery, refund, account,
   cancel, payment), split once at random within each intent (seed 0) into 40 to train on,
   10 to validate on and 20 to test on. See ``data/README.md``.
2. **The user's CSV**: a text column and a label column. :func:`task_from_csv` checks it
   and says what to do when it does not fit (no such column, one label only, empty texts,
   too many rows, a label with too few examples), and splits it the same way (seeded,
   within each label).

The methods never see the test rows while they learn: they get a *pool* of labelled
training examples, ``per_class`` from each label (:meth:`Task.pool`), drawn so that a
bigger pool always contains the smaller ones of the same seed (2 ⊂ 4 ⊂ 8 ...), which
makes the accuracy-vs-examples curves comparable point to point.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from playground.errors import UserInputError

DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_CSV = DATA_DIR / "customer_messages.csv"
SHIPPED_NAME = "Customer messages (5 intents, shipped)"
SPLITS = ("train", "validation", "test")

# Limits for a user's CSV. Every method runs on a 2-core CPU, the language model scores
# every test text against every label, and the prompt must hold examples of each label.
MAX_LABELS = 10
MIN_PER_LABEL = 4  # at least 2 to learn from, 1 to validate on, 1 to test on
MAX_ROWS_USED = 600  # larger files are sampled down, the same number from each label
MAX_TEXT_CHARS = 300  # longer texts are cut (the language model reads every one many times)
TEST_SHARE, VALIDATION_SHARE = 0.2, 0.1


@dataclass(frozen=True)
class PromptWords:
    """How a prompt names the task's parts (see :mod:`playground.fewshot.prompting`)."""

    item: str = "text"  # "Classify each {item} into one of these {labels}: ..."
    text: str = "Text"  # "{text}: <the text>"
    labels: str = "labels"
    label: str = "Label"  # "{label}: <its label>"


MESSAGE_WORDS = PromptWords("customer message", "Message", "intents", "Intent")


@dataclass(frozen=True)
class Task:
    """Texts, their labels and the split, plus what was done to them.

    ``labels[i]`` indexes ``label_names``; ``split[i]`` is "train", "validation" or "test"."""

    name: str
    texts: tuple[str, ...]
    labels: tuple[int, ...]
    label_names: tuple[str, ...]
    split: tuple[str, ...]
    words: PromptWords = PromptWords()  # what the prompt calls a text and a label
    notes: tuple[str, ...] = ()  # what was done to the data, shown on the page
    key: str = field(default="", compare=False)  # a digest of the content, for caches

    def __post_init__(self) -> None:
        if not self.key:
            digest = hashlib.sha1(repr((self.texts, self.labels, self.label_names, self.split,
                                        self.words)).encode()).hexdigest()[:16]
            object.__setattr__(self, "key", digest)

    @property
    def n_labels(self) -> int:
        return len(self.label_names)

    def indices(self, split: str) -> np.ndarray:
        return np.array([i for i, s in enumerate(self.split) if s == split], dtype=int)

    def y(self, idx: np.ndarray) -> np.ndarray:
        return np.array([self.labels[i] for i in idx], dtype=int)

    def text_list(self, idx) -> list[str]:
        return [self.texts[i] for i in idx]

    def counts(self) -> pd.DataFrame:
        """Rows per label and split."""
        frame = pd.DataFrame({"label": [self.label_names[y] for y in self.labels], "split": self.split})
        table = frame.groupby(["label", "split"]).size().unstack(fill_value=0)
        table = table.reindex(index=list(self.label_names), columns=list(SPLITS), fill_value=0)
        return table

    def max_per_class(self) -> int:
        """The most training examples every label has."""
        train = self.indices("train")
        counts = np.bincount(self.y(train), minlength=self.n_labels)
        return int(counts.min())

    def pool(self, per_class: int | None, seed: int) -> np.ndarray:
        """The labelled examples a method may learn from: ``per_class`` training rows of each
        label (None: every training row), drawn with their own seeded generator.

        Nested: for one seed, the pool of 4 per label holds the pool of 2 (each label's rows
        are put in one seeded order and the first ``per_class`` taken)."""
        rng = np.random.default_rng(seed)
        train = self.indices("train")
        chosen: list[int] = []
        for label in range(self.n_labels):
            rows = train[self.y(train) == label]
            rows = rows[rng.permutation(len(rows))]
            take = len(rows) if per_class is None else min(int(per_class), len(rows))
            chosen.extend(rows[:take].tolist())
        return np.array(sorted(chosen), dtype=int)


    def smaller(self, test_per_label: int, validation_per_label: int | None = None) -> Task:
        """The same task with fewer test (and validation) rows: the first ones of each label,
        in file order. The training rows stay as they are, so every pool is the same. For
        quick checks (tests, benchmarks); the page always scores the whole test set."""
        keep = []
        for split, limit in (("test", test_per_label), ("validation", validation_per_label)):
            rows = self.indices(split)
            for label in range(self.n_labels):
                mine = rows[self.y(rows) == label]
                keep.extend((mine if limit is None else mine[:limit]).tolist())
        keep = sorted(set(keep) | set(self.indices("train").tolist()))
        return Task(name=f"{self.name} (smaller)", texts=tuple(self.texts[i] for i in keep),
                    labels=tuple(self.labels[i] for i in keep), label_names=self.label_names,
                    split=tuple(self.split[i] for i in keep), words=self.words, notes=self.notes)


# ---------------------------------------------------------------------------
# 1. The shipped task
# ---------------------------------------------------------------------------


def load_shipped() -> Task:
    """The project's customer messages, with their fixed split."""
    frame = pd.read_csv(SHIPPED_CSV)
    names = tuple(dict.fromkeys(frame["label"]))  # in file order: delivery, refund, account, cancel, payment
    index = {name: i for i, name in enumerate(names)}
    return Task(
        name=SHIPPED_NAME,
        texts=tuple(frame["text"]),
        labels=tuple(index[v] for v in frame["label"]),
        label_names=names,
        split=tuple(frame["split"]),
        words=MESSAGE_WORDS,
    )


# ---------------------------------------------------------------------------
# 2. The user's CSV
# ---------------------------------------------------------------------------


def read_table(data: bytes, max_upload_mb: float, max_rows: int) -> pd.DataFrame:
    """Uploaded bytes -> a table, or a UserInputError saying what to do.

    The checks every upload of the app gets (size, empty, binary, encoding, delimiter,
    row limit) are the supervised page's reader's."""
    from playground.supervised.data import read_csv_bytes

    try:
        frame, _ = read_csv_bytes(data, max_upload_mb, max_rows)
    except UserInputError as exc:
        if "only one column" in str(exc):
            raise UserInputError(
                "The file has only one column. This page needs two: the text of each example "
                "and its label (for example `text,label`).") from None
        raise
    return frame


def guess_columns(frame: pd.DataFrame) -> tuple[str, str]:
    """(text column, label column): the text is the column with the longest values on
    average, the label the column with the fewest distinct values among the others."""
    columns = [str(c) for c in frame.columns]
    lengths = {c: frame[c].astype(str).str.len().mean() for c in columns}
    text = max(columns, key=lambda c: (lengths[c], -columns.index(c)))
    others = [c for c in columns if c != text]
    label = min(others, key=lambda c: (frame[c].nunique(dropna=True) < 2, frame[c].nunique(dropna=True)))
    return text, label


def task_from_frame(frame: pd.DataFrame, text_column: str, label_column: str,
                    name: str = "Your CSV", seed: int = 0) -> Task:
    """Check the two columns and split the rows (seeded, within each label)."""
    columns = [str(c) for c in frame.columns]
    for what, column in (("text", text_column), ("label", label_column)):
        if column not in columns:
            raise UserInputError(f"The file has no column {column!r} for the {what}. Its columns are: "
                                 f"{', '.join(columns[:12])}. Pick the {what} column from the list.")
    if text_column == label_column:
        raise UserInputError("The text and the label are the same column. Pick two different columns.")
    frame = frame.copy()
    frame.columns = columns
    notes: list[str] = []
    texts = frame[text_column]
    if pd.api.types.is_numeric_dtype(texts) and not pd.api.types.is_bool_dtype(texts):
        raise UserInputError(f"The column {text_column!r} holds numbers, not text. Pick the column "
                             "with the messages (sentences) as the text column.")
    texts = texts.astype("string").str.strip()
    labels = frame[label_column].astype("string").str.strip()
    empty_text = texts.isna() | (texts == "")
    empty_label = labels.isna() | (labels == "")
    if bool(empty_text.all()):
        raise UserInputError(f"Every text in {text_column!r} is empty. Pick the column that holds the "
                             "messages, or fill it in.")
    dropped = int((empty_text | empty_label).sum())
    if dropped:
        notes.append(f"Left out {dropped:,} row(s) with an empty text or label.")
    keep = ~(empty_text | empty_label)
    texts, labels = texts[keep], labels[keep]
    long = int((texts.str.len() > MAX_TEXT_CHARS).sum())
    if long:
        texts = texts.str.slice(0, MAX_TEXT_CHARS)
        notes.append(f"Cut {long:,} text(s) to their first {MAX_TEXT_CHARS} characters.")
    counts = labels.value_counts()
    if len(counts) > MAX_LABELS and len(counts) > 0.5 * len(labels):
        raise UserInputError(
            f"The column {label_column!r} has {len(counts):,} different values in {len(labels):,} rows: it "
            f"looks like free text or an id, not a label. Pick a label column with 2 to {MAX_LABELS} classes.")
    rare = counts[counts < MIN_PER_LABEL]
    if len(rare):
        shown = ", ".join(f"{name!r} ({n})" for name, n in rare.head(8).items())
        notes.append(f"Left out label(s) with fewer than {MIN_PER_LABEL} examples (2 to learn from, 1 to "
                     f"validate, 1 to test): {shown}{' ...' if len(rare) > 8 else ''}. Add examples to use them.")
        keep = ~labels.isin(rare.index)
        texts, labels = texts[keep], labels[keep]
        counts = counts[counts >= MIN_PER_LABEL]
    if len(counts) < 2:
        only = f"only {counts.index[0]!r}" if len(counts) else "none"
        raise UserInputError(
            f"The label column {label_column!r} has {only} with at least {MIN_PER_LABEL} examples; a "
            "classifier needs at least two labels to choose between. Pick another label column or add "
            "examples of a second label.")
    if len(counts) > MAX_LABELS:
        raise UserInputError(
            f"The column {label_column!r} has {len(counts)} labels; this page handles 2 to {MAX_LABELS} "
            "(every test text is scored against every label on the CPU). Keep the most important "
            f"labels, or pick another column.")
    rng = np.random.default_rng(seed)
    if len(labels) > MAX_ROWS_USED:
        per_label = max(MIN_PER_LABEL, MAX_ROWS_USED // len(counts))
        chosen = []
        for value in counts.index:
            rows = np.flatnonzero((labels == value).to_numpy())
            chosen.extend(rng.choice(rows, size=min(per_label, len(rows)), replace=False).tolist())
        chosen.sort()
        notes.append(f"The file has {len(labels):,} usable rows; this page uses a sample of {len(chosen):,} "
                     f"(at most {per_label} per label, seed {seed}), because every method runs on the CPU.")
        texts, labels = texts.iloc[chosen], labels.iloc[chosen]
    names = tuple(sorted(counts.index, key=str))
    index = {n: i for i, n in enumerate(names)}
    y = np.array([index[v] for v in labels])
    split = np.empty(len(y), dtype=object)
    for label in range(len(names)):
        rows = np.flatnonzero(y == label)
        rows = rows[rng.permutation(len(rows))]
        n_test = max(1, round(TEST_SHARE * len(rows)))
        n_val = max(1, round(VALIDATION_SHARE * len(rows)))
        split[rows[:n_test]] = "test"
        split[rows[n_test:n_test + n_val]] = "validation"
        split[rows[n_test + n_val:]] = "train"
    return Task(name=name, texts=tuple(str(t) for t in texts), labels=tuple(int(v) for v in y),
                label_names=tuple(str(n) for n in names), split=tuple(split),
                notes=tuple(notes))


def task_from_csv(data: bytes, text_column: str | None, label_column: str | None,
                  max_upload_mb: float, max_rows: int, name: str = "Your CSV") -> Task:
    """Bytes of an uploaded CSV -> Task (columns None: guessed)."""
    frame = read_table(data, max_upload_mb, max_rows)
    guess = guess_columns(frame)
    return task_from_frame(frame, text_column or guess[0], label_column or guess[1], name)

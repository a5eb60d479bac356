"""Tokens: the pieces a language model reads instead of letters.

A model never sees characters. A *tokenizer* cuts the text into pieces from a fixed
vocabulary and hands the model one integer id per piece. Two families are shown:

* **byte-level BPE** (SmolLM2, GPT-2, Llama 3, Qwen): the text is first turned into
  UTF-8 bytes, so *any* text can be written with the 256 single-byte tokens; frequent
  byte sequences were merged into longer tokens while the tokenizer was trained
  (Sennrich et al. 2016). A space is part of the token after it (" strawberry" is one
  token), and a rare character such as an emoji is spelled with several byte tokens,
  each of which is only *part* of a character.
* **WordPiece** (BERT, all-MiniLM-L6-v2): the text is lowercased, accents are removed,
  it is split at spaces and punctuation, then each word is cut into the longest pieces
  of the vocabulary; a piece inside a word starts with ``##``. A character the
  vocabulary lacks becomes ``[UNK]`` (unknown): there are no bytes to fall back on.

Nothing here draws anything: the functions return :class:`Piece` lists that
:mod:`playground.tokens.charts` turns into coloured chips.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from playground.errors import UserInputError

MAX_CHARS = 20_000  # longest text the token view reads (tokenizing is fast; drawing chips is not)


@dataclass(frozen=True)
class Piece:
    """One token as the page shows it."""

    token_id: int
    label: str  # what the chip shows: the text, or the bytes ("F0 9F") of part of a character
    kind: str  # "text" | "bytes" (part of a character) | "special" | "word-start" / "word-inside" | "unknown"
    note: str = ""  # hover text: e.g. 'bytes 2-3 of the 4 bytes of "🍓"'


@dataclass(frozen=True)
class Tokenized:
    """A text as one tokenizer reads it."""

    tokenizer: str  # e.g. "SmolLM2: byte-level BPE"
    pieces: tuple[Piece, ...]
    characters: int  # characters of the user's text (not of the template around it)

    @property
    def count(self) -> int:
        return len(self.pieces)

    @property
    def special_count(self) -> int:
        return sum(p.kind == "special" for p in self.pieces)

    @property
    def chars_per_token(self) -> float:
        """Characters of the user's text per token that is not a special token."""
        return self.characters / max(1, self.count - self.special_count)

    @property
    def ids(self) -> list[int]:
        return [p.token_id for p in self.pieces]


# ---- checking the text ---------------------------------------------------------------------


def check_text(text: str, max_chars: int = MAX_CHARS, what: str = "the text") -> str:
    """The text if it can be shown, else a :class:`UserInputError` saying what to do.
    Nothing is cut: a text over the limit is refused with its length and the limit."""
    if text is None or not text.strip():
        raise UserInputError(f"{what[0].upper()}{what[1:]} is empty. Type a sentence (or pick an example).")
    if len(text) > max_chars:
        raise UserInputError(
            f"{what[0].upper()}{what[1:]} is {len(text):,} characters long; this view reads at most "
            f"{max_chars:,}. Shorten it (nothing was cut).")
    return text


def text_notes(text: str) -> list[str]:
    """Plain-words notes about characters that tokenizers treat specially."""
    notes = []
    control = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t\r"]
    if control:
        shown = ", ".join(sorted({f"U+{ord(ch):04X}" for ch in control})[:6])
        notes.append(
            f"The text holds {len(control)} invisible control or format character{'s' if len(control) > 1 else ''} "
            f"({shown}). SmolLM2 still reads them, as byte tokens (shown as \\xNN); MiniLM's WordPiece drops them.")
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text):
        notes.append(
            "The text holds right-to-left script (Arabic, Hebrew...). The chips follow the order the characters "
            "are stored in, which is the order the model reads them: the first token is the rightmost word on "
            "screen.")
    emoji = [ch for ch in text if unicodedata.category(ch) == "So" and ord(ch) > 0x2000]
    if emoji:
        notes.append(
            f"{len(emoji)} emoji or symbol{'s' if len(emoji) > 1 else ''}: each is 3-4 bytes of UTF-8, and SmolLM2 "
            "usually spells one with 2-3 byte tokens (grey chips with the bytes). MiniLM has no byte tokens and "
            "reads most of them as [UNK].")
    return notes


# ---- byte-level BPE ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def byte_decoder() -> dict[str, int]:
    """GPT-2's table from the printable stand-in characters of byte-level BPE back to bytes
    ('Ġ' -> 0x20, the space; 'Ċ' -> 0x0A, the new line)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, codes)}


@dataclass(frozen=True)
class Vocabulary:
    """Every token of a byte-level BPE vocabulary as raw bytes (None: a special token,
    or a token that is not written in bytes), built once per model."""

    raw: tuple[bytes | None, ...]
    strings: tuple[str, ...]  # the tokenizer's own spelling ('Ġstrawberry', '<|im_start|>')
    special: frozenset[int]


def vocabulary(tokenizer) -> Vocabulary:
    """Read the whole vocabulary once (about 50 ms for 49,152 tokens)."""
    size = len(tokenizer)
    strings = tuple(s or "" for s in tokenizer.convert_ids_to_tokens(list(range(size))))
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    special |= {int(i) for i, t in (getattr(tokenizer, "added_tokens_decoder", None) or {}).items()
                if getattr(t, "special", False)}
    table = byte_decoder()
    raw: list[bytes | None] = []
    for i, s in enumerate(strings):
        if i in special or not s or any(ch not in table for ch in s):
            raw.append(None)
        else:
            raw.append(bytes(table[ch] for ch in s))
    return Vocabulary(tuple(raw), strings, frozenset(special))


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02X}" for b in data)


def bpe_pieces(ids: Sequence[int], vocab: Vocabulary, fallback: Sequence[str] | None = None) -> tuple[Piece, ...]:
    """The tokens of a byte-level BPE text as pieces.

    A token whose bytes are not a whole UTF-8 character (a piece of an emoji, of a Chinese
    character...) is shown as its bytes, with the character it belongs to in its note.
    ``fallback``: each token decoded by the tokenizer, for tokens not written in bytes."""
    # The bytes of all tokens in a row decode to the text; find which character covers which byte.
    spans: list[tuple[int, int]] = []
    stream = bytearray()
    for i in ids:
        data = vocab.raw[i] if 0 <= i < len(vocab.raw) else None
        start = len(stream)
        if data is not None:
            stream += data
        spans.append((start, len(stream)))
    owner: dict[int, tuple[str, int, int]] = {}  # byte offset -> (character, its first byte, its length)
    offset = 0
    for ch in bytes(stream).decode("utf-8", errors="replace"):
        size = len(ch.encode("utf-8")) if ch != "\ufffd" else 1
        for b in range(offset, offset + size):
            owner[b] = (ch, offset, size)
        offset += size
    pieces = []
    for n, (i, (start, end)) in enumerate(zip(ids, spans)):
        data = vocab.raw[i] if 0 <= i < len(vocab.raw) else None
        if data is None:
            text = fallback[n] if fallback is not None else vocab.strings[i]
            kind = "special" if i in vocab.special else "text"
            pieces.append(Piece(int(i), text, kind, "special token: added by the template or the tokenizer"
                                if kind == "special" else ""))
            continue
        label, partial, notes = [], False, []
        b = start
        while b < end:  # walk the characters this token's bytes belong to
            ch, first, size = owner.get(b, ("\ufffd", b, 1))
            if first >= start and first + size <= end:
                label.append(ch)  # the whole character is inside this token
            else:
                inside = range(max(start, first), min(end, first + size))
                label.append("⟨" + _hex(bytes(stream[inside.start:inside.stop])) + "⟩")
                partial = True
                which = (f"byte {inside.start - first + 1}" if len(inside) == 1 else
                         f"bytes {inside.start - first + 1}-{inside.stop - first}")
                notes.append(f"{which} of the {size} bytes of {ch!r}")
            b = min(end, first + size) if first + size > b else b + 1
        if partial:
            pieces.append(Piece(int(i), "".join(label), "bytes",
                                "part of a character: " + "; ".join(notes)))
        else:
            pieces.append(Piece(int(i), "".join(label), "text", f"{len(data)} byte{'s' if len(data) != 1 else ''}"))
    return tuple(pieces)


# ---- WordPiece -----------------------------------------------------------------------------


def load_wordpiece():
    """A private copy of all-MiniLM-L6-v2's WordPiece tokenizer, for display only.

    (The embedder's own tokenizer is called with padding and truncation, which changes its
    settings for a moment; a copy that is only ever called one way is safe to share.)"""
    from transformers import AutoTokenizer

    from playground.models.embedder import embedded_model_dir

    return AutoTokenizer.from_pretrained(str(embedded_model_dir()), local_files_only=True)


def wordpiece_pieces(tokenizer, text: str) -> Tokenized:
    """The text as MiniLM's WordPiece tokenizer reads it, with [CLS] and [SEP]."""
    ids = tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"]
    strings = tokenizer.convert_ids_to_tokens(ids)
    special = set(tokenizer.all_special_ids)
    unk = tokenizer.unk_token_id
    pieces = []
    for i, s in zip(ids, strings):
        if i == unk:
            pieces.append(Piece(int(i), s, "unknown", "not in the vocabulary: the model sees only 'unknown'"))
        elif i in special:
            pieces.append(Piece(int(i), s, "special", "special token: [CLS] starts every input, [SEP] ends it"))
        elif s.startswith("##"):
            pieces.append(Piece(int(i), s, "word-inside", "continues the word before it (##)"))
        else:
            pieces.append(Piece(int(i), s, "word-start", "starts a word"))
    return Tokenized("MiniLM: WordPiece", tuple(pieces), len(text))


def wordpiece_text(tokenizer, text: str) -> str:
    """What survives a WordPiece round trip: lowercased, accents and control characters gone,
    unknown characters as [UNK]."""
    ids = tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"]
    return tokenizer.decode(ids)


# ---- the LLM's tokenizer, through the shared engine ----------------------------------------


def llm_pieces(lm, vocab: Vocabulary, text: str, mode: str = "raw", max_tokens: int | None = None) -> Tokenized:
    """The text as the shared language model reads it (``mode="chat"``: inside its chat
    template, special tokens and default system prompt included)."""
    check_text(text)
    ids = lm.encode(text, mode=mode, check_length=False)
    limit = max_tokens if max_tokens is not None else lm.settings.max_prompt_tokens
    if len(ids) > limit:
        raise UserInputError(
            f"The text is {len(ids):,} tokens long; this view shows at most {limit:,} "
            "(PLAYGROUND_MAX_PROMPT_TOKENS). Shorten it (nothing was cut).")
    fallback = lm.token_strings(ids) if any(vocab.raw[i] is None for i in ids if i < len(vocab.raw)) else None
    return Tokenized("SmolLM2: byte-level BPE" if "SmolLM2" in lm.info.name else f"{lm.info.name}: BPE",
                     bpe_pieces(ids, vocab, fallback), len(text))


# ---- examples ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    label: str
    text: str
    shows: str  # one sentence: what to look at


EXAMPLES: tuple[Example, ...] = (
    Example("Strawberry: letters or tokens?", "How many r's are in strawberry?",
            "' strawberry' (with its space) is one token, id 35199: the model never sees the three r's it is "
            "asked to count. Without the space, 'strawberry' is st · raw · berry."),
    Example("Numbers and arithmetic", "12345 + 678 = 13023",
            "SmolLM2 gives every digit its own token, so columns of digits line up; WordPiece cuts numbers into "
            "chunks (123 · ##45) that change from number to number."),
    Example("Long and rare words", "Antidisestablishmentarianism is rare; photosynthesis is not.",
            "Common words are one token; rare ones are spelled from several pieces."),
    Example("Code", "def add(a, b):\n    return a + b",
            "The new line and its four spaces of indentation are one token: code is common in the training data."),
    Example("Emoji", "I love 🍓 and 🦜! 👍🏽",
            "An emoji is 4 bytes; SmolLM2 spells it with byte tokens (grey), MiniLM reads [UNK]."),
    Example("Other languages", "猫が寝ています。",
            "'The cat is sleeping' in Japanese: 8 characters, 14 tokens. English needs 5 tokens for 24 characters."),
    Example("Right to left", "القطة نائمة",
            "Arabic: 'the cat is sleeping'. The model reads the stored order: the first chip is the rightmost word."),
)

# "The cat is sleeping." in a few languages: the same meaning, very different token counts
SAME_SENTENCE: dict[str, str] = {
    "English": "The cat is sleeping on the warm windowsill.",
    "French": "Le chat dort sur le rebord chaud de la fenêtre.",
    "German": "Die Katze schläft auf der warmen Fensterbank.",
    "Greek": "Η γάτα κοιμάται στο ζεστό περβάζι.",
    "Russian": "Кошка спит на тёплом подоконнике.",
    "Hindi": "बिल्ली गर्म खिड़की पर सो रही है।",
    "Japanese": "猫は暖かい窓辺で寝ています。",
}


def language_counts(lm, wordpiece) -> list[tuple[str, int, int, int]]:
    """(language, characters, SmolLM2 tokens, MiniLM tokens) of :data:`SAME_SENTENCE`."""
    rows = []
    for language, sentence in SAME_SENTENCE.items():
        llm = len(lm.encode(sentence, mode="raw", check_length=False))
        wp = len(wordpiece(sentence, add_special_tokens=False)["input_ids"])
        rows.append((language, len(sentence), llm, wp))
    return rows

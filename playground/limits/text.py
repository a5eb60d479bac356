"""Text rules the page grades and checks with: exact, written out, no model involved.

* :func:`normalise` and :func:`contains`: an answer "contains" a phrase when the phrase
  appears as whole words after both are lower-cased, accents folded and punctuation
  dropped ("Blue Pelican!" contains "blue pelican"; "because" does not contain "au").
* :func:`numbers_in`: the integers written in an answer ("8,728" is 8728).
* :func:`check_question` and :func:`check_paste`: what the page accepts from a user, with
  a message that says what to do otherwise.
* :func:`md_escape`: user or model text made safe for Streamlit markdown.
"""

from __future__ import annotations

import re
import unicodedata

from playground.errors import UserInputError

MAX_QUESTION_CHARS = 500
MAX_PASTE_CHARS = 200_000  # about 50,000 tokens of English: far past any window this page runs

_PUNCT = re.compile(r"[^\w\s]")
_KEEP = "\u02bc"  # MODIFIER LETTER APOSTROPHE: a word character, stands in for ' while punctuation goes
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, accents folded (é -> e), apostrophes kept inside words, other
    punctuation replaced by spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<=\w)'(?=\w)", _KEEP, text)  # keep don't, men's (a letter, so _PUNCT spares it)
    text = re.sub(r"(?<=\d),(?=\d)", "", text)  # 12,345 -> 12345
    text = _PUNCT.sub(" ", text).replace(_KEEP, "'")
    return _SPACE.sub(" ", text).strip()


def contains(answer: str, phrase: str) -> bool:
    """Does the answer hold the phrase as whole words (both normalised)?"""
    phrase = normalise(phrase)
    if not phrase:
        return False
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", normalise(answer)) is not None


def contains_any(answer: str, phrases) -> str | None:
    """The first phrase the answer holds, or None."""
    for phrase in phrases:
        if contains(answer, phrase):
            return phrase
    return None


def numbers_in(text: str) -> list[int]:
    """The whole numbers written in the text, in order (thousands separators allowed)."""
    return [int(m.replace(",", "")) for m in re.findall(r"(?<![\d.])-?\d[\d,]*(?![\d])", text)
            if m.replace(",", "").lstrip("-").isdigit()]


# -- checking what a user typed ------------------------------------------------------------------


def _letters(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch).startswith("L")]


def latin_share(text: str) -> float:
    """Share of the letters that are Latin (a-z with accents); 1.0 when there are none."""
    letters = _letters(text)
    if not letters:
        return 1.0
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return latin / len(letters)


def check_question(text: str, what: str = "question") -> str | None:
    """Raise :class:`UserInputError` for a question the model cannot be asked; return a
    note (or None) for one it can be asked but will probably not understand."""
    if not text or not text.strip():
        raise UserInputError(f"The {what} is empty. Type a {what} in English, e.g. \"Who painted the Mona Lisa?\"")
    if len(text) > MAX_QUESTION_CHARS:
        raise UserInputError(f"The {what} is {len(text):,} characters long; keep it under "
                             f"{MAX_QUESTION_CHARS} (one or two sentences).")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise UserInputError(f"The {what} has no letters or digits (only symbols or emoji), so there is "
                             f"nothing to answer. Write it in words, e.g. \"What is the capital of France?\"")
    if latin_share(text) < 0.5:
        return (f"The {what} is not in the Latin alphabet. SmolLM2 was trained almost only on English "
                "text: expect an answer in English, or noise. Ask in English to measure what it knows.")
    return None


def check_paste(text: str, what: str = "text") -> str:
    """A pasted text within the page's size limit, else a message saying how long it is."""
    if text is None or not text.strip():
        raise UserInputError(f"The {what} is empty. Paste a text (a few paragraphs at least) or pick "
                             "the project's essays.")
    if len(text) > MAX_PASTE_CHARS:
        raise UserInputError(
            f"The {what} is {len(text):,} characters long (about {len(text) // 4:,} tokens); this page takes "
            f"at most {MAX_PASTE_CHARS:,} characters, already far more than the model can read at once. "
            "Paste a shorter part.")
    return text


# -- showing text in Streamlit markdown ---------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$<&])")


def md_escape(text: str) -> str:
    """Escape every character Streamlit markdown would read as formatting (including
    ':' of colour directives, '$' of LaTeX, '<' and '&' of HTML), and keep line breaks."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("\n", "  \n")


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""Text normalisation for the prompt-injection detector: one canonical form for rules and model.

Attackers hide instructions from string matching with full-width letters, zero-width or tag
characters, Cyrillic and Greek look-alikes, leetspeak (``1gn0re``) and spaced letters
(``i g n o r e``). :func:`normalize` undoes the cheap ones in one linear pass each and says which
it undid, because the use of an obfuscation is itself a signal. The rules, the training script
and the runtime model all see the same normalised text, so what the model learnt holds at
inference.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width, joiner, bidi-control, word-joiner, invisible-operator, BOM, soft hyphen, Mongolian
# vowel separator, variation selectors, and interlinear annotation characters.
_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff"
    "\ufff9-\ufffb\U000e0100-\U000e01ef]"
)
# Unicode "tag" characters mirror ASCII (U+E0041 is an invisible "A"): the ASCII-smuggling trick.
_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_SURROGATES = re.compile("[\ud800-\udfff]")
# ANSI terminal escapes (colours, cursor moves) in tool output are formatting, not text.
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]{0,256}(?:\x07|\x1b\\)|[@-Z\\-_])")
# C0 and C1 controls except tab and newline; they become spaces.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")
_FULLWIDTH = re.compile("[\uff01-\uff5e]")
# Cyrillic and Greek letters (after NFKC and lowercasing) that read as Latin ones.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
        "ԁ": "d", "ɡ": "g", "ɑ": "a", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k",
        "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ԛ": "q", "ԝ": "w",
    }
)  # fmt: skip
_CONFUSABLE_CHARS = re.compile("[" + "".join(chr(c) for c in _CONFUSABLES) + "]")
_LETTERS = re.compile(r"[^\W\d_]+")
# Digits and symbols that stand for letters inside a word (``pr0mpt``, ``1gn0r3``, ``$y$tem``).
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "€": "e"}
)
_LEET_WORD = re.compile(r"(?<![\w@$€])(?=[\w@$€]*[a-z])(?=[\w@$€]*[013457@$€])[\w@$€]{3,}")
# A stand-in between two letters, or leading two letters ("pr0mpt", "1gnore"); but not numbers
# with a unit or ordinal suffix ("1st", "4th", "3ds", "5km") nor versions ("gpt4", "python3").
_LEET_INNER = re.compile(r"[a-z][013457$€]+[a-z]|^[013457@$€][a-z]{2}")
_LEET_SPOT = re.compile(r"[a-z][013457$€]+[a-z]|(?<![\w@$€])[013457@$€][a-z]{2}")
_NUMBER_UNIT = re.compile(r"\d+[a-z]{1,3}")
# Three or more single letters joined by one separator: "i g n o r e", "I-G-N-O-R-E".
_SPACED = re.compile(r"(?<!\w)(?:[a-z][ .\-_*/|]){2,}[a-z](?!\w)")
_SPACED_SEP = re.compile(r"[ .\-_*/|]")


@dataclass(frozen=True, slots=True)
class Normalized:
    """The canonical text and the obfuscations that were undone to reach it.

    Attributes:
        text: NFKC, visible, lower-cased, de-obfuscated text with single spaces.
        signals: Names of the obfuscations found, e.g. ``("invisible_chars",)``.
    """

    text: str
    signals: tuple[str, ...]


def _decode_tags(match: re.Match[str]) -> str:
    return "".join(chr(ord(ch) - 0xE0000) for ch in match.group() if 0xE0020 <= ord(ch) < 0xE007F)


def _fold_confusables(match: re.Match[str]) -> str:
    word = match.group()
    if word.isascii() or not any("a" <= ch <= "z" for ch in word):
        return word
    return word.translate(_CONFUSABLES)


def _undo_leet(match: re.Match[str]) -> str:
    word = match.group()
    if _NUMBER_UNIT.fullmatch(word) or not _LEET_INNER.search(word):
        return word
    return word.translate(_LEET)


def _join_spaced(match: re.Match[str]) -> str:
    return _SPACED_SEP.sub("", match.group())


def _strip_invisible(text: str, signals: list[str]) -> str:
    if _TAGS.search(text):
        signals.append("tag_chars")
        text = _TAGS.sub(_decode_tags, text)
    stripped = _INVISIBLE.sub("", text)
    if len(stripped) != len(text):
        signals.append("invisible_chars")
    return stripped


def _fold_scripts(text: str, signals: list[str]) -> str:
    """Map look-alike letters to Latin inside words that already contain a Latin letter."""
    if not _CONFUSABLE_CHARS.search(text):
        return text
    folded = _LETTERS.sub(_fold_confusables, text)
    if folded != text:
        signals.append("mixed_script")
    return folded


def visible(text: str) -> str:
    """``text`` with invisible and tag characters removed, NFKC-normalised and lower-cased.

    The light form for exact look-ups (canary tokens): no leetspeak or look-alike folding, which
    would change digits and letters that matter.
    """
    text = _SURROGATES.sub("\ufffd", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", _strip_invisible(text, []))
    return text.lower()


def normalize(text: str) -> Normalized:
    """Return the canonical form of ``text`` that rules and model match against.

    Steps, each linear in the length: lone surrogates become U+FFFD; tag characters are decoded
    to the ASCII they hide; other invisible characters are removed; NFKC (full-width letters,
    ligatures); controls become spaces; lower case; look-alike letters inside Latin words become
    Latin; leetspeak inside words is undone; spaced-out letters are joined; whitespace collapses.

    Args:
        text: Any string, including one with lone surrogates or control characters.

    Returns:
        The normalised text and the names of the obfuscations that were found.

    Example:
        >>> normalize("Ｉgnore\u200b all previous 1nstruct10ns").text
        'ignore all previous instructions'
    """
    signals: list[str] = []
    text = _SURROGATES.sub("\ufffd", text)
    ascii_only = text.isascii()
    if not ascii_only:
        text = _strip_invisible(text, signals)
        if _FULLWIDTH.search(text):
            signals.append("fullwidth")
        text = unicodedata.normalize("NFKC", text)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    text = _CONTROLS.sub(" ", text).lower()
    if not ascii_only and not text.isascii():
        text = _fold_scripts(text, signals)
    deleet = _LEET_WORD.sub(_undo_leet, text) if _LEET_SPOT.search(text) else text
    if deleet != text:
        signals.append("leetspeak")
        text = deleet
    # Before collapsing whitespace: two spaces between spaced-out words keep the words apart.
    joined = _SPACED.sub(_join_spaced, text)
    if joined != text:
        signals.append("spaced_letters")
        text = joined
    return Normalized(_WHITESPACE.sub(" ", text).strip(), tuple(signals))

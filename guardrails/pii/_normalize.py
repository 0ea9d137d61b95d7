"""Text normalisation before detection, with a map from normalised offsets back to the original.

Detectors see a canonical form of the text, so that obfuscation does not hide PII from them:

* NFKC, per grapheme cluster (a base character and its combining marks): full-width digits and
  letters, ligatures and compatibility forms become their plain counterparts;
* invisible characters are removed: format characters (zero-width space and joiners, bidi
  controls, soft hyphen, word joiner, BOM, tag characters), variation selectors, Hangul fillers
  and C0/C1 control characters other than tab, newline and carriage return;
* lone surrogates become U+FFFD, and line/paragraph separators become newlines;
* literal escape sequences (``\\n``, ``\\t``, ``\\r``, as left by JSON encoded twice) become a
  space and the whitespace they stand for, so words either side of them stay apart.

Every character of the normalised text remembers where its cluster began in the original, so a
finding ``[start, end)`` in the normalised text maps back to the original string, invisible
characters inside the span included.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from dataclasses import dataclass

_ESCAPES = re.compile(r"\\[ntr]")
_ESCAPE_TO = {"\\n": " \n", "\\t": " \t", "\\r": " \r"}
# Anything outside printable ASCII (plus tab and newline) needs the character-by-character path.
_SPECIAL = re.compile(r"[^\x20-\x7e\t\n\r]")
_INVISIBLE_OTHER = frozenset("\u115f\u1160\u3164\uffa0\u034f\u180e")
_SEPARATORS = {"\u2028": "\n", "\u2029": "\n", "\x85": "\n"}


@dataclass(frozen=True)
class NormalizedText:
    """A normalised text and the offset map back to the text it came from.

    Attributes:
        text: The normalised text that detectors see.
        original_length: Length of the original text.
        starts: For each character of ``text``, the index in the original where its cluster
            begins, plus a final entry equal to ``original_length``; None when the two texts
            share offsets (nothing changed length).
    """

    text: str
    original_length: int
    starts: array[int] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``[start, end)`` to the original text.

        Example:
            >>> n = normalize_text("j\\u200bohn")
            >>> n.text, n.to_original(0, 4)
            ('john', (0, 5))
        """
        if self.starts is None:
            return start, end
        starts = self.starts
        last = len(starts) - 1
        start = min(max(start, 0), last)
        end = min(max(end, start), last)
        if end == start:
            return starts[start], starts[start]
        begin = starts[start]
        # The span ends where the next cluster begins (an NFKC expansion shares one start).
        stop = end
        while stop < last and starts[stop] == starts[end - 1]:
            stop += 1
        return begin, starts[stop]


def _is_invisible(char: str) -> bool:
    category = unicodedata.category(char)
    if category == "Cf":
        return True
    if category == "Cc":
        return char not in "\t\n\r"
    if category == "Mn" and ("\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"):
        return True
    return char in _INVISIBLE_OTHER


def _fold_cluster(cluster: str) -> str:
    first = cluster[0]
    if first in _SEPARATORS:
        return _SEPARATORS[first]
    if "\ud800" <= first <= "\udfff":
        return "\ufffd" + _fold_cluster(cluster[1:]) if len(cluster) > 1 else "\ufffd"
    return unicodedata.normalize("NFKC", cluster)


def _clusters(text: str) -> list[tuple[int, int]]:
    """Spans of a base character plus its combining marks; invisible characters stand alone."""
    spans: list[tuple[int, int]] = []
    index = 0
    length = len(text)
    while index < length:
        end = index + 1
        if not _is_invisible(text[index]):
            while (
                end < length and unicodedata.combining(text[end]) and not _is_invisible(text[end])
            ):
                end += 1
        spans.append((index, end))
        index = end
    return spans


def normalize_text(text: str) -> NormalizedText:
    """Normalise ``text`` for detection; see the module docstring for what changes.

    Plain printable ASCII is returned as it is, with no offset map, in a single regex pass.

    Args:
        text: The original text.

    Returns:
        The normalised text with its offset map.
    """
    text = _ESCAPES.sub(lambda match: _ESCAPE_TO[match.group()], text)
    if _SPECIAL.search(text) is None:
        return NormalizedText(text, len(text))
    parts: list[str] = []
    starts: array[int] = array("q")
    position = 0
    # Copy printable ASCII runs in bulk; fold what lies between them cluster by cluster.
    for match in re.finditer(r"[\x20-\x7e\t\n\r]+", text):
        if match.start() > position:
            _fold_run(text, position, match.start(), parts, starts)
        run_start = match.start()
        # A combining mark after the run composes with its last character: leave that one out.
        run_end = match.end()
        if run_end < len(text) and unicodedata.combining(text[run_end]):
            run_end -= 1
        if run_end > run_start:
            parts.append(text[run_start:run_end])
            starts.extend(range(run_start, run_end))
        position = run_end
    if position < len(text):
        _fold_run(text, position, len(text), parts, starts)
    starts.append(len(text))
    return NormalizedText("".join(parts), len(text), starts)


def _fold_run(text: str, begin: int, end: int, parts: list[str], starts: array[int]) -> None:
    segment = text[begin:end]
    for local_start, local_end in _clusters(segment):
        cluster = segment[local_start:local_end]
        if _is_invisible(cluster[0]):
            continue
        folded = _fold_cluster(cluster)
        folded = "".join(char for char in folded if not _is_invisible(char))
        parts.append(folded)
        starts.extend([begin + local_start] * len(folded))

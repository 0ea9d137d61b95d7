"""Post-processing of raw detector hits: name clean-up, name repetition, overlap resolution.

A hit is ``(entity_type, start, end, score, detector)`` in the coordinates of the normalised
text. Every step is linear (or ``n log n``) in the number of hits and the length of the text:

1. PERSON spans end at a line break. Spans holding digits, ``@``, address or organisation
   words (``Street``, ``Suite``, ``Ltd``) are dropped, and so are the model's guesses next to a
   house number, after an address word or ``in`` on the same line, all lower-case or a single
   all-capitals word: spaCy's small model often labels streets and towns as people. So are the
   guesses (the model's and the first-name list's) followed by a firm's suffix (``Merrill Lynch
   & Co``), one side of a street corner (``Tyler and 76 College Avenue``) or alone on the line
   after a street line of an address block (the town).
2. The other items of a list that holds a name (``Tara, Paul and Ashley``) are names too.
3. A name found once is found everywhere in the same text: other occurrences of its words
   (``Ella`` after ``Ella Mikkelsen``) become PERSON hits too.
4. A LOCATION inside a postal address (``STREET_ADDRESS``, from ``_address``) is part of the
   address: it is dropped, and the address is reported and masked whole.
5. Overlapping hits of one type merge; of different types, the lower-scored one is dropped when
   the other covers at least half of it.

These rules were written against sentences generated with development seeds of
presidio-evaluator (``scripts/tune_pii.py``, seeds 1-3 and 7) and are measured by
``benchmarks/bench_pii.py`` on another (2024) that no rule was tuned on.
"""

from __future__ import annotations

import bisect
import functools
import re
from typing import Any

from llmops._credentials import Hit

ADDRESS_WORDS = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|avda|lane|ln|suite|apt|apartment|box|drive|blvd|"
    r"boulevard|plaza|square|sq|court|ct|highway|hwy|parkway|pkwy|strasse|straße|str|gasse|"
    r"platz|weg|gate|gata|vei|veien|via|viale|rue|ul|ulica|calle|avenida|rua|unit|floor)\b",
    re.IGNORECASE,
)
ORGANISATION_WORDS = re.compile(
    r"\b(?:inc|ltd|llc|plc|corp|corporation|company|co|group|fund|trust|holdings?|limited|"
    r"gmbh|ag|sa|nv|bv|etf|ucits|bank|university|orchestra|club)\b",
    re.IGNORECASE,
)
# An organisation's suffix or ampersand right after a name: the name is part of a firm's.
ORGANISATION_AFTER = re.compile(
    r"[ \t]*(?:&|,?[ \t]+(?:inc|ltd|llc|plc|corp|corporation|incorporated|company|co|group|"
    r"sa|ag|se|nv|bv|gmbh|spa|industries|industrie|partners|associates|holdings?|capital|"
    r"software|technology|technologies|systems|solutions|pharmaceuticals|international|"
    r"club|foundation|institute)\b)",
    re.IGNORECASE,
)
_CORNER = re.compile(
    r"[ \t]+(?:and|&)[ \t]+(?:\d|[^\n\d]{0,30}?\b(?:ul|rue|via|calle|rua|avenue|street|road|"
    r"st|rd|ave)\b\.?[ \t]*\d)",
    re.IGNORECASE,
)
_LINE_REACH = 80
_LINE_FILLER = re.compile(r"[\s\W_]+")
_DIGIT = re.compile(r"\d")
_NUMBER_BEFORE = re.compile(r"\d[ \t]+$")
_NUMBER_AFTER = re.compile(r"[ \t]+\d")
_NUMBER_EARLIER = re.compile(r"\d[^\n]*$")
_GUESSES = frozenset({"ProperNounRecognizer"})
_MODELS = frozenset({"SpacyRecognizer", "ProperNounRecognizer", "FirstNameRecognizer"})
_PLACE_BEFORE = re.compile(r"\b(?:in|near)[ \t]+$", re.IGNORECASE)
_LONE_INITIAL = re.compile(r"\s\w$")
# An address word earlier on the same line: what follows is more address.
_ADDRESS_EARLIER = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|lane|apt|suite|box|unit|ul|rue|via|calle|rua|avda|"
    r"corner of)\b[^\n\\]*$",
    re.IGNORECASE,
)
_NAME_STOP = frozenset(
    "I A An The This That It He She We They You My Your His Her Our Their And Or But Not No "
    "Yes Is Are Was Were To Of In On At For With From By As So If Please Thanks Thank Dear Hi "
    "Hello Hey Mr Mrs Ms Miss Dr Prof Sir Madam Name".split()
)
_NAME_TOKEN = re.compile(r"[^\W\d_][^\W\d_'’\-]+")
_MAX_NAME_WORDS = 500
REPEAT_SCORE = 0.6


def first_line(span: str) -> str:
    """``span`` up to its first line break, tab or backslash (an escaped break)."""
    for stop in ("\n", "\r", "\\", "\t"):
        cut = span.find(stop)
        if cut >= 0:
            span = span[:cut]
    return span


def clean_person(text: str, hit: Hit) -> Hit | None:
    """The PERSON hit cut at a line break and trimmed, or None when it is not a name."""
    entity, start, end, score, detector = hit
    span = first_line(text[start:end])
    stripped = span.rstrip(" .,;:!?'\"’)(-")
    lead = len(stripped) - len(stripped.lstrip(" .,;:'\"(-"))
    stripped = stripped[lead:]
    if len(stripped) < 2 or any(char.isdigit() or char == "@" for char in stripped):
        return None
    if ADDRESS_WORDS.search(stripped) or ORGANISATION_WORDS.search(stripped):
        return None
    # A number right before or after is a house number: a street name, not a person.
    begin = start + lead
    if _NUMBER_BEFORE.search(text, max(0, begin - 12), begin) or _NUMBER_AFTER.match(
        text, begin + len(stripped)
    ):
        return None
    if detector in _MODELS and _unlikely_guess(text, begin, stripped, detector):
        return None
    return (entity, start + lead, start + lead + len(stripped), score, detector)


def _unlikely_guess(text: str, begin: int, name: str, detector: str) -> bool:
    """True when a model's (or the name list's) guess is more likely a place or a firm."""
    end = begin + len(name)
    # After a number on the same line it is most often a street or a town, after "in" or
    # ending in a lone initial ("København K") a place.
    if detector in _GUESSES and _NUMBER_EARLIER.search(text, max(0, begin - 32), begin):
        return True
    return bool(
        _PLACE_BEFORE.search(text, max(0, begin - 8), begin)
        or _LONE_INITIAL.search(name)
        or _ADDRESS_EARLIER.search(text, max(0, begin - 60), begin)
        or name.islower()
        or (name.isupper() and " " not in name)
        # "Merrill Lynch & Co", "Gerard Perrier SA": a firm named after people.
        or ORGANISATION_AFTER.match(text, end)
        or _address_line(text, begin, end)
        # "Tyler and 76 College Avenue": one side of a street corner.
        or _CORNER.match(text, end)
    )


def _address_line(text: str, begin: int, end: int) -> bool:
    """True when the name fills its line and the line before holds a number or an address
    word: the town or country line of an address block. Looks at most a line's width away."""
    opening = text[max(0, begin - _LINE_REACH) : begin]
    line_start = begin - len(opening) + opening.rfind("\n") + 1
    closing = text[end : end + _LINE_REACH]
    line_end = closing.find("\n")
    if line_start <= begin - len(opening) or (line_end < 0 and end + _LINE_REACH < len(text)):
        return False
    rest = closing if line_end < 0 else closing[:line_end]
    if _LINE_FILLER.sub("", text[line_start:begin] + rest):
        return False
    previous = text[max(0, line_start - 1 - _LINE_REACH) : line_start - 1].rsplit("\n", 1)[-1]
    return bool(_DIGIT.search(previous) or ADDRESS_WORDS.search(previous))


def repeat_names(text: str, hits: list[Hit]) -> list[Hit]:
    """PERSON hits for further occurrences of the words of the names already found."""
    words: set[str] = set()
    for entity, start, end, _, _ in hits:
        if entity != "PERSON":
            continue
        for token in _NAME_TOKEN.findall(text[start:end]):
            if token[0].isupper() and token not in _NAME_STOP:
                words.add(token)
    if not words:
        return []
    alternation = "|".join(
        re.escape(word) for word in sorted(words, key=len, reverse=True)[:_MAX_NAME_WORDS]
    )
    pattern = re.compile(rf"(?<![\w@.])(?:{alternation})(?:[ \t]+(?:{alternation}))*(?![\w@])")
    return [
        ("PERSON", match.start(), match.end(), REPEAT_SCORE, "NameRepeat")
        for match in pattern.finditer(text)
    ]


_LIST_ITEM = r"\p{Lu}[\p{L}\p{M}'’\-]+(?:[ \t]\p{Lu}[\p{L}\p{M}'’\-]+)?"


@functools.cache
def _name_list() -> Any:
    # regex (a presidio dependency, imported only once names were found) knows \p{Lu}.
    import regex

    return regex.compile(
        rf"{_LIST_ITEM}(?:,[ \t]+{_LIST_ITEM})*,?[ \t]+(?:and|or|&)[ \t]+{_LIST_ITEM}"
    )


@functools.cache
def _list_items() -> Any:
    import regex

    return regex.compile(_LIST_ITEM)


def expand_lists(text: str, hits: list[Hit]) -> list[Hit]:
    """PERSON hits for the other items of a list (``A, B and C``) that already holds a name."""
    persons = sorted((hit[1], hit[2]) for hit in hits if hit[0] == "PERSON")
    if not persons:
        return []
    starts = [start for start, _ in persons]
    added: list[Hit] = []
    pattern = _name_list()
    for match in pattern.finditer(text):
        items = list(_list_items().finditer(match.group()))
        spans = [(match.start() + item.start(), match.start() + item.end()) for item in items]
        named = 0
        for start, end in spans:
            index = bisect.bisect_right(starts, end) - 1
            if index >= 0 and persons[index][1] > start:
                named += 1
        if (
            named
            and named < len(spans)
            and not any(
                item.group() in _NAME_STOP or ORGANISATION_WORDS.search(item.group())
                for item in items
            )
        ):
            added += [("PERSON", start, end, REPEAT_SCORE, "NameList") for start, end in spans]
    return added


def _merge_same_type(hits: list[Hit]) -> list[Hit]:
    merged: list[Hit] = []
    by_type: dict[str, list[Hit]] = {}
    for hit in hits:
        by_type.setdefault(hit[0], []).append(hit)
    for group in by_type.values():
        group.sort(key=lambda hit: (hit[1], -hit[2]))
        current = group[0]
        for hit in group[1:]:
            if hit[1] < current[2]:
                best = current if current[3] >= hit[3] else hit
                current = (current[0], current[1], max(current[2], hit[2]), best[3], best[4])
            else:
                merged.append(current)
                current = hit
        merged.append(current)
    return merged


def _covered_half(loser: Hit, winner: Hit) -> bool:
    overlap = min(loser[2], winner[2]) - max(loser[1], winner[1])
    return overlap * 2 >= loser[2] - loser[1]


def resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    """Merge overlapping hits of one type; between types the higher score wins."""
    ordered = sorted(_merge_same_type(hits), key=lambda hit: (hit[1], hit[2]))
    dropped: set[int] = set()
    active: list[int] = []
    for index, hit in enumerate(ordered):
        active = [i for i in active if ordered[i][2] > hit[1] and i not in dropped]
        for other_index in active:
            other = ordered[other_index]
            if other[3] >= hit[3]:
                if _covered_half(hit, other):
                    dropped.add(index)
                    break
            elif _covered_half(other, hit):
                dropped.add(other_index)
        if index not in dropped:
            active.append(index)
    return [hit for index, hit in enumerate(ordered) if index not in dropped]


def postprocess(text: str, hits: list[Hit]) -> list[Hit]:
    """Apply the steps of the module docstring to ``hits`` found in ``text``."""
    cleaned = _clean(text, hits)
    cleaned += _clean(text, expand_lists(text, cleaned))
    cleaned += _clean(text, repeat_names(text, cleaned))
    return resolve_overlaps(drop_places_in_addresses(cleaned))


def drop_places_in_addresses(hits: list[Hit]) -> list[Hit]:
    """``hits`` without the LOCATION hits that lie inside a ``STREET_ADDRESS`` hit."""
    addresses = sorted((hit[1], hit[2]) for hit in hits if hit[0] == "STREET_ADDRESS")
    if not addresses:
        return hits
    starts = [start for start, _ in addresses]
    kept = []
    for hit in hits:
        if hit[0] == "LOCATION":
            index = bisect.bisect_right(starts, hit[1]) - 1
            if index >= 0 and addresses[index][1] >= hit[2]:
                continue
        kept.append(hit)
    return kept


def _clean(text: str, hits: list[Hit]) -> list[Hit]:
    # _places builds on this module's word patterns: imported here, not at the top.
    from llmops.guardrails.pii._places import clean_location

    cleaned: list[Hit] = []
    for hit in hits:
        if hit[0] in ("PERSON", "LOCATION"):
            kept = (clean_person if hit[0] == "PERSON" else clean_location)(text, hit)
            if kept is not None:
                cleaned.append(kept)
        else:
            cleaned.append(hit)
    return cleaned

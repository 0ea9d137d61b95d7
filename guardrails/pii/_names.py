"""Recognizers of people's names, beyond what spaCy's small English model finds.

* :class:`NameContextRecognizer`: capitalised names after titles and introductions (``Dr.``,
  ``my name is``, ``Name:``, ``Dear``, ``told``) or before a verb of speech (``... said``); it
  also gives the pattern-only tier PERSON coverage.
* :class:`ProperNounRecognizer` (``ner`` tier): runs of capitalised proper nouns that the model
  tagged but left without an entity label, as it often does for names opening a letter, an
  address block or a signature.
"""

from __future__ import annotations

import re
from typing import Any

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

from llmops.guardrails.pii._recognizers import ShapeRecognizer

# regex (a presidio dependency) rather than re: names start with any upper-case letter.
_NAME_WORD = r"(?:\p{Lu}\.|\p{Lu}[\p{L}\p{M}]+(?:['’\-]\p{L}[\p{L}\p{M}]*)*)"
_NAME_RUN = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}}"
_INTRODUCERS = (
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Madam|Mme|Mlle|Herr|Frau|Sr|Sra|Srta)\.?[ \t]+|"
    r"\b(?:mr|mrs|ms|mx|dr|prof)\.[ \t]+|"
    r"\b(?i:my name is|my name's|name is|i am called|call me|calls me|called me|named|"
    r"known as|maiden name is|last name is|first name is|surname is|dear|hi|hello|hey|"
    r"signed|sincerely|regards|thanks|cheers)[\s,:]+|"
    r"\b(?i:name|full name|first name|last name|surname|contact person|patient|customer)"
    r"[ \t]*:[ \t]*|"
    r"\b(?:said|asked|told|thanked|replied to|shouted at|spoke to|wrote to|emailed|texted|"
    r"met with|married|assistant to)[ \t]+"
)
_SPEECH_AFTER = r"said|says|asked|told|replied|shouted|wrote|whispered|explained|added|smiled"
# What a person has: "Tiana's address", "Nura's kid".
_POSSESSIONS = (
    r"address|kid|kids|child|children|son|daughter|wife|husband|partner|mother|father|mom|dad|"
    r"brother|sister|friend|boss|phone|number|email|account|birthday|car|house|home|office"
)


class NameContextRecognizer(ShapeRecognizer):
    """Capitalised names after a title, an introduction or a ``Name:`` label, or before a verb
    of speech."""

    ENTITY = "PERSON"
    PATTERN = regex.compile(
        rf"(?:{_INTRODUCERS})(?P<name>{_NAME_RUN})"
        rf"|(?P<name>{_NAME_RUN})(?=[ \t]+(?:{_SPEECH_AFTER})\b|['’]s[ \t]+(?:{_POSSESSIONS})\b)"
    )
    _STOP = frozenset(
        "I A An The This That It He She We They You My Your His Her Our Their And Or But "
        "Not No Yes Is Are Was Were Be Been Am To Of In On At For With From By As So If "
        "Please Thanks Thank Sir Madam Team All Everyone There Here What Who Apt Suite Street "
        "St Road Avenue Inc Ltd Corp".split()
    )

    def span(self, match: Any) -> tuple[int, int]:
        """The name without the title or introduction, up to its last name word."""
        start = match.start("name")
        return start, start + self._name_length(match)[1]

    def _name_length(self, match: Any) -> tuple[int, int]:
        """How many words belong to the name, and where the last of them ends."""
        count = end = 0
        for word in re.finditer(r"\S+", match.group("name")):
            if word.group().rstrip(".") in self._STOP:
                break
            count, end = count + 1, word.end()
        return count, end

    def score(self, match: Any) -> float:
        """Names need a first word that is not a common function word."""
        count, end = self._name_length(match)
        if count == 0 or len(match.group("name")[:end].rstrip(".")) < 2:
            return 0.0
        if match.start() == match.start("name"):
            return 0.75  # the name before a verb of speech
        # A title or introduction is stronger evidence than spaCy's label for the same span.
        return 0.9


class ProperNounRecognizer(LocalRecognizer):
    """Runs of two to four capitalised proper nouns that spaCy's NER left unlabelled.

    The small English model tags ``Zeliha Sultygov`` as two proper nouns but often gives the pair
    no entity label, or an ORG label that runs on across a line break. Such runs, with no digit
    next to them (house numbers) and no organisation or address word in them, are taken as
    names. Needs spaCy's tokens, so it runs in the ``ner`` tier only.
    """

    _NOT_NAME = regex.compile(
        r"(?i)^(?:inc|ltd|llc|plc|corp|corporation|company|co|group|fund|trust|bank|holdings?|"
        r"limited|sa|ag|gmbh|etf|ucits|university|college|school|hospital|street|st|road|rd|"
        r"avenue|ave|lane|suite|apt|box|drive|square|plaza|bridge|river|lake|mount|park|"
        r"north|south|east|west|new|san|santa|saint|monday|tuesday|wednesday|thursday|friday|"
        r"saturday|sunday|january|february|march|april|may|june|july|august|september|"
        r"october|november|december|personal|info|mr|mrs|ms|dr|prof)$"
    )

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], supported_language="en")

    def load(self) -> None:
        """Nothing to load: it reads the spaCy tokens presidio already computed."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """PERSON results for unlabelled proper-noun runs (presidio's recognizer interface)."""
        doc = getattr(nlp_artifacts, "tokens", None)
        if "PERSON" not in entities or doc is None or not hasattr(doc, "ents"):
            return []
        labelled = [False] * len(doc)
        for ent in doc.ents:
            if "\n" in ent.text and ent.label_ not in ("PERSON", "PER"):
                continue  # a label running across a line break is not trusted
            for index in range(ent.start, ent.end):
                labelled[index] = True
        results = []
        run: list[Any] = []
        for token in [*doc, None]:
            if token is not None and self._is_name_token(token) and not labelled[token.i]:
                run.append(token)
                continue
            if 2 <= len(run) <= 4 and self._standalone(doc, run):
                start, end = run[0].idx, run[-1].idx + len(run[-1].text)
                results.append(RecognizerResult("PERSON", start, end, 0.6, recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
                }))  # fmt: skip
            run = []
        return results

    def _is_name_token(self, token: Any) -> bool:
        word = token.text
        if token.pos_ != "PROPN" or not word[:1].isupper() or self._NOT_NAME.match(word):
            return False
        if not regex.fullmatch(r"\p{L}[\p{L}\p{M}'’\-]*\.?", word):
            return False
        return len(word) <= 2 or not word.isupper()

    def _standalone(self, doc: Any, run: list[Any]) -> bool:
        """No number, determiner or organisation/address word right beside the run."""
        before = doc[run[0].i - 1] if run[0].i > 0 else None
        after = doc[run[-1].i + 1] if run[-1].i + 1 < len(doc) else None
        if before is not None and (before.like_num or before.pos_ == "DET"):
            return False
        if len(run[0].text.rstrip(".")) < 2:
            return False
        for token in (before, after):
            if token is None:
                continue
            if token.like_num or token.is_quote or self._NOT_NAME.match(token.text):
                return False
        return True

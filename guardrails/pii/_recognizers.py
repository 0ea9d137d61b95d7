"""Recognizers that replace or add to presidio's where its defaults are weak.

* :class:`LenientPhoneRecognizer`: phone-number shapes in any national format (country codes, area
  codes in parentheses, grouped digits, extensions), scored by shape and by phone words nearby,
  instead of presidio's list of validated regions (recall 0.47 on mixed formats).
* :class:`LuhnCardRecognizer`: 12–19 digits, plain or grouped by spaces or dashes, Luhn-checked and
  scored by issuer prefix and length (presidio's pattern misses 2-series Mastercard, JCB, Maestro
  and 19-digit cards).

Names have recognizers of their own, in ``_names``.

Each looks for its own context words in a window around the match, so context counts in the
pattern tier too, where presidio's lemma-based enhancer has no tokens to work with.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from typing import Any

from presidio_analyzer import LocalRecognizer, RecognizerResult

_WINDOW_BEFORE = 48
_WINDOW_AFTER = 24


class ShapeRecognizer(LocalRecognizer):
    """A regex candidate, a validating scorer, and a context bonus from words nearby."""

    ENTITY = ""
    PATTERN: Any  # a compiled re or regex pattern
    CONTEXT: re.Pattern[str] | None = None
    CONTEXT_BONUS = 0.35

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.ENTITY], supported_language="en", name=type(self).__name__
        )

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""

    @abstractmethod
    def score(self, match: Any) -> float:
        """The score of a candidate before context; 0 rejects it (each recognizer's own)."""

    def span(self, match: Any) -> tuple[int, int]:
        """Where the entity lies in the match (all of it unless overridden)."""
        start, end = match.span()
        return start, end

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """Find the entity in ``text`` (presidio's recognizer interface)."""
        if self.ENTITY not in entities:
            return []
        results = []
        for match in self.PATTERN.finditer(text):
            score = self.score(match)
            if score <= 0:
                continue
            start, end = self.span(match)
            if self.CONTEXT is not None and self._has_context(text, start, end):
                score += self.CONTEXT_BONUS
            results.append(
                RecognizerResult(
                    self.ENTITY,
                    start,
                    end,
                    min(score, 1.0),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        # Our own context check already ran: presidio must not add to it.
                        RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
                    },
                )
            )
        return results

    def _has_context(self, text: str, start: int, end: int) -> bool:
        assert self.CONTEXT is not None
        before = text[max(0, start - _WINDOW_BEFORE) : start]
        after = text[end : end + _WINDOW_AFTER]
        return bool(self.CONTEXT.search(before) or self.CONTEXT.search(after))


class LenientPhoneRecognizer(ShapeRecognizer):
    """Phone numbers in international and national formats."""

    ENTITY = "PHONE_NUMBER"
    PATTERN = re.compile(
        r"(?<![\w@+/\\.\-])"
        r"(?:\+\s?\d{1,4}[ .\-]?|\(\+?\d{1,4}\)[ .\-]?)?"  # country code
        r"(?:\(\d{1,5}\)[ .\-]?)?"  # area code in parentheses, or the (0) of +41 (0)44
        r"\d{1,12}(?:[ .\-]\d{1,12}|\(\d{1,5}\)[ .\-]?\d{1,12}){0,6}"
        r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?"
        r"(?![\w@/\\]|[.\-,:]\d)",
        re.IGNORECASE,
    )
    CONTEXT = re.compile(
        r"\b(?:phone|telephone|tel|mobile|cell|cellphone|fax|call|calls|called|calling|dial|"
        r"ring|sms|text|texts|whatsapp|signal|contact|reach|hotline|helpline|landline|"
        r"voicemail|messages?|answering|desk|office|ext|extension|phone\s?number)\b",
        re.IGNORECASE,
    )
    _DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
    _IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
    _SSN = re.compile(r"\d{3}-\d{2}-\d{4}")

    def score(self, match: Any) -> float:
        """Score by shape: a country code or an area code in parentheses counts most."""
        value = match.group()
        digits = sum(char.isdigit() for char in value)
        if not 6 <= digits <= 15:
            return 0.0
        if any(shape.fullmatch(value) for shape in (self._DATE, self._IP, self._SSN)):
            return 0.0
        separated = any(char in value for char in " .-()")
        if value.startswith("+") and digits >= 8:
            score = 0.75
        elif "(" in value and digits >= 7:
            score = 0.6
        elif separated and digits >= 7:
            score = 0.45
        elif not separated and 9 <= digits <= 12:
            score = 0.3
        else:
            score = 0.15
        if re.search(r"(?:x|ext\.?)\s?\d+$", value, re.IGNORECASE):
            score += 0.1
        return score


# (lowest prefix, highest prefix, lengths) by issuer; prefixes compare on their own width.
_ISSUERS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("4", "4", (13, 16, 19)),  # Visa
    ("51", "55", (16,)),  # Mastercard
    ("2221", "2720", (16,)),  # Mastercard 2-series
    ("34", "34", (15,)),  # American Express
    ("37", "37", (15,)),
    ("6011", "6011", (16, 17, 18, 19)),  # Discover
    ("644", "649", (16, 17, 18, 19)),
    ("65", "65", (16, 17, 18, 19)),
    ("3528", "3589", (16, 17, 18, 19)),  # JCB
    ("2131", "2131", (15,)),
    ("1800", "1800", (15,)),
    ("300", "305", (14, 15, 16, 17, 18, 19)),  # Diners Club
    ("36", "36", (14, 15, 16, 17, 18, 19)),
    ("38", "39", (14, 15, 16, 17, 18, 19)),
    ("50", "50", tuple(range(12, 20))),  # Maestro
    ("56", "69", tuple(range(12, 20))),  # Maestro, UnionPay (62), Discover (64, 65)
    ("2200", "2204", (16, 17, 18, 19)),  # Mir
)


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (digits only) passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def known_issuer(digits: str) -> bool:
    """True when the prefix and length of ``digits`` fit a card issuer."""
    for low, high, lengths in _ISSUERS:
        if len(digits) in lengths and low <= digits[: len(low)] <= high:
            return True
    return False


class LuhnCardRecognizer(ShapeRecognizer):
    """Payment card numbers, plain or grouped, Luhn-checked."""

    ENTITY = "CREDIT_CARD"
    PATTERN = re.compile(r"(?<![\w.\-])(?<!\d[ \-])\d(?:[ \-]?\d){11,18}(?![\w\-]|[ \-]\d|\.\d)")
    CONTEXT = re.compile(
        r"\b(?:card|cards|credit|debit|cc|visa|mastercard|amex|american express|discover|jcb|"
        r"diners|maestro|unionpay|payment|pay|charge|billing|pan)\b",
        re.IGNORECASE,
    )

    def score(self, match: Any) -> float:
        """Luhn-valid numbers score high with a known issuer, low without one."""
        digits = re.sub(r"[ \-]", "", match.group())
        if len(set(digits)) == 1 or not luhn_valid(digits):
            return 0.0
        return 0.85 if known_issuer(digits) else 0.3

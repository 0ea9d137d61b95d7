"""Splitting answers into claims, and the lexical facts the offline detector checks per claim.

Pure Python (``re`` only), no model and no network. A *claim* is a sentence of the answer, split
further at clause boundaries (``;``, ``, but``, ``, and`` …) when both sides are long enough to
stand alone; a short answer ("Delhi", "yes") stays one claim.

Example:
    >>> split_claims("Paris is the capital of France; it has 2.1 million people. Yes.")
    ['Paris is the capital of France', 'it has 2.1 million people.', 'Yes.']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A sentence ends at . ! ? (or a run of them, with closing quotes/brackets) followed by space, or
# directly by a capital letter after a lowercase word or a digit: scraped contexts often glue
# sentences ("...19th century.First for Women ...").
_SENTENCE_END = re.compile(
    r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])"
    r"|(?<=[a-z0-9][a-z0-9][.!?])(?=[A-Z][a-z])"
    r"|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)"
)
# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc inc ltd co corp no vol fig e.g i.e u.s u.k a.m p.m approx"
    " dept est gen gov jan feb mar apr jun jul aug sep sept oct nov dec mt ft".split()
)
_CLAUSE_BREAK = re.compile(
    r"\s*;\s+|,\s+(?=(?:and|but|while|whereas|although|though|so|yet)\s)", re.IGNORECASE
)
_MIN_CLAUSE_WORDS = 4
_WORD = re.compile(r"[^\W_]+(?:[.'’\-][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?!\w)|\b\d+(?:st|nd|rd|th)\b")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
    "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "hundred": "100",
}  # fmt: skip
_UNIFY = str.maketrans("’‘“”–—", "''\"\"--")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    s t don now yes well however although though whereas yet thus therefore since via per
    one ones many much may might must shall also still even ever""".split()
)


@dataclass(frozen=True)
class ClaimFacts:
    """The lexical content of one text, normalised for comparison.

    Attributes:
        content: Lowercased, lightly stemmed content words (stopwords and punctuation removed).
        numbers: Numbers in canonical form (``"1,000"`` and ``"1000"`` are both ``"1000"``).
        entities: Lowercased capitalised words that are not sentence-initial (names, places).
    """

    content: tuple[str, ...]
    numbers: frozenset[str]
    entities: frozenset[str]


def normalize_text(text: str) -> str:
    """NFKC-normalise, unify quotes and dashes, and collapse whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_UNIFY)
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, keeping abbreviations such as "Dr." and "U.S." intact."""
    text = normalize_text(text)
    if not text:
        return []
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        head = text[start : match.start()].strip()
        last_word = head.rsplit(None, 1)[-1].rstrip(".!?\"')]").lower() if head else ""
        if head.endswith(".") and (last_word in _ABBREVIATIONS or len(last_word) == 1):
            continue  # "Dr. Smith", "J. R. R. Tolkien": not a sentence end
        if head:
            pieces.append(head)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return [" ".join(p.split()) for p in pieces]


def _split_clauses(sentence: str) -> list[str]:
    parts = [p.strip() for p in _CLAUSE_BREAK.split(sentence) if p and p.strip()]
    if len(parts) < 2 or any(len(_WORD.findall(p)) < _MIN_CLAUSE_WORDS for p in parts):
        return [sentence]
    return parts


# A citation marker: a bracketed list of source ids, file names or numbers ("[2]",
# "[billing.md, faq.md]", "[doc-3#intro]"). It names where a claim comes from; it claims nothing.
_CITATION = re.compile(r"(?:\s+|(?<=[.!?,;:]))\[\s*[\w./#:-]+(?:\s*[,;]\s*[\w./#:-]+)*\s*\]")


def strip_citations(text: str) -> str:
    """``text`` without citation markers such as ``[billing.md]`` or ``[1, 2]``."""
    return _CITATION.sub("", text)


def split_claims(answer: str) -> list[str]:
    """Split an answer into claims: sentences, then independent clauses where both are long.

    Citation markers (``[billing.md]``, ``[3]``) are left out: they name a source, not a fact.

    Args:
        answer: The text to split.

    Returns:
        The claims in order; empty when the answer has no words.
    """
    claims: list[str] = []
    for sentence in split_sentences(strip_citations(answer)):
        if _WORD.search(sentence):
            claims.extend(_split_clauses(sentence))
    return claims


def stem(word: str) -> str:
    """A light suffix stripper so "founded"/"founds" and "cities"/"city" compare equal."""
    for suffix, repl in (("ies", "y"), ("'s", ""), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


# The words of conversation rather than of fact: greetings, thanks, agreement, feelings, praise
# and hedges (stemmed as ``extract_facts`` stems). A claim made of these alone asserts nothing,
# and within a claim they are not checked against the context ("another great movie").
CHAT_WORDS = frozenset(
    stem(w)
    for w in """hi hello hey bye goodbye thanks thank welcome pleasure sorry apologies please
    yes yeah yep yup no nope okay ok sure right alright true indeed definitely absolutely certainly
    agree agreed exactly correct great good nice cool awesome amazing wonderful fantastic lovely
    excellent fun funny interesting glad happy love loved like liked enjoy enjoyed hope hoping
    wish think thought guess suppose feel felt know see seen wow oh ah haha lol hmm well really
    pretty quite lot lots totally favorite favourite sounds seems maybe perhaps probably
    problem worries anything else help today question questions another""".split()
)


def _canonical_number(token: str) -> str:
    token = token.lower().replace(",", "").lstrip("+")
    token = re.sub(r"(st|nd|rd|th)$", "", token)
    if "." in token:
        token = token.rstrip("0").rstrip(".")
    return token


def words(text: str) -> list[str]:
    """The words of ``text`` in order, as written."""
    return _WORD.findall(normalize_text(text))


def _counts_something(lowered: list[str], index: int) -> bool:
    """Whether "one" at ``index`` is a count ("one goal") rather than a pronoun ("a good one",
    "the one and only", "one of them"): it counts when a content word follows it."""
    following = lowered[index + 1] if index + 1 < len(lowered) else ""
    return bool(following) and following not in STOPWORDS


def extract_facts(text: str) -> ClaimFacts:
    """Content words, numbers and capitalised entities of ``text``."""
    tokens = words(text)
    content = tuple(  # numbers, digits or words, are compared as numbers below
        stem(t.lower())
        for t in tokens
        if t.lower() not in STOPWORDS and t.lower() not in _NUMBER_WORDS and not t.isdigit()
    )
    numbers = {_canonical_number(n) for n in _NUMBER.findall(normalize_text(text))}
    lowered = [t.lower() for t in tokens]
    numbers |= {
        _NUMBER_WORDS[w]
        for i, w in enumerate(lowered)
        if w in _NUMBER_WORDS and (w != "one" or _counts_something(lowered, i))
    }
    entities = {
        t.lower()
        for i, t in enumerate(tokens)
        if i > 0 and t[:1].isupper() and t.lower() not in STOPWORDS and not t.isupper()
    }
    return ClaimFacts(content, frozenset(numbers), frozenset(entities))

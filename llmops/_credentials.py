"""Credentials that redaction always removes, whatever the policy: API keys and tokens.

Found by pattern on the normalised text (so zero-width characters do not hide them), as hits of
type ``SECRET`` with the span of the credential itself: for ``api_key=...`` the name stays and
only the value goes. Dictionary keys that name a credential (``authorization``, ``api_key``,
``password``, ...) have their whole value removed by the structure walker instead.

On the ground floor: tracing's scrub (applied by every exporter) and the guardrails' PII
redaction both use it, and neither imports the other.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from typing import Any

from llmops._internal import STATS, internal_error

# A detector hit, ``(entity_type, start, end, score, detector)``: the shape the guardrails' PII
# post-processing works on (llmops.guardrails.pii._post imports it from here).
Hit = tuple[str, int, int, float, str]

SECRET = "SECRET"
_SCORE = 1.0

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private_key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE "
            r"KEY-----|\Z)"
        ),
    ),
    (
        "authorization",
        re.compile(
            r"(?i)\bauthorization\b[\"']?\s*[:=]\s*[\"']?(?:(?:basic|bearer|token|digest)\s+)?"
            r"([^\s\"',;]{8,})"
        ),
    ),
    ("bearer", re.compile(r"\b(?i:bearer)\s+((?=[\w\-.~+/]*\d)[\w\-.~+/]{16,}=*)")),
    ("sk_key", re.compile(r"\b(?:sk|rk|pk)-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_\-]{16,}")),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z\-_]{35}")),
    ("stripe_key", re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
    ("url_credentials", re.compile(r"(?<=://)[^\s/:@]+:([^\s/@]{3,})(?=@)")),
    (
        "assignment",
        re.compile(
            r"(?i)\b(?:[a-z0-9]+[_\-.])*(?:api[_\-.]?key|apikey|access[_\-.]?key|"
            r"secret(?:[_\-.]?key)?|client[_\-.]?secret|access[_\-.]?token|refresh[_\-.]?token|auth[_\-.]?token|token|"
            r"password|passwd|pwd|credentials?)\b[\"']?\s*[:=]\s*[\"']?([^\s\"'&,;}{]{4,})"
        ),
    ),
)

_SECRET_KEY = re.compile(
    r"(?i)(?:^|[_\-.])(?:authorization|auth|api[_\-.]?key|apikey|access[_\-.]?key|secret|"
    r"client[_\-.]?secret|token|access[_\-.]?token|refresh[_\-.]?token|password|passwd|pwd|"
    r"credentials?|cookie|set[_\-.]cookie|private[_\-.]?key|x[_\-.]api[_\-.]key)$"
)


# Prefilter. Every scrubbed attribute value goes through here, on the export path, and most
# hold no credential, so each pattern runs only when text holds what any match of it must hold.
# The tests are ordered by cost: one character (memchr, ~0.1 µs per 11 KB), then a literal
# (str fast search, ~1 ns a byte for short ones), then a small regex with a literal prefix.
# Checking 32 trigger strings one by one cost ~350 µs for an 11 KB prompt; this costs ~20 µs.
_AWS_PREFIX = re.compile(r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)[A-Z0-9]")
_GITHUB_PREFIX = re.compile(r"g(?:h[pousr]_|ithub_pat_)")
_DIGITS = "0123456789"
# The assignment pattern ends its credential word right before an optional quote, spaces and
# ``:`` or ``=``; seen from each such sign, that is a suffix test on the few characters before.
_ASSIGNMENT_SUFFIXES = ("key", "token", "secret", "password", "passwd", "pwd", "credential",
                        "credentials")  # fmt: skip
_LAST_LETTERS = frozenset("yntdlsYNTDLS\u017f")  # how those words (and "authorization") end
# ``(?i)`` in ``re`` also matches i, k and s with these non-ASCII letters; ``str.lower`` does not
# map all of them to ASCII, so the gates fold them first.
_FOLD_TO_ASCII = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
_FOLD_TABLE = str.maketrans(_FOLD_TO_ASCII)


def _lower(text: str) -> str:
    """``text.lower()``, with the letters ``(?i)`` folds to i, k or s made ASCII first."""
    if not text.isascii() and any(map(text.__contains__, _FOLD_TO_ASCII)):
        text = text.translate(_FOLD_TABLE)
    return text.lower()


_ASSIGNMENT_SIGNS_CHECKED = 3  # beyond this many signs, one search per credential word
_ASSIGNMENT_WORDS = ("key", "token", "secret", "passw", "pwd", "credential")
_ASSIGNED = re.compile(r"[a-z]*[\"']?\s*[:=]")


class _Text:
    """A text and what the gates derive from it, each computed once, on first use."""

    __slots__ = ("_lower", "_signs", "_signs_found", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: str | None = None
        self._signs: list[int] | None = None
        self._signs_found = False

    def lower(self) -> str:
        if self._lower is None:
            self._lower = _lower(self.text)
        return self._lower

    def signs(self) -> list[int] | None:
        """Positions of ``:`` and ``=``, or None past ``_ASSIGNMENT_SIGNS_CHECKED`` of them.

        Found with ``str.find`` (memchr): ``str.count`` costs ~10x more on long text.
        """
        if not self._signs_found:
            self._signs_found = True
            text = self.text
            found: list[int] = []
            for sign in ":=":
                position = text.find(sign)
                while position != -1 and len(found) <= _ASSIGNMENT_SIGNS_CHECKED:
                    found.append(position)
                    position = text.find(sign, position + 1)
            self._signs = found if len(found) <= _ASSIGNMENT_SIGNS_CHECKED else None
        return self._signs

    def word_before_sign(self, words: tuple[str, ...], many: Callable[[str], bool]) -> bool:
        """Whether some ``:`` or ``=`` follows one of ``words`` (a necessary condition).

        With few signs (prose, an 11 KB prompt), each is looked at; with more (JSON, code),
        ``many`` decides on the lower-cased text: a search per credential word is then cheaper.
        """
        signs = self.signs()
        if signs is None:
            return many(self.lower())
        text = self.text
        for position in signs:
            before = text[max(0, position - 48) : position].rstrip().rstrip("'\"")
            if not before:
                return True  # a long run of spaces: let the regex decide
            if before[-1] in _LAST_LETTERS and _lower(before).endswith(words):
                return True
        return False


# Each credential word followed by what ``_ASSIGNED`` allows: one search per word, the loop over
# its occurrences in C (a prompt that says "key" or "token" a hundred times is common).
_WORD_ASSIGNED = tuple(re.compile(re.escape(w) + _ASSIGNED.pattern) for w in _ASSIGNMENT_WORDS)


def _assignment_words_possible(lowered: str) -> bool:
    return any(pattern.search(lowered) is not None for pattern in _WORD_ASSIGNED)


def _authorization_possible(lowered: str) -> bool:
    return "authorization" in lowered


_BY_NAME = dict(_PATTERNS)
_SHORT_TEXT = 512  # below this, lower-casing a copy costs less than ten digit scans


def _authorization_before_sign(view: _Text) -> bool:
    return view.word_before_sign(("authorization",), _authorization_possible)


def _bearer_possible(text: str, view: _Text) -> bool:
    if len(text) <= _SHORT_TEXT:
        return "bearer" in view.lower() and any(map(text.__contains__, _DIGITS))
    return any(map(text.__contains__, _DIGITS)) and "bearer" in view.lower()


def _candidates(text: str) -> list[tuple[str, re.Pattern[str]]]:
    """The patterns that could match ``text``, in ``_PATTERNS`` order.

    One Hyperscan pass when the ``speedups`` extra is installed (see :class:`_OnePass`), else
    :func:`_gated_candidates`; both return only patterns that may match, never fewer.
    """
    scanner = _scanner
    if scanner is None:
        scanner = _load_scanner()
    if scanner is not _NO_SCANNER and len(text) > _ONE_PASS_MIN_CHARS:
        try:
            return scanner.candidates(text)
        except Exception:  # counted; the Python gates decide instead, so nothing goes unscreened
            internal_error("secret-scan")
    return _gated_candidates(text)


def _gated_candidates(text: str) -> list[tuple[str, re.Pattern[str]]]:
    """The patterns that could match ``text``, in ``_PATTERNS`` order, tested in Python.

    Each test is something any match of that pattern must contain, cheapest first; the
    one-character scans several patterns need are made once. Plain code rather than a gate
    function per pattern: on the short values most spans hold, the calls cost more than the
    scans.
    """
    found: list[tuple[str, re.Pattern[str]]] = []
    view = _Text(text)
    dash = "-" in text
    sign = "=" in text or ":" in text
    if dash and "-----BEGIN" in text:
        found.append(("private_key", _BY_NAME["private_key"]))
    if sign and ("z" in text or "Z" in text) and _authorization_before_sign(view):
        found.append(("authorization", _BY_NAME["authorization"]))
    if _bearer_possible(text, view):
        found.append(("bearer", _BY_NAME["bearer"]))
    _token_candidates(text, dash, found)
    if "@" in text and "://" in text:
        found.append(("url_credentials", _BY_NAME["url_credentials"]))
    if sign and view.word_before_sign(_ASSIGNMENT_SUFFIXES, _assignment_words_possible):
        found.append(("assignment", _BY_NAME["assignment"]))
    return found


def _token_candidates(text: str, dash: bool, found: list[tuple[str, re.Pattern[str]]]) -> None:
    """The vendor-token patterns (``sk_key`` to ``jwt``) that could match ``text``."""
    capital_a = "A" in text
    underscore = "_" in text
    if dash and "k-" in text:
        found.append(("sk_key", _BY_NAME["sk_key"]))
    if capital_a and _AWS_PREFIX.search(text) is not None:
        found.append(("aws_access_key", _BY_NAME["aws_access_key"]))
    if underscore and _GITHUB_PREFIX.search(text) is not None:
        found.append(("github_token", _BY_NAME["github_token"]))
    if dash and "xox" in text:
        found.append(("slack_token", _BY_NAME["slack_token"]))
    if capital_a and "AIza" in text:
        found.append(("google_api_key", _BY_NAME["google_api_key"]))
    if underscore and ("_live_" in text or "_test_" in text):
        found.append(("stripe_key", _BY_NAME["stripe_key"]))
    if "J" in text and "eyJ" in text:
        found.append(("jwt", _BY_NAME["jwt"]))


# The one-pass prefilter. Searching for each pattern's literals one by one costs ~1 ns a character
# a search here (~9 µs for a 600-byte JSON prompt, ~250 µs for a 22 KB one that says "key" a
# hundred times); Hyperscan finds all of them in one SIMD pass. Each expression below is a
# relaxation of its pattern: whatever the pattern matches, the expression matches too. It runs
# on the UTF-8 bytes, so what Python's ``\s`` and ``(?i)`` accept beyond ASCII is accepted
# here as well: any non-ASCII byte counts as a space, and i, k and s also match the non-ASCII
# letters that ``re`` folds to them.
_SPACE = r"(?:[\t-\r\x1c-\x20]|[\x80-\xff])"
_QUOTE = r"[\"']?"


def _folded(word: str) -> str:
    """``word`` as ``(?i)`` matches it in a ``str`` pattern, for a bytes pattern."""
    parts = []
    for char in word:
        cased = f"[{char.lower()}{char.upper()}]"
        others = [
            "".join(f"\\x{byte:02x}" for byte in other.encode())
            for other, ascii_letter in _FOLD_TO_ASCII.items()
            if ascii_letter == char
        ]
        parts.append(f"(?:{'|'.join([cased, *others])})" if others else cased)
    return "".join(parts)


_ASSIGNMENT_WORDS_FOLDED = "|".join(map(_folded, _ASSIGNMENT_SUFFIXES))
_ONE_PASS_EXPRESSIONS = {
    "private_key": r"-----BEGIN",
    "authorization": _folded("authorization") + _QUOTE + _SPACE + "*[:=]",
    "bearer": _folded("bearer") + _SPACE,
    "sk_key": r"[spr]k-",
    "aws_access_key": r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)[A-Z0-9]{16}",
    "github_token": r"gh[pousr]_[A-Za-z0-9]{30}|github_pat_[A-Za-z0-9_]{30}",
    "slack_token": r"xox[abposr]-[A-Za-z0-9\-]{10}",
    "google_api_key": r"AIza[0-9A-Za-z\-_]{35}",
    "stripe_key": r"[spr]k_(?:live|test)_[A-Za-z0-9]{16}",
    "jwt": r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ",
    "url_credentials": r"://[^/:@]+:[^/@]{3,}@",
    "assignment": f"(?:{_ASSIGNMENT_WORDS_FOLDED})" + _QUOTE + _SPACE + "*[:=]",
}
# A Hyperscan call costs ~1 µs whatever the text; the gates cost 0.7 µs on a few words or on
# prose without ``:`` or ``=``, and 2-3 µs on a short JSON value (measured).
_ONE_PASS_MIN_CHARS = 16


def _collect(pattern_id: int, start: int, end: int, flags: int, found: Any) -> None:
    found.append(pattern_id)


class _OnePass:
    """All the patterns' prefilters in one Hyperscan database, scanned once per text.

    Hyperscan needs a scratch space per concurrent scan: one per thread, cloned on first use.
    """

    def __init__(self) -> None:
        import hyperscan

        names = [name for name, _ in _PATTERNS]
        expressions = [_ONE_PASS_EXPRESSIONS[name].encode() for name in names]
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(
            expressions=expressions,
            ids=list(range(len(names))),
            elements=len(names),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(names),
        )
        self._database = database
        self._scratch = hyperscan.Scratch(database)
        self._local = threading.local()

    def candidates(self, text: str) -> list[tuple[str, re.Pattern[str]]]:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._scratch.clone()
        found: list[int] = []
        self._database.scan(
            text.encode("utf-8", "surrogatepass"),
            match_event_handler=_collect,
            context=found,
            scratch=scratch,
        )
        if not found:
            return []
        found.sort()
        return [_PATTERNS[index] for index in found]


_NO_SCANNER: Any = object()
_scanner: Any = None  # the _OnePass in use, _NO_SCANNER, or None before the first scan
_SCANNER_LOCK = threading.Lock()


def _load_scanner() -> Any:
    """The one-pass scanner; ``_NO_SCANNER`` without the extra or with LLMOPS_SECRET_SCAN=python."""
    global _scanner
    with _SCANNER_LOCK:
        if _scanner is None:
            scanner = _NO_SCANNER
            if os.environ.get("LLMOPS_SECRET_SCAN", "auto") != "python":
                try:
                    scanner = _OnePass()
                except ImportError:
                    pass
                except Exception:  # a CPU Hyperscan does not support: the Python gates still work
                    STATS.incr("internal_errors")
                    STATS.log_once_in_a_while(
                        "secret-scan",
                        "llmops: Hyperscan unavailable; secrets prefilter in Python",
                        exc_info=True,
                    )
            _scanner = scanner
        return _scanner


def find_secrets(text: str) -> list[Hit]:
    """``SECRET`` hits for every credential pattern in ``text``."""
    hits: list[Hit] = []
    for name, pattern in _candidates(text):
        for match in pattern.finditer(text):
            start, end = match.span(1) if match.re.groups else match.span()
            if end > start:
                hits.append((SECRET, start, end, _SCORE, f"Secret:{name}"))
    return hits


_KEY_CACHE: dict[str, bool] = {}


def is_secret_key(key: object) -> bool:
    """True when a dictionary key or attribute name names a credential.

    Example:
        >>> is_secret_key("http.request.header.authorization"), is_secret_key("user")
        (True, False)
    """
    if not isinstance(key, str):
        return False
    known = _KEY_CACHE.get(key)
    if known is None:
        known = _SECRET_KEY.search(key) is not None
        if len(_KEY_CACHE) < 4096:  # attribute names repeat; bound the cache all the same
            _KEY_CACHE[key] = known
    return known

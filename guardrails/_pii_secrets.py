"""Credentials that redaction always removes, whatever the policy: API keys and tokens.

Found by pattern on the normalised text (so zero-width characters do not hide them), as hits of
type ``SECRET`` with the span of the credential itself: for ``api_key=...`` the name stays and
only the value goes. Dictionary keys that name a credential (``authorization``, ``api_key``,
``password``, ...) have their whole value removed by the structure walker instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from llmops.guardrails._pii_post import Hit

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
_LAST_LETTERS = frozenset("yntdlsYNTDLS")  # how those words (and "authorization") end
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
            self._lower = self.text.lower()
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
            if before[-1] in _LAST_LETTERS and before.lower().endswith(words):
                return True
        return False


def _assignment_words_possible(lowered: str) -> bool:
    for word in _ASSIGNMENT_WORDS:
        start = lowered.find(word)
        while start != -1:
            end = start + len(word)
            if _ASSIGNED.match(lowered, end):
                return True
            start = lowered.find(word, end)
    return False


def _authorization_possible(lowered: str) -> bool:
    return "authorization" in lowered


# What any match of each pattern must contain (cheapest tests first).
_GATES: dict[str, Callable[[str, _Text], bool]] = {
    "private_key": lambda t, v: "-" in t and "-----BEGIN" in t,
    "authorization": lambda t, v: (
        ("z" in t or "Z" in t)
        and ("=" in t or ":" in t)
        and v.word_before_sign(("authorization",), _authorization_possible)
    ),
    "bearer": lambda t, v: any(map(t.__contains__, _DIGITS)) and "bearer" in v.lower(),
    "sk_key": lambda t, v: "-" in t and "k-" in t,
    "aws_access_key": lambda t, v: "A" in t and _AWS_PREFIX.search(t) is not None,
    "github_token": lambda t, v: "_" in t and _GITHUB_PREFIX.search(t) is not None,
    "slack_token": lambda t, v: "-" in t and "xox" in t,
    "google_api_key": lambda t, v: "A" in t and "AIza" in t,
    "stripe_key": lambda t, v: "_" in t and ("_live_" in t or "_test_" in t),
    "jwt": lambda t, v: "J" in t and "eyJ" in t,
    "url_credentials": lambda t, v: "@" in t and "://" in t,
    "assignment": lambda t, v: (
        ("=" in t or ":" in t)
        and v.word_before_sign(_ASSIGNMENT_SUFFIXES, _assignment_words_possible)
    ),
}


def find_secrets(text: str) -> list[Hit]:
    """``SECRET`` hits for every credential pattern in ``text``."""
    hits: list[Hit] = []
    view = _Text(text)
    for name, pattern in _PATTERNS:
        if not _GATES[name](text, view):
            continue
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

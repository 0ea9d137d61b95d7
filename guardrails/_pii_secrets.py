"""Credentials that redaction always removes, whatever the policy: API keys and tokens.

Found by pattern on the normalised text (so zero-width characters do not hide them), as hits of
type ``SECRET`` with the span of the credential itself: for ``api_key=...`` the name stays and
only the value goes. Dictionary keys that name a credential (``authorization``, ``api_key``,
``password``, ...) have their whole value removed by the structure walker instead.
"""

from __future__ import annotations

import re

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


# Every match of a pattern contains one of its trigger strings (compared lower-cased), so a
# pattern runs only on text that could match it: substring tests cost a fraction of a regex.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "private_key": ("-----begin",),
    "authorization": ("authorization",),
    "bearer": ("bearer",),
    "sk_key": ("sk-", "rk-", "pk-"),
    "aws_access_key": ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"),
    "github_token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "slack_token": ("xox",),
    "google_api_key": ("aiza",),
    "stripe_key": ("_live_", "_test_"),
    "jwt": ("eyj",),
    "url_credentials": ("://",),
    "assignment": ("key", "token", "secret", "passw", "pwd", "credential"),
}


# The assignment pattern scans every word boundary for a dotted name prefix. A credential word
# followed by ``:`` or ``=`` is a necessary condition, found far more cheaply with str.find.
_ASSIGNMENT_WORDS = ("key", "token", "secret", "passw", "pwd", "credential")
_ASSIGNED = re.compile(r"[a-z]*[\"']?\s*[:=]")


def _assignment_possible(lowered: str) -> bool:
    for word in _ASSIGNMENT_WORDS:
        start = lowered.find(word)
        while start != -1:
            end = start + len(word)
            if _ASSIGNED.match(lowered, end):
                return True
            start = lowered.find(word, end)
    return False


_ALL_TRIGGERS = tuple(sorted({t for ts in _TRIGGERS.values() for t in ts}))


def find_secrets(text: str) -> list[Hit]:
    """``SECRET`` hits for every credential pattern in ``text``."""
    hits: list[Hit] = []
    lowered = text.lower()
    # Most text holds no trigger: substring tests in C (map, not a generator), no pattern runs.
    contains = lowered.__contains__
    if not any(map(contains, _ALL_TRIGGERS)):
        return hits
    for name, pattern in _PATTERNS:
        if not any(map(contains, _TRIGGERS[name])):
            continue
        if name == "assignment" and not _assignment_possible(lowered):
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

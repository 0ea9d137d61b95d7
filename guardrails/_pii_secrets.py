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


def find_secrets(text: str) -> list[Hit]:
    """``SECRET`` hits for every credential pattern in ``text``."""
    hits: list[Hit] = []
    for name, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span(1) if match.re.groups else match.span()
            if end > start:
                hits.append((SECRET, start, end, _SCORE, f"Secret:{name}"))
    return hits


def is_secret_key(key: object) -> bool:
    """True when a dictionary key or attribute name names a credential.

    Example:
        >>> is_secret_key("http.request.header.authorization"), is_secret_key("user")
        (True, False)
    """
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None

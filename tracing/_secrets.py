"""Credentials never leave the process: the scrub every exporter applies, whatever the settings.

API keys, bearer tokens, passwords in URLs and assignments, JWTs and private keys in attribute
values become ``<SECRET>``; attributes named like credentials (``authorization``, ``api_key``…)
lose their value entirely. One cheap pre-check keeps ordinary text off the full pattern list.
"""

from __future__ import annotations

import re
from typing import Any

SECRET_MARK = "<SECRET>"
# Every credential pattern contains one of these; text without any is left alone quickly.
_TRIGGER = re.compile(
    r"(?i)bearer|authoriz|sk-|rk-|pk-|sk_|pk_|rk_|akia|asia|agpa|aida|aroa|anpa|anva|aipa|gh[pousr]_"
    r"|github_pat|xox|aiza|eyj|://|key|token|secret|passw|pwd|credential|private"
)


def _scrub_text(text: str) -> str:
    if _TRIGGER.search(text) is None:
        return text
    from llmops.guardrails._pii_secrets import find_secrets

    hits = sorted(find_secrets(text), key=lambda hit: hit[1], reverse=True)
    last = len(text) + 1
    for _, start, end, _, _ in hits:
        if end <= last:  # skip overlaps, keep the outermost right-to-left
            text = text[:start] + SECRET_MARK + text[end:]
            last = start
    return text


def scrub_secrets(key: str, value: Any) -> Any:
    """A redaction hook: ``(attribute name, value) -> value`` with credentials removed."""
    from llmops.guardrails._pii_secrets import is_secret_key

    if is_secret_key(key):
        return SECRET_MARK
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value):
        scrubbed = [_scrub_text(v) if isinstance(v, str) else v for v in value]
        if scrubbed != list(value):
            return type(value)(scrubbed)
    return value

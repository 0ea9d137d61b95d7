"""Redaction policies and operators: what replaces each finding, and the fully masked value.

Operators, chosen per entity type: ``mask`` (``*`` for every character), ``replace``
(``<EMAIL_ADDRESS>``), ``hash`` (``<EMAIL_ADDRESS:1f0c9a3b7d21>``, an HMAC-SHA256 of the
normalised, case-folded value under the policy's salt, so one value links across spans) and
``drop``. Credentials (``SECRET``) always become ``<SECRET>``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from llmops._credentials import SECRET
from llmops.guardrails.pii._engine import Tier
from llmops.guardrails.pii._normalize import normalize_text
from llmops.guardrails.pii._scan import DEFAULT_MAX_CHARS, DEFAULT_SCORE_THRESHOLD, Finding

Operator = Literal["mask", "replace", "hash", "drop"]
REDACTED = "<REDACTED>"
SECRET_MARK = "<SECRET>"
_PROCESS_SALT = secrets.token_bytes(16)
SURROGATES = re.compile(r"[\ud800-\udfff]")
# Integers this large can be card, phone or account numbers; smaller ones are counts.
INT_SCAN_MIN = 10**6


@dataclass(frozen=True)
class RedactionPolicy:
    """How :func:`redact` treats each entity type. Frozen: a policy does not drift.

    Attributes:
        operators: Operator per entity type, e.g. ``{"PERSON": "hash"}``.
        default_operator: Operator for the types not in ``operators``.
        entities: Entity types to look for; default the scanner's defaults.
        tier: ``"pattern"`` or ``"ner"``; default the best installed.
        salt: Key of the ``hash`` operator. Set it to link values across processes; by default
            a random salt per process (values link within one process only).
        hash_chars: Hex characters kept of the HMAC.
        score_threshold: Findings scoring below this are left alone.
        max_chars: Characters scanned per string; the unscanned rest is cut off.
        max_depth: Deepest nesting walked; deeper values become ``<REDACTED>``.
        fail_closed: When a detector fails, return the value fully masked instead of as far as
            it was redacted.
    """

    operators: Mapping[str, Operator] = field(default_factory=dict)
    default_operator: Operator = "replace"
    entities: tuple[str, ...] | None = None
    tier: Tier | None = None
    salt: str | bytes | None = None
    hash_chars: int = 12
    score_threshold: float = DEFAULT_SCORE_THRESHOLD
    max_chars: int = DEFAULT_MAX_CHARS
    max_depth: int = 32
    fail_closed: bool = False

    def operator(self, entity_type: str) -> Operator:
        """The operator for ``entity_type``."""
        return self.operators.get(entity_type, self.default_operator)

    def salt_bytes(self) -> bytes:
        if self.salt is None:
            return _PROCESS_SALT
        return self.salt.encode() if isinstance(self.salt, str) else self.salt


def hash_token(value: str, entity_type: str, policy: RedactionPolicy) -> str:
    """``<TYPE:hex>``: a keyed hash of the normalised, case-folded value."""
    canonical = normalize_text(value).text.strip().casefold()
    canonical = SURROGATES.sub("\ufffd", canonical)
    digest = hmac.new(policy.salt_bytes(), canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"<{entity_type}:{digest[: policy.hash_chars]}>"


def _replacement(text: str, finding: Finding, policy: RedactionPolicy) -> str:
    if finding.entity_type == SECRET:
        return SECRET_MARK
    operator = policy.operator(finding.entity_type)
    if operator == "mask":
        return "*" * (finding.end - finding.start)
    if operator == "hash":
        return hash_token(text[finding.start : finding.end], finding.entity_type, policy)
    if operator == "drop":
        return ""
    return f"<{finding.entity_type}>"


def apply_findings(text: str, findings: list[Finding], policy: RedactionPolicy) -> str:
    """``text`` with every finding replaced by its operator's output (overlaps merged)."""
    parts: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if finding.end <= position:
            continue  # inside a span already replaced
        start = max(finding.start, position)
        parts.append(text[position:start])
        parts.append(_replacement(text, Finding(
            finding.entity_type, start, finding.end, finding.score, finding.detector
        ), policy))  # fmt: skip
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)


def fully_masked(value: Any, depth: int = 0) -> Any:
    """``value`` with every string and large integer replaced by ``<REDACTED>``; keys kept."""
    if depth > 64 or isinstance(value, str | bytes | bytearray | memoryview):
        return REDACTED
    if isinstance(value, int) and not isinstance(value, bool):
        return REDACTED if abs(value) >= INT_SCAN_MIN else value
    if isinstance(value, Mapping):
        return {key: fully_masked(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = [fully_masked(item, depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value if value is None or isinstance(value, float | bool) else REDACTED

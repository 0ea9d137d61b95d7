"""Redaction: :func:`redact` replaces the PII in a value, walking structures rather than text.

Strings are scanned with :func:`~llmops.guardrails.pii._scan.scan_text`; a string holding a JSON
object or array is parsed, walked and serialised again, so JSON is never redacted by pattern.
Dictionaries keep their keys, lists and tuples their type; a key that names a credential
(``api_key``, ``authorization``) has its value removed, and a name-like value under a key such
as ``customer`` or ``first_name`` is taken as a name. Credentials in text (``sk-...``,
``Bearer ...``, ``AKIA...``, ``password=...``) are always removed, whatever the policy.
Operators and policies live in ``_policy``.

Nothing raises for bad input: None, bytes, cycles, deep nesting, huge strings, lone surrogates.
Problems are listed in :attr:`RedactionReport.errors`; with ``fail_closed=True`` a value whose
scan failed comes back fully masked.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmops._credentials import SECRET, is_secret_key
from llmops.guardrails.pii._engine import PiiUnavailable
from llmops.guardrails.pii._policy import (
    INT_SCAN_MIN,
    REDACTED,
    SECRET_MARK,
    SURROGATES,
    RedactionPolicy,
    apply_findings,
    fully_masked,
)
from llmops.guardrails.pii._scan import DEFAULT_ENTITIES, Finding, scan_text

# A value under one of these keys that looks like a name is a name, whatever the model says.
_NAME_KEY = re.compile(
    r"(?i)(?:^|[_\-.])(?:name|full[_\-]?name|first[_\-]?name|last[_\-]?name|given[_\-]?name|"
    r"family[_\-]?name|surname|customer|client|patient|user[_\-]?name|author|recipient|sender|"
    r"contact|employee|person|passenger|guest)$"
)
_NAME_VALUE = re.compile(r"(?:[^\W\d_][\w'’.\-]*)(?:[ \t]+[^\W\d_][\w'’.\-]*){0,4}")


@dataclass(frozen=True)
class RedactionReport:
    """The redacted value and what happened on the way.

    Attributes:
        value: The redacted value.
        counts: How many findings of each entity type were redacted.
        truncated: True when a string was longer than ``max_chars`` and its tail was cut.
        errors: Detector failures and unusable parts of the input, one line each.
        latency_ms: Wall time of the redaction.
    """

    value: Any
    counts: Mapping[str, int]
    truncated: bool
    errors: tuple[str, ...]
    latency_ms: float


class _Walker:
    """One redaction: walks a value, collecting counts, errors and truncation."""

    def __init__(self, policy: RedactionPolicy) -> None:
        self.policy = policy
        self.entities = tuple(dict.fromkeys((*(policy.entities or DEFAULT_ENTITIES), SECRET)))
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self.truncated = False
        self.failed = False
        self._open: set[int] = set()

    def walk(self, value: Any, depth: int = 0) -> Any:
        if value is None or isinstance(value, bool | float):
            return value
        if isinstance(value, int):
            return self.integer(value)
        if isinstance(value, str):
            return self.text(value, depth)
        if isinstance(value, bytes | bytearray | memoryview):
            return self.text(bytes(value).decode("utf-8", errors="replace"), depth)
        if depth >= self.policy.max_depth:
            self.errors.append(f"structure: nested deeper than {self.policy.max_depth}, cut")
            return REDACTED
        if isinstance(value, Mapping | list | tuple | set | frozenset):
            return self.container(value, depth)
        try:
            return self.text(str(value), depth)
        except Exception as exc:
            self.errors.append(f"input: {type(value).__name__} has no text ({type(exc).__name__})")
            return REDACTED

    def container(self, value: Any, depth: int) -> Any:
        if id(value) in self._open:
            self.errors.append("structure: cycle, cut")
            return REDACTED
        self._open.add(id(value))
        try:
            if isinstance(value, Mapping):
                return {key: self.item(key, item, depth) for key, item in value.items()}
            items = [self.walk(item, depth + 1) for item in value]
            if isinstance(value, list):
                return items
            if hasattr(value, "_fields"):  # a named tuple takes its fields one by one
                return type(value)(*items)
            return type(value)(items)
        finally:
            self._open.discard(id(value))

    def item(self, key: Any, value: Any, depth: int) -> Any:
        """A dictionary value, judged with its key: credentials go, names are names."""
        if is_secret_key(key):
            return self.secret(value)
        if (
            "PERSON" in self.entities
            and isinstance(key, str)
            and isinstance(value, str)
            and _looks_like_name(key, value)
        ):
            self.counts["PERSON"] += 1
            whole = Finding("PERSON", 0, len(value), 1.0, "NameKey")
            return apply_findings(value, [whole], self.policy)
        return self.walk(value, depth + 1)

    def secret(self, value: Any) -> Any:
        if value is None:
            return None
        self.counts[SECRET] += 1
        return SECRET_MARK

    def integer(self, value: int) -> int | str:
        if abs(value) < INT_SCAN_MIN:
            return value
        redacted = self.text(str(value), 0)
        return value if redacted == str(value) else redacted

    def text(self, value: str, depth: int) -> str:
        stripped = value.lstrip()
        if stripped[:1] in ("{", "[") and len(value) <= self.policy.max_chars:
            parsed = _parse_json(value)
            if isinstance(parsed, dict | list):
                return json.dumps(self.walk(parsed, depth + 1), ensure_ascii=False)
        result = scan_text(
            value, self.entities, tier=self.policy.tier, max_chars=self.policy.max_chars,
            score_threshold=self.policy.score_threshold,
        )  # fmt: skip
        if result.errors:
            self.errors.extend(result.errors)
            if self.policy.fail_closed:
                self.failed = True
                return REDACTED
        self.counts.update(finding.entity_type for finding in result.findings)
        redacted = apply_findings(value[: result.scanned_chars], list(result.findings), self.policy)
        if result.truncated:
            self.truncated = True
            redacted += f"<UNSCANNED:{len(value) - result.scanned_chars}>"
        return SURROGATES.sub("\ufffd", redacted)


def _looks_like_name(key: str, value: str) -> bool:
    """True for ``{"customer": "Amelia Hartmann"}``: a name key and a capitalised name."""
    if not _NAME_KEY.search(key) or not _NAME_VALUE.fullmatch(value.strip()):
        return False
    return all(word[0].isupper() for word in value.split())


def _parse_json(value: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def redact_report(value: Any, policy: RedactionPolicy | None = None) -> RedactionReport:
    """Redact ``value`` and report counts, truncation and errors; see the module docstring.

    Raises:
        PiiUnavailable: presidio (or the tier's spaCy pipeline) is not installed; a setup
            mistake, not a detector failure.
    """
    started = time.perf_counter()
    policy = policy or RedactionPolicy()
    walker = _Walker(policy)
    try:
        redacted = walker.walk(value)
    except (KeyboardInterrupt, SystemExit, PiiUnavailable):
        raise
    except BaseException as exc:  # RecursionError, MemoryError, a native failure
        walker.errors.append(f"redaction: {type(exc).__name__}")
        walker.failed = True
        redacted = None
    if walker.failed and (policy.fail_closed or redacted is None):
        redacted = fully_masked(value)
    return RedactionReport(
        value=redacted,
        counts=dict(walker.counts),
        truncated=walker.truncated,
        errors=tuple(walker.errors),
        latency_ms=(time.perf_counter() - started) * 1e3,
    )


def redact(value: Any, policy: RedactionPolicy | None = None) -> Any:
    """``value`` with its PII replaced as ``policy`` says (default: ``<ENTITY_TYPE>``).

    Example:
        >>> redact({"to": "jane@example.com", "n": 2}, RedactionPolicy(tier="pattern"))
        {'to': '<EMAIL_ADDRESS>', 'n': 2}
    """
    return redact_report(value, policy).value

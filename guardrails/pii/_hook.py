"""The redaction hook for ``llmops.configure(redact=...)``: PII out of every span attribute.

The export pipeline calls the hook with ``(key, value)`` for each span and event attribute
before any exporter sees it. Attribute values are strings, booleans, numbers or sequences of
one of those; ``input.value`` and ``output.value`` hold JSON text, which is parsed, walked and
serialised again. A key that names a credential loses its value whatever it holds.

Spans repeat values (model names, system prompts, tool schemas): results are kept in a small
LRU cache keyed by a digest of the value, so the raw value itself is never held.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from llmops._credentials import is_secret_key
from llmops.guardrails.pii._engine import get_engine
from llmops.guardrails.pii._policy import SECRET_MARK, RedactionPolicy
from llmops.guardrails.pii._redact import redact_report

_CACHE_ENTRIES = 4096
_CACHE_MAX_CHARS = 16_384
# Attributes llmops and the GenAI conventions fill with machine values (model names, finish
# reasons, enum-like operation names): never PII, and scanning them costs on every span.
MACHINE_KEYS = frozenset({
    "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model",
    "gen_ai.response.model", "gen_ai.response.id", "gen_ai.response.finish_reasons",
    "gen_ai.tool.call.id", "gen_ai.tool.type", "llmops.config.name", "llmops.config.version",
    "llmops.cost.source", "llmops.truncated", "error.type",
})  # fmt: skip


class _DigestCache:
    """Redacted strings by a digest of the original: thread-safe, least recently used out."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def digest(value: str) -> bytes:
        return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def get(self, key: bytes) -> str | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: bytes, value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class _RedactionHook:
    """The callable :func:`redaction_hook` returns; one cache per hook."""

    def __init__(self, policy: RedactionPolicy) -> None:
        self.policy = policy
        self.cache = _DigestCache(_CACHE_ENTRIES)

    def __call__(self, key: str, value: Any) -> Any:
        if value is None:
            return None
        if is_secret_key(key):
            return SECRET_MARK
        if key in MACHINE_KEYS:
            return value
        if isinstance(value, list | tuple):
            items = [self.scalar(item) for item in value]
            # An attribute sequence holds one type: a redacted number makes them all strings.
            if any(not isinstance(old, str) and isinstance(new, str) for old, new in zip(
                value, items, strict=True
            )):  # fmt: skip
                items = [item if isinstance(item, str) else str(item) for item in items]
            return tuple(items)
        return self.scalar(value)

    def scalar(self, value: Any) -> Any:
        if not isinstance(value, str) or len(value) > _CACHE_MAX_CHARS:
            return redact_report(value, self.policy).value
        key = self.cache.digest(value)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        report = redact_report(value, self.policy)
        if not report.errors and isinstance(report.value, str):
            self.cache.put(key, report.value)
        return report.value


def redaction_hook(policy: RedactionPolicy | None = None) -> Callable[[str, Any], Any]:
    """A ``(key, value) -> value`` hook that redacts span attributes as ``policy`` says.

    Args:
        policy: Operators, tier and failure mode; default ``<ENTITY_TYPE>`` replacement with the
            best tier installed, failing open.

    Returns:
        The hook, for ``llmops.configure(redact=hook)``. It never raises: a value whose scan
        failed comes back fully masked when ``policy.fail_closed`` is set.

    Raises:
        PiiUnavailable: presidio or the tier's model is missing. The engine is built here, so a
            setup mistake shows at configuration rather than as redacted spans.

    Example:
        >>> hook = redaction_hook(RedactionPolicy(tier="pattern"))
        >>> hook("input.value", '{"email": "jane@example.com"}')
        '{"email": "<EMAIL_ADDRESS>"}'
    """
    chosen = policy or RedactionPolicy()
    get_engine(chosen.tier)
    return _RedactionHook(chosen)

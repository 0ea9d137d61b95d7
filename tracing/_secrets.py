"""Credentials never leave the process: the scrub every exporter applies, whatever the settings.

API keys, bearer tokens, passwords in URLs and assignments, JWTs and private keys in attribute
values become ``<SECRET>``; attributes named like credentials (``authorization``, ``api_key``…)
lose their value entirely. Each pattern runs only on text holding one of its trigger strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmops._credentials import find_secrets, is_secret_key

if TYPE_CHECKING:
    from llmops.tracing._records import SpanRecord

SECRET_MARK = "<SECRET>"


# Identifiers llmops itself writes: never free text, so never a credential.
_SAFE_KEYS = frozenset(
    {
        "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
        "gen_ai.response.model", "gen_ai.response.id", "gen_ai.response.finish_reasons",
        "gen_ai.agent.name", "gen_ai.agent.version", "gen_ai.tool.name", "gen_ai.tool.type",
        "llmops.config.name", "llmops.config.version", "llmops.cost.source", "error.type",
        "llmops.truncated", "exception.type",
    }
)  # fmt: skip
_SHORTEST_SECRET = 8  # every credential pattern needs at least this many characters


def _scrub_text(text: str) -> str:
    if len(text) < _SHORTEST_SECRET:
        return text
    hits = find_secrets(text)
    if not hits:
        return text
    hits.sort(key=lambda hit: hit[1], reverse=True)
    last = len(text) + 1
    for _, start, end, _, _ in hits:
        if end <= last:  # skip overlaps, keep the outermost right-to-left
            text = text[:start] + SECRET_MARK + text[end:]
            last = start
    return text


# What an attribute's name says, cached: one dictionary lookup per attribute on the export path.
_SKIP, _SCAN, _SECRET_NAME = "skip", "scan", "secret"
_KEY_KINDS: dict[str, str] = {}


def _key_kind(key: str) -> str:
    kind = _SKIP if key in _SAFE_KEYS else _SECRET_NAME if is_secret_key(key) else _SCAN
    if len(_KEY_KINDS) < 4096:  # attribute names repeat; bound the cache all the same
        _KEY_KINDS[key] = kind
    return kind


def scrub_secrets(key: str, value: Any) -> Any:
    """A redaction hook: ``(attribute name, value) -> value`` with credentials removed."""
    kind = _KEY_KINDS.get(key) or _key_kind(key)
    if kind is _SKIP:
        return value
    if kind is _SECRET_NAME:
        return SECRET_MARK
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value):
        scrubbed = [_scrub_text(v) if isinstance(v, str) else v for v in value]
        if scrubbed != list(value):
            return type(value)(scrubbed)
    return value


def span_texts(
    attribute_maps: Iterable[Mapping[str, Any] | None], *texts: str | None
) -> list[str] | None:
    """The text values of a span that :func:`scrub_secrets` would search, or None when an
    attribute's name itself names a credential (its value goes whatever it holds)."""
    found: list[str] = [t for t in texts if t]
    add = found.append
    kinds = _KEY_KINDS
    for attributes in attribute_maps:
        # BoundedAttributes' plain dict: its Mapping interface costs a Python call per use.
        items = getattr(attributes, "_dict", attributes)
        if not items:
            continue
        for key, value in items.items():
            kind = kinds.get(key)
            if kind is None:
                kind = _key_kind(key)
            if kind is _SCAN:
                if type(value) is str:
                    add(value)
                elif isinstance(value, (list, tuple)):
                    found.extend(v for v in value if isinstance(v, str))
            elif kind is _SECRET_NAME:
                return None
    return found


def texts_hold_secrets(texts: list[str]) -> bool:
    """Whether any of ``texts`` may hold a credential: one search over them all, joined.

    A superset test: a match inside any text is also a match in the joined text (the separator
    is a non-word, non-space character), so texts it clears need no search of their own.
    """
    if not texts:
        return False
    joined = texts[0] if len(texts) == 1 else "\x00".join(texts)
    return len(joined) >= _SHORTEST_SECRET and bool(find_secrets(joined))


def _scrubbed(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {key: scrub_secrets(key, value) for key, value in attributes.items()}


def scrub_records(records: Sequence[SpanRecord]) -> list[SpanRecord]:
    """``records`` with credentials removed from every attribute, event and resource value.

    For spans that did not pass through this process's exporters (received over OTLP): a
    record none of whose texts may hold a credential is kept as it is, unread and uncopied.
    """
    scrubbed = []
    for record in records:
        maps = [record.attributes, record.resource, *(e.attributes for e in record.events)]
        texts = span_texts(maps, record.name, record.status_message)
        if texts is not None and not texts_hold_secrets(texts):
            scrubbed.append(record)
            continue
        scrubbed.append(
            record._replace(
                name=_scrub_text(record.name),
                status_message=record.status_message and _scrub_text(record.status_message),
                attributes=_scrubbed(record.attributes),
                resource=_scrubbed(record.resource),
                events=tuple(e._replace(attributes=_scrubbed(e.attributes)) for e in record.events),
            )
        )
    return scrubbed

"""One trace as the UI shows it: a waterfall of spans, and the detail of the selected span."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

MAX_INDENT = 24
_PAYLOAD_KEYS = ("input.value", "output.value")
# A model call's messages, in the GenAI conventions' form (the store maps other dialects' to it).
_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
_INPUT_MESSAGES = "gen_ai.input.messages"
_OUTPUT_MESSAGES = "gen_ai.output.messages"
_ROLES = frozenset({"system", "user", "assistant", "tool"})  # styled; any other is "other"


@dataclass(frozen=True)
class WaterfallRow:
    """One span placed on the trace's time axis.

    Attributes:
        depth: Nesting level (0: a root, or a span whose parent is not in the trace).
        offset_pct: Where the bar starts, in percent of the trace's duration.
        width_pct: The bar's length, in percent (at least a sliver, so instant spans show).
        start_ms: Milliseconds from the trace's start to the span's.
    """

    span: dict[str, Any]
    depth: int
    offset_pct: float
    width_pct: float
    start_ms: float
    duration_ms: float

    @property
    def indent(self) -> range:
        return range(min(self.depth, MAX_INDENT))


@dataclass(frozen=True)
class ChatPart:
    """One part of a chat message: ``kind`` is text, tool_call, tool_call_response or another
    part type; ``label`` names the tool (or the type), ``text`` is what it holds, as text."""

    kind: str
    text: str
    label: str = ""


@dataclass(frozen=True)
class ChatMessage:
    """One bubble of the chat view: who spoke (``role``; ``style`` is the role when it is one of
    the four the conventions name, else ``other``), what was said, and whether it was output."""

    role: str
    style: str
    parts: list[ChatPart]
    output: bool = False
    finish_reason: str | None = None


@dataclass(frozen=True)
class SpanDetail:
    """The selected span's attributes in groups, its events, input and output, and its chat
    (the messages of a model call; empty when it has none)."""

    span: dict[str, Any]
    groups: list[tuple[str, list[tuple[str, str]]]]
    events: list[dict[str, Any]]
    input: str | None
    output: str | None
    resource: list[tuple[str, str]] = field(default_factory=list)
    chat: list[ChatMessage] = field(default_factory=list)


def loads(text: Any, default: Any) -> Any:
    """Parse stored JSON text; ``default`` when absent or not JSON."""
    if text is None or text == "":
        return default
    if not isinstance(text, str | bytes):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return default


def show_value(value: Any) -> str:
    """A value as text: strings as they are (JSON text pretty-printed), the rest as JSON."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "[") or (stripped[:1] == '"' and stripped[-1:] == '"'):
            parsed = loads(stripped, None)
            if parsed is not None:
                if isinstance(parsed, str):
                    return parsed
                return orjson.dumps(parsed, option=orjson.OPT_INDENT_2).decode()
        return value
    return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode()


def waterfall(spans: list[dict[str, Any]]) -> list[WaterfallRow]:
    """Spans (with ``start_ns``/``end_ns``) in tree order, children by start time."""
    if not spans:
        return []
    start = min(s["start_ns"] for s in spans)
    end = max(s["end_ns"] or s["start_ns"] for s in spans)
    total = max(end - start, 1)
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for span in sorted(spans, key=lambda s: (s["start_ns"], s["span_id"])):
        parent = span["parent_span_id"] if span["parent_span_id"] in ids else None
        children.setdefault(parent, []).append(span)
    rows: list[WaterfallRow] = []
    seen: set[str] = set()
    stack = [(span, 0) for span in reversed(children.get(None, []))]
    while stack:
        span, depth = stack.pop()
        if span["span_id"] in seen:  # a repeated id (two exports of one span) shows once
            continue
        seen.add(span["span_id"])
        duration = max((span["end_ns"] or span["start_ns"]) - span["start_ns"], 0)
        rows.append(
            WaterfallRow(
                span=span,
                depth=depth,
                offset_pct=round(100 * (span["start_ns"] - start) / total, 3),
                width_pct=round(max(100 * duration / total, 0.25), 3),
                start_ms=(span["start_ns"] - start) / 1e6,
                duration_ms=duration / 1e6,
            )
        )
        stack += [(child, depth + 1) for child in reversed(children.get(span["span_id"], []))]
    return rows


def _group_of(key: str) -> str:
    if key.startswith("gen_ai."):
        return "GenAI (gen_ai.*)"
    if key.startswith("llmops."):
        return "llmops (llmops.*)"
    return "Other attributes"


def _event(event: dict[str, Any], trace_start_ns: int) -> dict[str, Any]:
    attributes = dict(event.get("attributes") or {})
    name = str(event.get("name") or "")
    findings: list[Any] = []
    if name == "llmops.guardrail":
        parsed = loads(attributes.pop("findings", None), [])
        findings = parsed if isinstance(parsed, list) else [parsed]
    time_ns = event.get("time_ns")
    return {
        "name": name,
        "offset_ms": None if time_ns is None else (int(time_ns) - trace_start_ns) / 1e6,
        "is_exception": name == "exception",
        "stacktrace": attributes.pop("exception.stacktrace", None) if name == "exception" else None,
        "attributes": [(k, show_value(v)) for k, v in sorted(attributes.items())],
        "findings": [show_value(f) for f in findings],
    }


def _part_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else show_value(value)


def _chat_part(part: Any) -> ChatPart | None:
    if not isinstance(part, dict):
        return None if part is None else ChatPart("text", _part_text(part))
    kind = str(part.get("type") or "text")
    if kind == "text":
        return ChatPart(kind, _part_text(part.get("content")))
    if kind == "tool_call":
        arguments = part.get("arguments")
        return ChatPart(kind, show_value(arguments) if arguments is not None else "",
                        str(part.get("name") or "tool"))  # fmt: skip
    if kind == "tool_call_response":
        return ChatPart(kind, show_value(part.get("response")), str(part.get("id") or ""))
    if kind == "uri":
        return ChatPart(kind, _part_text(part.get("uri")), str(part.get("modality") or "uri"))
    rest = {k: v for k, v in part.items() if k != "type"}
    return ChatPart(kind, show_value(rest.get("content", rest)), kind)


def _chat_message(message: Any, output: bool) -> ChatMessage | None:
    if not isinstance(message, dict):
        return None
    role = str(message.get("role") or ("assistant" if output else "user"))
    raw = message.get("parts")
    if raw is None and "content" in message:  # a plain {role, content} message
        raw = [{"type": "text", "content": message["content"]}]
    parts = [p for p in (_chat_part(x) for x in raw or ()) if p is not None]
    reason = message.get("finish_reason")
    return ChatMessage(
        role=role,
        style=role if role in _ROLES else "other",
        parts=parts,
        output=output,
        finish_reason=str(reason) if output and reason not in (None, "", "unknown") else None,
    )


def chat_messages(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The chat of a model call's span: its system instructions, input and output messages
    (``gen_ai.*``, the GenAI conventions' JSON); values that are not JSON lists are skipped."""
    chat: list[ChatMessage] = []
    system = loads(attributes.get(_SYSTEM_INSTRUCTIONS), None)
    if isinstance(system, list) and system:
        parts = [p for p in (_chat_part(x) for x in system) if p is not None]
        chat.append(ChatMessage("system", "system", parts))
    for key, output in ((_INPUT_MESSAGES, False), (_OUTPUT_MESSAGES, True)):
        messages = loads(attributes.get(key), None)
        if isinstance(messages, list):
            chat.extend(m for m in (_chat_message(x, output) for x in messages) if m is not None)
    return chat


def span_detail(span: dict[str, Any], trace_start_ns: int) -> SpanDetail:
    """The selected span's attributes grouped by namespace, its events, input and output."""
    attributes = loads(span.get("attributes"), {})
    if not isinstance(attributes, dict):
        attributes = {}
    chat = chat_messages(attributes)
    payloads = {key: attributes.pop(key, None) for key in _PAYLOAD_KEYS}
    grouped: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(attributes):
        grouped.setdefault(_group_of(key), []).append((key, show_value(attributes[key])))
    order = ("GenAI (gen_ai.*)", "llmops (llmops.*)", "Other attributes")
    groups = [(name, grouped[name]) for name in order if name in grouped]
    events = loads(span.get("events"), [])
    resource = loads(span.get("resource"), {})
    return SpanDetail(
        span=span,
        groups=groups,
        events=[_event(e, trace_start_ns) for e in events if isinstance(e, dict)],
        input=None if payloads["input.value"] is None else show_value(payloads["input.value"]),
        output=None if payloads["output.value"] is None else show_value(payloads["output.value"]),
        resource=[(k, show_value(v)) for k, v in sorted(resource.items())]
        if isinstance(resource, dict)
        else [],
        chat=chat,
    )


def span_json(span: dict[str, Any]) -> dict[str, Any]:
    """A stored span row for the JSON API: JSON text columns parsed, times kept in ns."""
    out = {k: v for k, v in span.items() if k not in ("attributes", "events", "resource")}
    out["duration_ms"] = ((span["end_ns"] or span["start_ns"]) - span["start_ns"]) / 1e6
    out["attributes"] = loads(span.get("attributes"), {})
    out["events"] = loads(span.get("events"), [])
    out["resource"] = loads(span.get("resource"), {})
    return out

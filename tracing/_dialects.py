"""GenAI dialects: other instrumentations' attribute names, mapped to those llmops stores.

Instrumentations name the same facts differently. The store's typed columns (span type,
operation, provider, model, tokens, cost) and the UI read today's OpenTelemetry GenAI names and
llmops' own, so :func:`canonical_attributes` adds those, on ingest, to every span whoever made it:

========== ===================== ============================= ===============================
fact       OTel GenAI (older)    OpenInference                 OpenLLMetry (traceloop)
========== ===================== ============================= ===============================
provider   ``gen_ai.system``     ``llm.provider``,             ``gen_ai.system``
                                 ``llm.system``
model      ``gen_ai.request.*``  ``llm.model_name``            ``gen_ai.request.model``
tokens     ``gen_ai.usage.       ``llm.token_count.prompt``,   ``llm.usage.prompt_tokens``,
           prompt_tokens``, …    ``….completion``              ``….completion_tokens``
span type  ``gen_ai.operation.   ``openinference.span.kind``   ``traceloop.span.kind``,
           name``                                              ``llm.request.type``
messages   ``gen_ai.input.       ``llm.input_messages.N.*``,   ``gen_ai.prompt.N.*``,
           messages``, …         ``llm.output_messages.N.*``   ``gen_ai.completion.N.*``
cost       (none)                ``llm.cost.total``            ``gen_ai.usage.cost``
========== ===================== ============================= ===============================

The older GenAI names (``semconv.LEGACY_ATTRIBUTES``) are renamed, today's names winning, as
the store always did. Other dialects' names are kept as they were sent, with today's names added
beside them where missing: nothing a sender wrote is lost, and a name already present is never
overwritten. Messages become ``gen_ai.input.messages`` / ``gen_ai.output.messages`` in the
GenAI conventions' JSON form (``[{"role": …, "parts": [{"type": "text", "content": …}]}]``).

The function is pure and cheap when there is nothing to map (one set test per span): the store
runs it on every span, llmops' own included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from llmops.tracing import semconv

GEN_AI_INPUT_MESSAGES = semconv.GEN_AI_INPUT_MESSAGES
GEN_AI_OUTPUT_MESSAGES = semconv.GEN_AI_OUTPUT_MESSAGES
GEN_AI_SYSTEM_INSTRUCTIONS = semconv.GEN_AI_SYSTEM_INSTRUCTIONS
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
OPENINFERENCE_SPAN_KIND = "openinference.span.kind"
TRACELOOP_SPAN_KIND = "traceloop.span.kind"
TRACELOOP_REQUEST_TYPE = "llm.request.type"
TRACELOOP_ENTITY_NAME = "traceloop.entity.name"

# Another dialect's name → today's, first match winning (the more specific name first).
_ALIASES: tuple[tuple[str, str], ...] = (
    ("llm.provider", semconv.GEN_AI_PROVIDER_NAME),
    ("llm.system", semconv.GEN_AI_PROVIDER_NAME),
    ("llm.usage.prompt_tokens", semconv.GEN_AI_USAGE_INPUT_TOKENS),
    ("llm.usage.completion_tokens", semconv.GEN_AI_USAGE_OUTPUT_TOKENS),
    ("llm.response.model", semconv.GEN_AI_RESPONSE_MODEL),
    ("llm.request.model", semconv.GEN_AI_REQUEST_MODEL),
    (GEN_AI_TOOL_CALL_ARGUMENTS, semconv.INPUT_VALUE),
    (GEN_AI_TOOL_CALL_RESULT, semconv.OUTPUT_VALUE),
)
# A cost the sender reported, and the source recorded with it.
_COSTS: tuple[str, ...] = ("llm.cost.total", "gen_ai.usage.cost")

# Span kinds → gen_ai.operation.name (the store's span type comes from it).
_OPERATIONS: dict[str, dict[str, str]] = {
    OPENINFERENCE_SPAN_KIND: {
        "LLM": semconv.OPERATION_CHAT,
        "EMBEDDING": semconv.OPERATION_EMBEDDINGS,
        "TOOL": semconv.OPERATION_EXECUTE_TOOL,
        "AGENT": semconv.OPERATION_INVOKE_AGENT,
    },
    TRACELOOP_SPAN_KIND: {
        "agent": semconv.OPERATION_INVOKE_AGENT,
        "tool": semconv.OPERATION_EXECUTE_TOOL,
    },
    TRACELOOP_REQUEST_TYPE: {
        "chat": semconv.OPERATION_CHAT,
        "completion": semconv.OPERATION_TEXT_COMPLETION,
        "embedding": semconv.OPERATION_EMBEDDINGS,
    },
}
# Where each dialect names the agent or tool of its span, by operation.
_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    semconv.OPERATION_EXECUTE_TOOL: (
        ("tool.name", semconv.GEN_AI_TOOL_NAME),
        (TRACELOOP_ENTITY_NAME, semconv.GEN_AI_TOOL_NAME),
    ),
    semconv.OPERATION_INVOKE_AGENT: (
        ("agent.name", semconv.GEN_AI_AGENT_NAME),
        (TRACELOOP_ENTITY_NAME, semconv.GEN_AI_AGENT_NAME),
    ),
}

# Flattened messages: (prefix, the field path inside one message, today's attribute).
_FLAT_MESSAGES: tuple[tuple[str, str, str], ...] = (
    ("gen_ai.prompt.", "", GEN_AI_INPUT_MESSAGES),
    ("gen_ai.completion.", "", GEN_AI_OUTPUT_MESSAGES),
    ("llm.input_messages.", "message.", GEN_AI_INPUT_MESSAGES),
    ("llm.output_messages.", "message.", GEN_AI_OUTPUT_MESSAGES),
)
_MESSAGE_TRIGGERS = frozenset(
    f"{prefix}0.{inner}{field}"
    for prefix, inner, _ in _FLAT_MESSAGES
    for field in ("role", "content")
)
_TRIGGERS = frozenset(
    {
        *semconv.LEGACY_ATTRIBUTES,
        *(source for source, _ in _ALIASES),
        *_COSTS,
        *_OPERATIONS,
        *_MESSAGE_TRIGGERS,
        GEN_AI_INPUT_MESSAGES,
        GEN_AI_OUTPUT_MESSAGES,
    }
)
_INDEXED = re.compile(r"(\d{1,6})\.(.+)")


def canonical_attributes(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """``attributes`` with every dialect's names mapped to today's (see the module's table).

    Returns ``attributes`` itself when nothing maps, else a new dict; never changes its input.

    Example:
        >>> canonical_attributes({"openinference.span.kind": "LLM", "llm.provider": "openai"})
        {'openinference.span.kind': 'LLM', 'llm.provider': 'openai', \
'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat'}
    """
    if attributes.keys().isdisjoint(_TRIGGERS):
        return attributes
    plain = attributes if type(attributes) is dict else dict(attributes)
    out = semconv.normalize_attributes(plain)  # the older GenAI names, renamed (may copy)
    added: dict[str, Any] = {}
    for source, target in _ALIASES:
        if source in out and target not in out and target not in added:
            added[target] = out[source]
    _add_cost(out, added)
    _add_operation(out, added)
    _add_messages(out, added)
    if not added:
        return out
    merged = dict(out)
    merged.update(added)
    return merged


def _add_cost(attributes: Mapping[str, Any], added: dict[str, Any]) -> None:
    if semconv.LLMOPS_COST_USD in attributes:
        return
    for source in _COSTS:
        value = attributes.get(source)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            added[semconv.LLMOPS_COST_USD] = float(value)
            added.setdefault(semconv.LLMOPS_COST_SOURCE, f"reported:{source}")
            return


def _add_operation(attributes: Mapping[str, Any], added: dict[str, Any]) -> None:
    operation = attributes.get(semconv.GEN_AI_OPERATION_NAME)
    if operation is None:
        for key, table in _OPERATIONS.items():
            kind = attributes.get(key)
            if isinstance(kind, str) and kind in table:
                operation = added[semconv.GEN_AI_OPERATION_NAME] = table[kind]
                break
    for source, target in _NAMES.get(operation, ()) if isinstance(operation, str) else ():
        if source in attributes and target not in attributes and target not in added:
            added[target] = attributes[source]


def _add_messages(attributes: Mapping[str, Any], added: dict[str, Any]) -> None:
    if not attributes.keys().isdisjoint(_MESSAGE_TRIGGERS):
        for prefix, inner, target in _FLAT_MESSAGES:
            if target in attributes or target in added:
                continue
            messages = _flat_messages(attributes, prefix, inner)
            if messages:
                added[target] = orjson.dumps(messages).decode()
    # A span that carries messages but no payload shows them as its input and output.
    for source, target in (
        (GEN_AI_INPUT_MESSAGES, semconv.INPUT_VALUE),
        (GEN_AI_OUTPUT_MESSAGES, semconv.OUTPUT_VALUE),
    ):
        value = attributes.get(source, added.get(source))
        if value is not None and target not in attributes and target not in added:
            added[target] = value if isinstance(value, str) else _json_text(value)


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def _flat_messages(attributes: Mapping[str, Any], prefix: str, inner: str) -> list[dict[str, Any]]:
    """Messages from ``{prefix}{N}.{inner}{field}`` attributes, in index order."""
    fields: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        if not key.startswith(prefix):
            continue
        match = _INDEXED.fullmatch(key, len(prefix))
        if match is None or not match.group(2).startswith(inner):
            continue
        fields.setdefault(int(match.group(1)), {})[match.group(2)[len(inner) :]] = value
    return [_message(fields[index]) for index in sorted(fields)]


def _message(fields: Mapping[str, Any]) -> dict[str, Any]:
    """One message in the GenAI conventions' form, from one message's flattened fields."""
    parts: list[dict[str, Any]] = []
    content = fields.get("content")
    if content is not None:
        parts.append({"type": "text", "content": content})
    texts = _indexed(fields, "contents.")
    for index in sorted(texts):
        text = texts[index].get("message_content.text")
        if text is not None:
            parts.append({"type": "text", "content": text})
    calls = _indexed(fields, "tool_calls.")
    for index in sorted(calls):
        call = calls[index]
        name = call.get("tool_call.function.name", call.get("name"))
        arguments = call.get("tool_call.function.arguments", call.get("arguments"))
        call_id = call.get("tool_call.id", call.get("id"))
        part: dict[str, Any] = {"type": "tool_call", "name": name, "arguments": arguments}
        if call_id is not None:
            part["id"] = call_id
        parts.append(part)
    message: dict[str, Any] = {"role": fields.get("role", "user"), "parts": parts}
    tool_call_id = fields.get("tool_call_id")
    if tool_call_id is not None:
        message["parts"] = [{"type": "tool_call_response", "id": tool_call_id, "response": content}]
    finish_reason = fields.get("finish_reason")
    if finish_reason is not None:
        message["finish_reason"] = finish_reason
    return message


def _indexed(fields: Mapping[str, Any], prefix: str) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for key, value in fields.items():
        if key.startswith(prefix):
            match = _INDEXED.fullmatch(key, len(prefix))
            if match is not None:
                found.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return found

"""A model call's messages on its span, in the OpenTelemetry GenAI conventions' JSON form.

``gen_ai.input.messages`` and ``gen_ai.output.messages`` hold what was sent to the model and
what came back, as ``[{"role": "user", "parts": [{"type": "text", "content": "..."}]}]`` (each
output message with its ``finish_reason``); ``gen_ai.system_instructions`` holds a system prompt
given apart from the messages (Anthropic's ``system=``, the Responses API's ``instructions=``)
as a list of parts. A system message inside the chat history stays in ``gen_ai.input.messages``
with the role ``system``, as the conventions ask. Phoenix, MLflow and the llmops UI show these as
a chat.

OpenAI-style messages come in (``role`` and ``content``, a string or a list of typed blocks;
``tool_calls``; ``tool_call_id``), and Anthropic's content blocks (``tool_use``, ``tool_result``).
The JSON stays valid JSON within ``max_attribute_bytes``: long texts are shortened first (each
to an equal share of the room, marked with ``…[truncated N characters]``), then the oldest
messages left out; only a value that still does not fit is cut as other captured values are.
Recording is on unless ``capture_messages`` is off; input messages also follow
``capture_inputs``, output messages ``capture_outputs``. The values pass through the exporters'
redaction like every attribute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from opentelemetry.trace import Span

from llmops._internal import handle_internal_errors
from llmops.tracing import semconv
from llmops.tracing._capture import TEXT_TRUNCATION_MARKER, clean_text, to_json
from llmops.tracing._spans import mark_truncated, set_clean_attributes
from llmops.tracing._state import RUNTIME

Message = dict[str, Any]
Part = dict[str, Any]
TextSlots = list[tuple[dict[str, Any], str]]  # (the part holding a text, the text's key)

# OpenAI's finish reasons → the conventions' (others are kept as they are).
_FINISH_REASONS = {"tool_calls": "tool_call", "function_call": "tool_call"}
# Keys of a part whose text may be shortened to fit.
_TEXT_KEYS = ("content", "arguments", "response", "uri")
# An empty message takes about this many bytes of JSON: no more messages than this fit.
_MIN_MESSAGE_BYTES = 24
_MIN_TEXT_SHARE = 32  # characters kept of each text before older messages are left out


def _field(obj: Any, key: str) -> Any:
    if type(obj) is dict or isinstance(obj, Mapping):  # a dict first: the ABC check is slower
        return obj.get(key)
    return getattr(obj, key, None)


def _text(value: Any, limit: int) -> str:
    """``value`` as valid text of at most ``limit`` characters (and a marker)."""
    if not isinstance(value, str):
        return to_json(value, limit)[0]
    if len(value) > limit:
        value = value[:limit] + TEXT_TRUNCATION_MARKER.format(total=len(value))
    return clean_text(value)


def _block_part(block: Any, limit: int) -> Part | None:
    """One typed content block (OpenAI's or Anthropic's) as a part."""
    if isinstance(block, str):
        return {"type": "text", "content": _text(block, limit)}
    kind = _field(block, "type")
    if kind in ("text", "input_text", "output_text"):
        return {"type": "text", "content": _text(_field(block, "text") or "", limit)}
    if kind == "image_url":
        image = _field(block, "image_url")
        url = _field(image, "url") if image is not None else None
        return {"type": "uri", "modality": "image", "uri": _text(url or "", limit)}
    if kind == "tool_use":
        return _tool_call(_field(block, "id"), _field(block, "name"), _field(block, "input"), limit)
    if kind == "tool_result":
        response = _field(block, "content")
        return {
            "type": "tool_call_response",
            "id": _optional_text(_field(block, "tool_use_id")),
            "response": _text(_content_text(response), limit),
        }
    if isinstance(kind, str):  # another kind of part: its type, and what it holds as JSON
        return {"type": clean_text(kind), "content": _text(block, limit)}
    return None


def _content_text(content: Any) -> Any:
    """A tool result's content: text blocks joined, anything else as it is."""
    if isinstance(content, (list, tuple)):
        texts = [_field(b, "text") if not isinstance(b, str) else b for b in content]
        if all(isinstance(t, str) for t in texts):
            return "".join(texts)
    return content


def _optional_text(value: Any) -> str | None:
    return clean_text(value) if isinstance(value, str) else None


def _tool_call(call_id: Any, name: Any, arguments: Any, limit: int) -> Part:
    part: Part = {"type": "tool_call", "name": clean_text(name) if isinstance(name, str) else ""}
    if isinstance(call_id, str):
        part["id"] = clean_text(call_id)
    if arguments is not None:
        part["arguments"] = _text(arguments, limit)
    return part


def _parts(message: Any, limit: int) -> list[Part]:
    content = _field(message, "content")
    parts: list[Part] = []
    if isinstance(content, str):
        parts.append({"type": "text", "content": _text(content, limit)})
    elif isinstance(content, (list, tuple)):
        parts.extend(p for p in (_block_part(b, limit) for b in content) if p is not None)
    for call in _field(message, "tool_calls") or ():
        function = _field(call, "function")
        name = _field(function, "name") if function is not None else None
        arguments = _field(function, "arguments") if function is not None else None
        parts.append(_tool_call(_field(call, "id"), name, arguments, limit))
    return parts


def _message(message: Any, limit: int) -> Message | None:
    if type(message) is dict and len(message) == 2:  # the common {"role", "content": text}
        role, content = message.get("role"), message.get("content")
        if type(role) is str and type(content) is str:
            part = {"type": "text", "content": _text(content, limit)}
            return {"role": clean_text(role), "parts": [part]}
    role = _field(message, "role")
    if not isinstance(role, str):
        return None
    tool_call_id = _field(message, "tool_call_id")
    if isinstance(tool_call_id, str):  # a tool's answer: one tool_call_response part
        response = _text(_content_text(_field(message, "content")) or "", limit)
        part = {"type": "tool_call_response", "id": clean_text(tool_call_id), "response": response}
        return {"role": clean_text(role), "parts": [part]}
    out: Message = {"role": clean_text(role), "parts": _parts(message, limit)}
    name = _field(message, "name")
    if isinstance(name, str):
        out["name"] = clean_text(name)
    return out


def input_messages(messages: Any, max_bytes: int) -> list[Message] | None:
    """OpenAI- or Anthropic-style chat messages in the conventions' form; None when ``messages``
    is not a list of messages (each with a ``role``).

    Only the last ``max_bytes // 24`` messages are looked at (more would not fit), and each
    text is cut to ``max_bytes`` characters: the work is bounded by the cap, not the input.
    """
    if not isinstance(messages, (list, tuple)) or not messages:
        return None
    window = messages[-max(1, max_bytes // _MIN_MESSAGE_BYTES) :]
    converted = [_message(m, max_bytes) for m in window]
    if any(m is None for m in converted):
        return None
    return converted  # type: ignore[return-value]  # None was ruled out just above


def system_instructions(value: Any, max_bytes: int) -> list[Part] | None:
    """A system prompt given apart from the messages, as a list of parts."""
    if isinstance(value, str) and value:
        return [{"type": "text", "content": _text(value, max_bytes)}]
    if isinstance(value, (list, tuple)) and value:
        parts = [_block_part(b, max_bytes) for b in value]
        return [p for p in parts if p is not None] or None
    return None


def output_messages(response: Any, max_bytes: int) -> list[Message] | None:
    """The choices of an OpenAI-style chat completion (each ``choices[i].message``)."""
    choices = _field(response, "choices")
    if not isinstance(choices, (list, tuple)) or not choices:
        return None
    out: list[Message] = []
    for choice in choices[: max(1, max_bytes // _MIN_MESSAGE_BYTES)]:
        message = _field(choice, "message")
        if message is None:
            return None  # a stream's chunk (``delta``), or not a chat completion
        converted = _message(message, max_bytes) or {"role": "assistant", "parts": []}
        converted["finish_reason"] = finish_reason(_field(choice, "finish_reason"))
        out.append(converted)
    return out


def text_output(text: str, reason: str | None, max_bytes: int) -> list[Message]:
    """One assistant message holding ``text``."""
    part = {"type": "text", "content": _text(text, max_bytes)}
    return [{"role": "assistant", "parts": [part], "finish_reason": finish_reason(reason)}]


def finish_reason(reason: Any) -> str:
    """The conventions' finish reason (required on an output message; ``unknown`` if none)."""
    if not isinstance(reason, str) or not reason:
        return "unknown"
    return _FINISH_REASONS.get(reason, clean_text(reason))


# --- bounded JSON -----------------------------------------------------------------------------


def _texts(messages: Sequence[Mapping[str, Any]]) -> TextSlots:
    """Every shortenable text: (the part holding it, its key)."""
    found = []
    for message in messages:
        parts = message.get("parts", [message])  # system instructions are bare parts
        for part in parts:
            for key in _TEXT_KEYS:
                if isinstance(part.get(key), str):
                    found.append((part, key))
    return found


def _fill(lengths: list[int], room: int) -> int:
    """The largest cap ``c`` with ``sum(min(length, c)) <= room`` (water filling)."""
    remaining, count = room, len(lengths)
    for length in sorted(lengths):
        if length * count > remaining:
            return max(remaining // count, 0)
        remaining -= length
        count -= 1
    return max(lengths, default=0)


def _share(lengths: list[int], room: int, marker: int) -> int:
    """:func:`_fill` with room left for the marker of each text that is cut."""
    cap = _fill(lengths, room)
    for _ in range(3):
        cut = sum(1 for length in lengths if length > cap)
        cap = _fill(lengths, room - cut * marker)
    return cap


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


_MARKER_BYTES = len(TEXT_TRUNCATION_MARKER.format(total=10**9))


def bounded_json(messages: list[Any], max_bytes: int) -> tuple[str, bool]:
    """``messages`` as JSON text of at most ``max_bytes`` bytes that stays valid JSON.

    Texts are shortened to an equal share of the room; when even short texts do not fit, the
    oldest messages are left out; only then is the text cut as ``to_json`` cuts it.

    Returns:
        The text and whether anything was shortened or left out.
    """
    text = _dumps(messages)
    if len(text) <= max_bytes:
        return text, False
    messages = [_copy(m) for m in messages]
    slack = 0  # what escaping added beyond the lengths counted, in earlier tries
    for _ in range(6):
        texts = _texts(messages)
        originals = [part[key] for part, key in texts]
        for part, key in texts:
            part[key] = ""
        room = max_bytes - len(_dumps(messages)) - slack
        lengths = [len(t) if t.isascii() else len(t.encode()) for t in originals]
        cap = _share(lengths, room, _MARKER_BYTES)
        if cap < _MIN_TEXT_SHARE and len(messages) > 1:
            # Even short texts do not fit: keep the newest messages that fit with them.
            cap = _MIN_TEXT_SHARE
            _shorten(texts, originals, lengths, cap)
            messages = _latest_that_fit(messages, max_bytes)
            _restore(texts, originals)  # the parts kept are shortened afresh
            continue
        _shorten(texts, originals, lengths, cap)
        text = _dumps(messages)
        if len(text) <= max_bytes:
            return text, True
        slack += len(text) - max_bytes
        _restore(texts, originals)
    return to_json(messages, max_bytes)[0], True


def _shorten(texts: TextSlots, originals: list[str], lengths: list[int], cap: int) -> None:
    for (part, key), original, length in zip(texts, originals, lengths, strict=True):
        part[key] = original if length <= cap else _cut(original, cap)


def _restore(texts: TextSlots, originals: list[str]) -> None:
    for (part, key), original in zip(texts, originals, strict=True):
        part[key] = original


def _latest_that_fit(messages: list[Any], max_bytes: int) -> list[Any]:
    """The newest messages whose JSON, texts cut to a short share, fits (at least one)."""
    total, keep = 2, 0  # the brackets
    for message in reversed(messages):
        total += len(_dumps(message)) + 1
        if total > max_bytes:
            break
        keep += 1
    return messages[-max(keep, 1) :]


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


_MARKED = re.compile(r"…\[truncated (\d+) characters\]\Z")


def _cut(text: str, limit: int) -> str:
    """The head of ``text`` within ``limit`` bytes, never inside a character, and a marker
    (giving the length of the text before any cut: one already cut keeps its number)."""
    total = len(text)
    marked = _MARKED.search(text)
    if marked is not None:
        total, text = int(marked.group(1)), text[: marked.start()]
    head = text[: max(limit, 0)]
    if not head.isascii():
        head = head.encode()[:limit].decode("utf-8", "ignore")
    return head + TEXT_TRUNCATION_MARKER.format(total=total)


# --- recording on a span -----------------------------------------------------------------------


def _record(span: Span, key: str, value: list[Any] | None) -> None:
    if not value:
        return
    text, truncated = bounded_json(value, RUNTIME.capture.max_attribute_bytes)
    set_clean_attributes(span, {key: text})  # orjson's text of cleaned strings: valid UTF-8
    if truncated:
        mark_truncated(span, key)


def record_input_messages(
    span: Span, messages: Any, *, system: Any = None, capture: bool | None = None
) -> None:
    """Record the messages sent (and a system prompt given apart from them) on ``span``.

    Args:
        span: The model call's span.
        messages: OpenAI- or Anthropic-style messages; anything else records nothing.
        system: A system prompt given apart from the messages (text or content blocks).
        capture: The call's own ``capture_input`` (None: the ``capture_inputs`` setting).
    """
    settings = RUNTIME.capture
    if not (settings.messages and (settings.inputs if capture is None else capture)):
        return
    if not span.is_recording():
        return
    with handle_internal_errors("record_input_messages"):
        limit = settings.max_attribute_bytes
        _record(span, semconv.GEN_AI_INPUT_MESSAGES, input_messages(messages, limit))
        _record(span, semconv.GEN_AI_SYSTEM_INSTRUCTIONS, system_instructions(system, limit))


def record_output_messages(span: Span, messages: list[Message] | None) -> None:
    """Record the messages that came back (already in the conventions' form) on ``span``."""
    if messages and span.is_recording():
        with handle_internal_errors("record_output_messages"):
            _record(span, semconv.GEN_AI_OUTPUT_MESSAGES, messages)


def capturing_outputs(capture: bool | None = None) -> bool:
    """Whether output messages are recorded (``capture``: the call's own ``capture_output``)."""
    settings = RUNTIME.capture
    return settings.messages and (settings.outputs if capture is None else capture)


def record_model_request(span: Span, arguments: Mapping[str, Any]) -> None:
    """The input hook of ``@llm``: the messages among a call's bound arguments, if any.

    ``messages`` (OpenAI, Anthropic, litellm), and ``system`` or ``instructions`` as the
    system prompt given apart. Called only when the call's input is captured.
    """
    messages = arguments.get("messages")
    system = arguments.get("system", arguments.get("instructions"))
    if messages is None and system is None:
        return
    record_input_messages(span, messages, system=system, capture=True)

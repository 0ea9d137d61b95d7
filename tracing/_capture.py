"""Turn arbitrary Python values into bounded, valid JSON text for span attributes.

Never raises: values that cannot be serialised are shown by type and repr, cycles and deep
nesting are cut, lone surrogates are replaced so no exporter drops the attribute, and text over
the size cap is cut at a character boundary with a visible marker.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from llmops._internal import STATS

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_MAX_DEPTH = 32
_REPR_LIMIT = 200
TRUNCATION_MARKER = "…[truncated {total} bytes]"  # total: the size of the value's full JSON
# For text, the length of the whole text in characters: true, and known without encoding it.
TEXT_TRUNCATION_MARKER = "…[truncated {total} characters]"
_INT_MIN = -(2**63)  # ints orjson writes as numbers; beyond them, their digits as text
_INT_MAX = 2**64 - 1
_ATTRIBUTE_INT_MAX = 2**63 - 1  # OTLP attribute ints are int64


def _default(obj: Any) -> Any:
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return f"<bytes: {len(obj)} bytes>"
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    model_dump = getattr(obj, "model_dump", None)
    if callable(model_dump) and not isinstance(obj, type):
        return model_dump(mode="json")
    return _describe(obj)


def _describe(obj: Any) -> str:
    try:
        text = repr(obj)
    except Exception:
        return f"<{type(obj).__qualname__}>"
    if len(text) > _REPR_LIMIT:
        text = text[:_REPR_LIMIT] + "…"
    return f"<{type(obj).__qualname__}: {clean_text(text)}>"


def clean_text(text: str) -> str:
    """``text`` with lone surrogates replaced by ``?``, so it is valid UTF-8.

    Exporters drop an attribute whose text cannot be encoded. ASCII text (a flag CPython keeps,
    so the check is O(1)) is returned as is.
    """
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("utf-8")


def clean_value(value: Any) -> Any:
    """An attribute value with its text repaired as :func:`clean_text` does: a string, or each
    string of a list or tuple (kept as the same type). Other values, and lists holding no text,
    come back as the same object."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value):
        return type(value)(clean_text(v) if isinstance(v, str) else v for v in value)
    return value


def _int_text(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # over Python's int-to-text digit limit
        return f"<int: {value.bit_length()} bits>"


def _sanitize(obj: Any, depth: int, seen: set[int]) -> Any:
    """Slow path: a JSON-safe copy with cycles, depth, big ints and bad text handled explicitly."""
    if obj is None or isinstance(obj, (bool, float)):
        return obj
    if isinstance(obj, int):
        return obj if _INT_MIN <= obj <= _INT_MAX else _int_text(obj)
    if isinstance(obj, str):
        return clean_text(obj)
    if depth >= _MAX_DEPTH:
        return f"<{type(obj).__qualname__}: max depth>"
    if isinstance(obj, (dict, list, tuple, set, frozenset)):
        if id(obj) in seen:
            return f"<{type(obj).__qualname__}: cycle>"
        seen = seen | {id(obj)}
        if isinstance(obj, dict):
            return {clean_text(str(k)): _sanitize(v, depth + 1, seen) for k, v in obj.items()}
        return [_sanitize(v, depth + 1, seen) for v in obj]
    try:
        converted = _default(obj)
    except Exception:
        return _describe(obj)
    if isinstance(converted, str):
        return clean_text(converted)
    return _sanitize(converted, depth + 1, seen | {id(obj)})


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_default, option=_OPTIONS)
    except Exception:
        STATS.incr("capture_fallbacks")
    try:
        return orjson.dumps(_sanitize(value, 0, set()), option=_OPTIONS)
    except Exception:
        STATS.incr("capture_fallbacks")
        return orjson.dumps(_describe(value))


def to_json(value: Any, max_bytes: int) -> tuple[str, bool]:
    """Serialise ``value`` to JSON text of at most about ``max_bytes`` bytes.

    Returns:
        The text and whether it was truncated.
    """
    text_length = None
    if isinstance(value, str) and len(value) > max_bytes:
        # Cut before serialising so a 10 MB string costs what a max_bytes one does.
        text_length = len(value)
        value = value[: max_bytes + 1]
    data = _dumps(value)
    if len(data) <= max_bytes:
        return data.decode("utf-8"), False
    head = data[:max_bytes].decode("utf-8", "ignore")
    if text_length is None:
        return head + TRUNCATION_MARKER.format(total=len(data)), True
    return head + TEXT_TRUNCATION_MARKER.format(total=text_length), True


def to_attribute(value: Any, max_bytes: int) -> tuple[Any, bool]:
    """A value OpenTelemetry accepts as an attribute: primitives as they are, the rest as JSON.

    Ints beyond 64 bits (OTLP's int64) become their digits as text.
    """
    if isinstance(value, (bool, int, float)):
        if isinstance(value, int) and not _INT_MIN <= value <= _ATTRIBUTE_INT_MAX:
            return _int_text(value), False
        return value, False
    if isinstance(value, str):
        if len(value) > max_bytes:
            head = value[:max_bytes]
            if not head.isascii():  # cut at max_bytes bytes, never inside a character
                head = head.encode("utf-8", "replace")[:max_bytes].decode("utf-8", "ignore")
            return head + TEXT_TRUNCATION_MARKER.format(total=len(value)), True
        return (value if value.isascii() else clean_text(value)), False
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, str) for v in value)
        and sum(len(v) for v in value) <= max_bytes
    ):
        return [clean_text(v) for v in value], False
    return to_json(value, max_bytes)


ArgumentBinder = Callable[[tuple[Any, ...], dict[str, Any]], Mapping[str, Any]]


def argument_binder(func: Callable[..., Any]) -> ArgumentBinder:
    """Build, once at decoration time, a cheap function from call arguments to a name → value map.

    ``self`` and ``cls`` are left out; extra positional arguments go under the ``*args`` name.
    """
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return lambda args, kwargs: {"args": args, **kwargs}
    skip = 1 if params and params[0].name in {"self", "cls"} else 0
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    var_positional = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
    names = positional[skip:]
    count = len(positional)

    def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, Any]:
        bound = dict(zip(names, args[skip:count], strict=False))
        if var_positional is not None and len(args) > count:
            bound[var_positional] = args[count:]
        if kwargs:
            bound.update(kwargs)
        return bound

    return bind


ArgumentRebinder = Callable[
    [tuple[Any, ...], dict[str, Any], Mapping[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]
]


def argument_rebinder(func: Callable[..., Any]) -> ArgumentRebinder:
    """The inverse of :func:`argument_binder`: call arguments with the bound values replaced.

    Used when a guardrail redacts a call's arguments, so the function gets the redacted values.
    """
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):

        def rebind_opaque(
            args: tuple[Any, ...], kwargs: dict[str, Any], bound: Mapping[str, Any]
        ) -> tuple[tuple[Any, ...], dict[str, Any]]:
            return tuple(bound.get("args", args)), {k: bound.get(k, v) for k, v in kwargs.items()}

        return rebind_opaque
    skip = 1 if params and params[0].name in {"self", "cls"} else 0
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    var_positional = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
    count = len(positional)

    def rebind(
        args: tuple[Any, ...], kwargs: dict[str, Any], bound: Mapping[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        new_args = list(args)
        for index in range(skip, min(count, len(args))):
            new_args[index] = bound.get(positional[index], args[index])
        if var_positional is not None and len(args) > count:
            new_args[count:] = list(bound.get(var_positional, args[count:]))
        return tuple(new_args), {key: bound.get(key, value) for key, value in kwargs.items()}

    return rebind

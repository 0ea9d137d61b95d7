"""Turn arbitrary Python values into bounded, valid JSON text for span attributes.

Never raises: values that cannot be serialised are shown by type and repr, cycles and deep
nesting are cut, lone surrogates are replaced so no exporter drops the attribute, and text over
the size cap is cut at a character boundary with a visible marker. Containers too long to fit the
cap are shortened before serialising, so a capture costs what the cap allows, not what the value
holds.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from itertools import islice
from typing import Any

import orjson

from llmops._internal import STATS

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_MAX_DEPTH = 32
_REPR_LIMIT = 200
TRUNCATION_MARKER = "…[truncated {total} bytes]"  # total: the size of the value's full JSON
# For text, the length of the whole text in characters: true, and known without encoding it.
TEXT_TRUNCATION_MARKER = "…[truncated {total} characters]"
# For a container shortened before serialising: its type and length (its JSON size is unknown).
CUT_TRUNCATION_MARKER = "…[truncated: {kind} of {total} items]"
_CUT_TYPES: dict[type, str] = {
    list: "list",
    tuple: "tuple",
    dict: "dict",
    set: "set",
    frozenset: "frozenset",
}
_CUT_TYPE_SET = frozenset(_CUT_TYPES)
_CUT_WALK_DEPTH = 2  # containers this shallow, and this short, have their items looked into
_CUT_WALK_ITEMS = 64
_INT_MIN = -(2**63)  # ints orjson writes as numbers; beyond them, their digits as text
_INT_MAX = 2**64 - 1
_ATTRIBUTE_INT_MAX = 2**63 - 1  # OTLP attribute ints are int64


def _default(obj: Any) -> Any:
    # Checks look at the type only: a mock or a lazy proxy answers any attribute (or loads itself
    # to answer), so asking the object would call it, or do its work.
    cls = type(obj)
    if issubclass(cls, (bytes, bytearray, memoryview)):
        return f"<bytes: {len(obj)} bytes>"
    if issubclass(cls, (set, frozenset, tuple)):
        return list(obj)
    if _is_exact_number(cls):
        return str(obj)  # "1.10", "1/3": as text, so no precision is lost
    if _is_pydantic_model(cls):
        return obj.model_dump(mode="json")  # masks SecretStr fields
    return _describe(obj)


def _is_exact_number(cls: type) -> bool:
    """A ``decimal.Decimal`` or ``fractions.Fraction``; their modules are not imported for this."""
    for module_name, class_name in (("decimal", "Decimal"), ("fractions", "Fraction")):
        module = sys.modules.get(module_name)
        if module is not None and issubclass(cls, getattr(module, class_name)):
            return True
    return False


def _is_pydantic_model(cls: type) -> bool:
    """A pydantic (v2) model class, found without importing pydantic."""
    for base in cls.__mro__:
        if base.__name__ == "BaseModel" and base.__module__.startswith("pydantic"):
            return callable(getattr(cls, "model_dump", None))
    return False


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


class _Shortener:
    """Cuts containers, in JSON document order, after the first ``budget`` items.

    Each JSON item takes at least two bytes (itself and a comma, or two brackets), so once
    ``max_bytes // 2 + 1`` items have been written the rest lies past the cap: cutting there
    leaves the first ``max_bytes`` bytes of the JSON as they were. A container is counted by its
    length; the items of a short one are looked into, two levels down (the binder's argument
    dict, then an argument), so a long list passed as an argument, or held in a dict or list
    passed as one, is cut too. The work is bounded by the cap and these limits, never by the
    size of the value.
    """

    __slots__ = ("budget", "cut")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.cut: tuple[str, int] | None = None  # the longest container cut: its type, length

    def shorten(self, obj: Any, depth: int = 0) -> Any:
        """``obj`` (a container of a ``_CUT_TYPES`` type), or a shortened copy of it."""
        size = len(obj)
        keep = min(size, max(self.budget, 0))
        is_dict = type(obj) is dict
        if keep < size:
            self._record(obj, size)
            if is_dict:
                obj = dict(islice(obj.items(), keep))
            else:
                obj = obj[:keep] if type(obj) in (list, tuple) else list(islice(obj, keep))
        if depth >= _CUT_WALK_DEPTH or not _holds_containers(obj):
            self.budget -= keep
            return obj
        return self._walk(obj, depth, is_dict, changed=keep < size, size=size)

    def _walk(self, obj: Any, depth: int, is_dict: bool, changed: bool, size: int) -> Any:
        items: list[Any] = []
        for item in obj.items() if is_dict else obj:
            if self.budget <= 0:  # what follows lies past the cap
                self._record(obj, size)
                changed = True
                break
            self.budget -= 1
            value = item[1] if is_dict else item
            if type(value) in _CUT_TYPES:
                short = self.shorten(value, depth + 1)
                changed = changed or short is not value
                value = short
            items.append((item[0], value) if is_dict else value)
        if not changed:
            return obj
        return dict(items) if is_dict else items

    def _record(self, obj: Any, size: int) -> None:
        if self.cut is None or size > self.cut[1]:
            self.cut = (_CUT_TYPES[type(obj)], size)


def _holds_containers(obj: Any) -> bool:
    """A short container with containers among its items (a long one is not looked into)."""
    if len(obj) > _CUT_WALK_ITEMS:
        return False
    return not _CUT_TYPE_SET.isdisjoint(map(type, obj.values() if type(obj) is dict else obj))


def _count_items(obj: Any, depth: int, limit: int) -> int:
    """The items :class:`_Shortener` would count in ``obj``, or some number over ``limit``.

    Every item looked at is already counted, so the loop stops within ``limit`` items; a plain
    loop, as the common case is a short argument dict and a C-level scan costs more there.
    """
    count = len(obj)
    if count > limit or count > _CUT_WALK_ITEMS or depth >= _CUT_WALK_DEPTH:
        return count
    deeper = depth + 1 < _CUT_WALK_DEPTH
    for value in obj.values() if type(obj) is dict else obj:
        if type(value) in _CUT_TYPE_SET:
            count += _count_items(value, depth + 1, limit - count) if deeper else len(value)
            if count > limit:
                break
    return count


def to_json(value: Any, max_bytes: int) -> tuple[str, bool]:
    """Serialise ``value`` to JSON text of at most about ``max_bytes`` bytes.

    Text and containers too long for the cap are shortened first, so the work is bounded by the
    cap; the marker then gives the length of the text, or the type and length of the longest
    container cut.

    Returns:
        The text and whether it was truncated.
    """
    text_length = None
    cut = None
    if isinstance(value, str) and len(value) > max_bytes:
        # Cut before serialising so a 10 MB string costs what a max_bytes one does.
        text_length = len(value)
        value = value[: max_bytes + 1]
    elif type(value) in _CUT_TYPES:
        limit = max_bytes // 2 + 1  # more items than this never fit: see _Shortener
        if _count_items(value, 0, limit) > limit:
            shortener = _Shortener(limit)
            value = shortener.shorten(value)
            cut = shortener.cut
    data = _dumps(value)
    if len(data) <= max_bytes and cut is None:
        return data.decode("utf-8"), False
    head = data[:max_bytes].decode("utf-8", "ignore")
    if cut is not None:
        return head + CUT_TRUNCATION_MARKER.format(kind=cut[0], total=cut[1]), True
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
        and 0 < len(value) <= max_bytes // 2 + 1  # longer never fits: to_json cuts it first
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

"""OTLP/HTTP trace requests, protobuf and JSON, decoded into neutral span records.

Both encodings are read the way the OpenTelemetry SDK exporters send them: protobuf
(``application/x-protobuf``), and the OTLP JSON mapping (``application/json``: trace and span ids
as hex strings, enums as numbers or names, 64-bit integers as strings or numbers, field names in
lowerCamelCase or as in the ``.proto``).

A body that is not a request at all (corrupt protobuf, text that is not JSON, a field of the wrong
type) raises :class:`Malformed`, whose message names the field. A span that is well-formed but
cannot be stored (a trace or span id of the wrong length, or all zeros) is left out and counted
as rejected: the reply is a 200 with OTLP's ``partial_success``, as the specification asks.

Span links are not kept (the record has no place for them); they are counted.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from llmops.tracing._records import SpanEventRecord, SpanRecord

PROTOBUF = "protobuf"
JSON = "json"
MAX_DEPTH = 32  # nested arrays and key-value lists in one attribute value
_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
_KINDS = ("INTERNAL", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
_KIND_NAMES = {f"SPAN_KIND_{name}": i for i, name in enumerate(_KINDS)} | {
    "SPAN_KIND_UNSPECIFIED": 0
}
_STATUSES = ("UNSET", "OK", "ERROR")
_STATUS_NAMES = {f"STATUS_CODE_{name}": i for i, name in enumerate(_STATUSES)}
ORIGINAL_SERVICE_NAME = "llmops.original.service.name"


class Malformed(ValueError):
    """The body is not an OTLP trace request; the message says where and why."""


@dataclass
class Decoded:
    """What a request held: the spans to store, and what was left out (and why)."""

    records: list[SpanRecord] = field(default_factory=list)
    rejected: int = 0
    links_dropped: int = 0
    reasons: list[str] = field(default_factory=list)

    def reject(self, where: str, why: str) -> None:
        self.rejected += 1
        if len(self.reasons) < 3:
            self.reasons.append(f"{where}: {why}")

    def message(self) -> str:
        """The partial-success message: the first few reasons."""
        more = self.rejected - len(self.reasons)
        return "; ".join(self.reasons) + (f" (and {more} more)" if more > 0 else "")


def _resource(attributes: dict[str, Any], project: str | None) -> dict[str, Any]:
    """The resource's attributes; ``project`` (from a header) replaces ``service.name``."""
    if project:
        sent = attributes.get("service.name")
        if sent is not None and sent != project:
            attributes[ORIGINAL_SERVICE_NAME] = sent
        attributes["service.name"] = project
    return attributes


def _name(number: int, names: tuple[str, ...]) -> str:
    """An enum's name; a number this version does not know reads as the first (the default)."""
    return names[number] if 0 <= number < len(names) else names[0]


def _check_ids(trace_id: str, span_id: str, parent: str) -> str | None:
    """Why these hex ids cannot be stored, or None."""
    if len(trace_id) != 32 or trace_id == "0" * 32:
        return "trace id is not 16 bytes, or all zeros"
    if len(span_id) != 16 or span_id == "0" * 16:
        return "span id is not 8 bytes, or all zeros"
    if parent and len(parent) != 16:
        return "parent span id is not 8 bytes"
    return None


# --- protobuf -------------------------------------------------------------------------------------


def decode_protobuf(body: bytes, project: str | None = None) -> Decoded:
    """The spans of a protobuf ``ExportTraceServiceRequest``.

    Raises:
        Malformed: ``body`` is not one.
    """
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, RecursionError) as exc:
        raise Malformed(f"not an OTLP protobuf ExportTraceServiceRequest: {exc}") from None
    decoded = Decoded()
    append = decoded.records.append
    for r, resource_spans in enumerate(request.resource_spans):
        resource = _resource(_pb_attributes(resource_spans.resource.attributes, 0), project)
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            scope = scope_spans.scope
            scope_name, scope_version = scope.name or None, scope.version or None
            for n, span in enumerate(scope_spans.spans):
                trace_id, span_id = span.trace_id.hex(), span.span_id.hex()
                parent = span.parent_span_id.hex()
                why = _check_ids(trace_id, span_id, parent)
                if why is not None:
                    decoded.reject(f"resource_spans[{r}].scope_spans[{s}].spans[{n}]", why)
                    continue
                decoded.links_dropped += len(span.links)
                status = span.status
                append(
                    SpanRecord(
                        trace_id,
                        span_id,
                        parent or None,
                        span.name,
                        _name(span.kind, _KINDS),
                        span.start_time_unix_nano,
                        span.end_time_unix_nano,
                        _name(status.code, _STATUSES),
                        status.message or None,
                        _pb_attributes(span.attributes, 0),
                        tuple(
                            SpanEventRecord(
                                event.name,
                                event.time_unix_nano,
                                _pb_attributes(event.attributes, 0),
                            )
                            for event in span.events
                        ),
                        resource,
                        scope_name,
                        scope_version,
                    )
                )
    return decoded


_PB_SCALARS = frozenset({"string_value", "bool_value", "int_value", "double_value"})


def _pb_attributes(key_values: Any, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    scalars = _PB_SCALARS
    for kv in key_values:  # on the hot path: scalars are read here, without a call
        value = kv.value
        which = value.WhichOneof("value")
        if which in scalars:
            out[kv.key] = getattr(value, which)
        elif which is not None:
            out[kv.key] = _pb_value(value, depth)
    return out


def _pb_value(value: Any, depth: int) -> Any:
    which = value.WhichOneof("value")
    if which in _PB_SCALARS:
        return getattr(value, which)
    if which is None:
        return None
    if depth >= MAX_DEPTH:
        raise Malformed(f"an attribute value nests deeper than {MAX_DEPTH} levels")
    if which == "array_value":
        return [_pb_value(item, depth + 1) for item in value.array_value.values]
    if which == "kvlist_value":
        return _pb_attributes(value.kvlist_value.values, depth + 1)
    return base64.b64encode(value.bytes_value).decode()  # bytes_value: as OTLP JSON writes it


def protobuf_response(decoded: Decoded | None) -> bytes:
    """An ``ExportTraceServiceResponse``, with ``partial_success`` when spans were rejected."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTracePartialSuccess,
        ExportTraceServiceResponse,
    )

    if decoded is None or not decoded.rejected:
        return b""  # the empty message
    partial = ExportTracePartialSuccess(
        rejected_spans=decoded.rejected, error_message=decoded.message()
    )
    return bytes(ExportTraceServiceResponse(partial_success=partial).SerializeToString())


def protobuf_status(code: int, message: str) -> bytes:
    """A ``google.rpc.Status``: the body OTLP/HTTP asks for on every 4xx and 5xx."""
    from google.rpc.status_pb2 import Status

    return bytes(Status(code=code, message=message).SerializeToString())


# --- JSON -----------------------------------------------------------------------------------------


def decode_json(body: bytes, project: str | None = None) -> Decoded:
    """The spans of an ``ExportTraceServiceRequest`` in the OTLP JSON mapping.

    Raises:
        Malformed: ``body`` is not one (the message names the field).
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"not JSON: {exc}") from None
    decoded = Decoded()
    root = _object(document, "the request")
    for r, resource_spans in _items(root, "resourceSpans", "resource_spans", "request"):
        where = f"resourceSpans[{r}]"
        resource_spans = _object(resource_spans, where)
        resource_doc = _object(_get(resource_spans, "resource") or {}, f"{where}.resource")
        resource = _resource(_json_attributes(resource_doc, f"{where}.resource"), project)
        for s, scope_spans in _items(resource_spans, "scopeSpans", "scope_spans", where):
            at = f"{where}.scopeSpans[{s}]"
            scope_spans = _object(scope_spans, at)
            scope = _object(_get(scope_spans, "scope") or {}, f"{at}.scope")
            scope_name = _string(scope, "name", f"{at}.scope") or None
            scope_version = _string(scope, "version", f"{at}.scope") or None
            for n, span in _items(scope_spans, "spans", "spans", at):
                _json_span(span, f"{at}.spans[{n}]", resource, scope_name, scope_version, decoded)
    return decoded


def _json_span(
    document: Any,
    where: str,
    resource: dict[str, Any],
    scope_name: str | None,
    scope_version: str | None,
    decoded: Decoded,
) -> None:
    span = _object(document, where)
    trace_id, span_id, parent = (_json_id(span, names, where) for names in _ID_FIELDS)
    if trace_id is None or span_id is None or parent is None:
        why: str | None = "an id is neither hex nor base64"
    else:
        why = _check_ids(trace_id, span_id, parent)
    if why is not None or trace_id is None or span_id is None:
        decoded.reject(where, why or "")
        return
    links = _get(span, "links")
    if links is not None:
        decoded.links_dropped += len(_array(links, f"{where}.links"))
    status = _object(_get(span, "status") or {}, f"{where}.status")
    code = _enum(_get(status, "code"), _STATUS_NAMES, f"{where}.status.code")
    events = tuple(
        _json_event(event, f"{where}.events[{e}]")
        for e, event in _items(span, "events", "events", where)
    )
    decoded.records.append(
        SpanRecord(
            trace_id,
            span_id,
            parent or None,
            _string(span, "name", where),
            _name(_enum(_get(span, "kind"), _KIND_NAMES, f"{where}.kind"), _KINDS),
            _integer(_get(span, "startTimeUnixNano", "start_time_unix_nano"), _UINT64, where),
            _integer(_get(span, "endTimeUnixNano", "end_time_unix_nano"), _UINT64, where),
            _name(code, _STATUSES),
            _string(status, "message", f"{where}.status") or None,
            _json_attributes(span, where),
            events,
            resource,
            scope_name,
            scope_version,
        )
    )


_ID_FIELDS = (("traceId", "trace_id"), ("spanId", "span_id"), ("parentSpanId", "parent_span_id"))


def _json_event(document: Any, where: str) -> SpanEventRecord:
    event = _object(document, where)
    return SpanEventRecord(
        _string(event, "name", where),
        _integer(_get(event, "timeUnixNano", "time_unix_nano"), _UINT64, where),
        _json_attributes(event, where),
    )


def _get(document: Mapping[str, Any], name: str, alias: str | None = None) -> Any:
    value = document.get(name)
    return document.get(alias) if value is None and alias is not None else value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{where}: expected an object, got {_kind(value)}")
    return value


def _array(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise Malformed(f"{where}: expected an array, got {_kind(value)}")
    return value


def _items(document: Mapping[str, Any], name: str, alias: str, where: str) -> Any:
    value = _get(document, name, alias)
    return enumerate(_array(value, f"{where}.{name}")) if value is not None else ()


def _string(document: Mapping[str, Any], name: str, where: str) -> str:
    value = document.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(f"{where}.{name}: expected a string, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _integer(value: Any, bounds: tuple[int, int], where: str) -> int:
    """A 64-bit integer, sent as a number or as a decimal string."""
    if value is None:
        return 0
    if isinstance(value, str):
        try:
            value = int(value, 10) if len(value) <= 20 else None
        except ValueError:
            value = None
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or not bounds[0] <= value <= bounds[1]:
        raise Malformed(f"{where}: expected a 64-bit integer")
    return value


def _enum(value: Any, names: Mapping[str, int], where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, str) and value in names:
        return names[value]
    if type(value) is int and 0 <= value < 2**31:
        return value
    raise Malformed(f"{where}: expected one of {', '.join(names)} or its number")


def _json_id(span: Mapping[str, Any], names: tuple[str, str], where: str) -> str | None:
    """A hex id (the OTLP JSON mapping), or base64 (protobuf's JSON mapping); None if neither."""
    value = _get(span, *names)
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise Malformed(f"{where}.{names[0]}: expected a hex string, got {_kind(value)}")
    if len(value) in (16, 32):
        try:
            return bytes.fromhex(value).hex()
        except ValueError:
            return None
    if len(value) in (12, 24):
        try:
            return base64.b64decode(value, validate=True).hex()
        except (binascii.Error, ValueError):
            return None
    return None


def _json_attributes(document: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, kv in _items(document, "attributes", "attributes", where):
        _key_value(kv, f"{where}.attributes[{i}]", out, 0)
    return out


def _key_value(document: Any, where: str, out: dict[str, Any], depth: int) -> None:
    kv = _object(document, where)
    key = kv.get("key")
    if not isinstance(key, str):
        raise Malformed(f"{where}.key: expected a string, got {_kind(key)}")
    value = _json_value(kv.get("value"), f"{where}.value", depth)
    if value is not None:
        out[key] = value


def _json_value(document: Any, where: str, depth: int) -> Any:
    """An ``AnyValue``: ``{"stringValue": …}``, ``{"intValue": "7"}``, ``{"arrayValue": …}``…"""
    if document is None:
        return None
    value = _object(document, where)
    for name, read in _VALUE_READERS:
        if name in value:
            return read(value[name], f"{where}.{name}", depth)
    return None  # an empty AnyValue: the attribute is left out, as an SDK would


def _read_string(value: Any, where: str, depth: int) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{where}: expected a string, got {_kind(value)}")
    return value


def _read_bool(value: Any, where: str, depth: int) -> bool:
    if not isinstance(value, bool):
        raise Malformed(f"{where}: expected true or false, got {_kind(value)}")
    return value


def _read_int(value: Any, where: str, depth: int) -> int:
    return _integer(value, _INT64, where)


def _read_double(value: Any, where: str, depth: int) -> float:
    if isinstance(value, str):  # protobuf's JSON mapping: "NaN", "Infinity", "-Infinity"
        try:
            return float(value)
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise Malformed(f"{where}: expected a number")


def _read_bytes(value: Any, where: str, depth: int) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{where}: expected base64 text, got {_kind(value)}")
    return value


def _read_array(value: Any, where: str, depth: int) -> list[Any]:
    if depth >= MAX_DEPTH:
        raise Malformed(f"{where}: nests deeper than {MAX_DEPTH} levels")
    items = _get(_object(value, where), "values")
    return [
        _json_value(item, f"{where}.values[{i}]", depth + 1)
        for i, item in enumerate(_array(items or [], f"{where}.values"))
    ]


def _read_kvlist(value: Any, where: str, depth: int) -> dict[str, Any]:
    if depth >= MAX_DEPTH:
        raise Malformed(f"{where}: nests deeper than {MAX_DEPTH} levels")
    items = _get(_object(value, where), "values")
    out: dict[str, Any] = {}
    for i, kv in enumerate(_array(items or [], f"{where}.values")):
        _key_value(kv, f"{where}.values[{i}]", out, depth + 1)
    return out


_VALUE_READERS: tuple[tuple[str, Callable[[Any, str, int], Any]], ...] = (
    ("stringValue", _read_string),
    ("string_value", _read_string),
    ("intValue", _read_int),
    ("int_value", _read_int),
    ("doubleValue", _read_double),
    ("double_value", _read_double),
    ("boolValue", _read_bool),
    ("bool_value", _read_bool),
    ("arrayValue", _read_array),
    ("array_value", _read_array),
    ("kvlistValue", _read_kvlist),
    ("kvlist_value", _read_kvlist),
    ("bytesValue", _read_bytes),
    ("bytes_value", _read_bytes),
)


def json_response(decoded: Decoded | None) -> bytes:
    """An ``ExportTraceServiceResponse`` in the OTLP JSON mapping."""
    if decoded is None or not decoded.rejected:
        return b"{}"
    partial = {"rejectedSpans": str(decoded.rejected), "errorMessage": decoded.message()}
    return orjson.dumps({"partialSuccess": partial})


def json_status(code: int, message: str) -> bytes:
    """A ``google.rpc.Status`` in JSON."""
    return orjson.dumps({"code": code, "message": message})


DECODERS: dict[str, Callable[[bytes, str | None], Decoded]] = {
    PROTOBUF: decode_protobuf,
    JSON: decode_json,
}

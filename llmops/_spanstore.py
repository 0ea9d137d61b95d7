"""The span table: its stored columns, the views users query, and the rows written to it.

Stored rows keep times as integer nanoseconds; the ``spans`` view turns them into timestamps and
milliseconds. Common questions have typed columns (model, tokens, cost, config version, session)
so that a query over millions of spans does not parse JSON.

Rows are made from neutral span records (``llmops.tracing.SpanRecord``) by
:func:`records_to_rows`, whoever made the records: this process's SDK spans (through
``llmops._spansink.DuckDBSpanExporter``), or spans received over OTLP. Readers import this
module without the OpenTelemetry SDK. The span table is declared to the
store's registry here; :func:`open_store` opens every declared table (``llmops._tables``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from llmops import _hooks
from llmops._internal import handle_internal_errors
from llmops._store import Store, Table, TableSpec, sql_string
from llmops._tables import declared_tables, register_tables
from llmops.tracing import semconv
from llmops.tracing._dialects import canonical_attributes
from llmops.tracing._records import SpanRecord, span_record

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

SPAN_COLUMNS: dict[str, str] = {
    "trace_id": "VARCHAR",
    "span_id": "VARCHAR",
    "parent_span_id": "VARCHAR",
    "name": "VARCHAR",
    "kind": "VARCHAR",
    "start_ns": "BIGINT",
    "end_ns": "BIGINT",
    "status_code": "VARCHAR",
    "status_message": "VARCHAR",
    # JSON text. Read as VARCHAR: DuckDB's JSON functions take it as it is, and reading skips a
    # validation pass (~40% of compaction); every row was written by orjson, so it is valid.
    "attributes": "VARCHAR",
    "events": "VARCHAR",
    "resource": "VARCHAR",
}


TYPED_ATTRIBUTES = semconv.STORE_TYPED_ATTRIBUTES
SPAN_COLUMNS["_typed"] = "VARCHAR[]"


def _text(key: str) -> str:
    return f"_typed[{TYPED_ATTRIBUTES.index(key) + 1}]"


def _number(key: str, kind: str) -> str:
    return f"TRY_CAST(_typed[{TYPED_ATTRIBUTES.index(key) + 1}] AS {kind})"


def _span_type() -> str:
    cases = " ".join(
        f"WHEN {sql_string(op)} THEN {sql_string(kind)}" for op, kind in semconv.SPAN_TYPES.items()
    )
    return f"CASE {_text(semconv.GEN_AI_OPERATION_NAME)} {cases} ELSE 'span' END"


# Typed columns for the common questions, materialised in Parquet when batches are compacted
# (and computed on the fly for batches not compacted yet).
SPAN_DERIVED: dict[str, str] = {
    "service_name": "json_extract_string(resource, '$.\"service.name\"')",
    "span_type": _span_type(),
    "operation": _text(semconv.GEN_AI_OPERATION_NAME),
    "provider": _text(semconv.GEN_AI_PROVIDER_NAME),
    "model": f"coalesce({_text(semconv.GEN_AI_RESPONSE_MODEL)}, "
    f"{_text(semconv.GEN_AI_REQUEST_MODEL)})",
    "input_tokens": _number(semconv.GEN_AI_USAGE_INPUT_TOKENS, "BIGINT"),
    "output_tokens": _number(semconv.GEN_AI_USAGE_OUTPUT_TOKENS, "BIGINT"),
    "cost_usd": _number(semconv.LLMOPS_COST_USD, "DOUBLE"),
    "config_name": _text(semconv.LLMOPS_CONFIG_NAME),
    "config_version": _text(semconv.LLMOPS_CONFIG_VERSION),
    "agent_name": _text(semconv.GEN_AI_AGENT_NAME),
    "session_id": f"coalesce({_text(semconv.SESSION_ID)}, {_text(semconv.GEN_AI_CONVERSATION_ID)})",
    "user_id": _text(semconv.USER_ID),
    "error_type": _text(semconv.ERROR_TYPE),
}

_SPANS_VIEW = """
SELECT trace_id, span_id, parent_span_id, name, kind,
       make_timestamp(start_ns // 1000) AS start_time,
       make_timestamp(end_ns // 1000) AS end_time,
       (end_ns - start_ns) / 1e6 AS duration_ms,
       status_code, status_message, service_name, span_type, operation, provider, model,
       input_tokens, output_tokens, cost_usd, config_name, config_version, agent_name,
       session_id, user_id, error_type, attributes, events, resource
FROM span_rows
"""


def traces_sql(span_filter: str = "") -> str:
    """The ``traces`` view's query: one row per trace, aggregated over the span rows that
    ``span_filter`` (a SQL condition on ``span_rows``, e.g. ``start_ns >= ?``) keeps."""
    where = f" WHERE {span_filter}" if span_filter else ""
    return _TRACES_SQL.format(where=where)


_TRACES_SQL = """
SELECT trace_id,
       arg_min(name, [CASE WHEN parent_span_id IS NULL THEN 0 ELSE 1 END, start_ns])
           AS root_name,
       make_timestamp(min(start_ns) // 1000) AS start_time,
       (max(end_ns) - min(start_ns)) / 1e6 AS duration_ms,
       count(*) AS span_count,
       count(*) FILTER (WHERE status_code = 'ERROR') AS error_count,
       sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens,
       sum(cost_usd) AS cost_usd,
       any_value(session_id) AS session_id,
       any_value(user_id) AS user_id,
       any_value(config_name) AS config_name,
       any_value(config_version) AS config_version,
       any_value(service_name) AS service_name
FROM span_rows{where}
GROUP BY trace_id
"""

_USAGE_BY_CONFIG_VIEW = """
SELECT config_name, config_version,
       count(*) AS spans,
       count(DISTINCT trace_id) AS traces,
       sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens,
       sum(cost_usd) AS cost_usd,
       count(*) FILTER (WHERE status_code = 'ERROR') AS errors
FROM span_rows
GROUP BY config_name, config_version
"""

SPANS = TableSpec(
    name="spans",
    columns=SPAN_COLUMNS,
    derived=SPAN_DERIVED,
    raw_view="span_rows",
    views={"spans": _SPANS_VIEW, "traces": traces_sql(), "usage_by_config": _USAGE_BY_CONFIG_VIEW},
)

register_tables(SPANS)


def open_store(root: Path) -> Store:
    """The store under ``root`` with every declared table (the installed features' included)."""
    return Store(root, declared_tables())


def span_table(root: Path) -> Table:
    """The span table alone under ``root``, for writers (opening it loads no other feature)."""
    return Table(Path(root).absolute(), SPANS)


# --- the row mapper: span records -> stored rows ------------------------------------------------

_RESOURCE_CACHE: dict[int, tuple[Any, orjson.Fragment]] = {}
_LEGACY_KEYS = tuple(semconv.LEGACY_ATTRIBUTES)


def _resource_json(resource: Mapping[str, Any]) -> orjson.Fragment:
    """The resource as pre-serialised JSON: one resource is shared by every span of a process."""
    cached = _RESOURCE_CACHE.get(id(resource))
    if cached is not None and cached[0] is resource:
        return cached[1]
    fragment = orjson.Fragment(orjson.dumps(resource if type(resource) is dict else dict(resource)))
    if len(_RESOURCE_CACHE) > 64:
        _RESOURCE_CACHE.clear()
    _RESOURCE_CACHE[id(resource)] = (resource, fragment)
    return fragment


def _event_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict (orjson serialises it in C), legacy GenAI names mapped to today's."""
    raw = attributes if type(attributes) is dict else dict(attributes)
    for key in _LEGACY_KEYS:  # a handful of lookups: cheaper than a set operation per span
        if key in raw:
            return semconv.normalize_attributes(raw)
    return raw


_INPUT_TOKENS = semconv.GEN_AI_USAGE_INPUT_TOKENS
_OUTPUT_TOKENS = semconv.GEN_AI_USAGE_OUTPUT_TOKENS
_COST_KEYS = (semconv.LLMOPS_COST_USD, semconv.LLMOPS_COST_SOURCE)


_OWN_SCOPE = "llmops"  # llmops' own spans: priced where the call is made (serving's gateway)


def _attributes(
    attributes: Mapping[str, Any], scope_name: str | None, duration_ns: int
) -> dict[str, Any]:
    """A span's attributes as a plain dict, every GenAI dialect mapped to today's names
    (``llmops.tracing._dialects``); another instrumentation's span (received over OTLP, or made
    in this process) is priced when it has tokens and no cost."""
    raw = attributes if type(attributes) is dict else dict(attributes)
    mapped: dict[str, Any] = canonical_attributes(raw)  # type: ignore[assignment] # dict in, out
    if (
        (_INPUT_TOKENS in mapped or _OUTPUT_TOKENS in mapped)
        and not (_COST_KEYS[0] in mapped or _COST_KEYS[1] in mapped)
        and scope_name != _OWN_SCOPE
    ):
        return _priced(mapped, duration_ns)
    return mapped


def _tokens(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0


def _priced(attributes: dict[str, Any], duration_ns: int) -> dict[str, Any]:
    """``attributes`` with a cost from the ``price`` hook (serving registers its pricing: the
    prices of the config the span names, else litellm's price map), and where it came from; as
    they were when no model is named or nothing can price."""
    model = attributes.get(semconv.GEN_AI_RESPONSE_MODEL) or attributes.get(
        semconv.GEN_AI_REQUEST_MODEL
    )
    price = _hooks.get("price") if isinstance(model, str) and model else None
    if price is None:
        return attributes
    provider = attributes.get(semconv.GEN_AI_PROVIDER_NAME)
    config_name = attributes.get(semconv.LLMOPS_CONFIG_NAME)
    config_version = attributes.get(semconv.LLMOPS_CONFIG_VERSION)
    named = type(config_name) is str and type(config_version) is str and config_version
    found = None
    with handle_internal_errors("price"):
        found = price(
            model,
            provider if isinstance(provider, str) else None,
            _tokens(attributes.get(_INPUT_TOKENS)),
            _tokens(attributes.get(_OUTPUT_TOKENS)),
            config=(config_name, config_version) if named else None,
            duration_s=max(duration_ns, 0) / 1e9,
        )
    if found is None:
        return attributes
    cost, source = found
    priced = dict(attributes)  # never the caller's dict: an SDK span's attributes are shared
    if cost is not None:
        priced[semconv.LLMOPS_COST_USD] = cost
    priced[semconv.LLMOPS_COST_SOURCE] = source
    return priced


def records_to_rows(records: Sequence[SpanRecord]) -> list[dict[str, Any]]:
    """Stored rows for a batch: each span's own fields, attributes and events as JSON.

    Legacy GenAI attribute names are mapped to today's here, on ingest; the attributes behind
    the typed columns (model, tokens, cost...) are copied out as they are and typed by DuckDB
    when batches are compacted. This loop is on the exporter's hot path (it bounds the store's
    throughput), hence the local names.
    """
    rows: list[dict[str, Any]] = []
    append = rows.append
    typed_keys = TYPED_ATTRIBUTES
    last_resource: Any = None
    resource_json = orjson.Fragment(b"{}")
    # Unpacked, not read by attribute: one C step instead of a lookup per field (a field added
    # to SpanRecord is added here; mypy checks the count).
    for (
        trace_id, span_id, parent_span_id, name, kind, start_ns, end_ns, status_code,
        status_message, raw_attributes, events, resource, scope_name, _scope_version,
    ) in records:  # fmt: skip
        attributes = _attributes(raw_attributes, scope_name, end_ns - start_ns)
        if resource is not last_resource:
            last_resource, resource_json = resource, _resource_json(resource)
        append(
            {
                "trace_id": trace_id,
                "span_id": span_id,
                "parent_span_id": parent_span_id,
                "name": name,
                "kind": kind,
                "start_ns": start_ns,
                "end_ns": end_ns,
                "status_code": status_code,
                "status_message": status_message,
                "attributes": attributes,
                "events": [
                    {
                        "name": e.name,
                        "time_ns": e.time_ns,
                        "attributes": _event_attributes(e.attributes),
                    }
                    for e in events
                ]
                if events
                else [],
                "resource": resource_json,
                "_typed": list(map(attributes.get, typed_keys)),
            }
        )
    return rows


def span_to_row(span: ReadableSpan) -> dict[str, Any]:
    """The stored row of one SDK span (tests, benchmarks; see :func:`records_to_rows`)."""
    return records_to_rows((span_record(span),))[0]

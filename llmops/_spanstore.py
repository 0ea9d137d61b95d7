"""The span table: its stored columns, the views users query, and where it lives.

Stored rows keep times as integer nanoseconds; the ``spans`` view turns them into timestamps and
milliseconds. Common questions have typed columns (model, tokens, cost, config version, session)
so that a query over millions of spans does not parse JSON.
"""

from __future__ import annotations

from pathlib import Path

from llmops._evalstore import EVAL_TABLES
from llmops._store import Store, TableSpec, sql_string
from llmops.tracing import semconv

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

_TRACES_VIEW = """
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
FROM span_rows
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
    views={"spans": _SPANS_VIEW, "traces": _TRACES_VIEW, "usage_by_config": _USAGE_BY_CONFIG_VIEW},
)

TABLES = (SPANS, *EVAL_TABLES)


def open_store(root: Path) -> Store:
    """The store under ``root`` with every llmops table."""
    return Store(root, TABLES)

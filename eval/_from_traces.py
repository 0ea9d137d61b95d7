"""``--from-traces``: evaluate what already ran. Cases are built from recorded traces.

Each trace's root span gives the input and the output; the outputs of its ``execute_tool`` spans
(retrieval) give the contexts; tokens, cost and latency are the trace's own. Nothing is called
again: the scores link to the original trace ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from llmops._errors import EvalDatasetError
from llmops.tracing import semconv


@dataclass(frozen=True)
class TraceFilter:
    """Which recorded traces to evaluate (all filters combine)."""

    name: str | None = None
    config_version: str | None = None
    config_name: str | None = None
    session_id: str | None = None
    since_hours: float | None = None
    limit: int = 100


def _where(filters: TraceFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = ["parent_span_id IS NULL", "name <> 'eval.case'"]
    params: list[Any] = []
    for column, value in (
        ("name", filters.name),
        ("config_version", filters.config_version),
        ("config_name", filters.config_name),
        ("session_id", filters.session_id),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if filters.since_hours is not None:
        clauses.append("start_time >= now()::TIMESTAMP - to_hours(CAST(? AS BIGINT))")
        params.append(int(filters.since_hours))
    return " AND ".join(clauses), params


def cases_from_traces(filters: TraceFilter) -> list[dict[str, Any]]:
    """Case mappings (``id`` = trace id) for the recorded traces that match ``filters``."""
    from llmops._query import query

    where, params = _where(filters)
    roots = query(
        f"SELECT trace_id, name, attributes, duration_ms FROM spans WHERE {where} "
        "ORDER BY start_time DESC LIMIT ?",
        [*params, filters.limit],
    )
    if not roots:
        raise EvalDatasetError(f"--from-traces: no recorded traces match {filters}")
    return cases_for_roots(roots)


def cases_for_roots(roots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Case mappings for root spans (rows with ``trace_id``, ``name``, ``attributes`` and
    ``duration_ms``): contexts from each trace's tool outputs, usage from the ``traces`` view."""
    from llmops._query import query

    ids = [r["trace_id"] for r in roots]
    tools = query(
        "SELECT trace_id, attributes FROM spans WHERE operation = ? AND trace_id IN "
        "(SELECT unnest(?)) ORDER BY start_time",
        [semconv.OPERATION_EXECUTE_TOOL, ids],
        flush=False,
    )
    usage = {
        r["trace_id"]: r
        for r in query(
            "SELECT trace_id, input_tokens, output_tokens, cost_usd FROM traces "
            "WHERE trace_id IN (SELECT unnest(?))",
            [ids],
            flush=False,
        )
    }
    contexts: dict[str, list[str]] = {}
    for row in tools:
        output = orjson.loads(row["attributes"]).get(semconv.OUTPUT_VALUE)
        if output is not None:
            contexts.setdefault(row["trace_id"], []).extend(_texts(output))
    return [
        _case(root, contexts.get(root["trace_id"], []), usage.get(root["trace_id"], {}))
        for root in roots
    ]


def _case(root: dict[str, Any], contexts: list[str], usage: dict[str, Any]) -> dict[str, Any]:
    attributes = orjson.loads(root["attributes"])
    recorded_input = _decoded(attributes.get(semconv.INPUT_VALUE))
    if isinstance(recorded_input, dict) and len(recorded_input) == 1:
        recorded_input = next(iter(recorded_input.values()))
    if not isinstance(recorded_input, str | dict):
        recorded_input = orjson.dumps(recorded_input).decode()
    return {
        "id": root["trace_id"],
        "input": recorded_input,
        "context": contexts,
        "metadata": {
            "recorded": {
                "trace_id": root["trace_id"],
                "span": root["name"],
                "output": _decoded(attributes.get(semconv.OUTPUT_VALUE)),
                "latency_ms": root["duration_ms"],
                "input_tokens": usage.get("input_tokens"),
                "output_tokens": usage.get("output_tokens"),
                "cost_usd": usage.get("cost_usd"),
            }
        },
    }


def _decoded(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def _texts(output: Any) -> list[str]:
    """Passages from a tool's recorded output: strings, or mappings with a text field."""
    value = _decoded(output)
    items = value if isinstance(value, list) else [value]
    texts = []
    for item in items:
        if isinstance(item, dict):
            text = next((item[k] for k in ("text", "content", "page_content") if k in item), None)
            texts.append(str(text) if text is not None else orjson.dumps(item).decode())
        elif item is not None:
            texts.append(item if isinstance(item, str) else orjson.dumps(item).decode())
    return texts

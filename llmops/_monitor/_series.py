"""The ``version_series`` view: per config name, config version and time window, what the
traces of that version did.

One row per (config name, config version, window): ``traces``, ``errors`` (traces with a span in
error) and ``error_rate``; ``input_tokens``, ``output_tokens``, ``cost_usd`` and
``cost_per_trace``; ``p50_ms``/``p95_ms`` of the trace's duration (its root span's);
``guardrail_findings`` (detector hits recorded as ``llmops.guardrail.findings`` on its spans) and
``guarded_traces`` (traces with at least one). From the online scores of ``llmops monitor run``
(``monitor_scores``): ``scored_traces``, ``hallucination_rate`` (hallucinated among the traces the
detector could score; traces without contexts are not scorable and count for neither side),
``success_rate`` and ``cost_per_success`` (the scored traces' cost over their successes). A rate
with nothing scored is NULL, never a made-up zero.

The view buckets by one hour; a view takes no parameters, so :func:`version_series` runs the same
SQL with any window (and a ``since`` cutoff, a config name). Only traces that carry a config
version are counted. The view is declared with the monitoring tables (``._tables``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from llmops._errors import ConfigError
from llmops._spanstore import traces_sql
from llmops._store import sql_string
from llmops.tracing import semconv

SERIES_COLUMNS = (
    "config_name",
    "config_version",
    "window_start",
    "traces",
    "errors",
    "error_rate",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "cost_per_trace",
    "p50_ms",
    "p95_ms",
    "guardrail_findings",
    "guarded_traces",
    "scored_traces",
    "hallucination_rate",
    "success_rate",
    "cost_per_success",
)

# Guardrails record their hits as a JSON list (stored as its text) on the screened span.
_FINDINGS_PATH = sql_string(f'$."{semconv.LLMOPS_GUARDRAIL_FINDINGS}"')
_FINDINGS = f"json_array_length(json_extract_string(attributes, {_FINDINGS_PATH}))"


# Per scored trace, its online verdicts: hallucinated (NULL: not scorable) and succeeded.
VERDICTS_SQL = """
SELECT trace_id,
       bool_or(NOT passed) FILTER (WHERE metric = 'hallucination' AND status = 'ok')
           AS hallucinated,
       bool_and(passed) FILTER (WHERE metric = 'success' AND status = 'ok') AS succeeded
FROM monitor_scores
GROUP BY trace_id
"""


def traces_source(cutoff: str | None = None) -> str:
    """The ``traces`` view, or, with ``cutoff`` (a SQL expression: nanoseconds since the epoch),
    its rows for the traces that started at or after it, aggregated from their spans alone.

    All spans of such a trace start after the cutoff, so only recent spans are aggregated; the
    traces that also have an earlier span started before it and are left out. The same rows as
    filtering ``traces`` by start time, without aggregating the whole store first (seconds at
    10M spans).
    """
    if cutoff is None:
        return "traces"
    recent = f"start_ns >= {cutoff}"
    started_before = (
        f"SELECT trace_id FROM span_rows WHERE start_ns < {cutoff} "
        f"AND trace_id IN (SELECT trace_id FROM span_rows WHERE {recent})"
    )
    return f"({traces_sql(f'{recent} AND trace_id NOT IN ({started_before})')})"


# The nanosecond cutoff of a ``$since`` timestamp parameter: ``start_time >= $since`` exactly.
SINCE_NS = "epoch_us($since) * 1000"


def series_sql(bucket: str, where: str = "", cutoff: str | None = None) -> str:
    """The series, windows of ``bucket`` (a DuckDB INTERVAL expression), traces filtered by
    ``where`` (a condition on the ``traces`` view's columns, or empty) and, when ``cutoff`` is
    given, only the traces started at or after it (see :func:`traces_source`)."""
    findings_since = f"AND start_ns >= {cutoff}" if cutoff else ""
    return f"""
WITH findings AS (
    SELECT trace_id, sum({_FINDINGS}) AS findings
    FROM span_rows
    WHERE attributes LIKE {sql_string("%" + semconv.LLMOPS_GUARDRAIL_FINDINGS + "%")}
          {findings_since}
    GROUP BY trace_id
),
scores AS ({VERDICTS_SQL}),
scoped AS (
    SELECT t.*, coalesce(f.findings, 0) AS findings, s.hallucinated, s.succeeded,
           s.trace_id IS NOT NULL AS scored,
           time_bucket({bucket}, t.start_time) AS window_start
    FROM {traces_source(cutoff)} t LEFT JOIN findings f USING (trace_id)
         LEFT JOIN scores s USING (trace_id)
    WHERE t.config_version IS NOT NULL AND t.root_name <> 'eval.case'  -- offline evals aside
          {f"AND ({where})" if where else ""}
)
SELECT config_name, config_version, window_start,
       count(*) AS traces,
       count(*) FILTER (WHERE error_count > 0) AS errors,
       count(*) FILTER (WHERE error_count > 0) / count(*) AS error_rate,
       coalesce(sum(input_tokens), 0) AS input_tokens,
       coalesce(sum(output_tokens), 0) AS output_tokens,
       sum(cost_usd) AS cost_usd,
       sum(cost_usd) / count(*) AS cost_per_trace,
       quantile_cont(duration_ms, 0.5) AS p50_ms,
       quantile_cont(duration_ms, 0.95) AS p95_ms,
       CAST(sum(findings) AS BIGINT) AS guardrail_findings,
       count(*) FILTER (WHERE findings > 0) AS guarded_traces,
       count(*) FILTER (WHERE scored) AS scored_traces,
       count(*) FILTER (WHERE hallucinated) / nullif(count(hallucinated), 0)
           AS hallucination_rate,
       count(*) FILTER (WHERE succeeded) / nullif(count(succeeded), 0) AS success_rate,
       sum(cost_usd) FILTER (WHERE succeeded IS NOT NULL)
           / nullif(count(*) FILTER (WHERE succeeded), 0) AS cost_per_success
FROM scoped
GROUP BY config_name, config_version, window_start
"""


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: str) -> timedelta:
    """``30s``, ``15m``, ``1h``, ``7d`` as a timedelta.

    Raises:
        ValueError: Not a positive whole number of seconds, minutes, hours or days.
    """
    match = _DURATION.match(value)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"bad duration {value!r}: use a positive one like 30s, 15m, 1h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def version_series(
    *,
    window: timedelta = timedelta(hours=1),
    since: datetime | None = None,
    config: str | None = None,
    flush: bool = True,
) -> list[dict[str, Any]]:
    """The series per config version, newest window first (then by name and version).

    Args:
        window: The length of each window (aligned to multiples of it, in UTC).
        since: Only traces that started at or after this moment (naive UTC, the store's times).
        config: Only this config name.
        flush: Export this process's finished spans first.

    Raises:
        ValueError: ``window`` is not positive.
        ConfigError: ``config`` names no stored trace.
        StoreError: The store cannot be read.
    """
    from llmops._query import query

    micros = window // timedelta(microseconds=1)
    if micros <= 0:
        raise ValueError("the window must be positive")
    if config is not None:
        known = query(
            "SELECT DISTINCT config_name FROM traces WHERE config_name IS NOT NULL ORDER BY 1",
            flush=flush,
        )
        names = [row["config_name"] for row in known]
        if config not in names:
            raise ConfigError(
                f"unknown config {config!r}: no stored trace carries it"
                f" (known: {', '.join(names) or 'none'})"
            )
    conditions: list[str] = []
    params: dict[str, Any] = {"window": micros}
    if since is not None:
        conditions.append("start_time >= $since")
        params["since"] = since
    if config is not None:
        conditions.append("config_name = $config")
        params["config"] = config
    cutoff = SINCE_NS if since is not None else None
    sql = series_sql("to_microseconds($window)", " AND ".join(conditions), cutoff)
    order = " ORDER BY window_start DESC, config_name, config_version"
    return query(sql + order, params, flush=flush and config is None)

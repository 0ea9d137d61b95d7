"""The ``version_series`` view: per config name, config version and time window, what the
traces of that version did.

One row per (config name, config version, window): ``traces``, ``errors`` (traces with a span in
error) and ``error_rate``; ``input_tokens``, ``output_tokens``, ``cost_usd`` and
``cost_per_trace``; ``p50_ms``/``p95_ms`` of the trace's duration (its root span's);
``guardrail_findings`` (detector hits recorded as ``llmops.guardrail.findings`` on its spans) and
``guarded_traces`` (traces with at least one). ``hallucination_rate`` and ``success_rate`` are
NULL until online scoring (a later slice of issue 19) stores scores for live traces.

The view buckets by one hour; a view takes no parameters, so :func:`version_series` runs the same
SQL with any window (and a ``since`` cutoff, a config name). Only traces that carry a config
version are counted.

A store's views live on a table spec (``llmops._store.TableSpec``); monitoring stores nothing of
its own yet, so the view rides on an empty ``monitor_marks`` table, declared here and named in the
``llmops.tables`` entry-point group so that ``llmops.query()`` and ``llmops sql`` see it in a
process that never imported this module.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import llmops._spanstore  # noqa: F401  (the spans' views come first: this view reads them)
from llmops._errors import ConfigError
from llmops._store import TableSpec, sql_string
from llmops._tables import register_tables
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
    "hallucination_rate",
    "success_rate",
)

# Guardrails record their hits as a JSON list (stored as its text) on the screened span.
_FINDINGS_PATH = sql_string(f'$."{semconv.LLMOPS_GUARDRAIL_FINDINGS}"')
_FINDINGS = f"json_array_length(json_extract_string(attributes, {_FINDINGS_PATH}))"


def _series_sql(bucket: str, where: str = "") -> str:
    """The series, windows of ``bucket`` (a DuckDB INTERVAL expression), traces filtered by
    ``where`` (a condition on the ``traces`` view's columns, or empty)."""
    return f"""
WITH findings AS (
    SELECT trace_id, sum({_FINDINGS}) AS findings
    FROM spans
    WHERE attributes LIKE {sql_string("%" + semconv.LLMOPS_GUARDRAIL_FINDINGS + "%")}
    GROUP BY trace_id
),
scoped AS (
    SELECT t.*, coalesce(f.findings, 0) AS findings,
           time_bucket({bucket}, t.start_time) AS window_start
    FROM traces t LEFT JOIN findings f USING (trace_id)
    WHERE t.config_version IS NOT NULL {f"AND ({where})" if where else ""}
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
       -- Online scores (hallucination, task success) come with `llmops monitor run`, a later
       -- slice of issue 19: NULL until then, never a made-up zero.
       CAST(NULL AS DOUBLE) AS hallucination_rate,
       CAST(NULL AS DOUBLE) AS success_rate
FROM scoped
GROUP BY config_name, config_version, window_start
"""


MONITOR_MARKS = TableSpec(
    name="monitor_marks",
    columns={"config_name": "VARCHAR", "config_version": "VARCHAR", "written_ns": "BIGINT"},
    raw_view="monitor_mark_rows",
    views={"version_series": _series_sql("INTERVAL 1 HOUR")},
)

TABLES = (MONITOR_MARKS,)

register_tables(*TABLES)


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
    sql = _series_sql("to_microseconds($window)", " AND ".join(conditions))
    order = " ORDER BY window_start DESC, config_name, config_version"
    return query(sql + order, params, flush=flush and config is None)

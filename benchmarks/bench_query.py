"""Queries over a store of 1,000,000 spans: ``llmops.query`` against bare DuckDB on the files.

The store is made fast: DuckDB SQL generates the rows straight into Parquet segments in the
store's ``spans/parquet/`` folder, with exactly the columns of ``llmops._spanstore.SPAN_COLUMNS``
(traces of an agent span, two LLM spans and a tool span; 20 config versions; token counts, cost,
~1 KB of attributes JSON with captured input/output and a hallucination score; 2% errors).
Each query then runs through ``llmops.query`` (store snapshot, views, dict rows) and, as the
baseline, as hand-written SQL on ``read_parquet`` in a bare DuckDB connection.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import BenchResult, Row

SEGMENT_ROWS = 250_000
_PROMPT = (
    "You are a support assistant for ACME Cloud. Answer using only the retrieved documents and "
    "cite them; if the answer is not there, say so. Question: how do I rotate the API key of my "
    "project without downtime, and will the old key keep working for scheduled jobs that run "
    "every night? Retrieved: 'Rotating credentials', 'Scheduled jobs and service accounts'. "
)
_ANSWER = "Create a second key, deploy it to the jobs, then revoke the first one. See doc-17. "

# One expression per stored column, over the generator CTE below (cast to the column's type).
_EXPRESSIONS = {
    "trace_id": "md5('t' || t)",
    "span_id": "substr(md5('s' || i), 1, 16)",
    "parent_span_id": "CASE WHEN pos = 0 THEN NULL ELSE substr(md5('s' || (t * 4)), 1, 16) END",
    "name": "CASE pos WHEN 0 THEN 'invoke_agent support-bot' WHEN 2 THEN 'execute_tool search' "
    "ELSE 'chat ' || model END",
    "kind": "CASE WHEN is_llm THEN 'CLIENT' ELSE 'INTERNAL' END",
    "start_ns": "start_ns",
    "end_ns": "start_ns + 50000000 + h % 2000000000",
    "status_code": "CASE WHEN err THEN 'ERROR' ELSE 'OK' END",
    "status_message": "CASE WHEN err THEN 'RateLimitError: 429 Too Many Requests' END",
    "service_name": "'support-bot'",
    "span_type": "span_type",
    "operation": "CASE pos WHEN 0 THEN 'invoke_agent' WHEN 2 THEN 'execute_tool' ELSE 'chat' END",
    "provider": "CASE WHEN is_llm THEN 'openai' END",
    "model": "CASE WHEN is_llm THEN model END",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cost_usd": "input_tokens * 1.5e-7 + output_tokens * 6e-7",
    "config_name": "'support-bot'",
    "config_version": "'v' || (t % 20)",
    "agent_name": "'support-bot'",
    "session_id": "'session-' || (t // 10)",
    "user_id": "'user-' || (t % 997)",
    "error_type": "CASE WHEN err THEN 'openai.RateLimitError' END",
    "attributes": "json_object('llmops.span.type', span_type, 'gen_ai.request.model', model, "
    "'gen_ai.usage.input_tokens', input_tokens, 'gen_ai.usage.output_tokens', output_tokens, "
    "'input.value', $prompt || i, 'output.value', CASE WHEN is_llm THEN $answer END, "
    "'llmops.eval.hallucination', CASE WHEN is_llm THEN (h % 1000) / 1000.0 END)",
    "events": "'[]'",
    "resource": '\'{"service.name": "support-bot", "service.version": "1.4.2"}\'',
}
_GENERATOR = """
WITH g AS (
    SELECT i, i // 4 AS t, i % 4 AS pos, hash(i) AS h,
           1760000000000000000 + (i // 4) * 60000000000 + (i % 4) * 100000000 AS start_ns
    FROM range({start}, {stop}) r(i)
), s AS (
    SELECT *, pos IN (1, 3) AS is_llm, h % 50 = 0 AS err,
           ['gpt-4o-mini', 'claude-3-5-haiku', 'gemma-3-270m', 'llama-3.1-8b'][t % 4 + 1] AS model,
           CASE pos WHEN 0 THEN 'agent' WHEN 2 THEN 'tool' ELSE 'llm' END AS span_type,
           CASE WHEN pos IN (1, 3) THEN 200 + h % 1800 END AS input_tokens,
           CASE WHEN pos IN (1, 3) THEN 20 + (h // 7) % 400 END AS output_tokens
    FROM g
)
SELECT {columns} FROM s
"""

_USAGE_SQL = (
    "SELECT config_version, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd) "
    "FROM spans GROUP BY 1"
)
_COST_SQL = """
SELECT config_version, count(*) AS traces, sum(cost_usd) AS cost_usd, avg(duration_ms) AS avg_ms,
       count(*) FILTER (WHERE error_count > 0) AS failed
FROM traces GROUP BY 1 ORDER BY cost_usd DESC"""
_HALLUCINATION_SQL = """
SELECT t.config_version, count(*) AS flagged_traces, sum(t.cost_usd) AS cost_usd
FROM traces t
JOIN (SELECT DISTINCT trace_id FROM spans WHERE span_type = 'llm'
      AND CAST(attributes->>'$."llmops.eval.hallucination"' AS DOUBLE) > 0.9) h USING (trace_id)
GROUP BY 1 ORDER BY cost_usd DESC"""
# The bare baseline: ``traces`` computed by hand, only the columns the queries read.
_BARE_TRACES = """traces AS (
    SELECT trace_id, any_value(config_version) AS config_version, sum(cost_usd) AS cost_usd,
           (max(end_ns) - min(start_ns)) / 1e6 AS duration_ms,
           count(*) FILTER (WHERE status_code = 'ERROR') AS error_count
    FROM {src} GROUP BY trace_id)"""
QUERIES = {
    "usage by config (spans)": (_USAGE_SQL, None),
    "cost and failures by config (traces)": (_COST_SQL, _BARE_TRACES),
    "hallucinated traces and their cost (traces + JSON)": (_HALLUCINATION_SQL, _BARE_TRACES),
}


def build_store(home: Path, n: int) -> dict[str, Any]:
    """Write ``n`` span rows as Parquet segments of the store under ``home``."""
    from llmops._spanstore import SPAN_COLUMNS, SPAN_DERIVED
    from llmops._store import connect

    # The Parquet segment schema: the stored columns (not the `_` inputs) plus the derived ones.
    numeric = {"input_tokens": "BIGINT", "output_tokens": "BIGINT", "cost_usd": "DOUBLE"}
    schema = {n: k for n, k in SPAN_COLUMNS.items() if not n.startswith("_")}
    schema.update({n: numeric.get(n, "VARCHAR") for n in SPAN_DERIVED})
    missing = [c for c in schema if c not in _EXPRESSIONS]
    columns = ", ".join(
        f"CAST({_EXPRESSIONS.get(name, 'NULL')} AS {kind}) AS {name}"
        for name, kind in schema.items()
    )
    segment_dir = home / "store" / "spans" / "parquet"
    segment_dir.mkdir(parents=True)
    (home / "store" / "spans" / "wal").mkdir()
    con = connect()
    started = time.perf_counter()
    for start in range(0, n, SEGMENT_ROWS):
        sql = _GENERATOR.format(start=start, stop=min(n, start + SEGMENT_ROWS), columns=columns)
        target = segment_dir / f"seg-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        con.execute(
            f"COPY ({sql}) TO '{target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
            {"prompt": _PROMPT, "answer": _ANSWER},
        )
    con.close()
    files = sorted(segment_dir.glob("*.parquet"))
    return {
        "build_s": time.perf_counter() - started,
        "segments": len(files),
        "parquet_bytes": sum(f.stat().st_size for f in files),
        "columns_missing_from_generator": missing,
        "files": [str(f) for f in files],
    }


def _median_s(func: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    func()  # warm-up: file cache, duckdb import, Parquet metadata
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def _bare_sql(sql: str, traces_cte: str | None, files: list[str]) -> str:
    src = "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "])"
    if traces_cte is None:
        return sql.replace("FROM spans", f"FROM {src}")
    body = sql.replace("FROM spans", f"FROM {src}")
    return "WITH " + traces_cte.format(src=src) + "\n" + body


def run(quick: bool = False) -> BenchResult:
    """Build the store, then time each query through llmops and on bare DuckDB."""
    import duckdb

    import llmops

    n, repeat = (100_000, 3) if quick else (1_000_000, 5)
    result = BenchResult("query", f"SQL over a store of {n:,} spans (s, median of {repeat})")
    folder = Path(tempfile.mkdtemp(prefix="bench-query-"))
    previous_home = os.environ.get("LLMOPS_HOME")
    try:
        store = build_store(folder / "home", n)
        os.environ["LLMOPS_HOME"] = str(folder / "home")
        counted = llmops.query("SELECT count(*) AS n FROM span_rows")[0]["n"]
        timings: dict[str, Any] = {}
        for label, (sql, traces_cte) in QUERIES.items():
            bare = _bare_sql(sql, traces_cte, store["files"])

            def run_bare(bare: str = bare) -> list[Any]:
                con = duckdb.connect(":memory:")
                try:
                    return con.execute(bare).fetchall()
                finally:
                    con.close()

            def run_llmops(sql: str = sql) -> list[dict[str, Any]]:
                return llmops.query(sql)

            llmops_s, llmops_samples = _median_s(run_llmops, repeat)
            bare_s, bare_samples = _median_s(run_bare, repeat)
            timings[label] = {"llmops_s": llmops_samples, "bare_s": bare_samples}
            # The target is the typed-column questions; a filter on a score inside the attributes
            # JSON parses ~1 KB per span and is reported for information (eval scores get their
            # own typed tables with the evaluation work).
            target = None if "JSON" in label else 1.0
            result.rows.append(Row(label, llmops_s, "s", bare_s, "bare duckdb", target, "<"))
    finally:
        if previous_home is None:
            os.environ.pop("LLMOPS_HOME", None)
        else:
            os.environ["LLMOPS_HOME"] = previous_home
        shutil.rmtree(folder, ignore_errors=True)
    result.rows.append(
        Row("spans visible through llmops.query", float(counted), "spans", float(n),
            "spans written", 1.0, ">=", "ratio")
    )  # fmt: skip
    store.pop("files")
    result.details = {"spans": n, "repeat": repeat, "store": store, "timings": timings}
    return result

"""The eval tables: runs, cases and scores, stored beside the spans (declared on import).

Like spans, eval rows are appended as batch files and compacted to Parquet (see ``_store``), so
several eval processes (Ray workers, CI shards) write at once and a ``kill -9`` loses only the
case in flight. A run's row is appended when it starts (``status='running'``) and again when it
finishes; the ``eval_runs`` view keeps the latest row per run. JSON values are stored as text.

The tables are declared to the store when this module is imported, and named in the
``llmops.tables`` entry-point group, so a reader that never imported eval sees them too.
"""

from __future__ import annotations

from llmops._store import TableSpec
from llmops._tables import register_tables

EVAL_RUN_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "suite_name": "VARCHAR",
    "suite_hash": "VARCHAR",
    "suite_path": "VARCHAR",
    "target": "VARCHAR",  # what ran: "support-bot@candidate", "pkg.mod:fn", "traces"
    "config_name": "VARCHAR",
    "config_version": "VARCHAR",
    "baseline_run_id": "VARCHAR",
    "git_commit": "VARCHAR",
    "executor": "VARCHAR",
    "status": "VARCHAR",  # running | completed | failed
    "started_ns": "BIGINT",
    "finished_ns": "BIGINT",
    "written_ns": "BIGINT",
    "case_count": "BIGINT",
    "summary": "VARCHAR",  # JSON: {metric: aggregate value}
    "gates": "VARCHAR",  # JSON: [{"gate", "passed", "value", "detail"}]
    "mlflow_run_id": "VARCHAR",
    "_resume_key": "VARCHAR",  # stored as the derived column resume_key (below)
}

# Columns added after the first release are derived ones: a Parquet segment written before them
# reads them as NULL (one that lacks a kept column is a segment of another schema, left out).
EVAL_RUN_DERIVED: dict[str, str] = {
    # What a rerun resumes by (see Target.resume_key); NULL on older runs, which never resume.
    "resume_key": "_resume_key",
}

EVAL_CASE_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "case_id": "VARCHAR",
    "case_index": "BIGINT",
    "suite_hash": "VARCHAR",
    "config_version": "VARCHAR",
    "status": "VARCHAR",  # ok | error | timeout
    "error": "VARCHAR",
    "input": "VARCHAR",  # JSON
    "output": "VARCHAR",  # JSON
    "contexts": "VARCHAR",  # JSON list of strings
    "expected": "VARCHAR",  # JSON
    "metadata": "VARCHAR",  # JSON
    "latency_ms": "DOUBLE",
    "input_tokens": "BIGINT",
    "output_tokens": "BIGINT",
    "cost_usd": "DOUBLE",
    "cost_source": "VARCHAR",
    "guardrail_findings": "BIGINT",
    "attempts": "BIGINT",
    "trace_id": "VARCHAR",
    "finished_ns": "BIGINT",
}

EVAL_SCORE_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "case_id": "VARCHAR",
    "metric": "VARCHAR",
    "value": "DOUBLE",
    "passed": "BOOLEAN",
    "status": "VARCHAR",  # ok | error | skipped
    "details": "VARCHAR",  # JSON
    "written_ns": "BIGINT",
}

_RUNS_VIEW = """
SELECT * EXCLUDE (written_ns),
       make_timestamp(started_ns // 1000) AS started_at,
       make_timestamp(finished_ns // 1000) AS finished_at
FROM eval_run_rows
QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY written_ns DESC) = 1
"""

# A resumed run appends a case (and its scores) again; the views keep the latest.
_CASES_VIEW = """
SELECT * FROM eval_case_rows
QUALIFY row_number() OVER (PARTITION BY run_id, case_id ORDER BY finished_ns DESC) = 1
"""
_SCORES_VIEW = """
SELECT * EXCLUDE (written_ns) FROM eval_score_rows
QUALIFY row_number() OVER (PARTITION BY run_id, case_id, metric ORDER BY written_ns DESC) = 1
"""

EVAL_RUNS = TableSpec(
    name="eval_runs",
    columns=EVAL_RUN_COLUMNS,
    derived=EVAL_RUN_DERIVED,
    raw_view="eval_run_rows",
    views={"eval_runs": _RUNS_VIEW},
)
EVAL_CASES = TableSpec(
    name="eval_cases",
    columns=EVAL_CASE_COLUMNS,
    raw_view="eval_case_rows",
    views={"eval_cases": _CASES_VIEW},
)
EVAL_SCORES = TableSpec(
    name="eval_scores",
    columns=EVAL_SCORE_COLUMNS,
    raw_view="eval_score_rows",
    views={"eval_scores": _SCORES_VIEW},
)

TABLES = (EVAL_RUNS, EVAL_CASES, EVAL_SCORES)

register_tables(*TABLES)

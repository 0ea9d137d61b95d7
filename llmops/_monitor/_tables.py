"""The monitoring tables: online scores, drift alerts and the actions taken on them.

Declared on import and named in the ``llmops.tables`` entry-point group, so that
``llmops.query()``, ``llmops sql``, the UI and ``llmops server`` see them in a process that never
imported monitoring. Rows are appended as batch files like every table (``llmops._store``):
several scorers and checkers may run at once, and a ``kill -9`` loses only the batch in flight.

``monitor_scores``
    One row per (trace, metric) scored by ``llmops monitor run``: the trace's config name and
    version and start time (so windows need no join), the ``value`` (the hallucination
    detector's unsupported-claim fraction, a metric's score), a ``label``, ``passed`` (NULL when
    the trace could not be scored), ``status`` (``ok``, ``not_scorable`` or ``error``), an
    ``explanation``, the ``scorer`` (which detector, model version) and the ``rule`` that chose
    the trace (``sampled``, ``error``...). A trace scored again (a rerun after a crash between
    writing and checkpointing) keeps its latest row per metric in the view.

    The metric ``success`` is derived per scored trace: no span in error and every other scored
    metric passed.

``monitor_alerts``
    One row per alert raised by ``llmops monitor check``: version, metric, baseline and current
    values, the current value's interval, the p-value and the test's false-alarm rate, and a few
    trace ids from the window that drifted.

``monitor_actions``
    What ``llmops monitor canary --apply`` did (promote, roll back, hold), and why.

``monitor_cursors``
    Where each scorer (a name and its rules' hash) stopped: the end time of the last trace it
    considered. A checkpoint only: traces are never scored twice because scored ones are skipped.

``version_series`` (a view)
    Per config version and hour: traces, errors, tokens, cost, latency, guardrail findings, and,
    from the scores, hallucination and success rates and the cost per successful task.
"""

from __future__ import annotations

import llmops._spanstore  # noqa: F401  (the spans' views come first: the series view reads them)
from llmops._monitor._series import series_sql
from llmops._store import TableSpec
from llmops._tables import register_tables

SCORE_COLUMNS: dict[str, str] = {
    "trace_id": "VARCHAR",
    "config_name": "VARCHAR",
    "config_version": "VARCHAR",
    "trace_start_ns": "BIGINT",
    "metric": "VARCHAR",
    "value": "DOUBLE",
    "label": "VARCHAR",
    "passed": "BOOLEAN",
    "status": "VARCHAR",  # ok | not_scorable | error
    "explanation": "VARCHAR",
    "scorer": "VARCHAR",
    "rule": "VARCHAR",
    "written_ns": "BIGINT",
}

ALERT_COLUMNS: dict[str, str] = {
    "alert_id": "VARCHAR",
    "checked_ns": "BIGINT",
    "config_name": "VARCHAR",
    "config_version": "VARCHAR",
    "metric": "VARCHAR",
    "baseline": "VARCHAR",  # what the window was compared with: "before", "NAME@VERSION"
    "baseline_value": "DOUBLE",
    "baseline_n": "BIGINT",
    "current_value": "DOUBLE",
    "current_low": "DOUBLE",
    "current_high": "DOUBLE",
    "current_n": "BIGINT",
    "p_value": "DOUBLE",
    "alpha": "DOUBLE",
    "window_start_ns": "BIGINT",
    "window_end_ns": "BIGINT",
    "trace_ids": "VARCHAR",  # JSON list: traces of the drifted window (the failing ones first)
    "message": "VARCHAR",
}

ACTION_COLUMNS: dict[str, str] = {
    "action_id": "VARCHAR",
    "at_ns": "BIGINT",
    "kind": "VARCHAR",  # promote | rollback | hold
    "config_name": "VARCHAR",
    "candidate": "VARCHAR",  # NAME@VERSION
    "against": "VARCHAR",  # NAME@VERSION
    "verdict": "VARCHAR",
    "applied": "BOOLEAN",
    "detail": "VARCHAR",  # JSON: the comparison per metric, what was changed
    "actor": "VARCHAR",
}

CURSOR_COLUMNS: dict[str, str] = {
    "scorer": "VARCHAR",
    "watermark_ns": "BIGINT",  # end time of the newest trace considered
    "considered": "BIGINT",
    "written_ns": "BIGINT",
}

_SCORES_VIEW = """
SELECT * EXCLUDE (written_ns), make_timestamp(written_ns // 1000) AS scored_at,
       make_timestamp(trace_start_ns // 1000) AS trace_start
FROM monitor_score_rows
QUALIFY row_number() OVER (PARTITION BY trace_id, metric ORDER BY written_ns DESC) = 1
"""

_ALERTS_VIEW = """
SELECT *, make_timestamp(checked_ns // 1000) AS checked_at FROM monitor_alert_rows
"""

_ACTIONS_VIEW = """
SELECT *, make_timestamp(at_ns // 1000) AS at FROM monitor_action_rows
"""

_CURSORS_VIEW = """
SELECT scorer, max(watermark_ns) AS watermark_ns, sum(considered) AS considered,
       make_timestamp(max(written_ns) // 1000) AS updated_at
FROM monitor_cursor_rows GROUP BY scorer
"""

MONITOR_SCORES = TableSpec(
    name="monitor_scores",
    columns=SCORE_COLUMNS,
    raw_view="monitor_score_rows",
    views={"monitor_scores": _SCORES_VIEW, "version_series": series_sql("INTERVAL 1 HOUR")},
)
MONITOR_ALERTS = TableSpec(
    name="monitor_alerts",
    columns=ALERT_COLUMNS,
    raw_view="monitor_alert_rows",
    views={"monitor_alerts": _ALERTS_VIEW},
)
MONITOR_ACTIONS = TableSpec(
    name="monitor_actions",
    columns=ACTION_COLUMNS,
    raw_view="monitor_action_rows",
    views={"monitor_actions": _ACTIONS_VIEW},
)
MONITOR_CURSORS = TableSpec(
    name="monitor_cursors",
    columns=CURSOR_COLUMNS,
    raw_view="monitor_cursor_rows",
    views={"monitor_cursors": _CURSORS_VIEW},
)

TABLES = (MONITOR_SCORES, MONITOR_ALERTS, MONITOR_ACTIONS, MONITOR_CURSORS)

register_tables(*TABLES)

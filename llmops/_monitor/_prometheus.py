"""The per-version series in Prometheus' text format, for ``llmops server``'s ``/metrics``.

Gauges over the traces of the last ``window`` (default one hour), one sample per config name and
version (labels ``config_name``, ``config_version``), from the same SQL as ``version_series``:
traces, error rate, hallucination rate, success rate, cost per successful task, cost, tokens,
p50/p95 latency (seconds) and guardrail findings. ``llmops_monitor_alerts_total`` counts the
stored alerts per version and metric (a counter: alerts are only ever added), so Alertmanager
can page on ``increase(llmops_monitor_alerts_total[10m]) > 0``; ``docs/alerts.yml`` has rules.

Computing the series reads the store, so a result is kept for ``ttl_s`` (15 s): scrapes closer
together than that cost nothing, and a burst of scrapers cannot load the store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from llmops._internal import prometheus_family as _family
from llmops._monitor._series import SINCE_NS, series_sql

# (metric name, column, help, scale): gauges per version.
_GAUGES: tuple[tuple[str, str, str, float], ...] = (
    ("traces", "traces", "Traces in the window.", 1.0),
    ("error_rate", "error_rate", "Share of traces with a span in error.", 1.0),
    ("hallucination_rate", "hallucination_rate", "Hallucinated among scored traces.", 1.0),
    ("success_rate", "success_rate", "Successful among scored traces.", 1.0),
    ("cost_per_success_usd", "cost_per_success", "Cost of scored traces per success.", 1.0),
    ("cost_usd", "cost_usd", "Cost of the window's traces.", 1.0),
    ("input_tokens", "input_tokens", "Input tokens of the window's traces.", 1.0),
    ("output_tokens", "output_tokens", "Output tokens of the window's traces.", 1.0),
    ("latency_p50_seconds", "p50_ms", "Median trace duration.", 1e-3),
    ("latency_p95_seconds", "p95_ms", "95th percentile of trace duration.", 1e-3),
    ("guardrail_findings", "guardrail_findings", "Guardrail detector hits.", 1.0),
    ("scored_traces", "scored_traces", "Traces scored online.", 1.0),
)


class VersionMetrics:
    """The per-version gauges and alert counters of one store, cached for ``ttl_s``."""

    def __init__(
        self, store_dir: Path, *, window: timedelta = timedelta(hours=1), ttl_s: float = 15.0
    ) -> None:
        self.store_dir = Path(store_dir)
        self.window = window
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._text = ""
        self._at = -float("inf")

    def text(self) -> str:
        """The series, recomputed when older than ``ttl_s``."""
        with self._lock:
            if time.monotonic() - self._at >= self.ttl_s:
                self._text = "".join(self._lines())
                self._at = time.monotonic()
            return self._text

    def _lines(self) -> Iterator[str]:
        series, alerts = self._read()
        minutes = self.window // timedelta(minutes=1)
        for name, column, help_text, scale in _GAUGES:
            samples = [
                (_labels(row), row[column] * scale) for row in series if row[column] is not None
            ]
            yield from _family(
                f"llmops_version_{name}", "gauge", f"{help_text} Last {minutes} min.", samples
            )
        yield from _family(
            "llmops_monitor_alerts_total",
            "counter",
            "Drift alerts raised by `llmops monitor check`, per version and metric.",
            [(_labels(row) + f',metric="{_escape(row["metric"])}"', row["n"]) for row in alerts],
        )

    def _read(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        from llmops._query import dict_rows
        from llmops._spanstore import open_store

        since = (datetime.now(UTC) - self.window).replace(tzinfo=None)
        whole = timedelta(days=36_500) // timedelta(microseconds=1)  # one window per version
        sql = series_sql("to_microseconds($whole)", "start_time >= $since", SINCE_NS)
        with open_store(self.store_dir).connection() as con:
            series = dict_rows(con.execute(sql, {"whole": whole, "since": since}))
            alerts = dict_rows(
                con.execute(
                    "SELECT config_name, config_version, metric, count(*) AS n "
                    "FROM monitor_alerts GROUP BY ALL ORDER BY ALL"
                )
            )
        return series, alerts


def _escape(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(row: dict[str, Any]) -> str:
    return (
        f'config_name="{_escape(row["config_name"])}",'
        f'config_version="{_escape(row["config_version"])}"'
    )

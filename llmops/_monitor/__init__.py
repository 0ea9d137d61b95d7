"""Production monitoring: online scoring of live traces, per-version series, drift checks,
alerts and canary analysis (``llmops monitor``)."""

from __future__ import annotations

from llmops._monitor._scoring import OnlineScorer, Rules, RunStats
from llmops._monitor._series import SERIES_COLUMNS, parse_duration, version_series
from llmops._monitor._tables import TABLES

__all__ = [
    "SERIES_COLUMNS",
    "TABLES",
    "OnlineScorer",
    "Rules",
    "RunStats",
    "parse_duration",
    "version_series",
]

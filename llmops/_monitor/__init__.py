"""Production monitoring (issue 19, first slice): per-version time series over the stored traces.

What exists: the ``version_series`` view (hourly windows) and :func:`version_series` (any window),
printed by ``llmops monitor status``. What does not yet: online scoring of live traces, drift
checks, alerts, canary analysis, ``/metrics`` series and the UI's charts.
"""

from __future__ import annotations

from llmops._monitor._series import (
    SERIES_COLUMNS,
    TABLES,
    parse_duration,
    version_series,
)

__all__ = ["SERIES_COLUMNS", "TABLES", "parse_duration", "version_series"]

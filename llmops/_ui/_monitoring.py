"""The monitoring page: per config name, each version's series as charts, and the drift alerts.

``/monitor?window=1h&since=24h&config=NAME`` charts the hallucination rate, the cost per
successful task, the p95 latency and the error rate of every config version, one line a
version, window by window (``llmops._monitor``'s series SQL, run over the UI's store). Alerts of
``llmops monitor check`` are flagged on the chart of their metric at the time of the check and
listed below, each linked to its traces. The compare page draws the same charts for its two
versions (:func:`compare_charts`); the trace page lists a trace's online scores
(:func:`trace_scores`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from llmops._ui._charts import Chart, Line, Mark, line_chart
from llmops._ui._data import BadRequest, StoreReader
from llmops._ui._trace import loads
from llmops._ui._web import fmt_ms, fmt_num, fmt_usd

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from llmops._ui._compare import ConfigSides
    from llmops._ui._web import Handler, Renderer

MAX_WINDOWS = 1000
MAX_ALERTS = 200
MAX_ALERT_TRACES = 50  # trace ids in one alert's link
RUN_HINT = "score traces online with llmops monitor run"


def fmt_pct(value: float | None) -> str:
    """A rate as a percentage: ``12.5%``."""
    return "–" if value is None else f"{fmt_num(value * 100, 3)}%"


# The charts: a column of the series, its title, how its values read, and when it is empty.
METRICS: tuple[tuple[str, str, Callable[[float | None], str], str], ...] = (
    ("hallucination_rate", "Hallucination rate", fmt_pct, f"no scored traces: {RUN_HINT}"),
    ("cost_per_success", "Cost per successful task", fmt_usd, f"no scored traces: {RUN_HINT}"),
    ("p95_ms", "p95 latency", fmt_ms, "no traces"),
    ("error_rate", "Error rate", fmt_pct, "no traces"),
)
_FORMATS = {key: fmt for key, _, fmt, _ in METRICS}
# The chart an alert of ``llmops monitor check`` is marked on: its metric's, and a drift of the
# task failure rate on the cost per successful task (the rate it divides by).
_ALERT_CHARTS = {key: key for key, *_ in METRICS} | {"failure_rate": "cost_per_success"}


@dataclass(frozen=True)
class TimeRange:
    """The windows a page charts: ``window`` long each, over the last ``since``."""

    window: str
    since: str
    window_length: timedelta
    since_length: timedelta

    @classmethod
    def from_query(
        cls, params: Mapping[str, str], *, window: str = "1h", since: str = "24h"
    ) -> TimeRange:
        """Read ``window`` and ``since``; ``BadRequest`` naming the bad one."""
        from llmops._monitor import parse_duration

        texts = {"window": window, "since": since}
        lengths = {}
        for name, default in texts.items():
            texts[name] = (params.get(name) or "").strip() or default
            try:
                lengths[name] = parse_duration(texts[name])
            except ValueError as exc:
                raise BadRequest(f"{name}={texts[name]!r}: {exc}") from None
        if lengths["window"] > lengths["since"]:
            raise BadRequest(f"window={texts['window']} is longer than since={texts['since']}")
        if lengths["since"] / lengths["window"] > MAX_WINDOWS:
            raise BadRequest(
                f"window={texts['window']} over since={texts['since']} makes more than "
                f"{MAX_WINDOWS} windows: choose a longer window or a shorter range"
            )
        return cls(texts["window"], texts["since"], lengths["window"], lengths["since"])

    def cutoff(self) -> datetime:
        """The oldest moment charted (naive UTC, as the store's times)."""
        return self.domain()[0]

    def domain(self) -> tuple[datetime, datetime]:
        """The time axis: from ``since`` ago to now (naive UTC)."""
        now = datetime.now(UTC).replace(tzinfo=None)
        return now - self.since_length, now


def series(
    reader: StoreReader, span: TimeRange, where: str = "", params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The per-version series over ``span``, oldest window first; ``where`` (on the ``traces``
    view, ``$name`` parameters from ``params``) narrows the traces."""
    from llmops._monitor._series import SINCE_NS, series_sql
    from llmops._query import dict_rows

    condition = "start_time >= $since" + (f" AND ({where})" if where else "")
    sql = series_sql("to_microseconds($window)", condition, SINCE_NS)
    bound = {"window": span.window_length // timedelta(microseconds=1), "since": span.cutoff()}
    with reader.connection() as con:
        cursor = con.execute(
            f"{sql} ORDER BY window_start, config_name, config_version", {**(params or {}), **bound}
        )
        return dict_rows(cursor)


def config_names(reader: StoreReader) -> list[str]:
    """The config names that traces carry."""
    rows = reader.rows(
        "SELECT DISTINCT config_name FROM span_rows WHERE config_name IS NOT NULL ORDER BY 1"
    )
    return [str(row["config_name"]) for row in rows]


def version_ref(name: str | None, version: str) -> str:
    """``NAME@VERSION-PREFIX`` as the traces list's config filter reads it."""
    return f"{name}@{version[:12]}" if name else version[:12]


def alert_view(alert: dict[str, Any]) -> dict[str, Any]:
    """An alert row with its values formatted for its metric and a link to its traces."""
    fmt = _FORMATS.get(_ALERT_CHARTS.get(alert["metric"], ""), fmt_num)
    trace_ids = loads(alert.get("trace_ids"), [])
    if not isinstance(trace_ids, list):
        trace_ids = []
    trace_ids = [str(t) for t in trace_ids][:MAX_ALERT_TRACES]
    ref = version_ref(alert["config_name"], alert["config_version"] or "")
    href = f"/?{urlencode({'ids': ','.join(trace_ids)})}" if trace_ids else f"/?config={ref}"
    low, high = alert.get("current_low"), alert.get("current_high")
    interval = f"[{fmt(low)}, {fmt(high)}]" if low is not None and high is not None else ""
    summary = (
        f"{ref} {alert['metric']}: {fmt(alert['baseline_value'])} → "
        f"{fmt(alert['current_value'])} {interval}"
    ).strip()
    return {
        **alert,
        "ref": ref,
        "chart": _ALERT_CHARTS.get(alert["metric"]),
        "trace_list": trace_ids,
        "traces_href": href,
        "baseline_shown": fmt(alert["baseline_value"]),
        "current_shown": fmt(alert["current_value"]),
        "interval_shown": interval,
        "summary": summary,
    }


def list_alerts(
    reader: StoreReader, since: datetime, config: str | None = None
) -> list[dict[str, Any]]:
    """The alerts checked since ``since`` (of one config name, if given), newest first."""
    where, params = "checked_at >= ?", list[Any]([since])
    if config:
        where += " AND config_name = ?"
        params.append(config)
    rows = reader.rows(
        f"SELECT * FROM monitor_alerts WHERE {where} ORDER BY checked_ns DESC LIMIT ?",
        [*params, MAX_ALERTS],
    )
    return [alert_view(row) for row in rows]


def _charts(
    lines: dict[str, list[dict[str, Any]]],
    labels: dict[str, Line],
    alerts: Sequence[dict[str, Any]],
    domain: tuple[datetime, datetime] | None,
) -> list[Chart]:
    """The four charts of ``lines`` (version → its rows), on ``domain`` (default: the data's)."""
    charts = []
    for key, title, fmt, empty in METRICS:
        drawn = [
            Line(
                labels[version].label,
                [(row["window_start"], row[key]) for row in rows],
                labels[version].title,
            )
            for version, rows in lines.items()
        ]
        marks = [
            Mark(a["checked_at"], a["summary"], a["traces_href"])
            for a in alerts
            if a["chart"] == key and a["config_version"] in lines
        ]
        charts.append(line_chart(key, title, drawn, marks, fmt=fmt, empty=empty, domain=domain))
    return charts


@dataclass(frozen=True)
class Section:
    """One config name's charts: a legend line per version, the four charts, its alerts."""

    name: str
    legend: list[Line]
    charts: list[Chart]
    alerts: list[dict[str, Any]]


def _by_version(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows grouped by config version, versions in the order they first appear (oldest first)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["config_version"], []).append(row)
    return grouped


def sections(
    rows: Sequence[dict[str, Any]], alerts: Sequence[dict[str, Any]], span: TimeRange
) -> list[Section]:
    """The page's sections, one per config name (by name)."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["config_name"] or "", []).append(row)
    found = []
    for name in sorted(by_name):
        lines = _by_version(by_name[name])
        labels = {
            v: Line(f"@{v[:12]}", [], f"{name}@{v}", f"/?config={version_ref(name, v)}")
            for v in lines
        }
        own = [a for a in alerts if (a["config_name"] or "") == name]
        found.append(
            Section(name, list(labels.values()), _charts(lines, labels, own, span.domain()), own)
        )
    return found


def monitor_page(reader: StoreReader, renderer: Renderer) -> Handler:
    """The ``/monitor`` handler."""

    def handler(request: Request) -> Response:
        span = TimeRange.from_query(request.query_params)
        config = (request.query_params.get("config") or "").strip()
        names = config_names(reader)
        if config and config not in names:
            known = ", ".join(names) or "none"
            raise BadRequest(f"config={config!r}: no stored trace carries it (known: {known})")
        where, params = ("config_name = $config", {"config": config}) if config else ("", {})
        rows = series(reader, span, where, params)
        alerts = list_alerts(reader, span.cutoff(), config or None)
        return renderer.page(
            "monitor.html",
            title="Monitoring",
            nav="monitor",
            span=span,
            config=config,
            names=names,
            sections=sections(rows, alerts, span),
            alerts=alerts,
        )

    return handler


@dataclass(frozen=True)
class VersionCharts:
    """The compare page's charts of its two versions, or why there are none."""

    legend: list[Line]
    charts: list[Chart]
    span: TimeRange


def compare_charts(
    reader: StoreReader, sides: ConfigSides, span: TimeRange
) -> VersionCharts | None:
    """The series of the two compared versions (only those), ``None`` when neither has any; the
    time axis spans the windows where they ran."""
    conditions, params, refs = [], {}, []
    for key, label, side in (("a", "A", sides.a), ("b", "B", sides.b)):
        if side.version is None:
            continue
        condition = f"starts_with(config_version, ${key}_version)"
        params[f"{key}_version"] = side.version
        if side.name:
            condition += f" AND config_name = ${key}_name"
            params[f"{key}_name"] = side.name
        conditions.append(f"({condition})")
        refs.append((label, side))
    if not conditions:
        return None
    rows = series(reader, span, " OR ".join(conditions), params)
    lines: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, Line] = {}
    for label, side in refs:
        assert side.version is not None
        own = [
            r
            for r in rows
            if r["config_version"].startswith(side.version)
            and (not side.name or r["config_name"] == side.name)
        ]
        if own and own[0]["config_version"] not in lines:
            version = own[0]["config_version"]
            lines[version] = own
            ref = version_ref(own[0]["config_name"], version)
            labels[version] = Line(f"{label} · {ref}", [], version, f"/?config={ref}")
    if not lines:
        return None
    names = {r["config_name"] for r in rows}
    alerts = [a for a in list_alerts(reader, span.cutoff()) if a["config_name"] in names]
    return VersionCharts(list(labels.values()), _charts(lines, labels, alerts, None), span)


def trace_scores(reader: StoreReader, trace_id: str) -> list[dict[str, Any]]:
    """The online scores of one trace (``llmops monitor run``), by metric."""
    return reader.rows(
        "SELECT metric, value, label, passed, status, explanation, scorer, rule, scored_at "
        "FROM monitor_scores WHERE trace_id = ? ORDER BY metric",
        [trace_id],
    )

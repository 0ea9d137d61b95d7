"""``llmops monitor check``: has a config version drifted? A windowed test per version and metric.

For each config version, the latest window (its last N traces, or the traces of the last
duration) is compared with a baseline: the same version's first traces before the window (at
most ``baseline`` of them: frozen, so that a slow drift does not become its own baseline), or
another version's (``against``, e.g. production for a canary). The
metrics: error rate, p95 latency (every trace), hallucination rate and task failure rate (the
traces ``llmops monitor run`` scored; a trace the detector could not score counts for neither
side). Each metric is tested one-sided with the exact conditional tests of ``._drift`` at
``alpha / metrics`` (Bonferroni), so a check raises a false alarm for a version that did not
change with probability at most ``alpha``.

An alert names the version, the metric, the baseline value and the current value with its 95%
interval, and the window's traces (failing ones first). Alerts are stored (``monitor_alerts``,
shown in the UI), appended to a file and posted to a webhook (Slack-compatible JSON) when asked.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from llmops._errors import ConfigError
from llmops._internal import logger
from llmops._monitor._drift import DEFAULT_ALPHA, DriftTest, quantile_drift, rate_drift
from llmops._monitor._series import VERDICTS_SQL, traces_source

MIN_BASELINE = 30  # observations a baseline needs before a metric is tested
DEFAULT_BASELINE = 1000
_TRACE_IDS = 20  # trace ids kept per alert


@dataclass(frozen=True)
class Alert:
    """A metric of a config version that got worse than its baseline."""

    config_name: str
    config_version: str
    metric: str
    baseline: str  # "before" or NAME@VERSION
    test: DriftTest
    window_start_ns: int
    window_end_ns: int
    trace_ids: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"{self.config_name}@{self.config_version[:12]}"

    def message(self) -> str:
        t = self.test
        fmt = _fmt(self.metric)
        return (
            f"{self.ref} {self.metric}: baseline {fmt(t.baseline_value)} (n={t.baseline_n}, "
            f"{self.baseline}) → current {fmt(t.current_value)} "
            f"[{fmt(t.current_low)}, {fmt(t.current_high)}] (n={t.current_n}), "
            f"p={t.p_value:.2g} ≤ α={t.alpha:.2g}"
        )

    def row(self, checked_ns: int) -> dict[str, Any]:
        t = self.test
        return {
            "alert_id": uuid.uuid4().hex,
            "checked_ns": checked_ns,
            "config_name": self.config_name,
            "config_version": self.config_version,
            "metric": self.metric,
            "baseline": self.baseline,
            "baseline_value": t.baseline_value,
            "baseline_n": t.baseline_n,
            "current_value": t.current_value,
            "current_low": t.current_low,
            "current_high": t.current_high,
            "current_n": t.current_n,
            "p_value": t.p_value,
            "alpha": t.alpha,
            "window_start_ns": self.window_start_ns,
            "window_end_ns": self.window_end_ns,
            "trace_ids": orjson.dumps(list(self.trace_ids)).decode(),
            "message": self.message(),
        }


@dataclass
class CheckReport:
    """What a check tested, what drifted, and what it could not test (and why)."""

    alpha: float
    tests: list[tuple[str, DriftTest]] = field(default_factory=list)  # (NAME@VERSION, test)
    alerts: list[Alert] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _fmt(metric: str) -> Any:
    if metric.endswith("_ms"):
        return lambda v: f"{v:.1f} ms"
    return lambda v: f"{v:.1%}"


@dataclass(frozen=True)
class TraceView:
    trace_id: str
    start_ns: int
    duration_ms: float
    failed: bool
    hallucinated: bool | None
    succeeded: bool | None
    cost_usd: float | None


def load_traces(config: str | None, since_ns: int | None) -> dict[tuple[str, str], list[TraceView]]:
    """Every version's traces in start order, with their online verdicts."""
    from llmops._query import query

    conditions = ["t.config_version IS NOT NULL", "t.root_name <> 'eval.case'"]
    params: dict[str, Any] = {}
    if config is not None:
        conditions.append("t.config_name = $config")
        params["config"] = config
    if since_ns is not None:
        conditions.append("t.start_time >= make_timestamp($since // 1000)")
        params["since"] = since_ns
    rows = query(
        f"""
        WITH s AS ({VERDICTS_SQL})
        SELECT t.trace_id, t.config_name, t.config_version,
               epoch_us(t.start_time) * 1000 AS start_ns, t.duration_ms,
               t.error_count > 0 AS failed, s.hallucinated, s.succeeded, t.cost_usd
        FROM {traces_source(None if since_ns is None else "$since")} t LEFT JOIN s USING (trace_id)
        WHERE {" AND ".join(conditions)}
        ORDER BY t.start_time, t.trace_id
        """,
        params,
    )
    versions: dict[tuple[str, str], list[TraceView]] = {}
    for r in rows:
        versions.setdefault((r["config_name"], r["config_version"]), []).append(
            TraceView(
                r["trace_id"],
                r["start_ns"],
                r["duration_ms"],
                r["failed"],
                r["hallucinated"],
                r["succeeded"],
                r["cost_usd"],
            )
        )
    return versions


# metric -> what a trace shows of it (None: not observed); True, or a higher value, is worse
_METRICS: dict[str, Any] = {
    "error_rate": lambda t: t.failed,
    "hallucination_rate": lambda t: t.hallucinated,
    "failure_rate": lambda t: None if t.succeeded is None else not t.succeeded,
    "p95_ms": lambda t: t.duration_ms,
}


def check(
    *,
    window: int | timedelta = 100,
    config: str | None = None,
    against: str | None = None,
    baseline: int = DEFAULT_BASELINE,
    alpha: float = DEFAULT_ALPHA,
    since: timedelta | None = timedelta(days=7),
) -> CheckReport:
    """Test every config version's latest window against its baseline.

    Args:
        window: The last N traces of each version (N observations of each metric), or the
            traces of the last duration.
        config: Only this config name.
        against: Compare with this version's traces (``NAME@VERSION``, a version prefix, or
            ``NAME@ALIAS`` resolved by the registry) instead of each version's own past.
        baseline: At most this many traces: the version's first ones before the window, or the
            latest of ``against``.
        alpha: False-alarm probability of one check of one version (split over its metrics).
        since: Only traces this recent.

    Raises:
        ConfigError: An unknown config or ``against``; a window no version fills.
    """
    if isinstance(window, int) and window < 1:
        raise ConfigError(f"--window {window}: give a number of traces >= 1 or a duration")
    if baseline < MIN_BASELINE:
        raise ConfigError(f"--baseline {baseline}: needs at least {MIN_BASELINE} traces")
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"--alpha {alpha}: must be between 0 and 1")
    since_ns = None if since is None else time.time_ns() - since // timedelta(microseconds=1) * 1000
    versions = load_traces(None, since_ns)
    names = sorted({name for name, _ in versions})
    if config is not None and config not in names:
        raise ConfigError(
            f"unknown config {config!r}: no trace of it in the checked period"
            f" (known: {', '.join(names) or 'none'})"
        )
    reference: tuple[str, list[TraceView]] | None = None
    skip: tuple[str, str] | None = None
    if against is not None:
        skip = resolve_version(against, versions)
        reference = (f"{skip[0]}@{skip[1][:12]}", versions[skip])
    report = CheckReport(alpha=alpha)
    most = 0
    for (name, version), traces in sorted(versions.items()):
        if (config is not None and name != config) or (name, version) == skip:
            continue
        most = max(most, len(traces))
        _check_version(report, (name, version), traces, reference, window, baseline)
    if not report.tests and isinstance(window, int) and most < window + MIN_BASELINE:
        raise ConfigError(
            f"--window {window} is larger than the data: the most traces any version has is "
            f"{most}, and a window needs {MIN_BASELINE} more before it as a baseline"
        )
    return report


def observed(traces: list[TraceView], metric: str) -> list[tuple[TraceView, Any]]:
    observe = _METRICS[metric]
    return [(t, v) for t in traces if (v := observe(t)) is not None]


def _check_version(
    report: CheckReport,
    key: tuple[str, str],
    traces: list[TraceView],
    reference: tuple[str, list[TraceView]] | None,
    window: int | timedelta,
    baseline: int,
) -> None:
    """Test each metric of one version; the tests share ``alpha`` (Bonferroni)."""
    ref = f"{key[0]}@{key[1][:12]}"
    planned: list[tuple[str, list[tuple[TraceView, Any]], list[Any]]] = []
    for metric in _METRICS:
        seen = observed(traces, metric)
        if isinstance(window, timedelta):
            cut = traces[-1].start_ns - window // timedelta(microseconds=1) * 1000
            index = next((i for i, (t, _) in enumerate(seen) if t.start_ns >= cut), len(seen))
        else:
            index = max(len(seen) - window, 0)
        # A frozen baseline: the version's first traces. A sliding one would take in a slow
        # drift and stop seeing it (benchmarks/bench_monitor.py: 5%->12% caught within 500
        # traces in 58% of streams with the last 1,000 before the window, 84% with the first).
        now, own_past = seen[index:], [v for _, v in seen[:index]]
        label, past = "before", own_past[:baseline]
        if reference is not None:
            label = reference[0]
            past = [v for _, v in observed(reference[1], metric)][-baseline:]
        if not seen:
            continue  # never observed (a version nobody scored): nothing to say
        if isinstance(window, int) and len(now) < window:
            report.skipped.append(f"{ref} {metric}: {len(now)} observations < window {window}")
        elif len(past) < MIN_BASELINE or not now:
            report.skipped.append(f"{ref} {metric}: the baseline ({label}) has {len(past)}")
        else:
            planned.append((metric, now, past))
    if not planned:
        return
    alpha = report.alpha / len(planned)
    for metric, now, past in planned:
        values = [v for _, v in now]
        if metric == "p95_ms":
            test = quantile_drift(metric, values, past, q=0.95, alpha=alpha)
            ordered = [t for t, _ in sorted(now, key=lambda tv: -tv[1])]
        else:
            test = rate_drift(metric, sum(values), len(values), sum(past), len(past), alpha=alpha)
            ordered = [t for t, v in now if v] + [t for t, v in now if not v]
        report.tests.append((ref, test))
        if test.drifted:
            starts = [t.start_ns for t, _ in now]
            report.alerts.append(
                Alert(
                    key[0],
                    key[1],
                    metric,
                    label,
                    test,
                    min(starts),
                    max(starts),
                    tuple(t.trace_id for t in ordered[:_TRACE_IDS]),
                )
            )


def resolve_version(ref: str, versions: dict[tuple[str, str], list[TraceView]]) -> tuple[str, str]:
    """A stored version from ``NAME@VERSION`` (a prefix will do) or ``NAME@ALIAS``."""
    name, sep, version = ref.rpartition("@")
    if not sep or not name or not version:
        raise ConfigError(f"--against {ref!r}: expected NAME@VERSION or NAME@ALIAS")
    matches = [k for k in versions if k[0] == name and k[1].startswith(version)]
    if not matches:
        try:
            from llmops._registry import configs

            resolved = configs().resolve(ref).version
        except ConfigError as exc:
            raise ConfigError(f"--against {ref!r}: no stored version, and {exc}") from None
        matches = [k for k in versions if k == (name, resolved)]
        if not matches:
            raise ConfigError(f"--against {ref!r} is {resolved[:12]}, which has no traces")
    if len(matches) > 1:
        raise ConfigError(f"--against {ref!r}: {len(matches)} versions start so; give more")
    return matches[0]


# --- where alerts go ----------------------------------------------------------------------------


def record_alerts(
    alerts: Sequence[Alert], *, checked_ns: int | None = None
) -> list[dict[str, Any]]:
    """Store the alerts (``monitor_alerts``); returns their rows."""
    from llmops._monitor._scoring import append_rows

    checked_ns = time.time_ns() if checked_ns is None else checked_ns
    rows = [alert.row(checked_ns) for alert in alerts]
    append_rows("monitor_alerts", rows)
    return rows


def write_alert_file(path: str, rows: Sequence[dict[str, Any]]) -> None:
    """Append the alerts to ``path`` as JSON lines."""
    with open(path, "ab") as out:
        for row in rows:
            out.write(orjson.dumps(row) + b"\n")


def post_webhook(
    url: str, rows: Sequence[dict[str, Any]], *, tries: int = 3, timeout_s: float = 5.0
) -> bool:
    """POST the alerts as JSON (``text`` for Slack, ``alerts`` for machines), retrying with
    backoff; a webhook that stays down is logged and the check goes on. True when delivered."""
    import urllib.error
    import urllib.request

    body = orjson.dumps(
        {
            "text": "llmops drift: " + "; ".join(str(r["message"]) for r in rows),
            "alerts": [{k: v for k, v in r.items() if k != "trace_ids"} | _ids(r) for r in rows],
        }
    )
    request = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json"}, method="POST"
    )
    for attempt in range(tries):
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                if 200 <= response.status < 300:
                    return True
                why = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
        if attempt + 1 < tries:
            time.sleep(0.5 * 2**attempt)
    logger.warning("llmops monitor: webhook %s failed after %d tries: %s", url, tries, why)
    return False


def _ids(row: dict[str, Any]) -> dict[str, Any]:
    return {"trace_ids": orjson.loads(row["trace_ids"])}


def report_json(report: CheckReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "alpha": report.alpha,
        "tests": [{"version": ref, **asdict(test)} for ref, test in report.tests],
        "alerts": [a.message() for a in report.alerts],
        "skipped": report.skipped,
    }

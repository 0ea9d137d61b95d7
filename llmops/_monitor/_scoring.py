"""Online scoring: ``llmops monitor run`` scores the traces that arrive in the store.

A trace is a candidate once its root span has ended (and ``settle_s`` has passed, so that spans
still in flight from other processes arrive). The :class:`Rules` choose which candidates are
scored: a deterministic sample (a hash of the trace id, so a rerun makes the same choice),
filters by root name, config and tags, and always the traces with an error. Each chosen trace is
scored by the offline hallucination detector (contexts from its tool spans' outputs, as
``llmops eval --from-traces`` does), the injection detector on its input, optionally PII on its
output, any registered eval metric that needs no expected answer, and an LLM judge on a sampled
share. A trace without contexts is ``not_scorable`` for hallucination: counted, never a pass.

Every score is a row of ``monitor_scores`` linked to its trace; ``success`` is derived (no span
in error, and every quality metric that could be scored passed). Each scored trace also gets an
evaluation span, a child of its root stamped at the root's end (so the trace's duration does not
change), carrying one ``gen_ai.evaluation.result`` event per metric, so OTLP targets receive the
scores the way the GenAI conventions describe.

Resuming: a scorer (``name``) skips the traces it has already scored, and a checkpoint row in
``monitor_cursors`` records where it stopped, so a restart reads only newer traces (with an
overlap for late arrivals). Rows are appended per chunk of traces: a process killed mid-chunk
loses that chunk's work, which the next run redoes; a trace is never scored twice.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from llmops._errors import ConfigError
from llmops._internal import logger
from llmops.tracing import semconv, tags

BUILTIN_METRICS = ("hallucination", "injection", "pii")
DEFAULT_METRICS = ("hallucination", "injection")
QUALITY_METRICS = frozenset({"hallucination", "hallucination_judge"})  # and user metrics
EVALUATION_EVENT = "gen_ai.evaluation.result"
_NOT_ROOTS = ("eval.case",)  # an eval suite's own traces are scored by the suite
# Tags the traces scoring makes (a judge's model calls): the scorer never scores its own work.
MONITOR_TAG = "llmops.monitor"


@dataclass(frozen=True)
class Rules:
    """What ``llmops monitor run`` scores, and with what.

    Attributes:
        name: The scorer's name: its checkpoint, and the traces it has scored.
        sample: Share of candidate traces scored, chosen by a hash of the trace id.
        names: Only traces whose root span has one of these names (empty: all).
        configs: Only traces of these configs: ``NAME`` or ``NAME@VERSION`` (a version prefix).
        tags: Only traces whose root carries all these tags (``llmops.tags``).
        errors: Always score traces with a span in error, whatever the sample.
        metrics: Built-in detectors (``hallucination``, ``injection``, ``pii``) and registered
            eval metrics that need no expected answer.
        plugins: Modules imported first: where user metrics are registered
            (``@llmops.eval.metric``).
        detector: The offline hallucination detector: ``auto`` (the default: by the
            context's length), ``offline`` (claim features) or ``offline-nli`` (the
            cross-encoder).
        judge: A judge reference (``NAME@ALIAS`` or a model) for ``hallucination_judge``.
        judge_rate: Share of scored traces the judge also scores.
        settle_s: Seconds after a root span ends before its trace is scored.
        since_s: On a first run (no checkpoint), how far back to look.
    """

    name: str = "online"
    sample: float = 1.0
    names: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    errors: bool = True
    metrics: tuple[str, ...] = DEFAULT_METRICS
    plugins: tuple[str, ...] = ()
    detector: str = "auto"
    judge: str | None = None
    judge_rate: float = 0.0
    settle_s: float = 2.0
    since_s: float = 24 * 3600.0

    def __post_init__(self) -> None:
        for label, share in (("sample", self.sample), ("judge rate", self.judge_rate)):
            if not 0.0 <= share <= 1.0:
                raise ConfigError(f"monitor rules: {label} {share} is not between 0 and 1")
        if self.judge_rate > 0 and not self.judge:
            raise ConfigError("monitor rules: a judge rate needs a judge (--judge NAME@ALIAS)")
        if not self.name.strip():
            raise ConfigError("monitor rules: the scorer needs a name")
        from llmops.eval._hallucination import check_detector_name

        try:
            check_detector_name(self.detector)
        except ConfigError as exc:
            raise ConfigError(f"monitor rules: --detector: {exc}") from None
        if self.settle_s < 0 or self.since_s <= 0:
            raise ConfigError("monitor rules: settle must be >= 0 and since > 0")


def _draw(trace_id: str, salt: str) -> float:
    """A uniform number in [0, 1) fixed by the trace id: a rerun samples the same traces."""
    digest = hashlib.blake2b(f"{salt}:{trace_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class RunStats:
    """What one pass (or a whole continuous run) did."""

    considered: int = 0
    sampled_out: int = 0
    filtered_out: int = 0
    scored: int = 0
    not_scorable: int = 0
    errors: int = 0
    seconds: float = 0.0
    per_metric: dict[str, int] = field(default_factory=dict)

    def add(self, other: RunStats) -> None:
        for name in ("considered", "sampled_out", "filtered_out", "scored", "not_scorable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors
        self.seconds += other.seconds
        for metric, count in other.per_metric.items():
            self.per_metric[metric] = self.per_metric.get(metric, 0) + count


Scorer = Callable[[dict[str, Any]], dict[str, Any]]


class OnlineScorer:
    """Scores candidate traces by :class:`Rules`, appending rows to the monitoring tables."""

    def __init__(self, rules: Rules, *, emit: bool = True, chunk: int = 64) -> None:
        self.rules = rules
        self.emit = emit
        self.chunk = chunk
        self._scorers = self._resolve(rules)

    # --- which metrics ------------------------------------------------------------------------

    def _resolve(self, rules: Rules) -> dict[str, Scorer]:
        """A scoring function per metric; an unknown or unusable metric is bad input, now."""
        from llmops.eval._metrics import get_metric
        from llmops.eval._suite import MetricSpec

        for module in rules.plugins:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise ConfigError(f"monitor: plugin {module!r} cannot be imported: {exc}") from None
        scorers: dict[str, Scorer] = {}
        for metric in rules.metrics:
            if metric == "hallucination":
                scorers[metric] = _hallucination_scorer(None, rules.detector)
            elif metric == "injection":
                scorers[metric] = _injection
            elif metric == "pii":
                _check_pii()
                scorers[metric] = _pii
            else:
                try:
                    definition = get_metric(MetricSpec(name=metric))
                except Exception as exc:  # the registry's own error names the known metrics
                    raise ConfigError(f"monitor: metric {metric!r}: {exc}") from None
                if "expected" in definition.requires:
                    raise ConfigError(
                        f"monitor: metric {metric!r} needs expected answers, which live traces "
                        "do not have (use it in an eval suite)"
                    )
                scorers[metric] = _user_scorer(definition, MetricSpec(name=metric))
        if rules.judge:
            from llmops.eval._metrics import _judge

            try:
                judge = _judge(rules.judge)
            except ConfigError as exc:
                raise ConfigError(f"monitor: judge {rules.judge!r}: {exc}") from None
            scorers["hallucination_judge"] = _hallucination_scorer(judge, None)
        if not scorers:
            raise ConfigError("monitor: no metric to score (give --metric)")
        return scorers

    # --- one pass -----------------------------------------------------------------------------

    def run_once(self, *, now_ns: int | None = None) -> RunStats:
        """Score every candidate that has arrived; returns what was done."""
        started = time.perf_counter()
        stats = RunStats()
        now_ns = time.time_ns() if now_ns is None else now_ns
        candidates, watermark = self._candidates(now_ns)
        chosen: list[dict[str, Any]] = []
        for row in candidates:
            stats.considered += 1
            rule = self._rule(row)
            if rule is None:
                stats.sampled_out += 1
            elif rule == "filtered":
                stats.filtered_out += 1
            else:
                row["rule"] = rule
                chosen.append(row)
        for part in _chunks(chosen, self.chunk):
            self._score_chunk(part, stats)
        if candidates:
            self._checkpoint(watermark, len(candidates))
        stats.seconds = time.perf_counter() - started
        return stats

    def run(
        self, *, interval_s: float = 10.0, stop: threading.Event | None = None
    ) -> Iterator[RunStats]:
        """Score continuously: a pass, then a pause of ``interval_s`` when nothing arrived."""
        stop = stop or threading.Event()
        while not stop.is_set():
            stats = self.run_once()
            yield stats
            if stats.considered == 0:
                stop.wait(interval_s)

    def _candidates(self, now_ns: int) -> tuple[list[dict[str, Any]], int]:
        """Root spans ended since the checkpoint (less an overlap), not scored by this scorer."""
        from llmops._query import query
        from llmops._spanstore import traces_sql

        rules = self.rules
        settle = int(rules.settle_s * 1e9)
        overlap = settle + 60 * 10**9
        cursor = query(
            "SELECT max(watermark_ns) AS w FROM monitor_cursor_rows WHERE scorer = ?",
            [rules.name],
        )
        last = cursor[0]["w"] if cursor and cursor[0]["w"] is not None else None
        start = now_ns - int(rules.since_s * 1e9) if last is None else last - overlap
        clauses = [
            "r.parent_span_id IS NULL",
            "r.end_ns > $start",
            "r.end_ns <= $until",
            "r.name NOT IN (SELECT unnest($not_roots))",
            "NOT EXISTS (SELECT 1 FROM monitor_score_rows s "
            "WHERE s.trace_id = r.trace_id AND s.scorer = $scorer)",
            "coalesce(json_extract_string(r.attributes, $tags_path), '') NOT LIKE $own",
        ]
        params: dict[str, Any] = {
            "start": start,
            "until": now_ns - settle,
            "not_roots": list(_NOT_ROOTS),
            "scorer": rules.name,
            "tags_path": f'$."{semconv.LLMOPS_TAGS}"',
            "own": f'%"{MONITOR_TAG}"%',
        }
        if rules.names:
            clauses.append("r.name IN (SELECT unnest($names))")
            params["names"] = list(rules.names)
        if rules.configs:
            names = sorted({c.partition("@")[0] for c in rules.configs})
            clauses.append("r.config_name IN (SELECT unnest($configs))")
            params["configs"] = names
        rows = query(
            f"""
            WITH roots AS (
                SELECT r.trace_id, r.span_id, r.name, r.start_ns, r.end_ns, r.attributes,
                       (r.end_ns - r.start_ns) / 1e6 AS duration_ms
                FROM span_rows r WHERE {" AND ".join(clauses)}
            )
            , whole AS (  -- the whole trace (the traces view's query), for these traces only
                {traces_sql("trace_id IN (SELECT trace_id FROM roots)")}
            )
            SELECT roots.*, whole.config_name, whole.config_version,
                   whole.error_count > 0 AS has_error
            FROM roots JOIN whole USING (trace_id)
            ORDER BY roots.end_ns
            """,
            params,
            flush=False,
        )
        watermark = max((r["end_ns"] for r in rows), default=last or start)
        return rows, watermark

    def _rule(self, row: dict[str, Any]) -> str | None:
        """Why ``row`` is scored (``error``, ``sampled``), ``filtered``, or None (sampled out)."""
        rules = self.rules
        if rules.configs and not any(_config_matches(ref, row) for ref in rules.configs):
            return "filtered"
        if rules.tags:
            attributes = orjson.loads(row["attributes"])
            tags = _decoded(attributes.get(semconv.LLMOPS_TAGS)) or []
            if not set(rules.tags) <= {str(t) for t in tags}:
                return "filtered"
        if rules.errors and row["has_error"]:
            return "error"
        return "sampled" if _draw(row["trace_id"], "sample") < rules.sample else None

    # --- scoring ------------------------------------------------------------------------------

    def _score_chunk(self, roots: list[dict[str, Any]], stats: RunStats) -> None:
        from llmops.eval._from_traces import cases_for_roots

        rows: list[dict[str, Any]] = []
        for root, case in zip(roots, cases_for_roots(roots), strict=True):
            rows.extend(self._score_trace(root, case, stats))
        written = time.time_ns()
        for row in rows:
            row["written_ns"] = written
        append_rows("monitor_scores", rows)
        if self.emit:
            _emit(self.rules.name, roots, rows)

    def _score_trace(
        self, root: dict[str, Any], case: dict[str, Any], stats: RunStats
    ) -> list[dict[str, Any]]:
        item = {
            "input": case["input"],
            "output": case["metadata"]["recorded"]["output"],
            "contexts": case["context"],
            "trace_id": root["trace_id"],
        }
        results: list[dict[str, Any]] = []
        for metric, scorer in self._scorers.items():
            if metric == "hallucination_judge" and (
                _draw(root["trace_id"], "judge") >= self.rules.judge_rate
            ):
                continue
            try:
                with tags(MONITOR_TAG):  # a judge's calls are traced, and never scored
                    result = scorer(item)
            except Exception as exc:  # a metric that fails is a row, never a stopped scorer
                result = {"status": "error", "explanation": f"{type(exc).__name__}: {exc}"}
            results.append({"metric": metric, **result})
        quality = [
            r
            for r in results
            if r["metric"] in QUALITY_METRICS or r["metric"] not in BUILTIN_METRICS
        ]
        failed = [r["metric"] for r in quality if r.get("status", "ok") == "ok" and not r["passed"]]
        succeeded = not root["has_error"] and not failed
        why = "no error, every quality metric passed"
        if not succeeded:
            why = "; ".join(
                [
                    *(["a span in error"] if root["has_error"] else []),
                    *(f"{m} failed" for m in failed),
                ]
            )
        results.append(
            {
                "metric": "success",
                "value": 1.0 if succeeded else 0.0,
                "label": "success" if succeeded else "failure",
                "passed": succeeded,
                "explanation": why,
            }
        )
        stats.scored += 1
        rows = []
        for result in results:
            status = result.get("status", "ok")
            stats.not_scorable += status == "not_scorable"
            stats.errors += status == "error"
            stats.per_metric[result["metric"]] = stats.per_metric.get(result["metric"], 0) + 1
            rows.append(
                {
                    "trace_id": root["trace_id"],
                    "config_name": root["config_name"],
                    "config_version": root["config_version"],
                    "trace_start_ns": root["start_ns"],
                    "metric": result["metric"],
                    "value": result.get("value"),
                    "label": result.get("label", status),
                    "passed": result.get("passed") if status == "ok" else None,
                    "status": status,
                    "explanation": (result.get("explanation") or "")[:2000],
                    "scorer": self.rules.name,
                    "rule": root["rule"],
                }
            )
        return rows

    def _checkpoint(self, watermark: int, considered: int) -> None:
        append_rows(
            "monitor_cursors",
            [
                {
                    "scorer": self.rules.name,
                    "watermark_ns": watermark,
                    "considered": considered,
                    "written_ns": time.time_ns(),
                }
            ],
        )


# --- the metrics --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _user_text(value: Any) -> str:
    """What a user sent: the text, or a call's top-level text arguments (``question``), not the
    objects passed beside them (a config's own prompt templates are not user input)."""
    if isinstance(value, dict):
        return "\n".join(v for v in value.values() if isinstance(v, str))
    return _text(value)


def _hallucination_scorer(judge: Any, detector: str | None) -> Scorer:
    def score(item: dict[str, Any]) -> dict[str, Any]:
        from llmops.eval._hallucination import hallucination

        answer = _text(item["output"])
        if not item["contexts"]:
            return {"status": "not_scorable", "label": "no_context", "explanation": "no contexts"}
        if not answer.strip():
            return {"status": "not_scorable", "label": "no_answer", "explanation": "no answer"}
        result = hallucination(answer, item["contexts"], judge=judge, detector=detector)
        unsupported = [c.text for c in result.unsupported_claims]
        return {
            "value": result.score,
            "label": "hallucinated" if result.hallucinated else "faithful",
            "passed": not result.hallucinated,
            "explanation": (
                f"{len(unsupported)} of {len(result.claims)} claims unsupported"
                + (": " + " | ".join(unsupported) if unsupported else "")
                + f" ({result.detector} {result.version})"
            ),
        }

    return score


def _injection(item: dict[str, Any]) -> dict[str, Any]:
    from llmops.guardrails import detect_injection

    text = _user_text(item["input"])
    if not text.strip():
        return {"status": "not_scorable", "label": "no_input", "explanation": "no input"}
    result = detect_injection(text)
    return {
        "value": result.score,
        "label": "injection" if result.flagged else "clean",
        "passed": not result.flagged,
        "explanation": ", ".join(result.reasons),
    }


def _check_pii() -> None:
    from llmops.guardrails import PiiUnavailable
    from llmops.guardrails.pii._engine import get_engine

    try:
        get_engine()
    except PiiUnavailable as exc:
        raise ConfigError(f"monitor: metric 'pii': {exc}") from None


def _pii(item: dict[str, Any]) -> dict[str, Any]:
    from llmops.guardrails import scan_text

    result = scan_text(_text(item["output"]))
    types = sorted({f.entity_type for f in result.findings})
    return {
        "value": float(len(result.findings)),
        "label": "pii" if types else "clean",
        "passed": not types,
        "explanation": ", ".join(types) or "no PII found",
    }


def _user_scorer(definition: Any, spec: Any) -> Scorer:
    def score(item: dict[str, Any]) -> dict[str, Any]:
        from llmops.eval._metrics import CaseOutput
        from llmops.eval._suite import Case

        case = Case(id=item["trace_id"], input=item["input"], context=item["contexts"])
        output = CaseOutput(text=_text(item["output"]), contexts=tuple(item["contexts"]))
        result = definition.function(case, output, spec)
        status = "not_scorable" if result.status == "skipped" else result.status
        passed = result.passed
        if passed is None and result.value is not None:
            passed = result.value >= 0.5 if definition.higher_is_better else result.value <= 0.5
        return {
            "status": status,
            "value": result.value,
            "label": status if status != "ok" else ("pass" if passed else "fail"),
            "passed": passed,
            "explanation": orjson.dumps(result.details).decode() if result.details else "",
        }

    return score


# --- plumbing -----------------------------------------------------------------------------------


def _config_matches(ref: str, row: dict[str, Any]) -> bool:
    name, _, version = ref.partition("@")
    if row["config_name"] != name:
        return False
    return not version or str(row["config_version"] or "").startswith(version)


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return [value]
    return value


def _chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def append_rows(table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows to a table of the configured store, durably (fsynced)."""
    if not rows:
        return
    from llmops._configure import active_settings
    from llmops._spanstore import open_store

    open_store(active_settings().store_dir()).table(table).append(rows, fsync=True)


def _emit(scorer: str, roots: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """One evaluation span per scored trace, child of its root, stamped at the root's end, with
    a ``gen_ai.evaluation.result`` event per metric. Tracing never stops the scorer."""
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    from llmops.tracing._state import get_tracer

    by_trace: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_trace.setdefault(row["trace_id"], []).append(row)
    try:
        tracer = get_tracer()
        for root in roots:
            parent = SpanContext(
                trace_id=int(root["trace_id"], 16),
                span_id=int(root["span_id"], 16),
                is_remote=True,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
            context = trace.set_span_in_context(NonRecordingSpan(parent))
            at = int(root["end_ns"])
            span = tracer.start_span("evaluation", context=context, start_time=at)
            span.set_attribute("llmops.monitor.scorer", scorer)
            for row in by_trace.get(root["trace_id"], []):
                attributes: dict[str, Any] = {"gen_ai.evaluation.name": row["metric"]}
                if row["value"] is not None:
                    attributes["gen_ai.evaluation.score.value"] = float(row["value"])
                attributes["gen_ai.evaluation.score.label"] = row["label"]
                if row["explanation"]:
                    attributes["gen_ai.evaluation.explanation"] = row["explanation"]
                span.add_event(EVALUATION_EVENT, attributes, timestamp=at)
            span.end(end_time=at)
    except Exception as exc:  # the scores are stored; their export is best effort
        logger.warning(
            "llmops monitor: evaluation spans not emitted: %s: %s", type(exc).__name__, exc
        )

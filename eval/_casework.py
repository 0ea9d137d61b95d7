"""Running one case: the target inside its own trace, with a timeout and retries, then scoring.

This is what a local worker thread and a Ray task both call, so the two executors produce the
same results.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llmops.eval._metrics import CaseOutput, MetricDef, Score
from llmops.eval._results import CaseResult

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

    from llmops.eval._suite import Case, MetricSpec, SuiteSettings
    from llmops.eval._targets import Target

_RETRY_BACKOFF_S = 0.5


class UsageTap:
    """Sums tokens, cost and guardrail findings per trace, from every span that ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: set[str] = set()
        self._usage: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"input_tokens": 0, "output_tokens": 0, "cost_usd": None, "findings": 0}
        )

    def __call__(self, span: ReadableSpan) -> None:
        from llmops.tracing import semconv

        attributes = span.attributes or {}
        findings = sum(1 for e in span.events if e.name == "llmops.guardrail")
        inputs = attributes.get(semconv.GEN_AI_USAGE_INPUT_TOKENS)
        outputs = attributes.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)
        cost = attributes.get(semconv.LLMOPS_COST_USD)
        if inputs is None and outputs is None and cost is None and not findings:
            return
        trace_id = format(span.context.trace_id, "032x") if span.context else ""
        if trace_id not in self._watched:
            return
        with self._lock:
            usage = self._usage[trace_id]
            usage["input_tokens"] += _number(inputs)
            usage["output_tokens"] += _number(outputs)
            if isinstance(cost, int | float):
                usage["cost_usd"] = (usage["cost_usd"] or 0.0) + float(cost)
            usage["findings"] += findings

    def watch(self, trace_id: str) -> None:
        with self._lock:
            self._watched.add(trace_id)

    def pop(self, trace_id: str) -> dict[str, Any]:
        with self._lock:
            self._watched.discard(trace_id)
            found = self._usage.pop(trace_id, None)
        return found or {"input_tokens": 0, "output_tokens": 0, "cost_usd": None, "findings": 0}


def _number(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _with_timeout(call: Callable[[], Any], timeout_s: float) -> Any:
    """Run ``call`` in a daemon thread; raise TimeoutError if it is not done in time.

    A thread cannot be stopped: a timed-out call keeps running in the background, but the case
    is recorded as timed out and the run moves on.
    """
    from llmops.tracing._context import bind_context

    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=bind_context(work), daemon=True, name="llmops-eval-case")
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"the target took longer than {timeout_s:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def run_case(
    target: Target,
    case: Case,
    index: int,
    metrics: list[tuple[MetricSpec, MetricDef]],
    settings: SuiteSettings,
    tap: UsageTap,
    run_id: str,
) -> CaseResult:
    """Run the target on one case (retrying errors), then score the output."""
    result = CaseResult(case=case, index=index)
    if target.recorded:
        output = _replay(case, result)
        result.scores = score_case(case, output, metrics, result.trace_id, run_id)
        return result
    for attempt in range(1, settings.retries + 2):
        result.attempts = attempt
        _attempt(target, case, settings, tap, run_id, result, metrics)
        if result.status != "error" or attempt > settings.retries:
            break
        time.sleep(_RETRY_BACKOFF_S * 2 ** (attempt - 1))
    return result


def _attempt(
    target: Target,
    case: Case,
    settings: SuiteSettings,
    tap: UsageTap,
    run_id: str,
    result: CaseResult,
    metrics: list[tuple[MetricSpec, MetricDef]],
) -> None:
    """One try: the target in the case's trace, then (when it answered) the scores under it."""
    from llmops.eval._targets import call_target
    from llmops.tracing._spans import record_error

    seed = settings.seed + index_seed(case.id)
    output: CaseOutput | None = None
    facts: dict[str, Any] = {}
    with _case_span(target, case, run_id) as span:
        result.trace_id = span.trace_id
        tap.watch(span.trace_id)
        started = time.perf_counter()
        try:
            output, facts = _with_timeout(
                lambda: call_target(target, case, seed), settings.timeout_s
            )
            span.set_output(output.text)
            result.status, result.error = "ok", None
        except TimeoutError as exc:
            result.status, result.error = "timeout", str(exc)
            span.set_attribute("error.type", "timeout")
        except Exception as exc:  # a failing case is recorded; the run goes on
            result.status, result.error = "error", f"{type(exc).__name__}: {exc}"
            record_error(span.otel_span, exc)
        result.latency_ms = (time.perf_counter() - started) * 1000.0
        # The case's cost is the target's spans only: taken before a judge runs under it.
        usage = tap.pop(result.trace_id)
        if output is not None:
            result.scores = score_case(case, output, metrics, result.trace_id, run_id)
    result.output = output
    result.input_tokens = usage["input_tokens"]
    result.output_tokens = usage["output_tokens"]
    result.cost_usd = usage["cost_usd"]
    result.cost_source = facts.get("cost_source")
    result.guardrail_findings = usage["findings"]


def _replay(case: Case, result: CaseResult) -> CaseOutput:
    """A recorded trace's output and numbers, as if the case had just run."""
    from llmops.eval._targets import as_output

    recorded = case.metadata.get("recorded") or {}
    recorded_output = as_output(recorded.get("output"))
    contexts = recorded_output.contexts or tuple(case.context)
    output = result.output = CaseOutput(recorded_output.text, contexts, None)
    result.trace_id = recorded.get("trace_id")
    result.latency_ms = float(recorded.get("latency_ms") or 0.0)
    result.input_tokens = int(recorded.get("input_tokens") or 0)
    result.output_tokens = int(recorded.get("output_tokens") or 0)
    result.cost_usd = recorded.get("cost_usd")
    result.cost_source = "recorded"
    return output


def index_seed(case_id: str) -> int:
    """A per-case seed offset from the case id: stable across runs, orders and executors."""
    return int.from_bytes(case_id.encode()[:4].ljust(4, b"\0"), "big") % 1_000_003


def _case_span(target: Target, case: Case, run_id: str) -> Any:
    from contextlib import ExitStack, contextmanager

    from opentelemetry import context as otel_context

    import llmops

    @contextmanager
    def scope() -> Any:
        token = otel_context.attach(otel_context.Context())  # every case is its own trace
        try:
            with ExitStack() as stack:
                if target.config is not None:
                    stack.enter_context(llmops.use_config(target.config))
                stack.enter_context(llmops.tags("eval"))
                span = stack.enter_context(llmops.span("eval.case"))
                span.set_attributes(
                    {
                        "llmops.eval.run_id": run_id,
                        "llmops.eval.case_id": case.id,
                        "llmops.eval.target": target.label,
                    }
                )
                span.set_input(case.input)
                yield span
        finally:
            otel_context.detach(token)

    return scope()


def score_case(
    case: Case,
    output: CaseOutput,
    metrics: list[tuple[MetricSpec, MetricDef]],
    trace_id: str | None,
    run_id: str,
) -> dict[str, Score]:
    """Every metric on one output, in an ``eval.score`` span under the current one (the case's,
    or a root of its own for recorded traces); a metric that raises is an errored score."""
    import llmops

    scores: dict[str, Score] = {}
    with llmops.span("eval.score") as span:
        span.set_attributes(
            {"llmops.eval.run_id": run_id, "llmops.eval.case_trace_id": trace_id or ""}
        )
        for spec, definition in metrics:
            try:
                scores[spec.name] = definition.function(case, output, spec)
            except Exception as exc:
                detail = {"error": f"{type(exc).__name__}: {exc}"}
                scores[spec.name] = Score(None, status="error", details=detail)
        failed = [name for name, score in scores.items() if score.passed is False]
        span.set_attribute("llmops.eval.failed_metrics", failed)
    return scores

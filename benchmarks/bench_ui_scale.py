"""The UI on a big store: the traces list and a trace page, at 100k spans and at millions.

The stores are filled through a real ``llmops server`` process (UI off) by the stock Python
``OTLPSpanExporter`` (protobuf, batches of 500, each durable before its 200): traces of ten
spans (an agent, four LLM calls with model, tokens, cost and a 200-byte input, three tool
calls, a retrieval and a guardrail step; 1% of the LLM calls fail), one trace every few
seconds over the last 30 days, three config versions, sessions and users. A filled store is
kept in its folder (``--store``, default under the temp folder, named by its size) and reused
by later runs, so the 10-million-span fill happens once.

Each store is read in a fresh process through the real UI app (``llmops._ui.create_app`` under
starlette's ``TestClient``, the HTML pages as a browser gets them, after the app's startup as a
served UI runs it): the first request (cold: a new process whose startup opened the store once,
no page yet served), then the median of several. Pages: the
traces list's first page (``GET /``), the list filtered by config (``?config=support-bot@...``)
and by errors (``?errors=1``), and the page of one trace in the middle of the store. The
baseline is the same page on the small store, in the same run.

Usage::

    .venv/bin/python benchmarks/bench_ui_scale.py --spans 10000000   # fill once, then time
    .venv/bin/python benchmarks/run.py --only ui_scale                # 1M spans (make bench)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import BenchResult, Row, emit, run_worker
from bench_ingest import LLMOPS, _Process

BATCH = 500
SPANS_PER_TRACE = 10
SPAN_DAYS = 30
BASELINE_SPANS = 100_000
TARGET_MS = 500.0
REPEAT = 7
_TRACE_BASE = 0x5CA1E000000000000000000000000000
_CONFIGS = ("3f9a1c0d2e4b", "8b7e6d5c4a39", "c0ffee123456")
_FILLED = "filled.json"
_TEXT = (
    "Customer {u} asks about invoice {i}: why was the plan charged twice this month, and can "
    "the second charge be refunded to the original card? Context: doc-{d} 'Refund policy'. "
)


def default_store(spans: int) -> Path:
    """Where a store of ``spans`` spans is kept between runs."""
    return Path(tempfile.gettempdir()) / f"llmops-bench-ui-{spans}"


def trace_id(index: int) -> str:
    """The id of trace number ``index`` (as the fill makes it)."""
    return f"{_TRACE_BASE + index:032x}"


def make_traces(first: int, count: int, total: int, end_ns: int) -> list[Any]:
    """Finished SDK spans of traces ``first .. first + count``, of ``total`` over the 30 days
    before ``end_ns``."""
    from opentelemetry.attributes import BoundedAttributes
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

    resource = Resource.create({"service.name": "support-app", "service.version": "2.0.1"})
    scope = InstrumentationScope("my.instrumentation", "1.0")
    flags = TraceFlags(TraceFlags.SAMPLED)
    step = SPAN_DAYS * 86_400 * 10**9 // max(total, 1)
    spans: list[Any] = []
    for t in range(first, first + count):
        tid = _TRACE_BASE + t
        start = end_ns - (total - t) * step
        version = _CONFIGS[t % len(_CONFIGS)]
        root = SpanContext(tid, (t << 8) | 1, False, flags)
        common = {"session.id": f"session-{t // 7}", "user.id": f"user-{t % 4999}"}
        steps: list[tuple[str, str, dict[str, Any], bool]] = []
        for call in range(4):
            failed = (t * 4 + call) % 100 == 99
            steps.append(("chat gpt-4o-mini", "CLIENT", {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 200 + (t * 37 + call) % 1800,
                "gen_ai.usage.output_tokens": 20 + (t * 13 + call) % 400,
                "llmops.cost.usd": 0.0001 + (t % 50) * 1e-5,
                "input.value": _TEXT.format(u=t % 4999, i=t, d=call),
            }, failed))  # fmt: skip
            if call < 3:
                steps.append((f"tool lookup_{call}", "INTERNAL", {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": f"lookup_{call}",
                    "input.value": f'{{"invoice": {t}}}',
                }, False))  # fmt: skip
        steps.append(("retrieve", "INTERNAL", {"input.value": f"invoice {t}"}, False))
        steps.append(("guardrail output", "INTERNAL", {"llmops.guardrail.action": "allow"}, False))
        agent = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "support",
            "llmops.config.name": "support-bot",
            "llmops.config.version": version,
            **common,
        }
        spans.append(
            ReadableSpan(
                name="invoke_agent support", context=root, parent=None, resource=resource,
                attributes=BoundedAttributes(128, agent, immutable=True),
                kind=SpanKind.INTERNAL, start_time=start,
                end_time=start + (len(steps) + 1) * 300_000_000,
                instrumentation_scope=scope,
            )
        )  # fmt: skip
        for i, (name, kind, attributes, failed) in enumerate(steps, 1):
            at = start + i * 300_000_000
            spans.append(
                ReadableSpan(
                    name=name, context=SpanContext(tid, (t << 8) | (i + 1), False, flags),
                    parent=root, resource=resource,
                    attributes=BoundedAttributes(128, {**attributes, **common}, immutable=True),
                    kind=SpanKind[kind], start_time=at, end_time=at + 250_000_000,
                    status=Status(StatusCode.ERROR, "rate limited") if failed else Status(),
                    instrumentation_scope=scope,
                )
            )  # fmt: skip
    return spans


def fill(store: Path, spans: int) -> dict[str, Any]:
    """Fill ``store`` with ``spans`` spans through ``llmops server``; reuse it when filled."""
    marker = store / _FILLED
    if marker.exists():
        return dict(json.loads(marker.read_text()), reused=True)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    shutil.rmtree(store, ignore_errors=True)  # a fill cut short: start again
    store.mkdir(parents=True)
    traces = spans // SPANS_PER_TRACE
    home = store / "home"
    env = {**os.environ, "LLMOPS_HOME": str(home)}
    env.pop("LLMOPS_SERVER_TOKEN", None)
    started = time.perf_counter()
    server = _Process([str(LLMOPS), "server", "--port", "0", "--no-ui"], env)
    try:
        exporter = OTLPSpanExporter(endpoint=f"{server.url}/v1/traces", timeout=120)
        chunk = 5_000  # traces built at a time (50k spans): memory stays flat
        end_ns = time.time_ns() - 60 * 10**9
        for first in range(0, traces, chunk):
            made = make_traces(first, min(chunk, traces - first), traces, end_ns)
            for start in range(0, len(made), BATCH):
                if exporter.export(made[start : start + BATCH]) is not SpanExportResult.SUCCESS:
                    raise RuntimeError(f"the export to {server.url} failed")
            print(
                f"filled {min(first + chunk, traces):,} of {traces:,} traces",
                file=sys.stderr,
                flush=True,
            )
        exporter.shutdown()
    finally:
        server.stop()
    fill_s = time.perf_counter() - started
    info = {"spans": traces * SPANS_PER_TRACE, "traces": traces, "fill_s": fill_s}
    marker.write_text(json.dumps(info))
    return dict(info, reused=False)


# The pages with a target (filtered lists read the whole store: information).
_TARGETED = ("traces list, first page", "trace page")


def _pages(traces: int) -> dict[str, str]:
    return {
        "traces list, first page": "/",
        "traces list, filtered by config": f"/?config=support-bot@{_CONFIGS[1]}",
        "traces list, errors only": "/?errors=1",
        "trace page": f"/traces/{trace_id(traces // 2)}",
    }


def time_pages(store: Path, traces: int, repeat: int = REPEAT) -> dict[str, dict[str, float]]:
    """Milliseconds per page through the UI app: the first request, then the median."""
    os.environ["LLMOPS_HOME"] = str(store / "home")
    from starlette.testclient import TestClient

    from llmops._ui import create_app

    # As a served UI runs: its startup (the lifespan) before the first request.
    with TestClient(create_app(store / "home" / "store")) as client:
        return _time_each(client, traces, repeat)


def _time_each(client: Any, traces: int, repeat: int) -> dict[str, dict[str, float]]:
    timings: dict[str, dict[str, float]] = {}
    for label, url in _pages(traces).items():
        samples = []
        for _ in range(repeat + 1):
            t0 = time.perf_counter()
            reply = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            if reply.status_code != 200:
                raise RuntimeError(f"GET {url}: {reply.status_code} {reply.text[:300]}")
        timings[label] = {"cold_ms": samples[0], "median_ms": statistics.median(samples[1:])}
    return timings


def _timed(store: Path, traces: int) -> dict[str, dict[str, float]]:
    here = Path(__file__).resolve()
    return dict(run_worker([str(here), "--time", str(store), "--traces", str(traces)]))


def run(quick: bool = False, spans: int | None = None, store: Path | None = None) -> BenchResult:
    """UI pages on a store of ``spans`` spans against the same pages on a 100k-span store."""
    spans = spans or (200_000 if quick else 1_000_000)
    baseline_spans = min(BASELINE_SPANS, spans // 2)
    result = BenchResult(
        "ui_scale", f"UI pages on {spans:,} spans filled through llmops server, "
        f"against {baseline_spans:,} spans"
    )  # fmt: skip
    big_store = store or default_store(spans)
    small_store = default_store(baseline_spans)
    small = fill(small_store, baseline_spans)
    big = fill(big_store, spans)
    small_ms = _timed(small_store, small["traces"])
    big_ms = _timed(big_store, big["traces"])
    for label in big_ms:
        for kind, what in (("median_ms", f"median of {REPEAT}"), ("cold_ms", "first request")):
            target = TARGET_MS if label in _TARGETED else None
            result.rows.append(
                Row(f"{label} ({what})", big_ms[label][kind], "ms", small_ms[label][kind],
                    f"{baseline_spans:,} spans", target)
            )  # fmt: skip
    result.details = {
        "store": str(big_store),
        "fill": big,
        "baseline_fill": small,
        "ms": big_ms,
        "baseline_ms": small_ms,
        "cpu_count": os.cpu_count(),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000, help="spans in the big store")
    parser.add_argument("--store", type=Path, help="the big store's folder (kept, reused)")
    parser.add_argument("--fill-only", action="store_true", help="fill the store, time nothing")
    parser.add_argument("--time", type=Path, help=argparse.SUPPRESS)  # worker: time one store
    parser.add_argument("--traces", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time:
        emit(time_pages(args.time, args.traces))
        return
    if args.fill_only:
        print(json.dumps(fill(args.store or default_store(args.spans), args.spans)))
        return
    from _common import format_table

    started = time.perf_counter()
    result = run(spans=args.spans, store=args.store)
    result.elapsed_s = time.perf_counter() - started
    print(format_table(result))


if __name__ == "__main__":
    main()

"""Decorator overhead: what ``@llmops.trace`` adds to one call, against the alternatives.

Contenders, each on the same trivial function (``return x``), with a small argument and an
11 KB string:

* ``llmops``: ``@llmops.trace`` through the real pipeline (context processor, export pipeline,
  batch processor) into an exporter that discards: no disk I/O.
* ``otel``: a raw opentelemetry-sdk span (``with tracer.start_as_current_span("f")``) on a
  provider with a ``BatchSpanProcessor`` into the same discarding exporter.
* ``langfuse``: ``langfuse.observe`` with dummy keys; its exporter targets 127.0.0.1:9 and fails
  in the background.
* ``mlflow``: ``mlflow.trace`` with a SQLite tracking store in a temporary folder.
* ``bare``: the undecorated function, subtracted from every contender of its own process.

llmops and raw OpenTelemetry share one process and are measured round-robin, each round ending
with that tracer's flush (timed), so a batch thread's export work is charged to the contender
whose spans it exports; langfuse and mlflow each get a process of their own (both install
global OpenTelemetry state) and are not flushed (their exporters retry a dead endpoint).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, BenchResult, Row, emit, measure_interleaved, run_worker

SMALL_ARG = "How do I reset my password?"
BIG_ARG = ("The quick brown fox jumps over the lazy dog. " * 300)[: 11 * 1024]
ARGS = {"small": SMALL_ARG, "11kb": BIG_ARG}

# (calls per round, rounds) per worker; llmops/otel cost ~10 µs, langfuse and mlflow far more.
COUNTS = {
    "core": {"full": (3000, 15), "quick": (400, 5)},
    "langfuse": {"full": (600, 7), "quick": (100, 3)},
    "mlflow": {"full": (200, 7), "quick": (40, 3)},
}


def target(x: Any) -> Any:
    """The traced function: trivial, so only the tracing cost is measured."""
    return x


def _discard_exporter() -> Any:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class DiscardExporter(SpanExporter):
        """Accepts every batch and keeps nothing."""

        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    return DiscardExporter()


def _versions(*names: str) -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in names}


def worker_core(number: int, repeat: int, scratch: str) -> dict[str, Any]:
    """llmops, raw OpenTelemetry and the bare function, interleaved in this process."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    import llmops

    started = time.perf_counter()
    llmops.configure(exporters=[], span_exporters=[_discard_exporter()], home=scratch)
    setup_s = time.perf_counter() - started
    llmops_target = llmops.trace(target)
    no_capture = llmops.trace(capture_input=False, capture_output=False)(target)

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(_discard_exporter()))
    tracer = provider.get_tracer("bench")

    def otel_target(x: Any) -> Any:
        with tracer.start_as_current_span("target"):
            return target(x)

    contenders = {
        "bare": target,
        "otel": otel_target,
        "llmops": llmops_target,
        "llmops_nocapture": no_capture,
    }
    # Each round ends with its own tracer's flush, timed: export work (llmops' credential scrub
    # included) counts against the contender that caused it.
    drains = {
        "otel": provider.force_flush,
        "llmops": llmops.flush,
        "llmops_nocapture": llmops.flush,
    }
    stats = measure_interleaved(contenders, ARGS, number=number, repeat=repeat, drains=drains)
    llmops.flush()
    llmops_stats = llmops.stats()
    llmops.shutdown()
    provider.shutdown()
    return {
        "stats": stats,
        "setup_s": setup_s,
        "llmops_stats": llmops_stats,
        "versions": _versions("opentelemetry-sdk"),
    }


def worker_langfuse(number: int, repeat: int, scratch: str) -> dict[str, Any]:
    """``langfuse.observe`` (v5) and the bare function."""
    logging.disable(logging.CRITICAL)  # connection-refused retries and queue-full warnings
    from langfuse import Langfuse, observe

    started = time.perf_counter()
    Langfuse(public_key="pk-lf-bench", secret_key="sk-lf-bench", host="http://127.0.0.1:9")
    setup_s = time.perf_counter() - started
    contenders = {"bare": target, "langfuse": observe(target)}
    stats = measure_interleaved(contenders, ARGS, number=number, repeat=repeat)
    return {"stats": stats, "setup_s": setup_s, "versions": _versions("langfuse")}


def worker_mlflow(number: int, repeat: int, scratch: str) -> dict[str, Any]:
    """``mlflow.trace`` with a SQLite tracking store, and the bare function."""
    logging.disable(logging.WARNING)
    import mlflow

    started = time.perf_counter()
    mlflow.set_tracking_uri(f"sqlite:///{scratch}/mlflow.db")
    # Trace artifacts default to ./mlruns under the working folder: keep them in scratch too.
    mlflow.create_experiment("llmops-bench", artifact_location=f"file://{scratch}/artifacts")
    mlflow.set_experiment("llmops-bench")
    setup_s = time.perf_counter() - started
    contenders = {"bare": target, "mlflow": mlflow.trace(target)}
    stats = measure_interleaved(contenders, ARGS, number=number, repeat=repeat)
    return {"stats": stats, "setup_s": setup_s, "versions": _versions("mlflow")}


WORKERS = {"core": worker_core, "langfuse": worker_langfuse, "mlflow": worker_mlflow}


def _net(payload: dict[str, Any], contender: str, arg: str) -> float:
    """Median µs/call of ``contender`` less the bare function's, measured in the same process."""
    stats = payload["stats"]
    return float(stats[contender][arg]["median_us"] - stats["bare"][arg]["median_us"])


def run(quick: bool = False) -> BenchResult:
    """Run the three workers and compare their per-call costs."""
    mode = "quick" if quick else "full"
    script = str(BENCH_DIR / "bench_decorator.py")
    payloads: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in WORKERS:
        number, repeat = COUNTS[name][mode]
        try:
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as scratch:
                argv = [script, name, str(number), str(repeat), scratch]
                payloads[name] = run_worker(argv, cwd=Path(scratch))
        except Exception as exc:  # a competitor that fails to run is reported, not fatal
            errors[name] = str(exc)
    result = BenchResult(
        "decorator", "per-call cost of tracing a trivial function (µs/call, bare call subtracted)"
    )
    result.details = {"workers": payloads, "errors": errors, "counts": COUNTS, "mode": mode}
    core = payloads.get("core")
    labels = {"small": "small arg", "11kb": "11 KB arg"}
    for arg, label in labels.items():
        llmops_us = _net(core, "llmops", arg) if core else None
        otel_us = _net(core, "otel", arg) if core else None
        if arg == "small":
            result.rows.append(
                Row(f"llmops @trace, {label}", llmops_us, "µs", otel_us, "raw otel span", 1.5,
                    "<=", "ratio")
            )  # fmt: skip
        else:
            result.rows.append(
                Row(f"llmops @trace, {label}", llmops_us, "µs", otel_us, "raw otel span", 40.0,
                    "<=", "value", note="raw otel span records no input/output; ratio for info")
            )  # fmt: skip
    for name, label in (("langfuse", "langfuse @observe"), ("mlflow", "mlflow @trace")):
        for arg, arg_label in labels.items():
            payload = payloads.get(name)
            value = _net(payload, name, arg) if payload else None
            baseline = _net(core, "llmops", arg) if core else None
            note = f"worker failed: {errors[name][:120]}" if name in errors else ""
            result.rows.append(
                Row(f"{label}, {arg_label}", value, "µs", baseline, "llmops", 5.0, ">=",
                    "ratio", note=note)
            )  # fmt: skip
    if core:
        result.rows.insert(
            1,
            Row("llmops @trace, capture off, small arg", _net(core, "llmops_nocapture", "small"),
                "µs", _net(core, "otel", "small"), "raw otel span",
                note="capture_input=False, capture_output=False: the pipeline without payloads"),
        )  # fmt: skip
        result.rows.insert(
            3,
            Row("llmops @trace, 11 KB arg, beyond the raw span",
                _net(core, "llmops", "11kb") - _net(core, "otel", "11kb"), "µs",
                note="what llmops adds to an OpenTelemetry span here: capture, scrub, pipeline"),
        )  # fmt: skip
        dropped = core["llmops_stats"].get("spans_dropped") or {}
        result.rows.append(
            Row("llmops spans dropped during run", float(sum(dropped.values())), "spans",
                target=0.0, target_op="<=", note=str(dropped) if dropped else "")
        )  # fmt: skip
    return result


if __name__ == "__main__":
    worker = WORKERS[sys.argv[1]]
    payload = worker(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    emit(payload)
    # mlflow and langfuse drain their export queues at exit (seconds to minutes): skip that.
    os._exit(0)

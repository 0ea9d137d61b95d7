"""stats() counters, drops by reason, and legacy attribute names mapped on ingest."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import llmops
from llmops._spanstore import span_to_row
from llmops.testing import capture_spans
from llmops.tracing import semconv


class BlockedExporter(SpanExporter):
    """Holds every export until released: the queue in front of it fills up."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(10)
        self.exported += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.release.set()


class RaisingExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        raise ConnectionError("backend is down")

    def shutdown(self) -> None:
        pass


@llmops.trace(name="unit")
def unit() -> None:
    pass


def test_counts_started_ended_exported_and_overhead() -> None:
    with capture_spans():
        for _ in range(5):
            unit()
        stats = llmops.stats()
    assert stats["spans_started"] == 5
    assert stats["spans_ended"] == 5
    assert stats["spans_exported"]["InMemorySpanExporter"] == 5
    assert stats["overhead"]["calls"] == 5
    assert 0 < stats["overhead"]["mean_us"] < 10_000


@llmops.trace(name="stream")
def stream() -> Iterator[int]:
    yield from range(3)


def test_overhead_counts_generators_and_spans() -> None:
    with capture_spans():
        for _ in range(4):
            assert list(stream()) == [0, 1, 2]
        with llmops.span("block"):
            pass
        stats = llmops.stats()
    assert stats["overhead"]["calls"] == 5
    assert 0 < stats["overhead"]["mean_us"] < 10_000


def test_full_queue_drops_are_counted_not_raised() -> None:
    blocked = BlockedExporter()
    llmops.configure(exporters=[], span_exporters=[blocked], queue_size=16, batch_size=4)
    for _ in range(200):
        unit()
    stats = llmops.stats()
    assert stats["spans_dropped"]["queue_full:BlockedExporter"] > 100
    assert stats["queue_depth"] <= 16
    blocked.release.set()
    llmops.flush()
    assert blocked.exported + stats["spans_dropped"]["queue_full:BlockedExporter"] == 200


def test_exporter_exceptions_are_counted_not_raised() -> None:
    llmops.configure(exporters=[], span_exporters=[RaisingExporter()], batch=False)
    unit()
    unit()
    assert llmops.stats()["spans_dropped"]["export_failed:RaisingExporter"] == 2


def test_legacy_names_are_mapped_on_ingest() -> None:
    with capture_spans() as spans, llmops.span("old-style") as span:
        span.set_attribute("gen_ai.system", "openai")
        span.set_attribute("gen_ai.usage.prompt_tokens", 12)
        span.set_attribute("gen_ai.usage.completion_tokens", 4)
    row = span_to_row(spans.by_name("old-style"))
    assert "gen_ai.system" not in row["attributes"]
    assert row["attributes"][semconv.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert row["attributes"][semconv.GEN_AI_PROVIDER_NAME] == "openai"


def test_todays_names_win_over_legacy_ones() -> None:
    merged = semconv.normalize_attributes(
        {"gen_ai.usage.input_tokens": 5, "gen_ai.usage.prompt_tokens": 9}
    )
    assert merged == {"gen_ai.usage.input_tokens": 5}


def test_a_forked_child_starts_with_an_empty_queue() -> None:
    import os

    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    sink = InMemorySpanExporter()
    llmops.configure(exporters=[], span_exporters=[sink], schedule_delay_ms=60_000, batch_size=512)
    for _ in range(16):
        unit()
    assert llmops.stats()["queue_depth"] == 16
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the SDK emptied its queue; the count must say so too
        os.write(write, str(llmops.stats()["queue_depth"]).encode())
        os._exit(0)
    os.close(write)
    depth = os.read(read, 32).decode()
    os.waitpid(pid, 0)
    assert depth == "0"
    llmops.flush()
    assert len(sink.get_finished_spans()) == 16  # the parent's spans are all still there

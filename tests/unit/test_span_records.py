"""Spans reach sinks as neutral records; the store maps records (from any source) to rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

import llmops
from llmops import _hooks
from llmops._spanstore import open_store, records_to_rows, span_to_row
from llmops.testing import capture_spans
from llmops.tracing import RecordExporter, SpanEventRecord, SpanRecord, semconv, span_records
from llmops.tracing._state import RUNTIME, get_tracer


def test_an_sdk_span_becomes_a_record_of_plain_values() -> None:
    with capture_spans() as spans, llmops.span("outer"), llmops.span("inner", k=4) as inner:
        inner.add_event("picked", {"doc": "d1"})
    outer_span, inner_span = spans.by_name("outer"), spans.by_name("inner")
    outer, record = span_records([outer_span, inner_span])
    assert record.trace_id == outer.trace_id == format(inner_span.context.trace_id, "032x")
    assert record.span_id == format(inner_span.context.span_id, "016x")
    assert record.parent_span_id == outer.span_id
    assert outer.parent_span_id is None
    assert (record.name, record.kind, record.status_code) == ("inner", "INTERNAL", "UNSET")
    assert record.end_ns >= record.start_ns > 0
    assert record.attributes["k"] == 4
    assert record.events == (SpanEventRecord("picked", record.events[0].time_ns, {"doc": "d1"}),)
    assert record.resource["service.name"]
    assert record.scope_name == "llmops"


def _received_record(**changes: object) -> SpanRecord:
    """A record as the OTLP receiver makes one: no SDK object anywhere."""
    record = SpanRecord(
        trace_id="0af7651916cd43dd8448eb211c80319c",
        span_id="b7ad6b7169203331",
        parent_span_id=None,
        name="chat gemma",
        kind="CLIENT",
        start_ns=1_700_000_000_000_000_000,
        end_ns=1_700_000_000_250_000_000,
        status_code="ERROR",
        status_message="timeout",
        attributes={"gen_ai.system": "openai", "gen_ai.usage.prompt_tokens": 12},
        events=(SpanEventRecord("exception", 1_700_000_000_100_000_000, {"a": 1}),),
        resource={"service.name": "remote-app"},
        scope_name="openai.instrumentation",
    )
    return record._replace(**changes)


def test_the_row_mapper_takes_records_from_any_source() -> None:
    (row,) = records_to_rows([_received_record()])
    assert row["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert (row["kind"], row["status_code"], row["status_message"]) == (
        "CLIENT",
        "ERROR",
        "timeout",
    )
    # Legacy GenAI names are mapped on ingest, whoever sent them.
    assert row["attributes"][semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert row["attributes"][semconv.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert row["events"] == [
        {"name": "exception", "time_ns": 1_700_000_000_100_000_000, "attributes": {"a": 1}}
    ]
    assert orjson.loads(orjson.dumps(row["resource"])) == {"service.name": "remote-app"}
    typed = dict(zip(semconv.STORE_TYPED_ATTRIBUTES, row["_typed"], strict=True))
    assert typed[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 12


def test_an_sdk_span_and_its_record_make_the_same_row() -> None:
    with capture_spans() as spans, llmops.span("step", q="x"):
        pass
    span = spans.by_name("step")
    assert span_to_row(span) == records_to_rows(span_records([span]))[0]


class _ListSink:
    def __init__(self, fail: Exception | None = None) -> None:
        self.records: list[SpanRecord] = []
        self.fail = fail
        self.closed_within: float | None = None

    def write(self, records: Sequence[SpanRecord]) -> None:
        if self.fail is not None:
            raise self.fail
        self.records.extend(records)

    def shutdown(self, timeout_millis: float) -> None:
        self.closed_within = timeout_millis


def test_a_record_exporter_hands_records_to_its_sink() -> None:
    sink = _ListSink()
    llmops.configure(exporters=["none"], span_exporters=[RecordExporter(sink)], batch=False)
    with llmops.span("work"):
        pass
    assert [record.name for record in sink.records] == ["work"]
    llmops.shutdown(timeout_s=2)
    assert sink.closed_within is not None


def test_a_sink_that_cannot_write_fails_the_export_and_says_why() -> None:
    exporter = RecordExporter(_ListSink(fail=llmops.StoreError("disk full")))
    with capture_spans() as spans, llmops.span("work"):
        pass
    assert exporter.export(spans.spans) is SpanExportResult.FAILURE
    assert exporter.last_error == "disk full"


def test_the_store_keeps_received_records(tmp_path: Path) -> None:
    from llmops._spansink import DuckDBSpanSink

    sink = DuckDBSpanSink(tmp_path / "store")
    sink.write([_received_record()])
    sink.shutdown(1000)
    with open_store(tmp_path / "store").connection() as con:
        row = con.execute(
            "SELECT service_name, provider, input_tokens, status_code FROM spans"
        ).fetchone()
    assert row == ("remote-app", "openai", 12, "ERROR")


def test_duckdb_exporter_is_public_at_the_top(tmp_path: Path) -> None:
    exporter = llmops.DuckDBSpanExporter(tmp_path / "store")
    assert isinstance(exporter, RecordExporter)
    assert exporter.store_dir == tmp_path / "store"
    exporter.shutdown()


def test_automatic_set_up_goes_through_the_configure_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(RUNTIME, "tracer", None)
    _hooks.register("configure", lambda: calls.append("configured"))
    try:
        get_tracer()
    finally:
        _hooks.register("configure", "llmops._configure:configure")
    assert calls == ["configured"]

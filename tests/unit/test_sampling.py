"""Head sampling by ratio and tail sampling of finished traces."""

from __future__ import annotations

import time

import pytest

import llmops
from llmops.testing import capture_spans


@llmops.tool
def step(fail: bool = False, cost: float = 0.0, sleep_ms: float = 0.0, note: str = "") -> None:
    if cost:
        llmops.current_span().set_cost(cost)
    if sleep_ms:
        time.sleep(sleep_ms / 1000)
    if fail:
        raise ValueError("failed step")


@llmops.agent(name="sampled")
def run(**kwargs: object) -> None:
    step(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("ratio", "expected"), [(0.0, 0), (1.0, 40)])
def test_head_sampling_ratio(ratio: float, expected: int) -> None:
    with capture_spans(sample_ratio=ratio) as spans:
        for _ in range(20):
            run()
    assert len(spans.spans) == expected


def test_head_sampling_half_is_roughly_half() -> None:
    with capture_spans(sample_ratio=0.5) as spans:
        for _ in range(400):
            run()
    traces = {s.context.trace_id for s in spans.spans}
    assert 140 < len(traces) < 260
    assert len(spans.spans) == 2 * len(traces)  # whole traces, never half


def test_tail_sampling_keeps_errors_slow_and_costly_traces() -> None:
    with capture_spans(tail_sample_ratio=0.0, tail_slow_ms=30, tail_costly_usd=0.5) as spans:
        for _ in range(10):
            run()
        with pytest.raises(ValueError, match="failed step"):
            run(fail=True)
        run(sleep_ms=40)
        run(cost=0.6)
    assert len(spans.spans) == 6
    assert llmops.stats()["spans_dropped"]["tail_sampled_out"] == 20


def test_tail_sampling_without_keep_rules_drops_everything_at_zero() -> None:
    with capture_spans(tail_sample_ratio=0.0, tail_keep_errors=False) as spans:
        with pytest.raises(ValueError, match="failed step"):
            run(fail=True)
        run()
    assert spans.spans == []


def test_inputs_are_captured_whether_or_not_head_sampling_is_on() -> None:
    """Without head sampling the arguments ride in the start attributes; with it, they are
    serialised only for a span that is recorded. Either way the span has them."""
    for ratio in (None, 1.0):
        with capture_spans(sample_ratio=ratio, max_attribute_bytes=64) as spans:
            step(cost=0.5)
            run(cost=0.123456789, sleep_ms=0.000001, fail=False, note="x" * 80)
        first = dict(spans.spans[0].attributes or {})
        assert first["input.value"] == '{"cost":0.5}'
        agent = dict(spans.by_name("invoke_agent sampled").attributes or {})
        assert agent["input.value"].startswith('{"cost":0.123456789')
        assert "input.value" in agent["llmops.truncated"]


def test_unfinished_traces_survive_configure_and_shutdown() -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    first, second = InMemorySpanExporter(), InMemorySpanExporter()
    tail = {"tail_sample_ratio": 0.0, "exporters": ["none"], "batch": False}
    llmops.configure(span_exporters=[first], **tail)

    def request() -> None:
        with llmops.span("request"):
            step()  # ends before the new set-up: waits in the old tail sampler
            llmops.configure(span_exporters=[second], **tail)
            raise ValueError("failed step")  # the root fails: the whole trace is kept

    with pytest.raises(ValueError, match="failed step"):
        request()
    names = sorted(s.name for s in second.get_finished_spans())
    assert names == ["execute_tool step", "request"]
    assert first.get_finished_spans() == ()

    # Shut down with a trace still open: its finished spans are exported as they are.
    third = InMemorySpanExporter()
    llmops.configure(span_exporters=[third], **tail)
    with llmops.span("open at shutdown"):
        step()
        llmops.shutdown()
    assert [s.name for s in third.get_finished_spans()] == ["execute_tool step"]

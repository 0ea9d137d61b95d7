"""Session, user and tags on spans; context carried into threads and across a carrier."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import llmops
from llmops.testing import SpanRecorder
from llmops.tracing import semconv


@llmops.tool
def work(i: int) -> int:
    return i


def test_session_user_tags_are_stamped_on_every_span(llmops_spans: SpanRecorder) -> None:
    @llmops.agent(name="bot")
    def run() -> None:
        with llmops.tags("inner"):
            work(1)

    with llmops.session("s-1"), llmops.user("u-9"), llmops.tags("prod", "beta"):
        run()
    work(2)  # outside the scope: no stamps
    spans = llmops_spans.spans
    stamped = [dict(s.attributes or {}) for s in spans[:2]]
    for attrs in stamped:
        assert attrs[semconv.SESSION_ID] == "s-1"
        assert attrs[semconv.GEN_AI_CONVERSATION_ID] == "s-1"
        assert attrs[semconv.USER_ID] == "u-9"
    # Entering a scope also marks the span that is current then (the agent here).
    assert stamped[0][semconv.LLMOPS_TAGS] == ("prod", "beta", "inner")
    assert stamped[1][semconv.LLMOPS_TAGS] == ("prod", "beta", "inner")
    assert semconv.SESSION_ID not in dict(spans[2].attributes or {})


def test_session_entered_inside_a_span_marks_that_span(llmops_spans: SpanRecorder) -> None:
    with llmops.span("outer"), llmops.session("late"):
        pass
    assert llmops_spans.attributes("outer")[semconv.SESSION_ID] == "late"


@pytest.mark.parametrize("bad", ["", None, 1.5])
def test_bad_session_id_is_a_clear_error(bad: object) -> None:
    with pytest.raises(llmops.ConfigError, match="session"), llmops.session(bad):  # type: ignore[arg-type]
        pass


def test_wrapped_executor_carries_trace_and_session(llmops_spans: SpanRecorder) -> None:
    @llmops.agent(name="fan-out")
    def run() -> list[int]:
        with llmops.wrap_executor(ThreadPoolExecutor(max_workers=3)) as pool:
            return list(pool.map(work, range(4)))

    with llmops.session("threads"):
        assert run() == [0, 1, 2, 3]
    root = llmops_spans.by_name("invoke_agent fan-out")
    children = llmops_spans.children(root)
    assert len(children) == 4
    assert all((c.attributes or {})[semconv.SESSION_ID] == "threads" for c in children)


def test_plain_threads_lose_context_unless_bound(llmops_spans: SpanRecorder) -> None:
    with llmops.span("parent") as parent:
        unbound = threading.Thread(target=work, args=(1,))
        bound = threading.Thread(target=llmops.bind_context(work), args=(2,))
        unbound.start(), bound.start()
        unbound.join(), bound.join()
    tools = [s for s in llmops_spans.spans if s.name == "execute_tool work"]
    parents = {
        (s.attributes or {})[semconv.INPUT_VALUE]: s.parent.span_id if s.parent else None
        for s in tools
    }
    assert parents['{"i":2}'] == int(parent.span_id, 16)
    assert parents['{"i":1}'] is None


def test_inject_and_continue_trace_round_trip(llmops_spans: SpanRecorder) -> None:
    with llmops.session("remote"), llmops.span("caller") as caller:
        headers = llmops.inject()
        env = llmops.inject_env({})
    assert headers["traceparent"].split("-")[1] == caller.trace_id
    assert env["TRACEPARENT"] == headers["traceparent"]
    for carrier in (headers, env, headers["traceparent"]):
        with llmops.continue_trace(carrier):
            work(7)
    remote = [s for s in llmops_spans.spans if s.name == "execute_tool work"]
    assert len(remote) == 3
    for span in remote:
        assert span.parent is not None
        assert span.parent.is_remote
        assert f"{span.context.trace_id:032x}" == caller.trace_id
    # Session travels with the llmops carrier key, not with a bare traceparent.
    assert [(s.attributes or {}).get(semconv.SESSION_ID) for s in remote] == [
        "remote",
        "remote",
        None,
    ]


def test_carrier_from_outside_is_bounded_to_attribute_values(llmops_spans: SpanRecorder) -> None:
    with llmops.session("s-1"), llmops.span("caller"):
        headers = llmops.inject()
    forged = dict(headers)
    forged["llmops-attributes"] = json.dumps(
        {
            "session.id": {"nested": 1},
            "user.id": "u-1",
            "llmops.tags": ["a", 2],
            "ok": 3,
            "": 1,
            "llmops.cost.usd": 1e9,
            "gen_ai.usage.input_tokens": 5,
            "llmops.config.version": "v-from-upstream",
            "long": "y" * 5000,
        }
    )
    # Header names and values as bytes, the way ASGI servers hand them over.
    as_bytes = {k.encode(): v.encode() for k, v in forged.items()}
    with llmops.continue_trace(as_bytes):
        work(1)
    with llmops.continue_trace(headers["traceparent"].encode()):
        work(2)
    first, second = (s for s in llmops_spans.spans if s.name == "execute_tool work")
    attributes = dict(first.attributes or {})
    assert semconv.SESSION_ID not in attributes  # a dict is no attribute value
    assert attributes["user.id"] == "u-1"
    assert semconv.LLMOPS_TAGS not in attributes
    assert attributes["ok"] == 3
    assert attributes["long"] == "y" * 1024
    assert "llmops.cost.usd" not in attributes  # a caller cannot set cost or usage
    assert "gen_ai.usage.input_tokens" not in attributes
    assert attributes["llmops.config.version"] == "v-from-upstream"  # scope keys travel
    assert first.parent is not None
    assert second.parent is not None
    assert first.parent.span_id == second.parent.span_id


def _traced_square(x: int) -> int:
    return work(x) * x


def test_wrapped_process_pool_continues_the_trace(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    llmops.configure(home=tmp_path / "home")
    with (
        llmops.session("pool"),
        llmops.span("fan-out") as parent,
        llmops.wrap_executor(ProcessPoolExecutor(2)) as pool,
    ):
        assert list(pool.map(_traced_square, [2, 3])) == [4, 9]
    rows = llmops.query(
        "SELECT name, trace_id, session_id, parent_span_id FROM spans ORDER BY name"
    )
    tools = [r for r in rows if r["name"] == "execute_tool work"]
    assert len(tools) == 2
    for row in tools:
        assert row["trace_id"] == parent.trace_id
        assert row["parent_span_id"] == parent.span_id
        assert row["session_id"] == "pool"


def test_non_ascii_scope_survives_headers_as_bytes(llmops_spans: SpanRecorder) -> None:
    with llmops.session("café-☕"), llmops.span("caller"):
        headers = llmops.inject()
    assert all(value.isascii() for value in headers.values())
    with llmops.continue_trace({k.encode(): v.encode("latin-1") for k, v in headers.items()}):
        work(3)
    remote = llmops_spans.attributes("execute_tool work")
    assert remote[semconv.SESSION_ID] == "café-☕"


def test_spawned_workers_take_the_submitters_settings(tmp_path: Path) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    llmops.configure(home=tmp_path / "spawned-home", service_name="fan-out-svc")
    spawn = multiprocessing.get_context("spawn")
    with (
        llmops.span("fan-out") as parent,
        llmops.wrap_executor(ProcessPoolExecutor(1, mp_context=spawn)) as pool,
    ):
        assert pool.submit(_traced_square, 3).result(timeout=120) == 9
    rows = llmops.query(
        "SELECT trace_id, parent_span_id, service_name FROM spans WHERE name = ?",
        ["execute_tool work"],
    )
    assert rows == [
        {
            "trace_id": parent.trace_id,
            "parent_span_id": parent.span_id,
            "service_name": "fan-out-svc",
        }
    ]

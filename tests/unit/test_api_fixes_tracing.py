"""Regressions from the tracing API audit: each test names the failure it guards against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

import llmops
from llmops._internal import STATS
from llmops.testing import SpanRecorder, capture_spans
from llmops.tracing import semconv
from llmops.tracing._capture import to_attribute

SURROGATE_NAME = b"caf\xe9.txt".decode("utf-8", "surrogateescape")


def _valid_utf8(text: Any) -> bool:
    try:
        str(text).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- 1. lone surrogates never reach a span --------------------------------------------------


def test_error_message_with_lone_surrogates_is_sanitised(llmops_spans: SpanRecorder) -> None:
    @llmops.tool
    def open_file() -> None:
        raise FileNotFoundError("missing " + SURROGATE_NAME)

    with pytest.raises(FileNotFoundError):
        open_file()
    span = llmops_spans.by_name("execute_tool open_file")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "FileNotFoundError: missing caf?.txt"
    [event] = span.events
    attrs = dict(event.attributes or {})
    assert attrs["exception.type"] == "FileNotFoundError"
    assert attrs["exception.message"] == "missing caf?.txt"
    assert attrs["exception.escaped"] == "True"
    assert "FileNotFoundError: missing caf?.txt" in str(attrs["exception.stacktrace"])
    assert all(_valid_utf8(v) for v in attrs.values())


def test_error_whose_str_raises_is_still_recorded(llmops_spans: SpanRecorder) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no str")

    with pytest.raises(Unprintable), llmops.span("fails"):
        raise Unprintable()
    span = llmops_spans.by_name("fails")
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]


def test_long_attribute_text_with_lone_surrogates_is_sanitised() -> None:
    value, truncated = to_attribute("\udcff" * 300, 256)
    assert truncated
    assert _valid_utf8(value)
    assert value.startswith("?" * 256 + "…[truncated 300 characters]")
    with capture_spans(max_attribute_bytes=256) as spans, llmops.span("s") as span:
        span.set_attribute("path", SURROGATE_NAME * 100)
    assert _valid_utf8(spans.attributes("s")["path"])
    assert spans.attributes("s")[semconv.LLMOPS_TRUNCATED] == ("path",)


def test_long_non_ascii_attribute_text_is_cut_to_the_byte_cap() -> None:
    value, truncated = to_attribute("é" * 1000, 256)
    assert truncated
    head = value.split("…[truncated")[0]
    assert head == "é" * 128  # 256 bytes, never cut inside a character
    assert value.endswith("…[truncated 1000 characters]")


def _all_text(spans: SpanRecorder) -> list[str]:
    """Every name, attribute key and text value on the recorded spans and their events."""
    found: list[str] = []

    def add(attributes: Any) -> None:
        for key, value in dict(attributes or {}).items():
            found.append(key)
            found.extend(str(v) for v in (value if isinstance(value, tuple) else (value,)))

    for span in spans.spans:
        found.append(span.name)
        add(span.attributes)
        for event in span.events:
            found.append(event.name)
            add(event.attributes)
    return found


def test_user_supplied_names_and_ids_with_lone_surrogates_are_sanitised(
    llmops_spans: SpanRecorder,
) -> None:
    bad = SURROGATE_NAME

    @llmops.llm(name="m" + bad, attributes={"static": bad, "list": [bad]})
    def complete(prompt: str) -> dict[str, Any]:
        return {"model": bad, "id": bad, "choices": [{"finish_reason": bad}]}

    extra: dict[str, Any] = {"key " + bad: bad}
    with (
        llmops.session(bad),
        llmops.user(bad),
        llmops.tags(bad),
        llmops.span("step " + bad, **extra) as span,
    ):
        span.set_attribute("attr " + bad, 1)
        span.add_event("event " + bad, {"field " + bad: bad})
        complete("hi")
    texts = _all_text(llmops_spans)
    assert "step caf?.txt" in texts
    assert "chat mcaf?.txt" in texts
    assert "caf?.txt" in texts
    assert [t for t in texts if not _valid_utf8(t)] == []


# --- 2. span helpers never raise into the application ----------------------------------------


def _misuse(span: llmops.LlmopsSpan) -> None:
    span.set_cost("1.5$")  # type: ignore[arg-type]
    span.set_cost(None)  # type: ignore[arg-type]
    span.set_tags(None)  # type: ignore[arg-type]
    span.set_tags(5)  # type: ignore[arg-type]
    span.set_attributes(None)  # type: ignore[arg-type]


def test_span_helpers_count_misuse_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLMOPS_RAISE_INTERNAL_ERRORS")
    _misuse(llmops.current_span())  # no active span
    with capture_spans() as spans:
        _misuse(llmops.current_span())  # still none
        assert llmops.stats()["internal_errors"] == 0
        with llmops.span("s") as span:
            _misuse(span)
            _misuse(llmops.current_span())
            span.set_cost("0.25", source="manual")  # type: ignore[arg-type]
            span.set_tags("one")
    assert STATS.snapshot()["internal_errors"] == 10
    attrs = spans.attributes("s")
    assert attrs[semconv.LLMOPS_COST_USD] == 0.25
    assert attrs[semconv.LLMOPS_COST_SOURCE] == "manual"
    assert attrs[semconv.LLMOPS_TAGS] == ("one",)


def test_span_helper_misuse_is_seen_under_llmops_tests(llmops_spans: SpanRecorder) -> None:
    with llmops.span("s") as span, pytest.raises(ValueError, match=r"1\.5\$"):
        span.set_cost("1.5$")  # type: ignore[arg-type]


# --- 3. llmops.span as an async context manager ----------------------------------------------


async def test_span_is_an_async_context_manager(llmops_spans: SpanRecorder) -> None:
    async with llmops.span("outer", k=1) as outer:
        assert llmops.current_span().span_id == outer.span_id
        async with llmops.span("inner") as inner:
            inner.set_attribute("hits", 3)
        assert llmops.current_span().span_id == outer.span_id
    assert not llmops.current_span().is_recording
    with pytest.raises(ValueError, match="boom"):
        async with llmops.span("fails"):
            raise ValueError("boom")
    assert llmops_spans.tree() == [(0, "outer"), (1, "inner"), (0, "fails")]
    assert llmops_spans.attributes("outer")["k"] == 1
    assert llmops_spans.attributes("inner")["hits"] == 3
    assert llmops_spans.by_name("fails").status.status_code is StatusCode.ERROR


# --- 4. decorators above @staticmethod / @classmethod ----------------------------------------


def test_decorators_above_staticmethod(llmops_spans: SpanRecorder) -> None:
    class Bot:
        @llmops.trace(name="static")
        @staticmethod
        def static(text: str) -> str:
            return text.upper()

        @llmops.llm(model="m")
        @staticmethod
        def stream(prompt: str) -> Iterator[str]:
            yield prompt

    assert isinstance(Bot.__dict__["static"], staticmethod)
    assert Bot.static("a") == "A"
    assert Bot().static("b") == "B"
    assert list(Bot.stream("p")) == ["p"]
    assert list(Bot().stream("q")) == ["q"]
    inputs = [(s.name, dict(s.attributes or {})[semconv.INPUT_VALUE]) for s in llmops_spans.spans]
    assert inputs == [
        ("static", '{"text":"a"}'),
        ("static", '{"text":"b"}'),
        ("chat m", '{"prompt":"p"}'),
        ("chat m", '{"prompt":"q"}'),
    ]


def test_decorators_above_classmethod(llmops_spans: SpanRecorder) -> None:
    class Bot:
        prefix = "hi "

        @llmops.tool
        @classmethod
        def greet(cls, name: str) -> str:
            return cls.prefix + name

    assert isinstance(Bot.__dict__["greet"], classmethod)
    assert Bot.greet("ann") == "hi ann"
    assert Bot().greet("bob") == "hi bob"
    inputs = [dict(s.attributes or {})[semconv.INPUT_VALUE] for s in llmops_spans.spans]
    assert inputs == ['{"name":"ann"}', '{"name":"bob"}']


async def test_async_classmethod_below_agent(llmops_spans: SpanRecorder) -> None:
    class Bot:
        @llmops.agent(name="bot")
        @classmethod
        async def run(cls, question: str) -> str:
            return question + "!"

    assert await Bot.run("q") == "q!"
    assert await Bot().run("r") == "r!"
    spans = [s for s in llmops_spans.spans if s.name == "invoke_agent bot"]
    assert [dict(s.attributes or {})[semconv.INPUT_VALUE] for s in spans] == [
        '{"question":"q"}',
        '{"question":"r"}',
    ]

"""Bounded, never-raising capture of arbitrary arguments and return values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

import llmops
from llmops.testing import SpanRecorder, capture_spans
from llmops.tracing import semconv
from llmops.tracing._capture import to_json


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class Point(BaseModel):
    x: int
    y: int


@dataclass
class Pair:
    a: int
    b: str


def test_plain_and_structured_values() -> None:
    assert to_json({"a": [1, 2.5, None, True]}, 1000) == ('{"a":[1,2.5,null,true]}', False)
    assert to_json(Point(x=1, y=2), 1000)[0] == '{"x":1,"y":2}'
    assert to_json(Pair(1, "z"), 1000)[0] == '{"a":1,"b":"z"}'
    assert to_json({1: "int key"}, 1000)[0] == '{"1":"int key"}'
    assert to_json({"s": {3}}, 1000)[0] == '{"s":[3]}'


@pytest.mark.parametrize(
    ("value", "expected_fragment"),
    [
        (object(), "<object: <object object at"),
        (Unprintable(), "<Unprintable>"),
        (b"\x00\xff binary", "<bytes: 9 bytes>"),
        (bytearray(b"abc"), "<bytes: 3 bytes>"),
        (lambda: 1, "<function: <function"),
    ],
)
def test_unserialisable_values_are_shown_by_type_and_repr(
    value: Any, expected_fragment: str
) -> None:
    text, truncated = to_json({"v": value}, 10_000)
    assert expected_fragment in orjson.loads(text)["v"]
    assert not truncated


def test_recursive_structures_are_cut() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    text, _ = to_json(loop, 10_000)
    assert orjson.loads(text) == [1, "<list: cycle>"]
    deep: Any = "leaf"
    for _ in range(400):
        deep = [deep]
    text, _ = to_json(deep, 100_000)
    assert "max depth" in text


def test_lone_surrogates_and_invalid_text_are_sanitised() -> None:
    text, _ = to_json(
        {"bad": "ok \ud800 end", "bytes": b"\xff".decode("utf-8", "surrogateescape")}, 1000
    )
    decoded = orjson.loads(text)
    assert decoded["bad"] == "ok ? end"
    text.encode("utf-8")  # valid UTF-8 all the way


def test_huge_values_are_truncated_with_a_visible_marker() -> None:
    text, truncated = to_json("x" * 10_000_000, 1024)
    assert truncated
    assert len(text.encode()) < 1100
    assert "…[truncated" in text
    text, truncated = to_json({"k": "é" * 5000}, 1001)
    assert truncated
    text.encode("utf-8")  # never cut inside a character


def test_bad_arguments_never_reach_the_application() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop

    @llmops.tool
    def handle(*values: Any) -> str:
        return "handled"

    with capture_spans(max_attribute_bytes=256) as spans:
        result = handle(Unprintable(), b"\xff" * 100, loop, "y" * 100_000, "\udcff")
    assert result == "handled"
    attrs = spans.attributes("execute_tool handle")
    assert attrs[semconv.INPUT_VALUE].endswith("bytes]")
    assert semconv.INPUT_VALUE in attrs[semconv.LLMOPS_TRUNCATED]


def test_set_attribute_with_strange_values(llmops_spans: SpanRecorder) -> None:
    with llmops.span("s") as span:
        span.set_attribute("obj", Unprintable())
        span.set_attribute("surrogate", "a\udc80b")
        span.set_attribute("list", ["a", "b"])
        span.set_attribute("mixed", [1, "a"])
    attrs = llmops_spans.attributes("s")
    assert attrs["obj"] == '"<Unprintable>"'
    assert attrs["surrogate"] == "a?b"
    assert attrs["list"] == ("a", "b")
    assert attrs["mixed"] == '[1,"a"]'

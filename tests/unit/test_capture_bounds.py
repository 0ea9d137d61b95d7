"""Capture costs what the size cap allows, calls only real pydantic models, keeps exact numbers;
an empty SQL query is a clear error; a deep trace prints whole."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any
from unittest.mock import MagicMock

import orjson
import pytest
from pydantic import BaseModel, SecretStr
from rich.console import Console

import llmops
from llmops._cli._render import trace_tree
from llmops.testing import SpanRecorder
from llmops.tracing import semconv
from llmops.tracing._capture import to_attribute, to_json

CAP = 16_384

# --- 1. model_dump only on pydantic models ----------------------------------------------------


class Credentials(BaseModel):
    user: str
    password: SecretStr


class LazyProxy:
    """Loads its target (say, over the network) on the first attribute it does not have."""

    loads = 0

    def __getattr__(self, name: str) -> Any:
        type(self).loads += 1
        raise AttributeError(name)

    def __repr__(self) -> str:
        return "LazyProxy()"


def test_a_mock_argument_is_not_called(llmops_spans: SpanRecorder) -> None:
    client = MagicMock()

    @llmops.trace(name="ask")
    def ask(client: Any, question: str) -> str:
        return "answer"

    assert ask(client, "q") == "answer"
    client.model_dump.assert_not_called()
    assert client.mock_calls == []  # were 286 chained model_dump(mode='json') calls, 300 ms
    captured = orjson.loads(llmops_spans.attributes("ask")[semconv.INPUT_VALUE])
    assert captured["client"].startswith("<MagicMock: <MagicMock id=")
    assert captured["question"] == "q"


def test_a_lazy_proxy_is_not_loaded() -> None:
    text, truncated = to_json({"p": LazyProxy()}, CAP)
    assert orjson.loads(text) == {"p": "<LazyProxy: LazyProxy()>"}
    assert not truncated
    assert LazyProxy.loads == 0


def test_pydantic_models_are_still_captured_with_secrets_masked() -> None:
    creds = Credentials(user="ana", password=SecretStr("hunter2"))
    text, truncated = to_json({"creds": creds}, CAP)
    assert orjson.loads(text) == {"creds": {"user": "ana", "password": "**********"}}
    assert "hunter2" not in text
    assert not truncated


# --- 2. large containers are cut before serialising --------------------------------------------


class CountingRepr:
    calls = 0

    def __repr__(self) -> str:
        type(self).calls += 1
        return "C"


def test_a_huge_list_of_objects_costs_what_the_cap_allows() -> None:
    values = [CountingRepr() for _ in range(1_000_000)]
    CountingRepr.calls = 0
    text, truncated = to_json(values, CAP)
    assert truncated
    assert CountingRepr.calls <= CAP // 2 + 1  # was 1,000,000 (1.8 s for plain object()s)
    assert text.startswith('["<CountingRepr: C>","<CountingRepr: C>"')
    assert text.endswith("…[truncated: list of 1000000 items]")
    assert len(text.encode()) <= CAP + 100


@pytest.mark.parametrize(
    ("wrap", "kind"),
    [
        (lambda big: {"x": big}, "list"),  # the binder's argument dict
        (lambda big: {"x": {"y": big}}, "list"),
        (lambda big: ("a", [big, 1]), "list"),
        (lambda big: {"x": set(big)}, "set"),
        (lambda big: {"x": dict.fromkeys(big, 0)}, "dict"),
        (lambda big: ("a", {"y": tuple(big)}), "tuple"),
    ],
)
def test_nested_huge_containers_are_cut(wrap: Any, kind: str) -> None:
    value = wrap(list(range(1_000_000)))
    text, truncated = to_json(value, CAP)
    assert truncated
    assert text.endswith(f"…[truncated: {kind} of 1000000 items]")
    assert len(text.encode()) <= CAP + 100


def test_the_head_of_a_cut_value_is_the_head_of_its_full_json() -> None:
    value = {"a": "x" * 100, "items": list(range(100_000)), "after": 1}
    full = orjson.dumps(value).decode()
    text, truncated = to_json(value, 1000)
    assert truncated
    assert text == full[:1000] + "…[truncated: list of 100000 items]"


def test_a_huge_dict_argument_is_marked_truncated(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="f")
    def f(x: Any) -> int:
        return len(x)

    table = {f"key{i}": i for i in range(1_000_000)}
    assert f(table) == 1_000_000  # cut before serialising: the marker below says so
    attrs = llmops_spans.attributes("f")
    assert attrs[semconv.INPUT_VALUE].startswith('{"x":{"key0":0,"key1":1,')
    assert attrs[semconv.INPUT_VALUE].endswith("…[truncated: dict of 1000000 items]")
    assert semconv.INPUT_VALUE in attrs[semconv.LLMOPS_TRUNCATED]


@pytest.mark.parametrize(
    "value",
    [
        [1, 2, 3],
        {"a": [1, {"b": (2, 3)}], "c": {4}},
        list(range(CAP // 2)),  # fits no cap, but short enough to serialise whole
        {str(i): i for i in range(1000)},
    ],
)
def test_small_containers_are_unchanged(value: Any) -> None:
    expected = orjson.dumps(value, default=list, option=orjson.OPT_NON_STR_KEYS)
    if len(expected) <= CAP:
        assert to_json(value, CAP) == (expected.decode(), False)
    else:  # the marker gives the size of the whole JSON, as for any value not cut early
        text, truncated = to_json(value, CAP)
        assert truncated
        assert text.endswith(f"…[truncated {len(expected)} bytes]")


def test_a_huge_list_of_text_attribute_is_bounded() -> None:
    value, truncated = to_attribute([""] * 1_000_000, CAP)
    assert truncated
    assert value.endswith("…[truncated: list of 1000000 items]")


# --- 3. exact numbers -------------------------------------------------------------------------


def test_decimals_and_fractions_are_captured_as_their_exact_text() -> None:
    value = {"price": Decimal("1.10"), "third": Fraction(1, 3), "tiny": Decimal("1E-30")}
    text, truncated = to_json(value, CAP)
    assert orjson.loads(text) == {"price": "1.10", "third": "1/3", "tiny": "1E-30"}
    assert not truncated
    assert to_json(Decimal("NaN"), CAP)[0] == '"NaN"'


# --- 4. empty SQL -----------------------------------------------------------------------------


@pytest.mark.parametrize("sql", ["", "   \n", "-- just a comment", "/* nothing */ ;"])
def test_an_empty_query_is_a_store_error(sql: str) -> None:
    with pytest.raises(llmops.StoreError, match=r"^empty query: give a SQL statement, e\.g\."):
        llmops.query(sql)
    assert llmops.query("SELECT 1 AS one") == [{"one": 1}]


# --- 5. deep traces are printed whole ---------------------------------------------------------


def _span_row(span_id: str, parent: str | None, name: str, start: int) -> dict[str, Any]:
    return {
        "trace_id": "t" * 32,
        "span_id": span_id,
        "parent_span_id": parent,
        "name": name,
        "start_time": start,
        "duration_ms": 1.0,
    }


def test_a_deep_trace_tree_shows_every_span_within_the_width() -> None:
    rows = [_span_row(f"s{i}", f"s{i - 1}" if i else None, f"span-{i}", i) for i in range(1500)]
    rows += [_span_row("a", "b", "loop-a", 2000), _span_row("b", "a", "loop-b", 2001)]
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(trace_tree(rows, width=80))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    names = [re.search(r"(span-\d+|loop-\w)", line) for line in lines[1:]]
    assert [m.group(1) for m in names if m] == [f"span-{i}" for i in range(1500)] + [
        "loop-a",
        "loop-b",
    ]
    assert "[depth 1500] span-1499" in lines[1500]

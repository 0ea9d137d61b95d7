"""The traces list read from a window of the newest spans gives the pages the whole view gives."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from llmops._spanstore import records_to_rows, span_table
from llmops._ui._data import StoreReader, TraceFilter, _all_traces, list_traces
from llmops.tracing._records import SpanRecord

HOUR_NS = 3600 * 10**9
T0 = time.time_ns() - 25 * HOUR_NS // 2  # trace 12 half an hour ago, trace 11 an hour before


def _span(trace: int, span: int, parent: int | None, start_ns: int, **attributes: Any) -> Any:
    return SpanRecord(
        f"{trace:032x}",
        f"{span:016x}",
        None if parent is None else f"{parent:016x}",
        f"step-{trace}-{span}",
        "INTERNAL",
        start_ns,
        start_ns + 10**9,
        "ERROR" if attributes.pop("failed", False) else "UNSET",
        None,
        attributes,
        (),
        {"service.name": "window-app"},
    )


@pytest.fixture
def reader(tmp_path: Path) -> StoreReader:
    """Twelve traces an hour apart (a root and two children each, one of them failed in
    trace 5), and a newer trace whose root never arrived."""
    records = []
    for trace in range(1, 13):
        start = T0 + trace * HOUR_NS
        records.append(_span(trace, trace * 10, None, start))
        records.append(_span(trace, trace * 10 + 1, trace * 10, start + 10**9, failed=trace == 5))
        records.append(_span(trace, trace * 10 + 2, trace * 10, start + 2 * 10**9))
    orphan_start = T0 + 12 * HOUR_NS + 60 * 10**9
    records.append(_span(99, 991, 990, orphan_start))
    table = span_table(tmp_path)
    table.append(records_to_rows(records[:20]))
    table.append(records_to_rows(records[20:]))
    table.compact(force=True)  # one Parquet segment, as a store grows to
    return StoreReader(tmp_path)


@pytest.mark.parametrize("page", [1, 2, 3, 4])
def test_each_page_is_the_whole_views_page(reader: StoreReader, page: int) -> None:
    filters = TraceFilter(page=page, limit=4)
    rows, total = list_traces(reader, filters)
    where, params = filters.where()
    assert (rows, total) == _all_traces(reader, filters, where, params)
    assert total == 13


def test_the_first_page_holds_the_newest_traces_a_rootless_one_included(
    reader: StoreReader,
) -> None:
    rows, _ = list_traces(reader, TraceFilter(limit=2))
    assert [r["trace_id"][-2:] for r in rows] == ["63", "0c"]  # the orphan (99), then trace 12
    assert [r["span_count"] for r in rows] == [1, 3]
    assert rows[1]["root_name"] == "step-12-120"


def test_filters_read_the_whole_view(reader: StoreReader) -> None:
    rows, total = list_traces(reader, TraceFilter(errors=True))
    assert [r["trace_id"][-2:] for r in rows] == ["05"]
    assert total == 1


@pytest.mark.parametrize("sort", ["time", "duration", "cost", "tokens", "spans", "errors"])
@pytest.mark.parametrize("page", [1, 2, 5, 6])
def test_a_filtered_page_in_two_steps_is_the_views_page(
    reader: StoreReader, sort: str, page: int
) -> None:
    """The page's ids first, then its rows in full: the same rows, order and total as one query
    over the whole ``traces`` view."""
    from llmops._ui._data import _TRACE_COLUMNS, _TRACE_SORTS

    filters = TraceFilter(project="window-app", sort=sort, page=page, limit=3)
    where, params = filters.where()
    rows, total = _all_traces(reader, filters, where, params)
    expected = reader.rows(
        f"SELECT {_TRACE_COLUMNS} FROM traces {where} "
        f"ORDER BY {_TRACE_SORTS[sort]}, trace_id LIMIT 3 OFFSET ?",
        [*params, (page - 1) * 3],
    )
    assert rows == expected
    assert total == 13  # past the last page too
    assert len(rows) == {5: 1, 6: 0}.get(page, 3)

"""Test kit: capture the spans your code makes, the way llmops tests its own instrumentation.

Example:
    >>> def test_agent_calls_search(llmops_spans):
    ...     answer("hi")
    ...     assert llmops_spans.names() == ["execute_tool search", "invoke_agent bot"]

The ``llmops_spans`` fixture is registered as a pytest plugin when llmops is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

__all__ = ["SpanRecorder", "capture_spans", "llmops_spans"]


class SpanRecorder:
    """Finished spans held in memory, with helpers for assertions."""

    def __init__(self) -> None:
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        self.exporter = InMemorySpanExporter()

    @property
    def spans(self) -> list[ReadableSpan]:
        """Finished spans in the order they ended (a stream dropped without ever being iterated
        included: its span ends here, as the next traced call or flush would end it)."""
        from llmops.tracing._decorators import _ABANDONED, end_abandoned_streams

        if _ABANDONED:
            end_abandoned_streams()
        return list(self.exporter.get_finished_spans())

    def names(self) -> list[str]:
        return [s.name for s in self.spans]

    def by_name(self, name: str) -> ReadableSpan:
        """The one span called ``name`` (fails when there are none or several)."""
        matches = [s for s in self.spans if s.name == name]
        if len(matches) != 1:
            raise AssertionError(
                f"expected one span named {name!r}, found {len(matches)}: {self.names()}"
            )
        return matches[0]

    def attributes(self, name: str) -> dict[str, Any]:
        return dict(self.by_name(name).attributes or {})

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        return [
            s
            for s in self.spans
            if s.parent is not None and s.parent.span_id == parent.context.span_id
        ]

    def tree(self) -> list[tuple[int, str]]:
        """``(depth, name)`` pairs in start order, for asserting the shape of a trace.

        Ids and clocks are left out, so the result is deterministic.
        """
        by_parent: dict[int | None, list[ReadableSpan]] = {}
        ids = {s.context.span_id for s in self.spans}
        for s in sorted(self.spans, key=lambda s: s.start_time or 0):
            parent = s.parent.span_id if s.parent is not None and s.parent.span_id in ids else None
            by_parent.setdefault(parent, []).append(s)
        out: list[tuple[int, str]] = []

        def walk(parent: int | None, depth: int) -> None:
            for child in by_parent.get(parent, []):
                out.append((depth, child.name))
                walk(child.context.span_id, depth + 1)

        walk(None, 0)
        return out

    def clear(self) -> None:
        self.exporter.clear()


@contextmanager
def capture_spans(**settings: Any) -> Iterator[SpanRecorder]:
    """Configure llmops to record spans in memory only, synchronously, for the block.

    The set-up in place before (your ``configure()`` in a conftest, say) is put aside, not shut
    down, and comes back as it was when the block ends.

    Args:
        **settings: Extra ``llmops.configure`` settings (e.g. ``max_attribute_bytes=256``).
    """
    from llmops._configure import push, resume

    recorder = SpanRecorder()
    settings.setdefault("exporters", [])
    saved = push(span_exporters=[recorder.exporter], batch=False, **settings)
    try:
        yield recorder
    finally:
        resume(saved)


@pytest.fixture
def llmops_spans() -> Iterator[SpanRecorder]:
    """A :class:`SpanRecorder` receiving every span made during the test."""
    with capture_spans() as recorder:
        yield recorder

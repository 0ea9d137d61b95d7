"""Trace pages: the list with filters and paging, one trace's waterfall, span detail and online
scores, JSON; and the monitoring page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmops._ui import _data
from llmops._ui._data import PAGE_SIZES, StoreReader, TraceFilter
from llmops._ui._monitoring import monitor_page, trace_scores
from llmops._ui._trace import span_detail, span_json, waterfall
from llmops._ui._web import Renderer, html_page, json_api, json_response

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route


def _pages(total: int, page: int, limit: int) -> dict[str, Any]:
    last = max(1, -(-total // limit))
    first_row = (page - 1) * limit + 1 if total else 0
    return {
        "page": page,
        "last": last,
        "first_row": first_row,
        "last_row": min(page * limit, total),
        "total": total,
    }


def _trace_payload(
    reader: StoreReader, raw_id: str
) -> tuple[str, dict[str, Any], list[Any], list[dict[str, Any]]]:
    """One trace's full id, summary, spans and online scores, read on one connection."""
    with reader.connection():
        trace_id = _data.resolve_trace_id(reader, raw_id)
        summary = _data.trace_summary(reader, trace_id)
        spans = _data.trace_spans(reader, trace_id)
        scores = trace_scores(reader, trace_id)
    return trace_id, summary, spans, scores


def routes(reader: StoreReader, renderer: Renderer) -> list[Route]:
    """The trace pages, the monitoring page and the JSON API over ``reader``'s store."""
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    page = html_page(renderer)

    @page
    def traces_page(request: Request) -> Response:
        filters = TraceFilter.from_query(request.query_params)
        rows, total = _data.list_traces(reader, filters)
        return renderer.page(
            "traces.html",
            title="Traces",
            nav="traces",
            traces=rows,
            filters=filters,
            paging=_pages(total, filters.page, filters.limit),
            page_sizes=PAGE_SIZES,
        )

    @page
    def trace_page(request: Request) -> Response:
        raw_id = request.path_params["trace_id"]
        trace_id, summary, spans, scores = _trace_payload(reader, raw_id)
        if trace_id != raw_id:  # a prefix: send the browser to the trace's own address
            return RedirectResponse(f"/traces/{trace_id}", status_code=302)
        rows = waterfall(spans)
        selected_id = request.query_params.get("span") or rows[0].span["span_id"]
        selected = next((r.span for r in rows if r.span["span_id"] == selected_id), None)
        if selected is None:
            raise _data.NotFound(f"no span {selected_id!r} in trace {trace_id}")
        start_ns = min(s["start_ns"] for s in spans)
        return renderer.page(
            "trace.html",
            title=f"Trace {summary['root_name'] or trace_id[:12]}",
            nav="traces",
            trace=summary,
            trace_id=trace_id,
            rows=rows,
            selected_id=selected_id,
            detail=span_detail(selected, start_ns),
            truncated=len(spans) >= _data.MAX_SPANS,
            max_spans=_data.MAX_SPANS,
            scores=scores,
        )

    @json_api
    def traces_api(request: Request) -> Response:
        filters = TraceFilter.from_query(request.query_params)
        rows, total = _data.list_traces(reader, filters)
        return json_response(
            {"traces": rows, "total": total, "page": filters.page, "limit": filters.limit}
        )

    @json_api
    def trace_api(request: Request) -> Response:
        _, summary, spans, scores = _trace_payload(reader, request.path_params["trace_id"])
        return json_response(
            {"trace": summary, "spans": [span_json(s) for s in spans], "scores": scores}
        )

    return [
        Route("/", traces_page),
        Route("/traces/{trace_id}", trace_page),
        Route("/api/traces", traces_api),
        Route("/api/traces/{trace_id}", trace_api),
        Route("/monitor", page(monitor_page(reader, renderer))),
    ]

"""What the UI reads from the store: traces, one trace's spans, eval runs, cases and scores.

Every query takes user input as parameters only; the few SQL fragments chosen by a request
(sort order) come from fixed tables here. Lists are paged in SQL, so a page costs the same on a
store of a thousand traces or a million.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    import duckdb

MAX_SPANS = 5000
PAGE_SIZES = (25, 50, 100, 200)
_DURATION = re.compile(r"^(\d{1,6})([mhd])$")
_HEX_ID = re.compile(r"^[0-9a-fA-F]{4,32}$")
_TRACE_SORTS = {
    "time": "start_time DESC",
    "duration": "duration_ms DESC NULLS LAST",
    "cost": "cost_usd DESC NULLS LAST",
    "tokens": "coalesce(input_tokens, 0) + coalesce(output_tokens, 0) DESC",
    "spans": "span_count DESC",
    "errors": "error_count DESC",
}


class BadRequest(ValueError):
    """A request parameter has a bad value; the message says which and why."""


class NotFound(LookupError):
    """The thing a URL names is not in the store."""


class StoreReader:
    """Read-only SQL over one store folder, a fresh DuckDB connection per request.

    Args:
        store_dir: The store folder (``$LLMOPS_HOME/store`` by default).
        compact_threshold: Batch files that make a read fold them into Parquet first.
    """

    def __init__(self, store_dir: Path, compact_threshold: int = 64) -> None:
        self.store_dir = Path(store_dir)
        self.compact_threshold = compact_threshold
        self._held = threading.local()

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the store's views, its files held for reading during the block.

        Inside another ``connection()`` block of the same thread, that block's connection: a
        page that asks several questions opens the store once (~50-100 ms on a big store).
        """
        held = getattr(self._held, "con", None)
        if held is not None:
            yield held
            return
        from llmops._spanstore import open_store

        store = open_store(self.store_dir)
        with store.connection(compact_threshold=self.compact_threshold) as con:
            self._held.con = con
            try:
                yield con
            finally:
                self._held.con = None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one parameterised query and return its rows as dicts."""
        from llmops._query import dict_rows

        with self.connection() as con:
            return dict_rows(con.execute(sql, list(params)))


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name}={raw!r}: expected a whole number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name}={value}: expected {low} to {high}")
    return value


def page_params(params: Mapping[str, str], default_limit: int = 50) -> tuple[int, int]:
    """``page`` (from 1) and ``limit`` from a query string, checked."""
    page = _int_param(params, "page", 1, 1, 1_000_000)
    limit = _int_param(params, "limit", default_limit, 1, max(PAGE_SIZES))
    return page, limit


@dataclass(frozen=True)
class TraceFilter:
    """The traces list's filters, sort and page, as read from a query string.

    Attributes:
        q: Root span name contains this (case-insensitive), or a trace id starts with it.
        config: ``name``, a version prefix, or ``name@version-prefix``.
        session: A session id, exactly.
        project: A project, exactly: the spans' ``service.name``, or the ``x-llmops-project``
            header they were sent to ``llmops server`` with.
        errors: Only traces with at least one failed span.
        since: Only traces newer than this duration (``30m``, ``2h``, ``7d``).
        score: ``METRIC:pass`` or ``METRIC:fail``: only traces whose online score of that metric
            (``llmops monitor run``) passed, or failed.
        ids: Only these traces (comma-separated ids; an alert's traces).
    """

    q: str = ""
    config: str = ""
    session: str = ""
    project: str = ""
    errors: bool = False
    since: str = ""
    score: str = ""
    ids: str = ""
    sort: str = "time"
    page: int = 1
    limit: int = 50

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> TraceFilter:
        """Read and check the filters; raises ``BadRequest`` naming the bad parameter."""
        sort = params.get("sort") or "time"
        if sort not in _TRACE_SORTS:
            raise BadRequest(f"sort={sort!r}: expected one of {', '.join(_TRACE_SORTS)}")
        since = (params.get("since") or "").strip()
        if since and not _DURATION.match(since):
            raise BadRequest(f"since={since!r}: expected a duration like 30m, 2h or 7d")
        errors = (params.get("errors") or "").lower()
        if errors not in ("", "0", "1", "true", "false", "on"):
            raise BadRequest(f"errors={errors!r}: expected 1 or 0")
        page, limit = page_params(params)
        return cls(
            q=(params.get("q") or "").strip(),
            config=(params.get("config") or "").strip(),
            session=(params.get("session") or "").strip(),
            project=(params.get("project") or "").strip(),
            errors=errors in ("1", "true", "on"),
            since=since,
            score=_score_param(params),
            ids=_ids_param(params),
            sort=sort,
            page=page,
            limit=limit,
        )

    def where(self) -> tuple[str, list[Any]]:
        """The SQL ``WHERE`` clause over the ``traces`` view, and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.q:
            clauses.append("(contains(lower(root_name), lower(?)) OR starts_with(trace_id, ?))")
            params += [self.q, self.q.lower()]
        if self.config:
            name, at, version = self.config.partition("@")
            if at:
                clauses.append("config_name = ? AND starts_with(config_version, ?)")
                params += [name, version]
            else:
                clauses.append("(config_name = ? OR starts_with(config_version, ?))")
                params += [self.config, self.config]
        if self.session:
            clauses.append("session_id = ?")
            params.append(self.session)
        if self.project:
            clauses.append("service_name = ?")
            params.append(self.project)
        if self.errors:
            clauses.append("error_count > 0")
        if self.since:
            clauses.append("start_time >= ?")
            params.append(_cutoff(self.since))
        if self.score or self.ids:
            online_clauses, online_params = _online_where(self.score, self.ids)
            clauses += online_clauses
            params += online_params
        return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params

    def url(self, path: str = "/", **changes: Any) -> str:
        """This filter's URL with some fields changed (e.g. ``page=2``), defaults left out."""
        changed = replace(self, **changes)
        fields = {
            "q": changed.q,
            "config": changed.config,
            "session": changed.session,
            "project": changed.project,
            "errors": "1" if changed.errors else "",
            "since": changed.since,
            "score": changed.score,
            "ids": changed.ids,
            "sort": "" if changed.sort == "time" else changed.sort,
            "page": "" if changed.page == 1 else str(changed.page),
            "limit": "" if changed.limit == 50 else str(changed.limit),
        }
        query = urlencode({k: v for k, v in fields.items() if v})
        return f"{path}?{query}" if query else path


_SCORE = re.compile(r"^([\w.-]{1,64}):(pass|fail)$")
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_IDS = 100


def _score_param(params: Mapping[str, str]) -> str:
    score = (params.get("score") or "").strip()
    if score and not _SCORE.match(score):
        raise BadRequest(f"score={score!r}: expected METRIC:pass or METRIC:fail")
    return score


def _ids_param(params: Mapping[str, str]) -> str:
    ids = [i.strip().lower() for i in (params.get("ids") or "").split(",") if i.strip()]
    bad = next((i for i in ids if not _TRACE_ID.match(i)), None)
    if bad is not None:
        raise BadRequest(f"ids: {bad!r} is not a trace id")
    if len(ids) > MAX_IDS:
        raise BadRequest(f"ids: {len(ids)} trace ids, at most {MAX_IDS}")
    return ",".join(ids)


def _online_where(score: str, ids: str) -> tuple[list[str], list[Any]]:
    """Clauses for the ``score`` and ``ids`` filters: semi-joins on the online scores, a list."""
    clauses: list[str] = []
    params: list[Any] = []
    if score:
        metric, _, result = score.rpartition(":")
        clauses.append(
            "trace_id IN (SELECT trace_id FROM monitor_scores WHERE metric = ? AND passed = ?)"
        )
        params += [metric, result == "pass"]
    if ids:
        clauses.append("list_contains(?, trace_id)")
        params.append(ids.split(","))
    return clauses, params


def _cutoff(since: str) -> datetime:
    match = _DURATION.match(since)
    assert match is not None  # checked in from_query
    amount, unit = int(match.group(1)), match.group(2)
    delta = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(days=amount)
    )
    return (datetime.now(UTC) - delta).replace(tzinfo=None)


_TRACE_COLUMNS = (
    "trace_id, root_name, start_time, duration_ms, span_count, error_count, input_tokens, "
    "output_tokens, cost_usd, session_id, user_id, config_name, config_version, service_name"
)


# Unfiltered and newest first, the list reads the newest spans only: those that started since
# the page's last root span (a span without a parent) did, less a margin for clocks that differ
# between services. A page then costs about the same on a store of ten million spans as on one
# of a hundred thousand. A trace that runs on for longer than the margin shows there with the
# spans in the window; one whose root span has not arrived shows while its spans are in the
# window. The total is exact (distinct trace ids: about half of the page's time at 10M spans).
# Filters and other orders read the whole ``traces`` view.
_WINDOW_MARGIN_NS = 10 * 60 * 10**9
_FIRST_LOOKBACK_NS = 3600 * 10**9
_LONGEST_LOOKBACK_NS = 366 * 24 * _FIRST_LOOKBACK_NS


def list_traces(reader: StoreReader, filters: TraceFilter) -> tuple[list[dict[str, Any]], int]:
    """One page of traces matching ``filters``, and how many match in all."""
    from llmops._query import dict_rows

    where, params = filters.where()
    if where or filters.sort != "time":
        return _all_traces(reader, filters, where, params)
    wanted = filters.page * filters.limit
    with reader.connection() as con:
        cut = _nth_newest_root(con, wanted)
        if cut is None:  # fewer root spans than that: the window would be the whole store
            return _all_traces(reader, filters, where, params)
        from llmops._spanstore import traces_sql

        rows = dict_rows(
            con.execute(
                f"SELECT {_TRACE_COLUMNS} FROM ({traces_sql('start_ns >= ?')}) "
                "ORDER BY start_time DESC, trace_id LIMIT ? OFFSET ?",
                [cut - _WINDOW_MARGIN_NS, filters.limit, wanted - filters.limit],
            )
        )
        counted = con.execute("SELECT count(DISTINCT trace_id) FROM span_rows").fetchone()
    return rows, int(counted[0]) if counted else 0


def _nth_newest_root(con: duckdb.DuckDBPyConnection, n: int) -> int | None:
    """The start of the ``n``-th newest root span; None when there are fewer.

    Looked for in the last hour first, then in 8 times as long, and so on: a bound on the start
    lets the scan skip the row groups whose start times all fall before it (rows are written in
    about the order they start).
    """
    lookback = _FIRST_LOOKBACK_NS
    now = time.time_ns()
    while True:
        bounded = lookback < _LONGEST_LOOKBACK_NS
        found = con.execute(
            "SELECT start_ns FROM span_rows WHERE parent_span_id IS NULL AND start_ns >= ? "
            "ORDER BY start_ns DESC LIMIT 1 OFFSET ?",
            [now - lookback if bounded else -(2**63), n - 1],
        ).fetchone()
        if found is not None or not bounded:
            return None if found is None else int(found[0])
        lookback *= 8


def _all_traces(
    reader: StoreReader, filters: TraceFilter, where: str, params: list[Any]
) -> tuple[list[dict[str, Any]], int]:
    """:func:`list_traces` over the whole ``traces`` view, in two steps.

    The page's trace ids and the total come first from only the columns the filters and the
    order read (DuckDB leaves the other aggregates out: a third of the time at 10M spans); then
    the page's rows in full, from the spans of those traces alone (a trace's spans all start at
    or after its start, so the page's earliest start bounds the scan).
    """
    from llmops._query import dict_rows
    from llmops._spanstore import traces_sql

    order = _TRACE_SORTS[filters.sort]
    with reader.connection() as con:
        page = dict_rows(
            con.execute(
                f"SELECT trace_id, start_time, count(*) OVER () AS total FROM traces {where} "
                f"ORDER BY {order}, trace_id LIMIT ? OFFSET ?",
                [*params, filters.limit, (filters.page - 1) * filters.limit],
            )
        )
        if not page:
            total = 0
            if filters.page > 1:
                counted = con.execute(f"SELECT count(*) FROM traces {where}", params).fetchone()
                total = int(counted[0]) if counted else 0
            return [], total
        earliest = min(row["start_time"] for row in page)
        span_filter = "start_ns >= ? AND trace_id IN (SELECT unnest(?))"
        rows = dict_rows(
            con.execute(
                f"SELECT {_TRACE_COLUMNS} FROM ({traces_sql(span_filter)}) "
                f"ORDER BY {order}, trace_id",
                [_epoch_ns(earliest), [row["trace_id"] for row in page]],
            )
        )
    return rows, int(page[0]["total"])


def _epoch_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of a naive UTC timestamp (a ``traces`` start time)."""
    return (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1) * 1000


def check_id(value: str, what: str) -> str:
    """``value`` if it looks like a hex id (or a prefix of one); ``NotFound`` otherwise."""
    if not _HEX_ID.match(value):
        raise NotFound(f"no {what} {value!r}")
    return value.lower()


def resolve_trace_id(reader: StoreReader, trace_id: str) -> str:
    """The full id of the one trace whose id starts with ``trace_id``; a whole id as it is
    (whether that trace is there, the queries that read it say)."""
    trace_id = check_id(trace_id, "trace")
    if len(trace_id) == 32:  # a whole id: whether it is there, the next query says
        return trace_id
    found = reader.rows(
        "SELECT DISTINCT trace_id FROM span_rows WHERE starts_with(trace_id, ?) LIMIT 2",
        [trace_id],
    )
    if len(found) != 1:
        raise NotFound(f"no trace {trace_id!r}" if not found else f"{trace_id!r} is ambiguous")
    return str(found[0]["trace_id"])


_SPAN_COLUMNS = (
    "span_id, parent_span_id, name, kind, start_ns, end_ns, status_code, status_message, "
    "span_type, model, input_tokens, output_tokens, cost_usd, config_name, config_version, "
    "session_id, user_id, error_type, attributes, events, resource"
)


def trace_spans(reader: StoreReader, trace_id: str) -> list[dict[str, Any]]:
    """The spans of one trace in start order (at most ``MAX_SPANS``); ``NotFound`` if none.

    Found by equality on the whole id: the segments' Bloom filters skip the row groups
    without it, so a trace costs about the same in a store of any size.
    """
    rows = reader.rows(
        f"SELECT {_SPAN_COLUMNS} FROM span_rows WHERE trace_id = ? "
        "ORDER BY start_ns, span_id LIMIT ?",
        [trace_id, MAX_SPANS],
    )
    if not rows:
        raise NotFound(f"no trace {trace_id!r}")
    return rows


def trace_summary(reader: StoreReader, trace_id: str) -> dict[str, Any]:
    """The ``traces`` row of one trace."""
    rows = reader.rows(f"SELECT {_TRACE_COLUMNS} FROM traces WHERE trace_id = ?", [trace_id])
    if not rows:
        raise NotFound(f"no trace {trace_id!r}")
    return rows[0]


def config_usage(reader: StoreReader, limit: int = 200) -> list[dict[str, Any]]:
    """Traces, tokens, cost and errors per config version seen in the spans."""
    return reader.rows(
        "SELECT u.*, s.last_seen FROM usage_by_config u LEFT JOIN ("
        "  SELECT config_name, config_version, make_timestamp(max(start_ns) // 1000) AS last_seen"
        "  FROM span_rows GROUP BY ALL) s USING (config_name, config_version) "
        "WHERE config_version IS NOT NULL ORDER BY s.last_seen DESC NULLS LAST LIMIT ?",
        [limit],
    )

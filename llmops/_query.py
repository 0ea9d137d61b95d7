"""SQL over the embedded store: ``llmops.query()`` and ``llmops sql``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from llmops._errors import StoreError

if TYPE_CHECKING:
    import duckdb

EMPTY_QUERY = "empty query: give a SQL statement, e.g. SELECT * FROM traces"


@contextmanager
def store_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with the store's tables and views, for the duration of the block."""
    from llmops._configure import active_settings
    from llmops._spanstore import open_store

    settings = active_settings()
    store = open_store(settings.store_dir())
    with store.connection(compact_threshold=settings.compact_threshold) as con:
        yield con


def dict_rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """A DuckDB result as a list of dicts (column name → value); no result, no rows."""
    if cursor.description is None:
        return []
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def query(
    sql: str, params: Sequence[Any] | dict[str, Any] | None = None, *, flush: bool = True
) -> list[dict[str, Any]]:
    """Run SQL over the store and return the rows as dicts.

    Tables and views: ``spans`` (one row per span, times as timestamps), ``traces`` (one row per
    trace), ``usage_by_config`` (spans, tokens, cost and errors per config version), and
    ``span_rows`` (the stored rows, times in nanoseconds).

    Args:
        sql: A DuckDB query.
        params: Positional (``?``) or named (``$name``) parameters.
        flush: Export this process's finished spans first, so they are visible.

    Raises:
        StoreError: The SQL is invalid or empty, or the store cannot be read; the message says
            which.

    Example:
        >>> llmops.query("SELECT model, sum(cost_usd) FROM spans GROUP BY model")
    """
    import duckdb

    if flush:
        from llmops._configure import flush as flush_spans

        flush_spans(exporters=("duckdb",))  # what the store will hold; not a slow OTLP backend
    try:
        with store_connection() as con:
            cursor = con.execute(sql, params) if params is not None else con.execute(sql)
            if cursor is None:  # DuckDB's answer to text with no statement: blank, comments, ";"
                raise StoreError(EMPTY_QUERY)
            return dict_rows(cursor)
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {exc}") from None
    except OSError as exc:
        raise StoreError(f"cannot read the store: {exc}") from None

"""The embedded store's span sink, and the OpenTelemetry exporter over it.

:class:`DuckDBSpanSink` appends span records (``llmops.tracing.SpanRecord``) to the span table
through the row mapper (``llmops._spanstore.records_to_rows``) and compacts in the background;
:class:`DuckDBSpanExporter` is tracing's SDK adapter (``RecordExporter``) over it: the exporter
``configure()`` names ``duckdb``, public as ``llmops.DuckDBSpanExporter``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from llmops._errors import StoreError
from llmops._spanstore import records_to_rows, span_table
from llmops._store import Table
from llmops.tracing._exporters import RecordExporter
from llmops.tracing._records import SpanRecord


class _Compactor:
    """Runs the store's compactions on a thread of its own, off the export path.

    A compaction is DuckDB work (JSON batches → Parquet) that releases the GIL, so on a second
    core it overlaps with the batch worker converting the next spans, and the export path never
    stalls (nor fills its queue) while a segment is written. Requests coalesce: the thread
    compacts whenever woken and enough batch files wait. Nothing is lost if it never runs: batch
    files are durable and readers see them.
    """

    def __init__(self, table: Table, threshold: int) -> None:
        self._table = table
        self._threshold = threshold
        self._wake = threading.Event()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False

    def request(self) -> None:
        thread = self._thread
        if thread is None or self._pid != os.getpid() or not thread.is_alive():
            with self._guard:  # first request, or the first after a fork
                if self._closed:
                    return
                if self._thread is thread:
                    self._pid = os.getpid()
                    self._thread = threading.Thread(
                        target=self._run, name="llmops-compactor", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            # A compaction that fails is counted and leaves the batch files in place.
            self._table.compact_if_due(self._threshold)

    def close(self, timeout_s: float = 60.0) -> None:
        """Stop the thread, letting a compaction in progress finish (so exit never cuts it)."""
        with self._guard:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None and self._pid == os.getpid() and thread.is_alive():
            thread.join(timeout_s)


class DuckDBSpanSink:
    """Appends span records to the span table as JSON batch files, compacted in the background.

    Safe with many processes at once: see :mod:`llmops._store` for the design.

    Args:
        store_dir: The store folder.
        compact_threshold: Pending batch files that trigger a compaction from this process.
        fsync: Also survive power loss, not only a killed process (slower).
    """

    def __init__(self, store_dir: Path, *, compact_threshold: int = 64, fsync: bool = False):
        self.store_dir = Path(store_dir)
        self._table = span_table(self.store_dir)
        self._fsync = fsync
        self._batches = 0
        self._compactor = _Compactor(self._table, compact_threshold)

    def write(self, records: Sequence[SpanRecord]) -> None:
        """Append ``records`` as one batch file.

        Raises:
            StoreError: The batch could not be written (the message says where and why).
        """
        if not records:
            return
        rows = records_to_rows(records)
        try:
            self._table.append(rows, fsync=self._fsync)
        except OSError as exc:
            raise StoreError(f"cannot write spans to {self.store_dir}: {exc}") from exc
        self._batches += 1
        if self._batches % 4 == 0:
            self._compactor.request()

    def shutdown(self, timeout_millis: float = 60_000) -> None:
        """Let a compaction in progress finish, for at most ``timeout_millis``: one cut short by
        exit is undone or completed by the next one (see :mod:`llmops._store`)."""
        self._compactor.close(timeout_s=timeout_millis / 1000)


class DuckDBSpanExporter(RecordExporter):
    """Writes spans into the embedded store (JSON batch files compacted to Parquet, read by DuckDB).

    The OpenTelemetry exporter that ``configure()`` uses by default (exporter name ``duckdb``);
    add it to a ``TracerProvider`` of your own to keep that provider's spans in the store.

    Args:
        store_dir: The store folder (``$LLMOPS_HOME/store`` under ``configure()``).
        compact_threshold: Pending batch files that trigger a compaction from this process.
        fsync: Also survive power loss, not only a killed process (slower).

    Example:
        >>> provider.add_span_processor(BatchSpanProcessor(DuckDBSpanExporter(".llmops/store")))
    """

    def __init__(self, store_dir: Path, *, compact_threshold: int = 64, fsync: bool = False):
        super().__init__(
            DuckDBSpanSink(store_dir, compact_threshold=compact_threshold, fsync=fsync)
        )
        self.store_dir = Path(store_dir)

"""The server's counters, and ``/metrics`` in Prometheus' text format (version 0.0.4).

Written by hand: a dozen series need no client library. Counters are updated under one lock from
the event loop and the writer threads; the store's numbers (batch files waiting for compaction,
segments, damaged files) are read when ``/metrics`` is scraped.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from llmops._internal import STATS
from llmops._internal import prometheus_family as _series

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServerMetrics:
    """What the server received, wrote and refused, and what waits."""

    def __init__(self, slots: int) -> None:
        self._lock = threading.Lock()
        self.slots = slots
        self.requests: Counter[str] = Counter()  # by HTTP status code
        self.grpc_requests: Counter[str] = Counter()  # by gRPC status name
        self.malformed: Counter[str] = Counter()  # by what was malformed
        self.spans_received = 0
        self.spans_written = 0
        self.spans_rejected = 0
        self.links_dropped = 0
        self.bytes_received = 0
        self.bytes_decoded = 0
        self.write_seconds = 0.0
        self.writes = 0
        self.waiting = 0  # requests waiting for a slot
        self.in_flight = 0  # requests holding one

    def answered(self, status: int) -> None:
        with self._lock:
            self.requests[str(status)] += 1

    def grpc_answered(self, code: str) -> None:
        with self._lock:
            self.grpc_requests[code] += 1

    def bad(self, what: str) -> None:
        with self._lock:
            self.malformed[what] += 1

    def received(self, raw: int, decoded: int) -> None:
        with self._lock:
            self.bytes_received += raw
            self.bytes_decoded += decoded

    def stored(self, received: int, written: int, rejected: int, links: int, s: float) -> None:
        with self._lock:
            self.spans_received += received
            self.spans_written += written
            self.spans_rejected += rejected
            self.links_dropped += links
            self.write_seconds += s
            self.writes += 1 if written else 0

    def queue(self, waiting: int = 0, in_flight: int = 0) -> None:
        with self._lock:
            self.waiting += waiting
            self.in_flight += in_flight

    def text(self, store_dir: Path) -> str:
        """All series, the store's included, in Prometheus' text format."""
        return "".join(self._lines(store_dir))

    def _lines(self, store_dir: Path) -> Iterator[str]:
        with self._lock:
            counters = [
                ("spans_received", "Spans decoded from accepted requests.", self.spans_received),
                ("spans_written", "Spans written durably to the store.", self.spans_written),
                ("spans_rejected", "Spans left out of a request (partial success): bad ids.",
                 self.spans_rejected),
                ("links_dropped", "Span links received and not kept.", self.links_dropped),
                ("request_bytes", "Request body bytes received, as sent.", self.bytes_received),
                ("decoded_bytes", "Request body bytes after decompression.", self.bytes_decoded),
                ("write_seconds", "Time spent decoding and writing accepted requests.",
                 self.write_seconds),
                ("writes", "Batch files written.", self.writes),
            ]  # fmt: skip
            requests = sorted(self.requests.items())
            grpc_requests = sorted(self.grpc_requests.items())
            malformed = sorted(self.malformed.items())
            gauges = [
                ("queue_waiting", "OTLP requests waiting for a writer slot.", self.waiting),
                ("in_flight", "OTLP requests being read, decoded or written.", self.in_flight),
                ("slots", "Writer slots (requests handled at once).", self.slots),
            ]
        for name, help_text, value in counters:
            yield from _series(f"llmops_server_{name}_total", "counter", help_text, [("", value)])
        yield from _series(
            "llmops_server_requests_total",
            "counter",
            "OTLP requests answered, by HTTP status.",
            [(f'code="{code}"', n) for code, n in requests],
        )
        yield from _series(
            "llmops_server_grpc_requests_total",
            "counter",
            "OTLP/gRPC calls answered, by gRPC status.",
            [(f'code="{code}"', n) for code, n in grpc_requests],
        )
        yield from _series(
            "llmops_server_malformed_total",
            "counter",
            "Requests refused as malformed (400), by what was wrong.",
            [(f'what="{what}"', n) for what, n in malformed],
        )
        for name, help_text, value in gauges:
            yield from _series(f"llmops_server_{name}", "gauge", help_text, [("", value)])
        yield from _store_lines(store_dir)


def _store_lines(store_dir: Path) -> Iterator[str]:
    spans = store_dir / "spans"
    gauges = [
        ("pending_batch_files", "Batch files awaiting compaction.", _count(spans / "wal", ".json")),
        ("segments", "Compacted Parquet segments.", _count(spans / "parquet", ".parquet")),
        ("quarantined_files", "Files moved aside as unreadable.", _count(spans / "quarantine")),
    ]
    for name, help_text, value in gauges:
        yield from _series(
            f"llmops_store_{name}", "gauge", help_text + " (span table)", [("", value)]
        )
    stats = STATS.snapshot()
    for name in ("compaction_errors", "store_files_damaged", "store_files_quarantined"):
        yield from _series(
            f"llmops_{name}_total",
            "counter",
            f"llmops.stats()['{name}'] of this process.",
            [("", stats[name])],
        )


def _count(folder: Path, suffix: str = "") -> int:
    try:
        with os.scandir(folder) as entries:
            return sum(
                1
                for e in entries
                if e.name.endswith(suffix) and not e.name.startswith(".")
                and not e.name.endswith(".reason.txt")
            )  # fmt: skip
    except (FileNotFoundError, NotADirectoryError):
        return 0

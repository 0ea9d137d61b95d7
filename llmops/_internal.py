"""Counters and the internal-error guard that keep telemetry from breaking user code.

Telemetry failures cost a counter and one log line, never an exception in the traced
application. Under llmops' own test suite (``LLMOPS_RAISE_INTERNAL_ERRORS=1``) unexpected internal
errors re-raise so that bugs are seen rather than counted.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

logger = logging.getLogger("llmops")

_LOG_INTERVAL_S = 60.0


class Stats:
    """Thread-safe counters behind :func:`llmops.stats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        if hasattr(os, "register_at_fork"):  # a lock held by another thread at a fork stays held
            os.register_at_fork(after_in_child=self._new_lock)
        self.counters: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.exported: Counter[str] = Counter()
        # Updated without the lock on the hot path (plain int attributes are the cheapest).
        self.spans_started = 0
        self.spans_ended = 0
        self.overhead_ns = 0
        self.overhead_calls = 0
        self._last_log: dict[str, float] = {}

    def _new_lock(self) -> None:
        self._lock = threading.Lock()

    def incr(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n

    def drop(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.dropped[reason] += n

    def export_ok(self, exporter: str, n: int) -> None:
        with self._lock:
            self.exported[exporter] += n

    def log_once_in_a_while(
        self, key: str, message: str, *args: Any, exc_info: bool = False
    ) -> None:
        """Log at most once a minute per ``key``, so a dead backend is not a log flood."""
        now = time.monotonic()
        with self._lock:
            last = self._last_log.get(key)
            if last is not None and now - last < _LOG_INTERVAL_S:
                return
            self._last_log[key] = now
        logger.warning(message, *args, exc_info=exc_info)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            calls = self.overhead_calls
            return {
                "spans_started": self.spans_started,
                "spans_ended": self.spans_ended,
                "spans_exported": dict(self.exported),
                "spans_dropped": dict(self.dropped),
                "internal_errors": self.counters["internal_errors"],
                "capture_fallbacks": self.counters["capture_fallbacks"],
                "invalid_usage": self.counters["invalid_usage"],
                "compaction_errors": self.counters["compaction_errors"],
                "store_files_damaged": self.counters["store_files_damaged"],
                "store_files_quarantined": self.counters["store_files_quarantined"],
                "overhead": {
                    "calls": calls,
                    "total_ms": self.overhead_ns / 1e6,
                    "mean_us": (self.overhead_ns / calls / 1e3) if calls else 0.0,
                },
            }

    def reset(self) -> None:
        with self._lock:
            self.counters.clear()
            self.dropped.clear()
            self.exported.clear()
            self.spans_started = self.spans_ended = 0
            self.overhead_ns = 0
            self.overhead_calls = 0
            self._last_log.clear()


STATS = Stats()


def lazy_attributes(package: str, table: dict[str, str], namespace: dict[str, Any]) -> Any:
    """A module ``__getattr__`` that imports ``name`` from ``table[name]`` on first use.

    Keeps heavy modules (the OpenTelemetry SDK, DuckDB, pydantic, litellm, presidio) out of
    ``import llmops``; each name is cached in the package's ``namespace`` once resolved.
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__


_T = TypeVar("_T")


def once(build: Callable[[], _T]) -> Callable[[], _T]:
    """``build`` as a process-wide object: built on the first call, under a lock, and the same
    object on every call after (for the lazily loaded models)."""
    lock = threading.Lock()
    built: list[_T] = []

    @functools.wraps(build)
    def get() -> _T:
        with lock:
            if not built:
                built.append(build())
            return built[0]

    return get


def _raise_internal_errors() -> bool:
    return os.environ.get("LLMOPS_RAISE_INTERNAL_ERRORS", "") in {"1", "true", "yes"}


def internal_error(where: str) -> None:
    """Count and log the exception being handled; call it from an ``except`` block.

    Re-raises it instead under llmops' own tests (``LLMOPS_RAISE_INTERNAL_ERRORS=1``).
    """
    STATS.incr("internal_errors")
    if _raise_internal_errors():
        raise
    STATS.log_once_in_a_while(
        f"internal:{where}", "llmops internal error in %s (counted)", where, exc_info=True
    )


@contextmanager
def handle_internal_errors(where: str) -> Iterator[None]:
    """Contain an unexpected failure inside llmops: count it, log it, carry on.

    Args:
        where: A short name of the operation, used as the log key.
    """
    try:
        yield
    except Exception:
        internal_error(where)


def prometheus_family(
    name: str, kind: str, help_text: str, samples: list[tuple[str, float | int]]
) -> Iterator[str]:
    """One metric family in Prometheus' text format (0.0.4): ``samples`` are (labels, value),
    labels already formatted (``a="x",b="y"``) or empty."""
    yield f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"
    for labels, value in samples:
        yield f"{name}{{{labels}}} {value}\n" if labels else f"{name} {value}\n"

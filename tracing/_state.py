"""Process-wide tracing state read by the decorators on every call.

Kept free of heavy imports: the decorators need only ``opentelemetry-api``. The first traced
call without :func:`llmops.configure` configures the embedded defaults, through the
``configure`` hook (``llmops._hooks``; the core registers it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any

from opentelemetry import trace

from llmops import _hooks
from llmops._internal import STATS

logger = logging.getLogger("llmops")


# A redaction hook: (attribute name, value) -> the value to keep, or None to drop it.
RedactHook = Callable[[str, Any], Any]


@dataclass(frozen=True)
class CaptureSettings:
    """What decorators record of inputs and outputs. Frozen: privacy settings do not drift."""

    inputs: bool = True
    outputs: bool = True
    max_attribute_bytes: int = 16_384
    messages: bool = True  # a model call's gen_ai.input/output.messages (see _messages)


class Runtime:
    """The active tracer and capture settings; swapped whole by ``configure()``."""

    def __init__(self) -> None:
        self.tracer: trace.Tracer | None = None
        self.capture = CaptureSettings()
        self.lock = threading.RLock()


RUNTIME = Runtime()
_NOOP_TRACER = trace.NoOpTracer()


def get_tracer() -> trace.Tracer:
    """The active tracer, configuring the embedded defaults on first use."""
    tracer = RUNTIME.tracer
    if tracer is not None:
        return tracer
    with RUNTIME.lock:
        if RUNTIME.tracer is None:
            started = perf_counter_ns()
            try:
                _hooks.require("configure")()
            except Exception:
                # Implicit set-up must not break the application: trace nothing, say why once.
                STATS.incr("internal_errors")
                logger.exception("llmops: automatic configure() failed; tracing is disabled")
                RUNTIME.tracer = _NOOP_TRACER
            # One-off set-up is not per-call overhead; keep it out of stats()["overhead"].
            STATS.overhead_ns -= perf_counter_ns() - started
        return RUNTIME.tracer or _NOOP_TRACER

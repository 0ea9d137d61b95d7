"""Agents used as eval targets by the eval tests (importable as ``eval_agents:NAME``)."""

from __future__ import annotations

import threading
from collections import Counter

import llmops

CALLS: Counter[str] = Counter()
_LOCK = threading.Lock()
# Set when a test ends: a case that stalled past its timeout finishes then, inside that test.
RELEASE = threading.Event()


def _count(question: str) -> int:
    with _LOCK:
        CALLS[question] += 1
        return CALLS[question]


@llmops.agent(name="faq-bot")
def faq_bot(question: str, context: str) -> dict[str, object]:
    """Answers from the context; fails or stalls on purpose for some questions."""
    attempt = _count(question)
    if "explode" in question:
        raise RuntimeError("the agent exploded")
    if "flaky" in question and attempt == 1:
        raise ConnectionError("transient")
    if "stall" in question:
        RELEASE.wait(5.0)
    with llmops.span("chat fake-model") as span:
        span.set_usage(input_tokens=len(question.split()) + 10, output_tokens=5)
        span.set_cost(0.001, source="test")
    answer = context.split(".")[0] + "." if context else "I do not know."
    return {"answer": answer, "contexts": [context]}

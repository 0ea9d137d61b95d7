"""The web UI over a real store: spans from the real decorators, eval rows in the real tables."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("jinja2")

from starlette.testclient import TestClient

import llmops
from llmops._agentconfig import AgentConfig
from llmops._ui import create_app
from llmops._ui._compare import side_by_side
from llmops._ui._trace import chat_messages, waterfall

XSS = "<script>alert('x')</script>"
CONFIG = AgentConfig(name="ui-bot", model={"id": "tiny-model"})


class LookupFailed(LookupError):
    pass


@llmops.tool(name="lookup")
def lookup(term: str) -> list[str]:
    if term == "missing":
        raise LookupFailed(f"nothing about {term}")
    return [f"doc about {term}"]


@llmops.llm(model="tiny-model", provider="local")
def chat(prompt: str) -> str:
    span = llmops.current_span()
    span.set_usage(input_tokens=12, output_tokens=5)
    span.set_cost(0.0025)
    findings = '[{"type": "EMAIL_ADDRESS", "start": 0, "end": 5}]'
    span.add_event("llmops.guardrail", {"direction": "output", "findings": findings})
    return "an answer"


@llmops.agent(name="ui-bot")
def answer(question: str) -> str:
    try:
        docs = lookup(question)
    except LookupFailed:
        return "no idea"
    return chat(f"{docs} {question}")


@llmops.trace(name=XSS)
def hostile() -> str:
    return XSS


@pytest.fixture
def traced(home: Path) -> dict[str, Any]:
    """Three traces in one session under CONFIG (one with a failed tool), and a hostile one."""
    llmops.configure(batch=False)
    with llmops.session("sess-1"), llmops.use_config(CONFIG):
        answer("pricing")
        time.sleep(0.002)
        answer("missing")
        time.sleep(0.002)
        answer("limits")
    time.sleep(0.002)
    hostile()
    llmops.flush()
    return {"store": home / "store"}


@pytest.fixture
def client(traced: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(traced["store"])) as test_client:
        yield test_client


def _trace_ids(client: TestClient, query: str = "") -> list[str]:
    return [t["trace_id"] for t in client.get(f"/api/traces{query}").json()["traces"]]


def test_traces_list_shows_every_trace_newest_first(client: TestClient) -> None:
    data = client.get("/api/traces").json()
    assert data["total"] == 4
    names = [t["root_name"] for t in data["traces"]]
    assert names == [XSS, "invoke_agent ui-bot", "invoke_agent ui-bot", "invoke_agent ui-bot"]
    agent = data["traces"][1]
    assert agent["span_count"] == 3
    assert agent["input_tokens"] == 12
    assert agent["cost_usd"] == pytest.approx(0.0025)
    assert agent["config_name"] == "ui-bot"
    assert agent["config_version"] == CONFIG.version
    page = client.get("/")
    assert page.status_code == 200
    assert page.text.count('class="trace-link"') == 4
    assert "invoke_agent ui-bot" in page.text
    assert "sess-1" in page.text


def test_filters_and_paging(client: TestClient) -> None:
    assert len(_trace_ids(client, "?errors=1")) == 1
    assert len(_trace_ids(client, "?session=sess-1")) == 3
    assert len(_trace_ids(client, "?q=UI-BOT")) == 3
    assert len(_trace_ids(client, "?config=ui-bot")) == 3
    assert len(_trace_ids(client, f"?config=ui-bot@{CONFIG.version[:8]}")) == 3
    assert len(_trace_ids(client, "?config=other-bot")) == 0
    assert len(_trace_ids(client, "?since=1h")) == 4
    everything = _trace_ids(client)
    first, second = _trace_ids(client, "?limit=2"), _trace_ids(client, "?limit=2&page=2")
    assert first + second == everything
    assert _trace_ids(client, f"?q={everything[2][:10]}") == [everything[2]]
    slowest = client.get("/api/traces?sort=spans").json()["traces"][0]
    assert slowest["span_count"] == 3
    html = client.get("/?limit=2&errors=1").text
    assert "page 1 of 1" in html
    assert 'name="errors" value="1" checked' in html
    assert 'href="/?page=2&amp;limit=2"' in client.get("/?limit=2").text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=0", "page=0"),
        ("page=two", "expected a whole number"),
        ("limit=100000", "limit=100000"),
        ("sort=name;drop", "sort="),
        ("since=yesterday", "since="),
        ("errors=maybe", "errors="),
    ],
)
def test_bad_query_parameters_are_400_with_the_reason(
    client: TestClient, query: str, message: str
) -> None:
    page = client.get(f"/?{query}")
    assert page.status_code == 400
    assert message in page.text.replace("&#39;", "'")
    api = client.get(f"/api/traces?{query}")
    assert api.status_code == 400
    assert message in api.json()["error"]


def test_trace_page_waterfall_and_span_detail(client: TestClient) -> None:
    trace_id = _trace_ids(client, "?q=ui-bot&sort=time")[-1]  # the first answer: pricing
    page = client.get(f"/traces/{trace_id}")
    assert page.status_code == 200
    rows = re.findall(r'data-span-id="([0-9a-f]{16})"', page.text)
    assert len(rows) == 3
    spans = {s["span_id"]: s for s in client.get(f"/api/traces/{trace_id}").json()["spans"]}
    assert [spans[r]["name"] for r in rows] == [
        "invoke_agent ui-bot",
        "execute_tool lookup",
        "chat tiny-model",
    ]
    assert page.text.count('<span class="indent">') == 2  # both children one level deep
    assert 'id="span-detail"' in page.text
    assert "<h2>invoke_agent ui-bot</h2>" in page.text
    llm_id = rows[2]
    detail = client.get(f"/traces/{trace_id}?span={llm_id}").text
    assert "<h2>chat tiny-model</h2>" in detail
    for expected in (
        "gen_ai.request.model",
        "tiny-model",
        "gen_ai.usage.input_tokens",
        "llmops.cost.usd",
    ):
        assert expected in detail
    assert "llmops.guardrail" in detail
    assert "EMAIL_ADDRESS" in detail
    assert 'id="span-output"' in detail
    assert "an answer" in detail
    bars = re.findall(r'<rect class="bar-(\w+)" x="([\d.]+)" y="1" width="([\d.]+)"', detail)
    assert [b[0] for b in bars] == ["agent", "tool", "llm"]
    assert float(bars[0][1]) == 0
    assert float(bars[0][2]) == 100


def test_failed_span_shows_its_exception(client: TestClient) -> None:
    trace_id = _trace_ids(client, "?errors=1")[0]
    spans = client.get(f"/api/traces/{trace_id}").json()["spans"]
    tool = next(s for s in spans if s["name"] == "execute_tool lookup")
    assert tool["status_code"] == "ERROR"
    page = client.get(f"/traces/{trace_id}?span={tool['span_id']}").text
    assert "event-exception" in page
    assert "nothing about missing" in page
    assert "LookupFailed" in page
    assert "stack trace" in page


def test_unknown_ids_are_404_and_prefixes_redirect(client: TestClient) -> None:
    trace_id = _trace_ids(client)[0]
    redirect = client.get(f"/traces/{trace_id[:10]}", follow_redirects=False)
    assert redirect.status_code == 302
    assert redirect.headers["location"] == f"/traces/{trace_id}"
    assert client.get("/traces/" + "f" * 32).status_code == 404
    assert client.get("/traces/not-a-trace-id").status_code == 404
    assert client.get(f"/traces/{trace_id}?span=0000000000000000").status_code == 404
    missing = client.get("/api/traces/" + "0" * 32)
    assert missing.status_code == 404
    assert "no trace" in missing.json()["error"]
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/static/../../etc/passwd").status_code == 404
    assert client.get("/static/ui.css").headers["content-type"].startswith("text/css")


def test_span_names_and_values_are_escaped(client: TestClient) -> None:
    listing = client.get("/")
    assert XSS not in listing.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in listing.text
    trace_id = _trace_ids(client)[0]
    page = client.get(f"/traces/{trace_id}")
    assert "<script" not in page.text
    assert "&lt;script&gt;" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"


@llmops.llm(model="chat-model")
def ask(messages: list[dict[str, Any]]) -> dict[str, Any]:
    answer = {"role": "assistant", "content": "Paris <b>bold</b>"}
    return {"choices": [{"finish_reason": "stop", "message": answer}]}


def test_model_calls_show_their_messages_as_a_chat(home: Path) -> None:
    """llmops' own messages, and OpenInference's flattened ones (mapped by the store), become
    role-labelled bubbles, their text escaped."""
    llmops.configure(batch=False)
    ask([{"role": "system", "content": "Be brief."}, {"role": "user", "content": XSS}])
    time.sleep(0.002)
    flattened = {
        "openinference.span.kind": "LLM",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "from openinference",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "mapped on ingest",
    }
    with llmops.span("openinference call", **flattened):
        pass
    llmops.flush()
    with TestClient(create_app(home / "store")) as client:
        other, own = _trace_ids(client)  # newest first
        page = client.get(f"/traces/{own}").text
        chat = page[page.index('id="span-chat"') : page.index("</ol>")]
        roles = re.findall(r'class="bubble bubble-(\w+)( bubble-output)?"', chat)
        assert roles == [("system", ""), ("user", ""), ("assistant", " bubble-output")]
        assert "Be brief." in chat
        assert "<script" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in chat
        assert "Paris &lt;b&gt;bold&lt;/b&gt;" in chat
        assert "· stop" in chat
        mapped = client.get(f"/traces/{other}").text
        assert 'id="span-chat"' in mapped
        assert "from openinference" in mapped
        assert "mapped on ingest" in mapped


def test_chat_view_reads_tool_calls_and_skips_what_is_not_messages() -> None:
    attributes = {
        "gen_ai.system_instructions": '[{"type": "text", "content": "Use tools."}]',
        "gen_ai.input.messages": (
            '[{"role": "developer", "parts": [{"type": "text", "content": "hi"}]},'
            ' {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1",'
            ' "response": {"temp": 21}}]}]'
        ),
        "gen_ai.output.messages": (
            '[{"role": "assistant", "finish_reason": "tool_call", "parts": [{"type":'
            ' "tool_call", "name": "weather", "arguments": {"city": "Oslo"}}]}]'
        ),
    }
    chat = chat_messages(attributes)
    assert [(m.role, m.style, m.output) for m in chat] == [
        ("system", "system", False),
        ("developer", "other", False),
        ("tool", "tool", False),
        ("assistant", "assistant", True),
    ]
    assert chat[2].parts[0].kind == "tool_call_response"
    assert '"temp": 21' in chat[2].parts[0].text
    call = chat[3].parts[0]
    assert (call.kind, call.label) == ("tool_call", "weather")
    assert chat[3].finish_reason == "tool_call"
    cut = '[{"role": "user", "parts": [{"type": "text", "content": "hi…[truncated 9 bytes]'
    assert chat_messages({"gen_ai.input.messages": cut}) == []
    assert chat_messages({"gen_ai.input.messages": 3}) == []


def test_configs_page_without_a_registry_explains_instead_of_failing(
    client: TestClient, home: Path
) -> None:
    page = client.get("/configs")
    assert page.status_code == 200
    assert 'id="registry-message"' in page.text
    assert "ui-bot" in page.text
    assert CONFIG.version[:12] in page.text
    assert not (home / "mlflow.db").exists()  # a read-only page creates no registry


def _write_run(store: Path, run_id: str, version: str, cases: dict[str, tuple[float, str]]) -> None:
    from llmops._spanstore import open_store

    tables = open_store(store)
    now = time.time_ns()
    tables.table("eval_runs").append(
        [
            {
                "run_id": run_id,
                "suite_name": "smoke",
                "suite_hash": "abc123",
                "target": f"ui-bot@{version[:12]}",
                "config_name": "ui-bot",
                "config_version": version,
                "status": "completed",
                "started_ns": now,
                "finished_ns": now + 5_000_000,
                "written_ns": now,
                "case_count": len(cases),
            }
        ]
    )
    tables.table("eval_cases").append(
        [
            {
                "run_id": run_id,
                "case_id": case_id,
                "case_index": i,
                "status": "ok",
                "input": '{"q": "' + case_id + '"}',
                "output": '"answer"',
                "latency_ms": 10.0 + i,
                "input_tokens": 10,
                "output_tokens": 5,
                "cost_usd": 0.001,
                "trace_id": trace_id,
                "finished_ns": now,
            }
            for i, (case_id, (_, trace_id)) in enumerate(sorted(cases.items()))
        ]
    )
    tables.table("eval_scores").append(
        [
            {
                "run_id": run_id,
                "case_id": case_id,
                "metric": "faithfulness",
                "value": value,
                "passed": value >= 0.5,
                "status": "ok",
                "written_ns": now,
            }
            for case_id, (value, _) in cases.items()
        ]
    )


@pytest.fixture
def eval_runs(client: TestClient, traced: dict[str, Any]) -> dict[str, Any]:
    ids = _trace_ids(client, "?q=ui-bot")
    base = {f"case-{i}": (1.0, ids[i % 3]) for i in range(8)}
    cand = {f"case-{i}": (0.0 if i < 6 else 1.0, ids[(i + 1) % 3]) for i in range(8)}
    _write_run(traced["store"], "run-base", "a" * 64, base)
    _write_run(traced["store"], "run-cand", "b" * 64, cand)
    return {"trace_ids": ids}


def test_eval_run_pages(client: TestClient, eval_runs: dict[str, Any]) -> None:
    listing = client.get("/evals")
    assert listing.status_code == 200
    assert "run-base" in listing.text
    assert "run-cand" in listing.text
    run = client.get("/evals/run-cand")
    assert run.status_code == 200
    assert run.text.count('<summary class="mono">case-') == 8
    assert run.text.count("cell-fail") == 6
    assert f'href="/traces/{eval_runs["trace_ids"][1]}"' in run.text
    assert client.get("/evals/run-nope").status_code == 404
    assert client.get("/evals/run-cand?limit=3").text.count('<summary class="mono">case-') == 3


def test_compare_on_too_few_cases_says_so(client: TestClient, traced: dict[str, Any]) -> None:
    ids = _trace_ids(client, "?q=ui-bot")
    _write_run(traced["store"], "few-a", "c" * 64, {f"c{i}": (1.0, ids[0]) for i in range(3)})
    _write_run(traced["store"], "few-b", "d" * 64, {f"c{i}": (0.0, ids[1]) for i in range(3)})
    page = client.get("/compare?baseline_run=few-a&candidate_run=few-b")
    assert page.status_code == 200
    metrics = page.text[page.text.index('id="metrics"') :]
    row = metrics[metrics.index("faithfulness <span") :]
    row = row[: row.index("</tr>")]
    assert "verdict-badge-too-few-cases" in row
    assert "exact p=0.25" in row
    assert "regressed" not in row
    assert 'id="too-few-cases"' in page.text


def test_compare_runs_shows_deltas_with_intervals_and_linked_cases(
    client: TestClient, eval_runs: dict[str, Any]
) -> None:
    page = client.get("/compare?baseline_run=run-base&candidate_run=run-cand")
    assert page.status_code == 200
    metrics = page.text[page.text.index('id="metrics"') :]
    row = metrics[metrics.index("faithfulness <span") :]
    row = row[: row.index("</tr>")]
    assert "−" in row or "-0.75" in row
    assert re.search(r"\[-[\d.]+, -?[\d.]+\]", row), row  # an interval of the delta
    assert "regressed" in row
    assert "exact p=0.031" in row  # 6 of 8 cases failed, 2 unchanged: p = 2 * 2**2 / 2**8
    assert 'id="too-few-cases"' not in page.text
    regressed = page.text[page.text.index('id="regressed-cases"') :]
    assert regressed.count("<tr>") >= 6
    differences = page.text[page.text.index('id="case-differences"') :]
    assert differences.count("/traces/") == 12  # six changed cases, a trace for each side
    # Neither version is registered: the diff half says why, the eval half still works.
    assert 'id="config-diff"' in page.text
    assert "message warn" in page.text


def test_compare_parameters(client: TestClient, eval_runs: dict[str, Any]) -> None:
    assert client.get("/compare").status_code == 200  # the form alone
    assert client.get("/compare?a=ui-bot@production").status_code == 400
    assert client.get("/compare?a=no-at-sign&b=x@y").status_code == 400
    by_version = client.get(f"/compare?a=ui-bot@{'a' * 12}&b=ui-bot@{'b' * 12}")
    assert by_version.status_code == 200
    assert 'id="metrics"' in by_version.text
    unknown = client.get("/compare?a=ui-bot@cafe&b=ui-bot@beef")
    assert unknown.status_code == 200
    assert 'id="eval-message"' in unknown.text
    alias = client.get("/compare?a=ui-bot@production&b=ui-bot@candidate")
    assert alias.status_code == 400
    assert "registry" in alias.text


def test_empty_store(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "empty-store")) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "No traces" in page.text
        assert client.get("/evals").status_code == 200
        assert client.get("/api/traces").json() == {
            "traces": [],
            "total": 0,
            "page": 1,
            "limit": 50,
        }


def _span(span_id: str, parent: str | None, start: int, end: int) -> dict[str, Any]:
    return {"span_id": span_id, "parent_span_id": parent, "start_ns": start, "end_ns": end}


def test_waterfall_places_bars_and_nests_children() -> None:
    spans = [
        _span("c2", "root", 600, 1000),
        _span("root", None, 0, 1000),
        _span("c1", "root", 100, 400),
        _span("g1", "c1", 200, 300),
        _span("orphan", "gone", 900, 900),
    ]
    rows = waterfall(spans)
    assert [(r.span["span_id"], r.depth) for r in rows] == [
        ("root", 0),
        ("c1", 1),
        ("g1", 2),
        ("c2", 1),
        ("orphan", 0),
    ]
    by_id = {r.span["span_id"]: r for r in rows}
    assert (by_id["c1"].offset_pct, by_id["c1"].width_pct) == (10.0, 30.0)
    assert by_id["orphan"].width_pct == 0.25  # an instant still shows
    assert len(list(by_id["g1"].indent)) == 2


def test_side_by_side_aligns_changed_lines() -> None:
    rows = side_by_side("a: 1\nb: 2\nc: 3\n", "a: 1\nb: 20\nc: 3\nd: 4\n")
    assert rows == [
        ("same", "a: 1", "a: 1"),
        ("changed", "b: 2", "b: 20"),
        ("same", "c: 3", "c: 3"),
        ("added", "", "d: 4"),
    ]


def test_the_startup_warm_up_copes_with_a_store_not_made_yet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from starlette.testclient import TestClient

    from llmops._ui import create_app

    with TestClient(create_app(tmp_path / "no-store-yet")) as client:  # runs the lifespan
        reply = client.get("/")
    assert reply.status_code == 200
    assert "warming up failed" not in caplog.text

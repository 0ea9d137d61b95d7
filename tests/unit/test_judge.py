"""The LLM-judge hallucination metric against a scripted OpenAI-compatible server.

The server is a tiny judge of its own: it splits answers into sentences and gives verdicts by
word overlap with the context it was sent, so the verdicts follow from the request, not from a
canned reply. It counts requests, so cache hits are seen as calls that never happened.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from openai_stub import ScriptedServer, scripted_server

import llmops
from llmops import AgentConfig
from llmops.eval._judge import Judge, as_judge, judge_hallucination
from llmops.eval._judge_cache import JudgeCache, judge_cache_stats
from llmops.eval._judge_prompts import parse_statements, parse_verdicts
from llmops.testing import SpanRecorder
from llmops.tracing import semconv

pytestmark = pytest.mark.litellm

CONTEXT = "Paris is the capital of France. The Eiffel Tower is in Paris."
ANSWER = "Paris is the capital of France. Paris has 90 million people."


def _input_of(prompt: str) -> dict[str, Any]:
    """The JSON after ragas' ``input:`` marker (the case itself, not the few-shot example)."""
    tail = prompt.rsplit("input: ", 1)[1].rsplit("\nOutput:", 1)[0]
    return dict(json.loads(tail))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def word_overlap_judge(prompt: str) -> str:
    """Claims: the answer's sentences. Verdicts: 1 when every word of the claim is in context."""
    data = _input_of(prompt)
    if "answer" in data:
        sentences = [s.strip() for s in re.split(r"(?<=\.)\s+", data["answer"]) if s.strip()]
        return "Here you go:\n```json\n" + json.dumps({"statements": sentences}) + "\n```"
    known = _words(data["context"])
    verdicts = []
    for statement in data["statements"]:
        missing = sorted(_words(statement) - known)
        reason = f"not in context: {', '.join(missing)}" if missing else "stated in the context"
        verdicts.append({"statement": statement, "reason": reason, "verdict": int(not missing)})
    return json.dumps({"statements": verdicts})


@contextmanager
def judge_server(reply: Callable[[str], str] = word_overlap_judge) -> Iterator[ScriptedServer]:
    with scripted_server(reply, delay_s=0.05) as server:  # long enough for callers to overlap
        yield server


def judge_config(**sampling: Any) -> AgentConfig:
    return AgentConfig.model_validate({
        "name": "faithfulness-judge",
        "model": {"provider": "openai", "id": "stub-judge", "served_name": "stub-judge"},
        "sampling": sampling,
        "pricing": {"input_per_token": 0.001, "output_per_token": 0.002},
    })  # fmt: skip


def judge(server: ScriptedServer, **options: Any) -> Judge:
    return Judge(judge_config(), api_base=server.api_base, **options)


# --- parsing --------------------------------------------------------------------------------
def test_statements_parse_from_prose_fences_or_a_bare_list() -> None:
    fenced = 'Sure!\n```json\n{"statements": ["A is B.", " ", "C is D."]}\n```\nDone.'
    assert parse_statements(fenced) == ["A is B.", "C is D."]
    assert parse_statements('Output: ["only one"]') == ["only one"]
    # a stray brace before the real JSON is skipped, not fatal
    assert parse_statements('{oops} {"statements": ["x"]}') == ["x"]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("I think the answer is fine.", "no JSON object"),
        ('{"claims": "A is B"}', "no 'statements' list"),
        ('{"statements": [1, 2]}', "list of strings"),
    ],
)
def test_unreadable_statements_name_the_step_and_quote_the_reply(reply: str, message: str) -> None:
    with pytest.raises(llmops.ModelCallError, match=message) as caught:
        parse_statements(reply)
    assert "judge claims" in str(caught.value)
    assert reply[:10] in str(caught.value)


def test_verdicts_match_by_position_or_by_text_and_accept_words() -> None:
    statements = ["Paris is in France.", "Paris has 90 million people."]
    by_text = json.dumps({"statements": [
        {"statement": "paris has 90 million people", "reason": "no number", "verdict": "no"},
        {"statement": "Paris is in France", "reason": "stated", "verdict": "1"},
        {"statement": "an extra claim nobody made", "reason": "?", "verdict": 1},
    ]})  # fmt: skip
    assert parse_verdicts(by_text, statements) == [(True, "stated"), (False, "no number")]
    in_order = '[{"statement": "x", "verdict": true}, {"statement": "y", "verdict": 0}]'
    assert parse_verdicts(in_order, statements) == [(True, ""), (False, "")]
    single = '{"statement": "Paris is in France.", "reason": "r", "verdict": 1}'
    assert parse_verdicts(single, statements[:1]) == [(True, "r")]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ('{"statements": [{"statement": "Paris is in France.", "verdict": 1}]}', "claim 2"),
        ('[{"statement": "a", "verdict": 2}, {"statement": "b", "verdict": 1}]', "not 0/1"),
        ('{"statements": ["yes", "no"]}', "list of objects"),
    ],
)
def test_unreadable_verdicts_are_model_call_errors(reply: str, message: str) -> None:
    with pytest.raises(llmops.ModelCallError, match=message):
        parse_verdicts(reply, ["Paris is in France.", "Paris has 90 million people."])


# --- scoring through the gateway ------------------------------------------------------------
def test_supported_and_unsupported_claims(llmops_spans: SpanRecorder) -> None:
    with judge_server() as server:
        result = judge_hallucination(ANSWER, [CONTEXT], judge(server))
    assert [c.text for c in result.claims] == [
        "Paris is the capital of France.",
        "Paris has 90 million people.",
    ]
    assert [c.supported for c in result.claims] == [True, False]
    assert result.unsupported_claims[0].reasons == ("not in context: 90, has, million, people",)
    assert result.score == 0.5
    assert result.hallucinated
    assert result.detector == "judge:stub-judge"
    assert result.version == judge_config().version
    assert result.details["model_calls"] == 2
    assert result.details["cost_usd"] == pytest.approx(2 * (100 * 0.001 + 20 * 0.002))
    # what the server was sent: ragas' two prompts, deterministic sampling
    first, second = server.requests
    assert "Break down each sentence" in first["messages"][0]["content"]
    assert "judge the faithfulness" in second["messages"][0]["content"]
    assert first["temperature"] == 0.0
    assert first["max_tokens"] == 1024
    # both calls are chat spans under the judge's config, inside one judge span
    chats = [s for s in llmops_spans.spans if s.name == "chat stub-judge"]
    assert len(chats) == 2
    assert all((s.attributes or {})[semconv.LLMOPS_CONFIG_VERSION] == result.version for s in chats)
    parent = llmops_spans.by_name("judge hallucination")
    assert {s.parent.span_id for s in chats if s.parent} == {parent.context.span_id}


def test_a_faithful_answer_scores_zero() -> None:
    with judge_server() as server:
        result = judge_hallucination(
            "The Eiffel Tower is in Paris.", ["Unrelated.", CONTEXT], judge(server)
        )
    assert result.score == 0.0
    assert not result.hallucinated
    assert result.claims[0].supported


def test_the_same_case_again_is_served_from_the_cache(llmops_spans: SpanRecorder) -> None:
    before = judge_cache_stats()
    with judge_server() as server:
        first = judge_hallucination(ANSWER, [CONTEXT], judge(server))
        second = judge_hallucination(ANSWER, [CONTEXT], judge(server))
        assert len(server.requests) == 2  # the second scoring sent nothing
        # another judge config version, or other sampling, is another key
        judge_hallucination(
            ANSWER, [CONTEXT], Judge(judge_config(seed=7), api_base=server.api_base)
        )
        assert len(server.requests) == 4
    after = judge_cache_stats()
    assert (after["hits"] - before["hits"], after["misses"] - before["misses"]) == (2, 4)
    assert second.claims == first.claims
    assert second.details["cache_hits"] == 2
    assert second.details["model_calls"] == 0
    assert [s.name for s in llmops_spans.spans].count("chat stub-judge") == 4


def test_the_cache_is_on_disk_under_the_llmops_home(home: Path) -> None:
    with judge_server() as server:
        judge_hallucination(ANSWER, [CONTEXT], judge(server))
    entries = sorted((home / "cache" / "judge").glob("*/*.json"))
    assert len(entries) == 2
    stored = [orjson.loads(p.read_bytes()) for p in entries]
    assert all(e["config_version"] == judge_config().version for e in stored)
    # a damaged entry is a miss (counted), then replaced by a fresh call
    entries[0].write_text("{not json")
    before = judge_cache_stats()
    with judge_server() as server:
        judge_hallucination(ANSWER, [CONTEXT], judge(server))
    assert len(server.requests) == 1
    assert judge_cache_stats()["unreadable"] - before["unreadable"] == 1
    assert orjson.loads(entries[0].read_bytes())["text"]


def test_no_cache_calls_every_time() -> None:
    with judge_server() as server:
        judge_hallucination(ANSWER, [CONTEXT], judge(server, cache=False))
        judge_hallucination(ANSWER, [CONTEXT], judge(server, cache=False))
    assert len(server.requests) == 4


def test_threads_scoring_the_same_case_call_the_model_once() -> None:
    with judge_server() as server, ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: judge_hallucination(ANSWER, [CONTEXT], judge(server)),
                                range(6)))  # fmt: skip
    assert len(server.requests) == 2
    assert {r.score for r in results} == {0.5}


def test_a_judge_that_is_down_raises_backend_unavailable() -> None:
    from llmops.serving._local import free_port

    down = Judge(judge_config(), api_base=f"http://127.0.0.1:{free_port()}/v1", retries=0)
    before = judge_cache_stats()
    with pytest.raises(llmops.BackendUnavailable):
        judge_hallucination(ANSWER, [CONTEXT], down)
    assert judge_cache_stats()["writes"] == before["writes"]  # nothing cached: ask again later


def test_junk_from_the_model_is_a_clear_error_not_a_score() -> None:
    with (
        judge_server(lambda prompt: "The answer looks fine to me!") as server,
        pytest.raises(
            llmops.ModelCallError,
            match=r"judge:stub-judge \(faithfulness-judge@\w+\): judge claims",
        ) as caught,
    ):
        judge_hallucination(ANSWER, [CONTEXT], judge(server))
    assert "looks fine" in str(caught.value)


def test_a_verdict_reply_missing_a_claim_is_an_error() -> None:
    def drops_the_second_verdict(prompt: str) -> str:
        reply = word_overlap_judge(prompt)
        data = json.loads(reply) if reply.startswith("{") else None
        if data is not None:
            data["statements"] = data["statements"][:1]
            return json.dumps(data)
        return reply

    with (
        judge_server(drops_the_second_verdict) as server,
        pytest.raises(llmops.ModelCallError, match="no verdict for claim 2"),
    ):
        judge_hallucination(ANSWER, [CONTEXT], judge(server))


# --- inputs ---------------------------------------------------------------------------------
def test_an_empty_answer_has_no_claims_and_costs_no_call() -> None:
    with judge_server() as server:
        result = judge_hallucination("  ", [CONTEXT], judge(server))
    assert (result.score, result.claims, result.hallucinated) == (0.0, (), False)
    assert server.requests == []


@pytest.mark.parametrize(
    ("answer", "contexts", "message"),
    [
        (ANSWER, [], "no context given"),
        (ANSWER, "one string", "must be a list"),
        (ANSWER, [CONTEXT, 3], r"contexts\[1\]"),
        (None, [CONTEXT], "answer must be a string"),
    ],
)
def test_bad_inputs_name_the_problem(answer: Any, contexts: Any, message: str) -> None:
    with pytest.raises(llmops.EvalDatasetError, match=message):
        judge_hallucination(answer, contexts, judge_config())


def test_a_judge_is_a_judge_a_config_or_a_reference() -> None:
    cfg = judge_config()
    assert as_judge(cfg).config is cfg
    assert as_judge(cfg).name == "judge:stub-judge"
    with pytest.raises(llmops.ConfigError, match="name@alias"):
        as_judge("faithfulness-judge")
    with pytest.raises(llmops.ConfigError, match="must be a Judge"):
        as_judge(42)
    with pytest.raises(llmops.ConfigError, match="threshold"):
        Judge(cfg, threshold=1.5)


def test_config_sampling_is_kept_and_a_system_prompt_leads() -> None:
    cfg = AgentConfig.model_validate({
        **judge_config(temperature=0.3, max_tokens=300).model_dump(),
        "prompts": {"system": {"template": "You are a strict fact checker."}},
    })  # fmt: skip
    with judge_server() as server:
        judge_hallucination(ANSWER, [CONTEXT], Judge(cfg, api_base=server.api_base))
    sent = server.requests[0]
    assert (sent["temperature"], sent["max_tokens"]) == (0.3, 300)
    assert sent["messages"][0] == {"role": "system", "content": "You are a strict fact checker."}


# --- several processes share the cache folder -----------------------------------------------
_WRITER = """
import sys
from pathlib import Path
from llmops.eval._judge_cache import JudgeCache
cache = JudgeCache(Path(sys.argv[1]))
for i in range(300):
    cache.put("ab" * 32, {"text": sys.argv[2] * 20_000, "i": i})
"""


def test_writers_in_other_processes_never_expose_a_partial_entry(tmp_path: Path) -> None:
    cache = JudgeCache(tmp_path / "judge")
    unreadable = judge_cache_stats()["unreadable"]
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(cache.folder), letter])
        for letter in "xy"
    ]
    seen = 0
    while any(w.poll() is None for w in writers):
        entry = cache.get("ab" * 32)
        if entry is not None:
            assert entry["text"] in ("x" * 20_000, "y" * 20_000)
            seen += 1
    assert [w.wait() for w in writers] == [0, 0]
    assert seen > 0
    assert judge_cache_stats()["unreadable"] == unreadable
    assert list(cache.folder.glob("*/.*")) == []  # no temporary files left behind

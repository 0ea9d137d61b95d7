"""Eval resume is keyed on what decides the scores: suite, config version, target and its source."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import llmops
from llmops._agentconfig import AgentConfig
from llmops._store import Store, TableSpec
from llmops.eval import load_suite, run_suite
from llmops.eval._results import open_results
from llmops.eval._tables import EVAL_RUN_COLUMNS, EVAL_RUNS
from llmops.eval._targets import resolve_target, source_digest

AGENT = """\
import llmops

CALLS = []

@llmops.agent(name="resume-bot")
def answer(question, context):
    CALLS.append(question)
    return {reply!r}
"""

SUITE = """\
name: resume
target: resume_agent:answer
metrics: [contains]
cases:
  - {id: a, input: "one", context: "x.", expected: "Alpha"}
  - {id: b, input: "two", context: "y.", expected: "Alpha"}
"""


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``resume_agent.py`` on the path; no bytecode cache, so an edit is always recompiled."""
    path = tmp_path / "resume_agent.py"
    path.write_text(AGENT.format(reply="Alpha"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    yield path
    sys.modules.pop("resume_agent", None)


def _edit(path: Path, reply: str) -> ModuleType:
    path.write_text(AGENT.format(reply=reply))
    return importlib.reload(importlib.import_module("resume_agent"))


def _calls() -> list[str]:
    """The questions the loaded module answered (cases run concurrently: sorted)."""
    return sorted(importlib.import_module("resume_agent").CALLS)


@pytest.fixture
def suite(tmp_path: Path) -> Any:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return load_suite(path)


def test_an_unchanged_rerun_resumes_without_running_the_target(agent: Path, suite: Any) -> None:
    first = run_suite(suite, log_to_mlflow=False)
    assert first.resumed_cases == 0
    assert _calls() == ["one", "two"]
    again = run_suite(suite, log_to_mlflow=False)
    assert again.run_id == first.run_id
    assert again.resumed_cases == 2
    assert _calls() == ["one", "two"]


def test_an_edited_target_runs_again_with_new_scores(agent: Path, suite: Any) -> None:
    first = run_suite(suite, log_to_mlflow=False)
    assert first.summary["contains_pass_rate"]["value"] == 1.0
    _edit(agent, "Beta")
    edited = run_suite(suite, log_to_mlflow=False)
    assert edited.run_id != first.run_id
    assert edited.resumed_cases == 0
    assert _calls() == ["one", "two"]  # the reloaded module's own calls
    assert edited.summary["contains_pass_rate"]["value"] == 0.0
    # Its own results are resumed in turn; the earlier run stays as it was.
    assert run_suite(suite, log_to_mlflow=False).run_id == edited.run_id
    stored = llmops.query(
        "SELECT run_id, avg(value) AS mean FROM eval_scores GROUP BY run_id ORDER BY mean"
    )
    assert stored == [
        {"run_id": edited.run_id, "mean": 0.0},
        {"run_id": first.run_id, "mean": 1.0},
    ]


def test_another_config_version_runs_again(agent: Path, suite: Any) -> None:
    one = AgentConfig(name="bot", model={"id": "m"}, metadata={"k": 1})
    two = one.model_copy(update={"metadata": {"k": 2}})
    first = run_suite(suite, "resume_agent:answer", config=one, log_to_mlflow=False)
    other = run_suite(suite, "resume_agent:answer", config=two, log_to_mlflow=False)
    assert other.run_id != first.run_id
    assert other.resumed_cases == 0
    assert len(_calls()) == 4
    back = run_suite(suite, "resume_agent:answer", config=one, log_to_mlflow=False)
    assert (back.run_id, back.resumed_cases) == (first.run_id, 2)


def test_another_suite_runs_again(agent: Path, suite: Any, tmp_path: Path) -> None:
    run_suite(suite, log_to_mlflow=False)
    path = tmp_path / "changed.yaml"
    path.write_text(SUITE.replace('expected: "Alpha"}\n', 'expected: "Alph"}\n', 1))
    changed = run_suite(load_suite(path), log_to_mlflow=False)
    assert changed.resumed_cases == 0
    assert len(_calls()) == 4


def test_fresh_runs_every_case_again(agent: Path, suite: Any) -> None:
    first = run_suite(suite, log_to_mlflow=False)
    fresh = run_suite(suite, log_to_mlflow=False, fresh=True)
    assert fresh.run_id != first.run_id
    assert fresh.resumed_cases == 0
    assert len(_calls()) == 4
    # A later rerun resumes the newest run of the key: the fresh one.
    assert run_suite(suite, log_to_mlflow=False).run_id == fresh.run_id


def test_a_run_stored_before_the_key_is_not_resumed(agent: Path, suite: Any) -> None:
    # As earlier versions wrote it: the same suite, config version and target, case a scored.
    target, old = resolve_target("resume_agent:answer"), "0ld0ld0ld0ld0ld0"
    store = open_results()
    store.table("eval_runs").append(
        [
            {
                "run_id": old,
                "suite_hash": suite.hash,
                "target": target.label,
                "config_version": target.config_version,
                "status": "completed",
                "started_ns": 1,
                "written_ns": 1,
            }
        ]
    )
    store.table("eval_cases").append(
        [{"run_id": old, "case_id": "a", "status": "ok", "output": '"Alpha"', "finished_ns": 1}]
    )
    store.table("eval_scores").append(
        [
            {
                "run_id": old,
                "case_id": "a",
                "metric": "contains",
                "value": 1.0,
                "passed": True,
                "status": "ok",
                "details": "{}",
                "written_ns": 1,
            }
        ]
    )
    run = run_suite(suite, log_to_mlflow=False)
    assert run.run_id != old
    assert run.resumed_cases == 0
    assert _calls() == ["one", "two"]


def test_a_segment_written_before_the_key_still_reads(tmp_path: Path) -> None:
    root = tmp_path / "store"
    kept = {n: t for n, t in EVAL_RUN_COLUMNS.items() if not n.startswith("_")}
    before = TableSpec(name="eval_runs", columns=kept, raw_view="eval_run_rows")
    old = Store(root, [before]).table("eval_runs")
    old.append([{"run_id": "old", "status": "completed", "started_ns": 1, "written_ns": 1}])
    assert old.compact(force=True, blocking=True)
    table = Store(root, [EVAL_RUNS]).table("eval_runs")
    table.append([{"run_id": "new", "_resume_key": "k", "started_ns": 2, "written_ns": 2}])
    with Store(root, [EVAL_RUNS]).connection() as con:
        got = con.execute("SELECT run_id, resume_key FROM eval_runs ORDER BY run_id").fetchall()
    assert got == [("new", "k"), ("old", None)]
    assert not (root / "eval_runs" / "quarantine").exists()


def test_the_source_digest_is_the_defining_file(agent: Path) -> None:
    module = importlib.import_module("resume_agent")
    expected = hashlib.sha256(agent.read_bytes()).hexdigest()
    # The decorator's wrapper lives in llmops: the digest looks through it to the agent's file.
    assert inspect.getsourcefile(module.answer) != str(agent)
    assert source_digest(module.answer) == expected
    assert resolve_target("resume_agent:answer").source_hash == expected
    _edit(agent, "Beta")
    assert source_digest(module.answer) != expected


def _compiled(source: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<no file>", "exec"), namespace)
    return namespace["f"]


def test_a_callable_without_a_file_is_keyed_on_its_bytecode() -> None:
    body = "def f(x):\n    return g(x) + {0}\n"
    same = source_digest(_compiled(body.format(1))), source_digest(_compiled(body.format(1)))
    assert same[0] == same[1]
    assert source_digest(_compiled(body.format(2))) != same[0]
    assert source_digest(_compiled(body.format(1).replace("g(", "h("))) != same[0]
    nested = "def f(x):\n    def inner():\n        return {0}\n    return inner\n"
    assert source_digest(_compiled(nested.format(1))) != source_digest(_compiled(nested.format(2)))


def test_a_config_target_is_keyed_on_its_version(suite: Any) -> None:
    config = AgentConfig(name="bot", model={"id": "m"})
    target = resolve_target(config)
    assert target.source_hash is None
    changed = resolve_target(config.model_copy(update={"metadata": {"k": 1}}))
    assert target.resume_key(suite.hash) == resolve_target(config).resume_key(suite.hash)
    assert changed.resume_key(suite.hash) != target.resume_key(suite.hash)

"""The embedded store on real files: round trips, views, compaction and crash recovery."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

import llmops
from llmops._spanstore import open_store
from llmops.tracing import semconv


@llmops.llm(model="gemma-3-270m", provider="llama.cpp")
def complete(prompt: str) -> dict[str, object]:
    llmops.current_span().set_cost(0.0001, source="test")
    return {"usage": {"prompt_tokens": 7, "completion_tokens": 2}}


@llmops.agent(name="store-bot")
def run(prompt: str) -> str:
    with llmops.with_attributes(
        **{semconv.LLMOPS_CONFIG_NAME: "store-bot", semconv.LLMOPS_CONFIG_VERSION: "abc123"}
    ):
        complete(prompt)
    return "ok"


def test_spans_round_trip_through_the_store(home: Path) -> None:
    with llmops.session("sess"), llmops.user("ana"):
        run("hello")
    rows = llmops.query("SELECT * FROM spans ORDER BY start_time")
    assert [r["name"] for r in rows] == ["invoke_agent store-bot", "chat gemma-3-270m"]
    agent, chat = rows
    assert chat["parent_span_id"] == agent["span_id"]
    assert chat["trace_id"] == agent["trace_id"]
    assert chat["model"] == "gemma-3-270m"
    assert chat["provider"] == "llama.cpp"
    assert (chat["input_tokens"], chat["output_tokens"]) == (7, 2)
    assert chat["cost_usd"] == pytest.approx(0.0001)
    assert chat["config_version"] == "abc123"
    assert chat["session_id"] == agent["session_id"] == "sess"
    assert chat["user_id"] == "ana"
    assert chat["duration_ms"] >= 0
    assert orjson.loads(chat["attributes"])[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert orjson.loads(agent["resource"])["service.name"] == "llmops-app"
    assert (home / "store" / "spans" / "wal").is_dir()


def test_legacy_attribute_names_are_mapped_on_ingest() -> None:
    with llmops.span("old-style") as span:
        span.set_attribute("gen_ai.system", "openai")
        span.set_attribute("gen_ai.usage.prompt_tokens", 12)
        span.set_attribute("gen_ai.usage.completion_tokens", 4)
    row = llmops.query("SELECT provider, input_tokens, output_tokens, attributes FROM spans")[0]
    assert (row["provider"], row["input_tokens"], row["output_tokens"]) == ("openai", 12, 4)
    assert "gen_ai.system" not in orjson.loads(row["attributes"])


def test_typed_columns_survive_odd_attribute_types(home: Path) -> None:
    with llmops.span("odd") as span:
        span.set_attribute(semconv.GEN_AI_USAGE_INPUT_TOKENS, "not a number")
        span.set_attribute(semconv.GEN_AI_REQUEST_MODEL, ["a", "list"])
        span.set_attribute(semconv.LLMOPS_COST_USD, 3)
    for _ in range(2):  # before and after compaction
        row = llmops.query("SELECT input_tokens, model, cost_usd FROM spans")[0]
        assert row["input_tokens"] is None
        assert row["cost_usd"] == 3.0
        assert row["model"] is None or "list" in row["model"]
        open_store(home / "store").table("spans").compact(force=True, blocking=True)


def test_invalid_unicode_costs_no_span_of_its_batch() -> None:
    """A lone surrogate set through the raw OpenTelemetry API fails the JSON encoding of its
    whole batch; the batch is sent again with that text repaired, every span kept."""
    from opentelemetry import trace

    for index in range(20):
        with llmops.span(f"ok-{index}"):
            pass
    with llmops.span("bad"):
        trace.get_current_span().set_attribute("note", "caf\udce9 " + "y" * 100)
    tracer = trace.get_tracer("raw")  # the global provider follows llmops' own
    with tracer.start_as_current_span("GET /caf\udce9"):
        pass
    rows = llmops.query("SELECT name, attributes FROM spans ORDER BY start_time")
    assert len(rows) == 22
    assert rows[-1]["name"] == "GET /caf?"
    rows = rows[:-1]
    bad = orjson.loads(rows[-1]["attributes"])
    assert bad["note"].startswith("caf?") or bad["note"].startswith("caf\ufffd")
    assert llmops.stats()["spans_dropped"] == {}


def test_views_answer_common_questions(home: Path) -> None:
    for _ in range(3):
        run("x")
    trace = llmops.query("SELECT * FROM traces")
    assert len(trace) == 3
    assert {t["root_name"] for t in trace} == {"invoke_agent store-bot"}
    assert all(t["span_count"] == 2 and t["input_tokens"] == 7 for t in trace)
    usage = llmops.query("SELECT * FROM usage_by_config WHERE config_version = 'abc123'")
    assert usage[0]["spans"] == 6  # the config scope marks the agent span that opened it too
    assert usage[0]["traces"] == 3
    assert usage[0]["cost_usd"] == pytest.approx(0.0003)


def test_bad_sql_is_a_store_error() -> None:
    with pytest.raises(llmops.StoreError, match="query failed"):
        llmops.query("SELECT nope FROM spans")


def test_compaction_keeps_every_row_once(home: Path) -> None:
    llmops.configure(compact_threshold=2)
    for i in range(40):
        run(str(i))
        llmops.flush()
    table = open_store(home / "store").table("spans")
    table.compact(force=True, blocking=True)
    assert table.pending() == 0
    segments = list((home / "store" / "spans" / "parquet").glob("*.parquet"))
    assert 1 <= len(segments) < 16
    rows = llmops.query("SELECT count(*) AS n, count(DISTINCT span_id) AS ids FROM spans")
    assert rows == [{"n": 80, "ids": 80}]


def test_compaction_runs_off_the_export_thread(home: Path) -> None:
    """The exporter hands compaction to its own thread; shutdown lets it finish first."""
    import threading
    import time

    llmops.configure(compact_threshold=2)
    segment_dir = home / "store" / "spans" / "parquet"
    deadline = time.monotonic() + 30
    i = 0
    while not list(segment_dir.glob("*.parquet")) and time.monotonic() < deadline:
        run(str(i))
        llmops.flush()
        i += 1
        time.sleep(0.01)
    assert list(segment_dir.glob("*.parquet")), "the background compactor never ran"
    assert any(t.name == "llmops-compactor" for t in threading.enumerate())
    llmops.shutdown()
    assert not any(t.name == "llmops-compactor" for t in threading.enumerate())
    assert not list(segment_dir.glob(".*.tmp"))  # no compaction cut short at exit
    rows = llmops.query("SELECT count(*) AS n, count(DISTINCT span_id) AS ids FROM spans")
    assert rows == [{"n": 2 * i, "ids": 2 * i}]


def _store_with_segment(home: Path) -> tuple[Path, Path]:
    for i in range(3):
        run(str(i))
        llmops.flush()
    table = open_store(home / "store").table("spans")
    wal = sorted(table.wal_dir.glob("*.json"))
    assert len(wal) == 3
    return table.wal_dir, table.segment_dir


def test_crash_after_segment_rename_is_recovered(home: Path) -> None:
    """Simulate a compaction killed after the segment landed but before sources were deleted."""
    wal_dir, segment_dir = _store_with_segment(home)
    sources = sorted(wal_dir.glob("*.json"))
    import duckdb

    segment = segment_dir / "seg-00000000000000000001-deadbeef.parquet"
    con = duckdb.connect()
    table = open_store(home / "store").table("spans")
    con.execute(f"COPY ({table.source_sql(table._list_files())}) TO '{segment}' (FORMAT parquet)")
    (segment_dir / "seg-00000000000000000001-deadbeef.consumed").write_bytes(
        orjson.dumps([p.name for p in sources])
    )
    # Readers already see each row once, before any recovery ran.
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]
    table.compact(force=True, blocking=True)
    assert not list(segment_dir.glob("*.consumed"))
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]


def test_crash_before_segment_rename_is_undone(home: Path) -> None:
    wal_dir, segment_dir = _store_with_segment(home)
    (segment_dir / ".seg-x.tmp").write_bytes(b"partial parquet")
    (segment_dir / "seg-x.consumed").write_bytes(
        orjson.dumps([p.name for p in wal_dir.glob("*.json")])
    )
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]
    open_store(home / "store").table("spans").compact(force=True, blocking=True)
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]
    assert not list(segment_dir.glob("*.tmp"))


def test_half_written_batch_is_invisible(home: Path) -> None:
    wal_dir, _ = _store_with_segment(home)
    (wal_dir / ".12345-host-1-00000001.tmp").write_bytes(b'{"trace_id": "abc", "span_')
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]


def test_empty_store_answers_queries() -> None:
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 0}]
    assert llmops.query("SELECT * FROM traces") == []


# Traces two spans into a store this process cannot write; prints what was dropped.
TRACE_INTO_READ_ONLY_STORE = """
    import json, os, sys
    from pathlib import Path

    import llmops

    @llmops.agent(name="store-bot")
    def run(prompt: str) -> str:
        with llmops.span("chat gemma-3-270m"):
            return "ok"

    store = Path(sys.argv[1])
    assert not os.access(store, os.W_OK), "file permissions do not bind this process"
    llmops.configure(store_path=store)
    assert run("x") == "ok"
    llmops.flush()
    print(json.dumps(llmops.stats()["spans_dropped"]))
"""


def test_read_only_store_costs_a_counter_not_an_exception(
    tmp_path: Path, run_unprivileged: Callable[..., Any]
) -> None:
    store = tmp_path / "ro"
    store.mkdir()
    store.chmod(stat.S_IRUSR | stat.S_IXUSR)
    dropped = run_unprivileged(TRACE_INTO_READ_ONLY_STORE, str(store))
    assert dropped["export_failed:duckdb"] == 2


def test_unwritable_store_path_costs_a_counter_not_an_exception(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    llmops.configure(store_path=blocker / "store")
    assert run("x") == "ok"
    llmops.flush()
    assert llmops.stats()["spans_dropped"]["export_failed:duckdb"] == 2


def test_missing_store_folder_is_created(tmp_path: Path) -> None:
    llmops.configure(store_path=tmp_path / "deep" / "new" / "store")
    run("x")
    llmops.flush()
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 2}]


def test_compaction_tolerates_a_batch_renamed_while_it_looks(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer renames its temporary batch between compaction's listing and its stat."""
    wal_dir, _ = _store_with_segment(home)
    (wal_dir / ".in-flight.tmp").write_bytes(b"[")
    real_stat = Path.stat

    def renamed_meanwhile(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        if self.name == ".in-flight.tmp":
            raise FileNotFoundError(self)
        return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", renamed_meanwhile)
    assert open_store(home / "store").table("spans").compact(force=True, blocking=True)
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]

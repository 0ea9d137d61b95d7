"""Several processes tracing into one store at once, kill -9, and a trace across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import llmops

WORKER = str(Path(__file__).with_name("worker.py"))


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, LLMOPS_HOME=str(home), **extra)
    env.pop("LLMOPS_RAISE_INTERNAL_ERRORS", None)
    return env


def test_concurrent_processes_lose_nothing(home: Path) -> None:
    """Six processes write and compact the same store at once; every span arrives exactly once."""
    procs = [
        subprocess.Popen([sys.executable, WORKER, "burst", "150"], env=_env(home)) for _ in range(6)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    rows = llmops.query(
        "SELECT count(*) AS spans, count(DISTINCT span_id) AS ids, "
        "count(DISTINCT service_name) AS services FROM spans"
    )
    assert rows == [{"spans": 6 * 150 * 3, "ids": 6 * 150 * 3, "services": 6}]
    # Compactions ran while others wrote: most rows are in Parquet segments by now.
    assert list((home / "store" / "spans" / "parquet").glob("*.parquet"))


def test_kill_9_loses_no_flushed_span(home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, WORKER, "hang", "200"], env=_env(home), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "flushed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    rows = llmops.query(
        "SELECT count(*) AS n FROM spans "
        "WHERE json_extract_string(attributes, '$.\"input.value\"') "
        "IN (SELECT '{\"i\":' || i || '}' FROM range(200) t(i)) AND name = 'invoke_agent worker'"
    )
    assert rows[0]["n"] >= 200
    # And the store still reads and compacts cleanly afterwards.
    from llmops._spanstore import open_store

    open_store(home / "store").table("spans").compact(force=True, blocking=True)
    assert llmops.query("SELECT count(DISTINCT span_id) = count(*) AS unique FROM spans") == [
        {"unique": True}
    ]


def test_trace_continues_in_a_subprocess(home: Path) -> None:
    with llmops.session("parent-session"), llmops.span("parent") as parent:
        env = llmops.inject_env(_env(home))
        subprocess.run([sys.executable, WORKER, "child", "5"], env=env, check=True, timeout=60)
    rows = llmops.query(
        "SELECT name, trace_id, parent_span_id, session_id FROM spans WHERE trace_id = ?",
        [parent.trace_id],
    )
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"parent", "execute_tool lookup"}
    child = by_name["execute_tool lookup"]
    assert child["parent_span_id"] == parent.span_id
    assert child["session_id"] == "parent-session"

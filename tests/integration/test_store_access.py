"""The store on awkward real folders: odd paths, failing compactions, read-only and missing."""

from __future__ import annotations

import errno
import logging
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import llmops
from llmops._spanstore import open_store
from llmops._store import Table


@llmops.agent(name="access-bot")
def run(prompt: str) -> str:
    with llmops.span("step"):
        return "ok"


def _write_batches(count: int) -> None:
    """``count`` batch files of two spans each (one flush per trace)."""
    for i in range(count):
        run(str(i))
        llmops.flush()


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("folder", ["q'dir", 'dq"dir', "sp ace", "g[1]*?{a,b}"])
def test_store_under_a_path_with_sql_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    home = tmp_path / folder / ".llmops"
    monkeypatch.setenv("LLMOPS_HOME", str(home))
    _write_batches(3)
    store = open_store(home / "store")
    store.table("eval_runs").append([{"run_id": "r1", "status": "completed", "written_ns": 1}])
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]
    for table in store.tables.values():
        table.compact(force=True, blocking=True)
    assert list((home / "store" / "spans" / "parquet").glob("*.parquet"))
    assert store.table("spans").pending() == 0
    _write_batches(1)  # a query over a segment and a batch file together
    rows = llmops.query("SELECT count(*) AS n, count(DISTINCT trace_id) AS traces FROM spans")
    assert rows == [{"n": 8, "traces": 4}]
    assert llmops.query("SELECT run_id, status FROM eval_runs") == [
        {"run_id": "r1", "status": "completed"}
    ]
    assert llmops.stats()["compaction_errors"] == 0


def test_compaction_due_on_read_under_a_path_with_a_quote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "o'brien" / ".llmops"
    monkeypatch.setenv("LLMOPS_HOME", str(home))
    llmops.configure(compact_threshold=3)
    _write_batches(3)
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]
    assert open_store(home / "store").table("spans").pending() == 0
    assert llmops.stats()["compaction_errors"] == 0


def test_failing_compaction_does_not_fail_reads(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    llmops.configure(compact_threshold=2)
    _write_batches(3)  # fewer than 4: the exporter never asks its own compactor
    assert llmops.stats()["compaction_errors"] == 0

    def disk_full(self: Table, sources: list[Path], select_sql: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Table, "_write_segment", disk_full)
    with caplog.at_level(logging.WARNING, logger="llmops"):
        for _ in range(2):
            assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]
    assert llmops.stats()["compaction_errors"] == 2
    assert [r.message for r in caplog.records] == ["llmops: store compaction failed (counted)"]
    assert open_store(home / "store").table("spans").pending() == 3

    monkeypatch.undo()  # the disk has room again: the next read compacts
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 6}]
    assert open_store(home / "store").table("spans").pending() == 0


@pytest.fixture
def read_only(home: Path) -> Iterator[Path]:
    """The store folder, made read-only after the test wrote it; writable again at teardown."""
    store = home / "store"
    yield store
    for path in [store, *store.rglob("*")]:
        if path.is_dir():
            path.chmod(stat.S_IRWXU)


def _make_read_only(store: Path) -> None:
    llmops.shutdown()
    for path in [*store.rglob("*"), store]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


# Reads a store this process cannot write, with compaction due; prints what it saw.
READ_A_READ_ONLY_STORE = """
    import json, os, sys
    from pathlib import Path

    import llmops
    from llmops._spanstore import open_store

    store = Path(sys.argv[1])
    assert not os.access(store / "spans", os.W_OK), "file permissions do not bind this process"
    llmops.configure(store_path=store, compact_threshold=2)
    print(json.dumps({
        "spans": llmops.query("SELECT count(*) AS n FROM spans"),
        "eval_runs": llmops.query("SELECT count(*) AS n FROM eval_runs"),
        "pending": open_store(store).table("spans").pending(),
        "compaction_errors": llmops.stats()["compaction_errors"],
    }))
"""


@pytest.mark.parametrize("lock_file", [True, False], ids=["lock-file", "no-lock-file"])
def test_read_only_store_is_readable(
    read_only: Path, lock_file: bool, run_unprivileged: Callable[..., Any]
) -> None:
    llmops.configure(compact_threshold=1000)
    _write_batches(3)
    open_store(read_only).table("spans").compact(force=True, blocking=True)
    _write_batches(3)  # batch files due for compaction, which a reader cannot do here
    if not lock_file:
        for lock in read_only.glob("*/.lock"):
            lock.unlink()
    _make_read_only(read_only)
    before = _files(read_only)
    seen = run_unprivileged(READ_A_READ_ONLY_STORE, str(read_only))
    assert seen["spans"] == [{"n": 12}]
    assert seen["eval_runs"] == [{"n": 0}]
    assert _files(read_only) == before
    assert seen["pending"] == 3
    assert seen["compaction_errors"] == 0


def test_missing_store_reads_empty_and_makes_no_folders(tmp_path: Path) -> None:
    store = tmp_path / "nowhere" / "store"
    llmops.configure(store_path=store)
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 0}]
    assert llmops.query("SELECT * FROM traces") == []
    assert llmops.query("SELECT * FROM eval_runs") == []
    assert not open_store(store).table("spans").compact(force=True, blocking=True)
    assert not (tmp_path / "nowhere").exists()


def test_exporter_recovers_when_the_store_folder_is_removed(home: Path) -> None:
    _write_batches(1)
    shutil.rmtree(home / "store")
    _write_batches(2)
    assert "export_failed:duckdb" not in llmops.stats()["spans_dropped"]
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 4}]


def test_store_opened_by_a_relative_path_stays_put_when_the_process_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    table = open_store(Path("rel") / "store").table("spans")
    table.append([{"span_id": "a"}])
    monkeypatch.chdir(tmp_path / "elsewhere")
    table.append([{"span_id": "b"}])
    assert len(list((tmp_path / "rel" / "store" / "spans" / "wal").glob("*.json"))) == 2
    assert not list((tmp_path / "elsewhere").iterdir())

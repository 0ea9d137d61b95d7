"""A damaged or foreign file in the store: left out of reads, moved aside, nothing else lost."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

import llmops
from llmops._spanstore import open_store
from llmops._store import QUARANTINE

LLMOPS = str(Path(sys.executable).with_name("llmops"))


@llmops.trace
def step(i: int) -> int:
    return i


def _traced(home: Path, batches: int, **settings: object) -> None:
    llmops.configure(home=home, **settings)
    for i in range(batches):
        step(i)
        llmops.flush()


def _count() -> int:
    return int(llmops.query("SELECT count(*) AS n FROM spans")[0]["n"])


def _spans_dir(home: Path) -> Path:
    return home / "store" / "spans"


BAD_BATCHES = {
    "truncated.json": b'[{"trace_id":"ab',
    "object.json": b"{}",
    "binary.json": b"\x00\x01\x02garbage",
    "0*.json": b"[]",  # DuckDB would read the name as a glob: every batch file again
}


@pytest.mark.parametrize("name", sorted(BAD_BATCHES))
def test_a_bad_batch_file_is_left_out_then_moved_aside(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    _traced(tmp_path, 3)
    bad = _spans_dir(tmp_path) / "wal" / name
    bad.write_bytes(BAD_BATCHES[name])
    step(9)
    with caplog.at_level(logging.WARNING, logger="llmops"):
        assert _count() == 4  # every good span, the bad file left out
        assert _count() == 4
    assert llmops.stats()["store_files_damaged"] == 1
    assert [r for r in caplog.records if str(bad) in r.getMessage()]  # named once, with why
    assert len([r for r in caplog.records if "cannot be read" in r.getMessage()]) == 1

    table = open_store(tmp_path / "store").table("spans")
    assert table.compact(force=True, blocking=True)
    moved = _spans_dir(tmp_path) / QUARANTINE / name
    assert moved.read_bytes() == BAD_BATCHES[name]  # kept as it was, with the reason beside it
    assert str(bad) in (moved.parent / f"{name}.reason.txt").read_text()
    assert not bad.exists()
    assert llmops.stats()["store_files_quarantined"] == 1
    assert _count() == 4


def test_the_cli_reads_past_a_bad_batch_file(tmp_path: Path) -> None:
    _traced(tmp_path, 2)
    (_spans_dir(tmp_path) / "wal" / "stray.json").write_text('[{"trace_id": "ab')
    env = {**os.environ, "LLMOPS_HOME": str(tmp_path)}
    out = subprocess.run(
        [LLMOPS, "sql", "SELECT count(*) AS n FROM spans", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert orjson.loads(out.stdout.splitlines()[-1]) == {"n": 2}


def test_a_damaged_or_foreign_parquet_file(tmp_path: Path) -> None:
    _traced(tmp_path, 2)
    table = open_store(tmp_path / "store").table("spans")
    table.compact(force=True, blocking=True)
    segments = _spans_dir(tmp_path) / "parquet"
    (segments / "seg-truncated.parquet").write_bytes(b"PAR1 and then nothing")
    other = segments / "seg-other.parquet"
    duckdb.sql(f"COPY (SELECT 1 AS x, 'mine' AS y) TO '{other}'")
    foreign = segments / "mydata.parquet"  # a user's own file: never read, never removed
    duckdb.sql(f"COPY (SELECT 1 AS x) TO '{foreign}'")
    assert _count() == 2
    assert llmops.stats()["store_files_damaged"] == 2

    for i in range(8):  # enough segments for a size-tier merge
        step(i)
        llmops.flush()
        table.compact(force=True, blocking=True)
    assert _count() == 10
    assert foreign.exists()
    quarantined = sorted(p.name for p in (_spans_dir(tmp_path) / QUARANTINE).glob("*.parquet"))
    assert quarantined == ["seg-other.parquet", "seg-truncated.parquet"]
    why = (_spans_dir(tmp_path) / QUARANTINE / "seg-other.parquet.reason.txt").read_text()
    assert "another schema" in why
    assert "trace_id" in why


@pytest.mark.parametrize("marker", [b"", b"42", b'"seg"', b"[1, 2]"])
def test_an_unreadable_compaction_marker(tmp_path: Path, marker: bytes) -> None:
    _traced(tmp_path, 3)
    table = open_store(tmp_path / "store").table("spans")
    table.compact(force=True, blocking=True)
    (segment,) = (_spans_dir(tmp_path) / "parquet").glob("seg-*.parquet")
    segment.with_suffix(".consumed").write_bytes(marker)
    step(7)
    # Which batch files the segment holds is unknown: it is left out, never read twice.
    assert _count() == 1
    assert llmops.stats()["store_files_damaged"] == 1
    table.compact(force=True, blocking=True)
    quarantine = _spans_dir(tmp_path) / QUARANTINE
    assert (quarantine / segment.name).exists()
    assert (quarantine / segment.with_suffix(".consumed").name).read_bytes() == marker
    assert _count() == 1


def test_compaction_due_never_raises_when_listing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _traced(tmp_path, 1)
    table = open_store(tmp_path / "store").table("spans")

    def fail() -> int:
        raise PermissionError(13, "Permission denied", str(table.wal_dir))

    monkeypatch.setattr(table, "pending", fail)
    assert table.compact_if_due(1) is False
    assert llmops.stats()["compaction_errors"] == 1


# Counts the spans of a store whose segment folder this process cannot list; prints the
# StoreError's message, or null when the count succeeded.
COUNT_WITHOUT_SEGMENTS = """
    import json, os, sys
    from pathlib import Path

    import llmops

    home = Path(sys.argv[1])
    segments = home / "store" / "spans" / "parquet"
    assert not os.access(segments, os.R_OK), "file permissions do not bind this process"
    llmops.configure(home=home)
    try:
        llmops.query("SELECT count(*) AS n FROM spans")
    except llmops.StoreError as error:
        print(json.dumps(str(error)))
    else:
        print(json.dumps(None))
"""


def test_an_unlistable_segment_folder_is_an_error_not_an_empty_table(
    tmp_path: Path, run_unprivileged: Callable[..., Any]
) -> None:
    _traced(tmp_path, 2)
    open_store(tmp_path / "store").table("spans").compact(force=True, blocking=True)
    segments = _spans_dir(tmp_path) / "parquet"
    segments.chmod(0)
    try:
        error = run_unprivileged(COUNT_WITHOUT_SEGMENTS, str(tmp_path))
    finally:
        segments.chmod(0o755)
    assert error is not None, "an unlistable segment folder read as an empty table"
    assert "parquet" in error


def test_store_compact_that_fails_is_a_one_line_error(tmp_path: Path) -> None:
    _traced(tmp_path, 2)
    segments = _spans_dir(tmp_path) / "parquet"
    segments.rmdir()
    segments.write_text("a file where the segment folder goes")
    env = {**os.environ, "LLMOPS_HOME": str(tmp_path), "COLUMNS": "200"}
    out = subprocess.run(
        [LLMOPS, "store", "compact"], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stdout + out.stderr
    assert "spans: compaction failed" in out.stdout
    assert str(segments) in out.stdout


def test_a_failure_that_is_not_the_files_never_quarantines_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops._store import _CHECKED, Table

    _traced(tmp_path, 2)
    monkeypatch.setattr(_CHECKED, "_files", {})  # as another process: files not checked yet
    real = Table._check_batches

    def failing(self: Table, con: object, paths: list[Path]) -> dict[Path, str]:
        raise duckdb.IOException("IO Error: Too many open files")

    monkeypatch.setattr(Table, "_check_batches", failing)
    with pytest.raises(llmops.StoreError, match="Too many open files"):
        _count()
    open_store(tmp_path / "store").table("spans").compact_if_due(1)  # counted, nothing moved
    monkeypatch.setattr(Table, "_check_batches", real)
    assert not (_spans_dir(tmp_path) / QUARANTINE).exists()
    assert llmops.stats()["store_files_damaged"] == 0
    assert _count() == 2


@pytest.mark.parametrize(
    "content", [b"[1, 2]", b'[{"trace_id": "t1", "start_ns": "not a number"}]']
)
def test_a_well_formed_batch_of_the_wrong_shape_is_left_out(tmp_path: Path, content: bytes) -> None:
    _traced(tmp_path, 2)
    (_spans_dir(tmp_path) / "wal" / "stray.json").write_bytes(content)
    assert _count() == 2
    assert llmops.query("SELECT count(start_time) AS n FROM spans") == [{"n": 2}]
    assert llmops.stats()["store_files_damaged"] == 1


def test_a_folder_named_like_a_batch_is_ignored(tmp_path: Path) -> None:
    _traced(tmp_path, 2)
    (_spans_dir(tmp_path) / "wal" / "stray.json").mkdir()
    assert _count() == 2
    assert open_store(tmp_path / "store").table("spans").compact(force=True, blocking=True)
    assert _count() == 2


def test_a_damaged_segment_whose_marker_lists_good_batches(tmp_path: Path) -> None:
    """A crash left a marker and a segment that cannot be read: the batch files it lists are
    the only good copy; they are read, kept, and compacted again."""
    _traced(tmp_path, 3)
    spans = _spans_dir(tmp_path)
    batches = sorted(p.name for p in (spans / "wal").glob("*.json"))
    (spans / "parquet").mkdir(exist_ok=True)
    (spans / "parquet" / "seg-crashed.consumed").write_bytes(orjson.dumps(batches))
    (spans / "parquet" / "seg-crashed.parquet").write_bytes(b"PAR1 and nothing after")
    assert _count() == 3
    assert open_store(tmp_path / "store").table("spans").compact(force=True, blocking=True)
    assert _count() == 3
    assert not list((spans / "wal").glob("*.json"))  # in a new segment now
    assert (spans / QUARANTINE / "seg-crashed.parquet").exists()


def test_a_column_a_later_version_adds_reads_as_null(tmp_path: Path) -> None:
    from llmops._store import Store, TableSpec

    old = TableSpec("t", {"a": "VARCHAR", "n": "BIGINT"}, derived={"up": "upper(a)"})
    new = TableSpec("t", old.columns, derived={**old.derived, "low": "lower(a)"})
    store = Store(tmp_path, [old])
    for i in range(3):
        store.table("t").append([{"a": f"Row{i}", "n": i}])
    store.table("t").compact(force=True, blocking=True)
    store.table("t").append([{"a": "Fresh", "n": 9}])

    upgraded = Store(tmp_path, [new])
    with upgraded.connection() as con:
        rows = con.execute("SELECT a, up, low FROM t ORDER BY n").fetchall()
    assert rows == [
        ("Row0", "ROW0", None), ("Row1", "ROW1", None), ("Row2", "ROW2", None),
        ("Fresh", "FRESH", "fresh"),
    ]  # fmt: skip
    upgraded.table("t").compact(force=True, blocking=True)
    assert not (tmp_path / "t" / QUARANTINE).exists()


def test_segments_that_all_predate_a_derived_column_are_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade adds a derived column (as eval_runs' resume_key): a merge of segments none of
    which has it, and batch files written without its input, keep every row, the column NULL."""
    from llmops import _store
    from llmops._store import Store, TableSpec

    old = TableSpec("t", {"a": "VARCHAR", "n": "BIGINT"})
    new = TableSpec("t", {**old.columns, "_key": "VARCHAR"}, derived={"key": "_key"})
    segments = _store._SEGMENT_MERGE_COUNT + 1
    with monkeypatch.context() as patch:
        patch.setattr(_store, "_SEGMENT_MERGE_COUNT", 10**6)  # the old version merges none
        table = Store(tmp_path, [old]).table("t")
        for i in range(segments):
            table.append([{"a": f"old{i}", "n": i}])
            table.compact(force=True, blocking=True)
    parquet = tmp_path / "t" / "parquet"
    assert len(list(parquet.glob("*.parquet"))) == segments

    upgraded = Store(tmp_path, [new]).table("t")
    assert upgraded.compact(blocking=True)  # no batch file: only old segments to merge
    assert len(list(parquet.glob("*.parquet"))) == 1
    table.append([{"a": "batch", "n": 100}])  # from a process still on the old version
    upgraded.append([{"a": "new", "n": 200, "_key": "k"}])
    assert upgraded.compact(force=True, blocking=True)
    assert len(list(parquet.glob("*.parquet"))) == 2
    assert not list((tmp_path / "t" / "wal").glob("*.json"))
    assert not (tmp_path / "t" / QUARANTINE).exists()
    with Store(tmp_path, [new]).connection() as con:
        rows = con.execute("SELECT a, key FROM t ORDER BY n").fetchall()
    assert rows == [*[(f"old{i}", None) for i in range(segments)], ("batch", None), ("new", "k")]


def test_files_from_other_processes_are_checked_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops import _store

    _traced(tmp_path, 100, compact_threshold=10**6)  # no background compaction meanwhile
    assert open_store(tmp_path / "store").table("spans").pending() == 100
    monkeypatch.setattr(_store._CHECKED, "_files", {})  # as another process: none checked yet
    connections = []
    real = _store.connect

    def counting() -> object:
        connections.append(1)
        return real()

    monkeypatch.setattr(_store, "connect", counting)
    assert open_store(tmp_path / "store").table("spans").compact(force=True, blocking=True)
    assert len(connections) <= 3  # one check of the 100 files, the segment, the merge check
    assert _count() == 100


def test_another_kind_of_file_among_the_batches_is_named_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _traced(tmp_path, 2)
    other = _spans_dir(tmp_path) / "wal" / "old-layout.jsonl"
    other.write_text('{"trace_id": "t"}\n')
    with caplog.at_level(logging.WARNING, logger="llmops"):
        assert _count() == 2
        assert _count() == 2
    assert len([r for r in caplog.records if str(other) in r.getMessage()]) == 1
    assert other.exists()


def test_a_compaction_that_meets_a_bad_batch_first(tmp_path: Path) -> None:
    """No read checked the files: the compaction fails on the bad one, finds it, moves it aside
    and compacts the rest."""
    _traced(tmp_path, 3, compact_threshold=10**6)
    bad = _spans_dir(tmp_path) / "wal" / "stray.json"
    bad.write_bytes(b'[{"trace_id": "t1", "start_ns": "not a number"}]')
    table = open_store(tmp_path / "store").table("spans")
    assert table.compact(force=True, blocking=True)
    assert (_spans_dir(tmp_path) / QUARANTINE / "stray.json").exists()
    assert not list((_spans_dir(tmp_path) / "wal").glob("*.json"))
    assert not list((_spans_dir(tmp_path) / "parquet").glob(".*.tmp"))
    assert _count() == 3

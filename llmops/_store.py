"""The embedded store: append-only tables kept as files that DuckDB reads.

Why files and not one ``.duckdb`` file: DuckDB lets one process write a database file, and the
processes of an application (workers, eval shards, CLIs) all trace at once. So every writer
appends each batch as its own JSON file (written to a temporary name, then renamed: a reader
never sees half a batch, and a batch is durable once renamed, ``kill -9`` included), and any
process may compact those files into Parquet segments under an exclusive ``flock``. Readers take
the lock shared, so a compaction never deletes a file a query is reading. No writer ever takes a
lock, so no application sees a lock error. A reader needs no write access: it makes no folders
(a table never written reads as empty), takes its shared lock on a read-only lock file, and
leaves compaction to the processes that can write; a compaction that fails during a read is
counted (``compaction_errors`` in ``llmops.stats()``) and the read goes on over the batch files.

Layout of one table::

    <root>/<table>/wal/<time>-<host>-<pid>-<seq>.json   flushed batches, one file each
    <root>/<table>/parquet/seg-<id>.parquet             compacted segments
    <root>/<table>/parquet/seg-<id>.consumed            compaction in progress: its sources
    <root>/<table>/.lock                                compaction (exclusive) vs reads (shared)

A compaction writes the new segment under a temporary name, records the files it consumed in a
``.consumed`` marker, renames the segment into place, deletes its sources, then the marker. After
a crash at any step the next compaction (and every reader) uses the marker to see each row once.
"""

from __future__ import annotations

import errno
import fcntl
import itertools
import os
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from llmops._internal import STATS

if TYPE_CHECKING:
    import duckdb

_HOST = socket.gethostname().replace("-", "_")[:32] or "host"
_SEQUENCE = itertools.count()
_STALE_TMP_S = 3600.0
# Size-tiered merging: segments of one size class (powers of 4 from 1 MiB) merge once there are
# this many, so a row is rewritten about log4(store size) times, not on every compaction.
_SEGMENT_MERGE_COUNT = 8
_SEGMENT_TIER_BASE = 1024 * 1024
_SEGMENT_MERGE_MAX_BYTES = 256 * 1024 * 1024
# What opening a file for writing raises on a store this process may only read.
_READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def sql_string(value: str | Path) -> str:
    """``value`` as a SQL string literal: paths may hold quotes (``/home/o'brien``)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_name(name: str) -> str:
    """``name`` as a quoted SQL identifier (column and view names may be keywords)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableSpec:
    """A stored table: what writers append, what compaction adds, and the views over it.

    Attributes:
        columns: Columns writers append (name → DuckDB type), as JSON. Names that start with
            ``_`` are inputs to ``derived`` only and are not kept in Parquet.
        derived: Columns computed in SQL from those (name → expression), materialised in the
            Parquet segments so that common queries read typed columns. Writers stay cheap:
            parsing and casting run in DuckDB, not in the application's Python.
        views: Views defined over the table (name → SQL).
        raw_view: Name of the view of all rows; default ``name``.
    """

    name: str
    columns: dict[str, str]
    derived: dict[str, str] = field(default_factory=dict)
    views: dict[str, str] = field(default_factory=dict)
    raw_view: str | None = None

    def _kept(self) -> list[str]:
        return [sql_name(name) for name in self.columns if not name.startswith("_")]

    def select_list(self) -> str:
        """Kept plus derived columns, from a relation holding the appended ones."""
        derived = [f"{expr} AS {sql_name(name)}" for name, expr in self.derived.items()]
        return ", ".join([*self._kept(), *derived])

    def all_columns(self) -> str:
        """Kept plus derived columns, as stored in Parquet segments."""
        return ", ".join([*self._kept(), *map(sql_name, self.derived)])


@dataclass(frozen=True)
class Snapshot:
    """The files that make up a table at one moment; valid while the shared lock is held."""

    parquet: list[Path]
    wal: list[Path]


def _sql_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(map(sql_string, paths)) + "]"


class Table:
    """One append-only table under a store root."""

    def __init__(self, root: Path, spec: TableSpec) -> None:
        self.spec = spec
        self.dir = root / spec.name
        self.wal_dir = self.dir / "wal"
        self.segment_dir = self.dir / "parquet"
        self._lock_path = self.dir / ".lock"
        self._ready = False

    # --- writing ------------------------------------------------------------------------------
    def _make_dirs(self) -> None:
        self.wal_dir.mkdir(parents=True, exist_ok=True)
        self.segment_dir.mkdir(parents=True, exist_ok=True)
        self._ready = True

    def append(self, rows: Sequence[dict[str, Any]], *, fsync: bool = False) -> Path:
        """Write ``rows`` as one batch file; it is visible to readers whole or not at all.

        Raises:
            OSError: The store folder is missing and cannot be made, or is read-only.
        """
        if not self._ready:
            self._make_dirs()
        name = f"{time.time_ns():020d}-{_HOST}-{os.getpid()}-{next(_SEQUENCE):08d}"
        tmp = self.wal_dir / f".{name}.tmp"
        # One JSON array per batch: one serialiser call, where a line per row costs ~8x more.
        data = orjson.dumps(rows)
        try:
            self._write_file(tmp, data, fsync)
        except FileNotFoundError:
            # The folder was removed since this process made it (a cleanup): make it again,
            # rather than fail every batch until the process restarts.
            self._make_dirs()
            self._write_file(tmp, data, fsync)
        final = self.wal_dir / f"{name}.json"
        os.replace(tmp, final)
        return final

    @staticmethod
    def _write_file(path: Path, data: bytes, fsync: bool) -> None:
        with open(path, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())

    def pending(self) -> int:
        """How many flushed batch files await compaction."""
        try:
            with os.scandir(self.wal_dir) as entries:
                return sum(1 for e in entries if e.name.endswith(".json"))
        except FileNotFoundError:
            return 0

    def writable(self) -> bool:
        """Whether this process may compact the table (write its folders)."""
        folders = (self.dir, self.wal_dir, self.segment_dir)
        return all(os.access(d, os.W_OK | os.X_OK) for d in folders if d.exists())

    # --- locking ------------------------------------------------------------------------------
    def _open_lock(self) -> IO[bytes] | None:
        """The lock file, made if missing; read-only on a read-only store; None if neither."""
        try:
            return open(self._lock_path, "a+b")
        except FileNotFoundError:
            return None  # the table's folder was removed meanwhile: nothing left to lock
        except OSError as exc:
            if exc.errno not in _READ_ONLY_ERRNOS:
                raise
        # flock() takes a shared or an exclusive lock through a read-only handle too.
        try:
            return open(self._lock_path, "rb")
        except FileNotFoundError:
            return None

    @contextmanager
    def _locked(self, mode: int, blocking: bool) -> Iterator[bool]:
        handle = self._open_lock()
        if handle is None:
            # A read-only table no compaction ever ran on (it would have left its lock file).
            yield True
            return
        with handle:
            try:
                fcntl.flock(handle, mode | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The table's files, held under the shared lock until the block ends."""
        if not self.dir.is_dir():
            # Never written: empty, and reading it makes no folders.
            yield Snapshot(parquet=[], wal=[])
            return
        with self._locked(fcntl.LOCK_SH, blocking=True):
            yield self._list_files()

    def _list_files(self) -> Snapshot:
        consumed: set[str] = set()
        for marker in self.segment_dir.glob("*.consumed"):
            if marker.with_suffix(".parquet").exists():
                consumed.update(orjson.loads(marker.read_bytes()))
        parquet = sorted(p for p in self.segment_dir.glob("*.parquet") if p.name not in consumed)
        wal = sorted(p for p in self.wal_dir.glob("*.json") if p.name not in consumed)
        return Snapshot(parquet=parquet, wal=wal)

    # --- reading ------------------------------------------------------------------------------
    def source_sql(self, snapshot: Snapshot) -> str:
        """SQL for all rows of the table in ``snapshot`` (typed, even when empty)."""
        spec = self.spec
        parts = []
        if snapshot.parquet:
            parquet = f"read_parquet({_sql_list(snapshot.parquet)}, union_by_name=true)"
            parts.append(f"SELECT {spec.all_columns()} FROM {parquet}")
        if snapshot.wal:
            parts.append(f"SELECT {spec.select_list()} FROM {self._read_json(snapshot.wal)}")
        if not parts:
            empty = ", ".join(
                f"CAST(NULL AS {kind}) AS {sql_name(n)}" for n, kind in spec.columns.items()
            )
            return f"SELECT {spec.select_list()} FROM (SELECT {empty}) WHERE false"
        return " UNION ALL BY NAME ".join(parts)

    def _read_json(self, files: Sequence[Path]) -> str:
        spec = ", ".join(
            f"{sql_string(name)}: {sql_string(kind)}" for name, kind in self.spec.columns.items()
        )
        return (
            f"read_json({_sql_list(files)}, format='array', columns={{{spec}}}, "
            "maximum_object_size=67108864)"
        )

    # --- compaction ---------------------------------------------------------------------------
    def compact(self, *, force: bool = False, blocking: bool = False, threshold: int = 64) -> bool:
        """Fold flushed batch files into a Parquet segment, and small segments into one.

        Args:
            force: Compact even when fewer than ``threshold`` batch files wait.
            blocking: Wait for a compaction or read in progress instead of skipping.
            threshold: Batch files that make a compaction worth its cost.

        Returns:
            Whether this call compacted anything.

        Raises:
            OSError: The table's folder cannot be written.
            duckdb.Error: A batch file or segment cannot be read.
        """
        if not self.dir.is_dir():
            return False  # never written: nothing to compact, and no folders to make
        self._make_dirs()
        with self._locked(fcntl.LOCK_EX, blocking=blocking) as acquired:
            if not acquired:
                return False
            self._recover()
            done = False
            wal = sorted(self.wal_dir.glob("*.json"))
            if wal and (force or len(wal) >= threshold):
                select = f"SELECT {self.spec.select_list()} FROM {self._read_json(wal)}"
                self._write_segment(wal, select)
                done = True
            for tier in _tiers_to_merge(sorted(self.segment_dir.glob("*.parquet"))):
                parquet = f"read_parquet({_sql_list(tier)}, union_by_name=true)"
                self._write_segment(tier, f"SELECT {self.spec.all_columns()} FROM {parquet}")
                done = True
            return done

    def compact_if_due(self, threshold: int) -> bool:
        """Compact if ``threshold`` batch files wait and this process may write the table.

        Never raises: a compaction that fails is counted (``compaction_errors``) and logged once
        in a while. Its batch files stay in place, readable as they are.

        Returns:
            Whether this call compacted anything.
        """
        if self.pending() < threshold or not self.writable():
            return False
        try:
            return self.compact(threshold=threshold)
        except Exception:
            STATS.incr("compaction_errors")
            STATS.log_once_in_a_while(
                "compact", "llmops: store compaction failed (counted)", exc_info=True
            )
            return False

    def _recover(self) -> None:
        """Finish or undo what a crashed compaction left (called under the exclusive lock)."""
        for marker in self.segment_dir.glob("*.consumed"):
            if marker.with_suffix(".parquet").exists():
                for name in orjson.loads(marker.read_bytes()):
                    (self.wal_dir / name).unlink(missing_ok=True)
                    (self.segment_dir / name).unlink(missing_ok=True)
            marker.unlink(missing_ok=True)
        for tmp in self.segment_dir.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
        cutoff = time.time() - _STALE_TMP_S
        for tmp in self.wal_dir.glob(".*.tmp"):
            # A writer killed between write and rename leaves its partial batch here; a live
            # writer (another process, or this one's export thread) renames its own meanwhile.
            try:
                stale = tmp.stat().st_mtime < cutoff
            except FileNotFoundError:
                continue
            if stale:
                tmp.unlink(missing_ok=True)

    def _write_segment(self, sources: list[Path], select_sql: str) -> None:
        segment_id = f"seg-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = self.segment_dir / f".{segment_id}.tmp"
        final = self.segment_dir / f"{segment_id}.parquet"
        marker = self.segment_dir / f"{segment_id}.consumed"
        con = connect()
        try:
            con.execute(
                f"COPY ({select_sql}) TO {sql_string(tmp)} "
                "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 122880)"
            )
        finally:
            con.close()
        marker_tmp = self.segment_dir / f".{segment_id}.consumed.tmp"
        marker_tmp.write_bytes(orjson.dumps([p.name for p in sources]))
        os.replace(marker_tmp, marker)
        os.replace(tmp, final)
        for source in sources:
            source.unlink(missing_ok=True)
        marker.unlink()


def _tiers_to_merge(segments: list[Path]) -> list[list[Path]]:
    tiers: dict[int, list[Path]] = {}
    for path in segments:
        size = path.stat().st_size
        if size < _SEGMENT_MERGE_MAX_BYTES:
            tier = max(0, (size // _SEGMENT_TIER_BASE).bit_length() + 1) // 2
            tiers.setdefault(tier, []).append(path)
    return [paths for paths in tiers.values() if len(paths) >= _SEGMENT_MERGE_COUNT]


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection (imported here: duckdb costs ~200 ms to import)."""
    import duckdb

    return duckdb.connect(":memory:")


class Store:
    """All tables under one root folder, and SQL over them."""

    def __init__(self, root: Path, specs: Sequence[TableSpec]) -> None:
        # Absolute once, here: a process that changes its working folder keeps its store.
        self.root = Path(root).absolute()
        self.tables = {spec.name: Table(self.root, spec) for spec in specs}

    def table(self, name: str) -> Table:
        return self.tables[name]

    @contextmanager
    def connection(self, *, compact_threshold: int = 64) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection with every table and view defined, its files held for reading.

        Tables with ``compact_threshold`` batch files waiting are compacted first where this
        process may write them; a compaction that fails is counted, and the read goes on.
        """
        for table in self.tables.values():
            table.compact_if_due(compact_threshold)
        con = connect()
        try:
            with _snapshots(list(self.tables.values())) as snapshots:
                for table, snap in zip(self.tables.values(), snapshots, strict=True):
                    raw_view = sql_name(table.spec.raw_view or table.spec.name)
                    con.execute(f"CREATE VIEW {raw_view} AS {table.source_sql(snap)}")
                    for view_name, view_sql in table.spec.views.items():
                        con.execute(f"CREATE VIEW {sql_name(view_name)} AS {view_sql}")
                yield con
        finally:
            con.close()


@contextmanager
def _snapshots(tables: list[Table]) -> Iterator[list[Snapshot]]:
    if not tables:
        yield []
        return
    with tables[0].snapshot() as first, _snapshots(tables[1:]) as rest:
        yield [first, *rest]

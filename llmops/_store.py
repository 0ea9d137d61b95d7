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
    <root>/<table>/quarantine/<file> (+ .reason.txt)    files the store could not read

A compaction writes the new segment under a temporary name, records the files it consumed in a
``.consumed`` marker, renames the segment into place, deletes its sources, then the marker. After
a crash at any step the next compaction (and every reader) uses the marker to see each row once.

A file the store cannot read (a stray or truncated batch, a damaged segment, one of another
schema, a name DuckDB would take for a glob) is left out of every read, logged with its path and
the reason, and counted (``store_files_damaged``); the next compaction moves it to
``quarantine/`` (``store_files_quarantined``). Nothing is deleted, and one bad file never makes
the rest of the table unreadable. A read checks each file once per process (batch files and
segments never change once renamed into place, and the files this process wrote need no check);
a compaction reads the batch files as they are and checks them only when that fails.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from llmops._internal import STATS, logger

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
# DuckDB reads these in a file path as a glob: such a file would be read as other files, or not.
_GLOB_CHARS = frozenset("*?[]{}")
# The physical Parquet type each column type is written as, to tell a segment of another schema.
_PARQUET_TYPES = {
    "VARCHAR": "BYTE_ARRAY", "BIGINT": "INT64", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN",
}  # fmt: skip
SEGMENT_PREFIX = "seg-"
QUARANTINE = "quarantine"


class _Checked:
    """Files this process checked: path → (size, mtime, None if readable, else why not).

    Batch files and segments never change once renamed into place, so one check holds for the
    life of the file (a new file under an old name has another size or time). Entries go when
    compaction deletes or moves the file.
    """

    def __init__(self) -> None:
        self._files: dict[str, tuple[int, int, str | None]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def stamp(path: Path) -> tuple[int, int] | None:
        """The file's size and modification time, or None when it is gone."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_size, stat.st_mtime_ns)

    def known(self, path: Path, stamp: tuple[int, int]) -> tuple[bool, str | None]:
        """Whether ``path`` as it is now was checked, and the verdict."""
        with self._lock:
            entry = self._files.get(str(path))
        if entry is None or entry[:2] != stamp:
            return False, None
        return True, entry[2]

    def put(self, path: Path, stamp: tuple[int, int], verdict: str | None) -> None:
        with self._lock:
            if len(self._files) >= 100_000:  # bounded; a cleared entry is only checked again
                self._files.clear()
            self._files[str(path)] = (*stamp, verdict)

    def forget(self, paths: Sequence[Path]) -> None:
        with self._lock:
            for path in paths:
                self._files.pop(str(path), None)


_CHECKED = _Checked()


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
        stamp = _CHECKED.stamp(final)
        if stamp is not None:
            _CHECKED.put(final, stamp, None)  # written here, by orjson: readable
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

    @staticmethod
    def _files(folder: Path, suffix: str, others: str | None = None) -> list[Path]:
        """The regular files in ``folder`` ending in ``suffix``, temporary ``.`` files left out;
        with ``others``, any other file is logged once as that.

        Raises:
            OSError: The folder exists but cannot be listed (``Path.glob`` would say nothing,
                and a read would silently miss every file in it).
        """
        found = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if not entry.name.endswith(suffix):
                        if others is not None:
                            _note_ignored(Path(entry.path), others)
                        continue
                    if entry.is_file():
                        found.append(Path(entry.path))
                    else:
                        _note_ignored(Path(entry.path), "not a regular file")
        except FileNotFoundError:
            return []
        return sorted(found)

    def _batches(self) -> list[Path]:
        """The flushed batch files; another file there (an earlier layout's ``*.jsonl``, a
        user's copy) is logged once and not read."""
        return self._files(self.wal_dir, ".json", others="not a batch file (those are *.json)")

    def _segments(self) -> list[Path]:
        """The Parquet segments compaction wrote; other Parquet files there are not read."""
        segments = []
        for path in self._files(self.segment_dir, ".parquet"):
            if path.name.startswith(SEGMENT_PREFIX):
                segments.append(path)
            else:
                _note_ignored(
                    path, f"not a segment of this store (they are named {SEGMENT_PREFIX}*)"
                )
        return segments

    def _markers(self) -> list[tuple[Path, Path, list[str] | None]]:
        """Each compaction marker, its segment, and the files it lists (None: unreadable)."""
        return [
            (marker, marker.with_suffix(".parquet"), _marker_names(marker))
            for marker in self._files(self.segment_dir, ".consumed")
        ]

    def _list_files(self) -> Snapshot:
        segments = self._segments()
        verdicts = self._verdicts(segments)
        consumed: set[str] = set()
        for marker, segment, names in self._markers():
            if segment not in verdicts:
                continue  # a compaction that had not renamed its segment: sources intact
            if names is None:
                # Which files it holds is unknown: read them, not it (moved aside later).
                _report(segment, f"its compaction marker {marker.name} cannot be read")
                verdicts[segment] = "unreadable marker"
            elif verdicts[segment] is None:
                consumed.update(names)
            # A damaged segment's marker is not trusted: its sources are read instead.
        parquet = [p for p in segments if verdicts[p] is None and p.name not in consumed]
        wal = [p for p in self._batches() if p.name not in consumed]
        return Snapshot(parquet=parquet, wal=self._readable(wal))

    # --- damaged files ------------------------------------------------------------------------
    def _readable(self, paths: list[Path], *, check: bool = True) -> list[Path]:
        """``paths`` less the files that cannot be read (each reported once per process)."""
        verdicts = self._verdicts(paths, check=check)
        return [path for path, verdict in verdicts.items() if verdict is None]

    def _verdicts(self, paths: list[Path], *, check: bool = True) -> dict[Path, str | None]:
        """Each of ``paths`` still there: None when readable, else why not.

        Files not checked before are checked together, in one DuckDB call; without ``check``
        they count as readable (compaction reads them anyway, and checks only if that fails).
        """
        verdicts: dict[Path, str | None] = {}
        unknown: list[tuple[Path, tuple[int, int]]] = []
        for path in paths:
            stamp = _CHECKED.stamp(path)
            if stamp is None:
                continue  # gone since it was listed
            known, verdict = _CHECKED.known(path, stamp)
            if known:
                verdicts[path] = verdict
            else:
                unknown.append((path, stamp))
        if unknown and not check:
            verdicts.update((path, None) for path, _ in unknown)
        elif unknown:
            found = self._check([path for path, _ in unknown])
            for path, stamp in unknown:
                verdict = found.get(path)
                _CHECKED.put(path, stamp, verdict)
                verdicts[path] = verdict
                if verdict is not None:
                    _report(path, verdict)
        return verdicts

    def _check(self, paths: list[Path]) -> dict[Path, str]:
        """Why each of ``paths`` that cannot be read cannot be (readable ones are left out).

        One DuckDB call for them all; only when it fails, one per file to find which.

        Raises:
            duckdb.Error: A failure that says nothing of the files (one it cannot open, memory):
                the read fails as it is, and no good file is ever sent to quarantine.
        """
        import duckdb

        bad: dict[Path, str] = {}
        for path in paths:
            if _GLOB_CHARS.intersection(path.name):
                bad[path] = "its name holds a character DuckDB reads as a glob (* ? [ ] { })"
        rest = [path for path in paths if path not in bad]
        if not rest:
            return bad
        con = connect()
        try:
            con.execute("SET threads = 1")
            wal = [path for path in rest if path.suffix == ".json"]
            segments = [path for path in rest if path.suffix != ".json"]
            for group, check in ((wal, self._check_batches), (segments, self._check_segments)):
                if not group:
                    continue
                try:
                    bad.update(check(con, group))
                except duckdb.InvalidInputException:  # what a file holds: find which
                    for path in group:
                        try:
                            bad.update(check(con, [path]))
                        except duckdb.InvalidInputException as exc:
                            bad[path] = _first_line(exc)
        finally:
            con.close()
        return bad

    def _check_batches(self, con: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict[Path, str]:
        """Read ``paths`` as a query would, values converted to their columns' types.

        Raises:
            duckdb.InvalidInputException: A file is not a batch of this table.
        """
        # Text columns take any JSON value (DuckDB writes nested ones as JSON text): only the
        # typed columns can fail to convert.
        typed = [name for name, kind in self.spec.columns.items() if kind != "VARCHAR"]
        counts = ", ".join(f"count({sql_name(name)})" for name in typed) or "count(*)"
        con.execute(f"SELECT {counts} FROM {self._read_json(paths)}").fetchall()
        return {}

    def _check_segments(self, con: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict[Path, str]:
        """Segments whose stored columns are missing or of another type (a derived column
        added by a later version may be missing: it reads as NULL).

        Raises:
            duckdb.InvalidInputException: A file is not Parquet (or is cut short).
        """
        rows = con.execute(
            f"SELECT file_name, name, type FROM parquet_schema({_sql_list(paths)})"
        ).fetchall()
        found: dict[str, dict[str, str | None]] = {str(p): {} for p in paths}
        for file_name, name, kind in rows:
            found.setdefault(file_name, {})[name] = kind
        stored = {n: t for n, t in self.spec.columns.items() if not n.startswith("_")}
        bad: dict[Path, str] = {}
        for path in paths:
            columns = found.get(str(path), {})
            missing = [name for name in stored if name not in columns]
            wrong = [
                f"{name} is {columns[name]}, not {kind}"
                for name, kind in stored.items()
                if name in columns and _PARQUET_TYPES.get(kind) not in (None, columns[name])
            ]
            if missing or wrong:
                shown = missing if len(missing) <= 5 else [*missing[:4], f"{len(missing) - 4} more"]
                what = [f"no column {', '.join(shown)}"] if missing else []
                bad[path] = "a segment of another schema: " + "; ".join(what + wrong)
        return bad

    def quarantine(self) -> list[Path]:
        """Move the files reads leave out to ``quarantine/`` (under the exclusive lock).

        Returns:
            Where each file went.
        """
        moved = []
        segments = self._segments()
        verdicts = self._verdicts(segments)
        for marker, segment, names in self._markers():
            if names is None:
                why = f"its compaction marker {marker.name} cannot be read"
                if segment.exists():
                    moved.append(self._move_aside(segment, why))
                moved.append(self._move_aside(marker, why))
        for segment, verdict in verdicts.items():
            if verdict is not None and segment.exists():
                moved.append(self._move_aside(segment, verdict))
        for path, verdict in self._verdicts(self._batches(), check=False).items():
            if verdict is not None:  # found by a read, or by a compaction that failed on it
                moved.append(self._move_aside(path, verdict))
        return moved

    def _move_aside(self, path: Path, why: str) -> Path:
        folder = self.dir / QUARANTINE
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        if target.exists():
            target = folder / f"{path.stem}-{uuid.uuid4().hex[:8]}{path.suffix}"
        os.replace(path, target)
        _CHECKED.forget([path])
        target.with_name(target.name + ".reason.txt").write_text(f"{path}: {why}\n")
        STATS.incr("store_files_quarantined")
        logger.warning("llmops: moved %s to %s: %s", path, target, why)
        return target

    # --- reading ------------------------------------------------------------------------------
    def source_sql(self, snapshot: Snapshot) -> str:
        """SQL for all rows of the table in ``snapshot`` (typed, even when empty)."""
        parts = []
        if snapshot.parquet:
            parts.append(self._segments_sql(snapshot.parquet))
        if snapshot.wal:
            parts.append(self._batches_sql(snapshot.wal))
        if not parts:
            return self._typed_empty()
        return " UNION ALL BY NAME ".join(parts)

    def _typed_empty(self) -> str:
        """SQL for no rows, with every kept and derived column of its type."""
        spec = self.spec
        empty = ", ".join(
            f"CAST(NULL AS {kind}) AS {sql_name(n)}" for n, kind in spec.columns.items()
        )
        return f"SELECT {spec.select_list()} FROM (SELECT {empty}) WHERE false"

    def _segments_sql(self, segments: Sequence[Path]) -> str:
        """SQL for the rows of ``segments``, as reads and merges both see them."""
        # By name beside an empty relation of every column: a column the segments lack (a
        # derived one a later version added) reads as NULL instead of failing to bind, even
        # when no segment has it (union_by_name alone knows only the segments' columns).
        parquet = f"read_parquet({_sql_list(segments)}, union_by_name=true)"
        return (
            f"SELECT {self.spec.all_columns()} FROM "
            f"(SELECT * FROM {parquet} UNION ALL BY NAME {self._typed_empty()})"
        )

    def _batches_sql(self, batches: Sequence[Path]) -> str:
        """SQL for the rows of ``batches``, derived columns computed (an input a batch lacks
        reads as NULL: ``read_json`` is given every column)."""
        return f"SELECT {self.spec.select_list()} FROM {self._read_json(batches)}"

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
            done = bool(self.quarantine())
            # Batch files no read here has checked are not checked first (that parses each
            # twice): only a compaction that fails on what one holds looks for which.
            wal = self._readable(self._batches(), check=False)
            if wal and (force or len(wal) >= threshold):
                self._compact_batches(wal)
                done = True
            for tier in _tiers_to_merge(self._readable(self._segments())):
                self._write_segment(tier, self._segments_sql(tier))
                done = True
            return done

    def _compact_batches(self, wal: list[Path]) -> None:
        import duckdb

        try:
            self._write_segment(wal, self._batches_sql(wal))
        except duckdb.InvalidInputException:
            wal = self._readable(wal)  # checks them, and reports the ones that are damaged
            self.quarantine()
            if wal:
                self._write_segment(wal, self._batches_sql(wal))

    def compact_if_due(self, threshold: int) -> bool:
        """Compact if ``threshold`` batch files wait and this process may write the table.

        Never raises: a compaction that fails is counted (``compaction_errors``) and logged once
        in a while. Its batch files stay in place, readable as they are.

        Returns:
            Whether this call compacted anything.
        """
        try:
            due = self.pending() >= threshold or _has_damage(self.dir)
            if not due or not self.writable():
                return False
            return self.compact(threshold=threshold)
        except Exception:
            STATS.incr("compaction_errors")
            STATS.log_once_in_a_while(
                "compact", "llmops: store compaction failed (counted)", exc_info=True
            )
            return False

    def _recover(self) -> None:
        """Finish or undo what a crashed compaction left (called under the exclusive lock)."""
        verdicts = self._verdicts(self._segments())
        for marker, segment, names in self._markers():
            if names is None:
                continue  # quarantine() moves it and its segment aside; the sources stay
            if segment in verdicts and verdicts[segment] is not None:
                # A damaged segment: its sources are the only good copy. quarantine() moves it.
                self._move_aside(marker, f"its segment {segment.name} cannot be read")
                continue
            if segment in verdicts:
                sources = [self.wal_dir / n for n in names] + [self.segment_dir / n for n in names]
                for source in sources:
                    source.unlink(missing_ok=True)
                _CHECKED.forget(sources)
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
            # One thread: compaction is background work in the application's own process, and
            # DuckDB's default (a thread per core) costs ~30% more CPU in all for ~10% less time.
            con.execute("SET threads = 1")
            con.execute(
                f"COPY ({select_sql}) TO {sql_string(tmp)} "
                "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 122880)"
            )
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            con.close()
        # On disk before any source is deleted: a power cut never leaves the rows only in a
        # segment or marker the file system had not written yet.
        _fsync_file(tmp)
        marker_tmp = self.segment_dir / f".{segment_id}.consumed.tmp"
        self._write_file(marker_tmp, orjson.dumps([p.name for p in sources]), fsync=True)
        os.replace(marker_tmp, marker)
        os.replace(tmp, final)
        _fsync_dir(self.segment_dir)
        for source in sources:
            source.unlink(missing_ok=True)
        _CHECKED.forget(sources)
        marker.unlink()


def _marker_names(marker: Path) -> list[str] | None:
    """The file names a compaction marker lists, or None when it is unreadable or not a list."""
    try:
        names = orjson.loads(marker.read_bytes())
    except FileNotFoundError:
        return []
    except orjson.JSONDecodeError:  # an error reading it (EMFILE, EIO) is raised, not a verdict
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return names


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


_DAMAGED: dict[str, set[str]] = {}  # table folder → damaged files reported by this process


def _report(path: Path, why: str) -> None:
    """Count and log a file reads leave out, once per process and file."""
    files = _DAMAGED.setdefault(str(path.parent.parent), set())
    if str(path) in files:
        return
    files.add(str(path))
    STATS.incr("store_files_damaged")
    logger.warning(
        "llmops: store file %s cannot be read (%s); left out of reads, and moved to %s/ by the "
        "next compaction",
        path,
        why,
        QUARANTINE,
    )


def _note_ignored(path: Path, why: str) -> None:
    STATS.log_once_in_a_while(f"ignored:{path}", "llmops: %s is %s; not read", path, why)


def _has_damage(table_dir: Path) -> bool:
    return any(Path(p).exists() for p in _DAMAGED.get(str(table_dir), ()))


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # a file system that cannot sync a folder (network ones)
        _fsync_file(folder)


def _tiers_to_merge(segments: list[Path]) -> list[list[Path]]:
    tiers: dict[int, list[Path]] = {}
    for path in segments:
        size = path.stat().st_size
        if size < _SEGMENT_MERGE_MAX_BYTES:
            tier = max(0, (size // _SEGMENT_TIER_BASE).bit_length() + 1) // 2
            tiers.setdefault(tier, []).append(path)
    return [paths for paths in tiers.values() if len(paths) >= _SEGMENT_MERGE_COUNT]


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection (imported here: duckdb costs ~200 ms to import) whose
    queries draw no progress bar on stderr (Jupyter without ipywidgets refuses the setting)."""
    import duckdb

    connection = duckdb.connect(":memory:")
    with contextlib.suppress(duckdb.Error):
        connection.execute("SET enable_progress_bar = false")
    return connection


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

"""Reading eval runs back from the store, and finding the runs of a config version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import orjson

from llmops._errors import EvalDatasetError, StoreError
from llmops.eval._pairing import RunData

if TYPE_CHECKING:
    import duckdb


@contextmanager
def connection(
    con: duckdb.DuckDBPyConnection | None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """``con`` itself, or a connection to the configured store for the block."""
    if con is not None:
        yield con
        return
    from llmops._query import store_connection

    with store_connection() as opened:
        yield opened


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows of a query as dicts; a DuckDB error becomes a ``StoreError``."""
    import duckdb

    from llmops._query import dict_rows

    try:
        return dict_rows(con.execute(sql, params))
    except duckdb.Error as exc:
        raise StoreError(f"reading eval results failed: {exc}") from None


def load_run(con: duckdb.DuckDBPyConnection, run_id: str) -> RunData:
    """A run's row, cases, scores and stored summary.

    Raises:
        EvalDatasetError: The run is not in the store, or its summary is not JSON.
    """
    runs = rows(con, "SELECT * FROM eval_runs WHERE run_id = ?", [run_id])
    if not runs:
        raise EvalDatasetError(f"eval run {run_id!r} is not in the store")
    cases = rows(con, "SELECT * FROM eval_cases WHERE run_id = ? ORDER BY case_id", [run_id])
    scores = rows(con, "SELECT * FROM eval_scores WHERE run_id = ?", [run_id])
    summary: dict[str, Any] | None = None
    if runs[0].get("summary"):
        try:
            summary = orjson.loads(runs[0]["summary"])
        except orjson.JSONDecodeError:
            raise EvalDatasetError(
                f"eval run {run_id!r} has a summary that is not valid JSON"
            ) from None
    return RunData(run=runs[0], cases=cases, scores=scores, summary=summary)


def _parse_config_ref(ref: str) -> tuple[str | None, str]:
    name, sep, version = ref.strip().rpartition("@")
    if not version or (sep and not name):
        raise EvalDatasetError(f"config {ref!r}: expected 'NAME@VERSION' or 'VERSION'")
    return (name or None), version


def runs_of(runs: list[dict[str, Any]], ref: str) -> list[dict[str, Any]]:
    """Completed runs of config ``ref``: exact version, or an unambiguous version prefix."""
    name, version = _parse_config_ref(ref)
    named = [r for r in runs if name is None or r.get("config_name") == name]
    exact = [r for r in named if r.get("config_version") == version]
    if exact:
        return exact
    matched = [r for r in named if str(r.get("config_version") or "").startswith(version)]
    versions = sorted({str(r["config_version"]) for r in matched})
    if len(versions) > 1:
        shown = ", ".join(v[:16] for v in versions[:5])
        raise EvalDatasetError(f"config {ref!r} is ambiguous: it matches versions {shown}")
    if not matched:
        raise EvalDatasetError(
            f"no completed eval run of config {ref!r} in the store "
            "(give a version id or its prefix, optionally as NAME@VERSION)"
        )
    return matched


def latest_common_runs(
    runs_a: list[dict[str, Any]], runs_b: list[dict[str, Any]], suite_hash: str | None
) -> tuple[str, str]:
    def latest(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        by_hash: dict[str, dict[str, Any]] = {}
        for run in sorted(runs, key=lambda r: r["finished"]):
            by_hash[run.get("suite_hash") or ""] = run
        return by_hash

    latest_a, latest_b = latest(runs_a), latest(runs_b)
    common = set(latest_a) & set(latest_b)
    if suite_hash is not None:
        common &= {suite_hash}
    if not common:
        where = f" on suite {suite_hash!r}" if suite_hash else ""
        raise EvalDatasetError(
            f"the two configs have no completed eval runs of a common suite{where}"
        )
    best = max(common, key=lambda h: max(latest_a[h]["finished"], latest_b[h]["finished"]))
    return latest_a[best]["run_id"], latest_b[best]["run_id"]

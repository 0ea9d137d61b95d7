"""Features declare their own store tables; a reader sees every installed feature's."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import llmops
from llmops import _tables
from llmops._spanstore import open_store
from llmops._store import TableSpec

NOTES = TableSpec(
    name="notes",
    columns={"note_id": "VARCHAR", "text": "VARCHAR"},
    raw_view="note_rows",
    views={"notes": "SELECT * FROM note_rows"},
)
PLUGIN_TABLES = (NOTES,)


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry as a new process has it: spans declared, entry points not read yet."""
    monkeypatch.setattr(_tables, "_declared", dict(_tables._declared))
    monkeypatch.setattr(_tables, "_providers_loaded", False)


@pytest.fixture
def plugin_distribution(installed_plugin: Callable[..., None], fresh_registry: None) -> None:
    """A distribution declaring a table through the ``llmops.tables`` entry points."""
    installed_plugin(
        "llmops-fake-notes",
        {
            "llmops.tables": {
                "notes": f"{__name__}:PLUGIN_TABLES",
                "broken": "llmops_no_such_module:TABLES",
            }
        },
    )


def test_a_plugin_table_is_in_every_store_opened_after(
    plugin_distribution: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="llmops"):
        store = open_store(tmp_path / "store")
    assert {"spans", "eval_runs", "eval_cases", "eval_scores", "notes"} <= set(store.tables)
    assert "'broken'" in caplog.text  # a provider that fails is named, the others still load
    store.table("notes").append([{"note_id": "n1", "text": "hello"}])
    with store.connection() as con:
        assert con.execute("SELECT text FROM notes").fetchall() == [("hello",)]
        assert con.execute("SELECT count(*) FROM traces").fetchone() == (0,)


def test_a_table_declared_twice_differently_is_an_error(fresh_registry: None) -> None:
    _tables.register_tables(NOTES)
    _tables.register_tables(NOTES)  # the same again: nothing happens
    other = TableSpec(name="notes", columns={"note_id": "VARCHAR"})
    with pytest.raises(llmops.StoreError, match="'notes' is declared twice"):
        _tables.register_tables(other)


def test_a_reader_that_never_imported_eval_sees_the_eval_tables(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""\
        import sys
        from llmops._spanstore import open_store
        assert "llmops.eval._tables" not in sys.modules
        with open_store({str(tmp_path / "store")!r}).connection() as con:
            print(con.execute("SELECT count(*) FROM eval_runs").fetchone()[0])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


def test_store_connections_never_draw_a_progress_bar() -> None:
    from llmops._store import connect

    setting = connect().execute("SELECT current_setting('enable_progress_bar')").fetchone()
    assert setting == (False,)

"""Which tables a store has: each feature declares its own.

The store knows how to keep a table (:class:`~llmops._store.TableSpec`), not which tables
exist. The span table is declared by ``llmops._spanstore``, the eval tables by
``llmops.eval._tables``, each when imported; a plug-in declares its tables the same way. A
reader that opens the store without having imported every feature (``llmops sql``,
``llmops.query()``, the UI) still sees them all: installed features name their tables in the
``llmops.tables`` entry-point group, loaded once per process when a store is first opened::

    [project.entry-points."llmops.tables"]
    eval = "llmops.eval._tables:TABLES"

An entry point names a sequence of ``TableSpec``, or a callable that returns one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from llmops._errors import StoreError
from llmops._internal import logger
from llmops._store import TableSpec

TABLE_PROVIDERS = "llmops.tables"

_declared: dict[str, TableSpec] = {}
_lock = threading.Lock()
_loading = threading.Lock()
_providers_loaded = False


def register_tables(*specs: TableSpec) -> None:
    """Declare tables: every store opened afterwards in this process has them.

    Declaring a table again with the same definition does nothing.

    Raises:
        StoreError: A table of that name was declared with another definition.
    """
    with _lock:
        for spec in specs:
            known = _declared.get(spec.name)
            if known is not None and known != spec:
                raise StoreError(f"table {spec.name!r} is declared twice, differently")
            _declared[spec.name] = spec


def declared_tables() -> tuple[TableSpec, ...]:
    """Every declared table, those of the installed features' entry points included."""
    _load_providers()
    with _lock:
        return tuple(_declared.values())


def _load_providers() -> None:
    """Import the ``llmops.tables`` entry points, once. One that fails is logged and left out:
    a broken plug-in must not make the other tables unreadable."""
    global _providers_loaded
    if _providers_loaded:
        return
    from importlib.metadata import entry_points

    with _loading:
        if _providers_loaded:
            return
        for entry in entry_points(group=TABLE_PROVIDERS):
            try:
                register_tables(*_specs(entry.load()))
            except Exception as exc:  # a plug-in's import error, a bad value: not ours to raise
                logger.warning(
                    "llmops: the tables of %r (%s) are left out: %s: %s",
                    entry.name,
                    entry.value,
                    type(exc).__name__,
                    exc,
                )
        _providers_loaded = True


def _specs(provided: Iterable[TableSpec] | Callable[[], Iterable[TableSpec]]) -> list[TableSpec]:
    specs = list(provided() if callable(provided) else provided)
    for spec in specs:
        if not isinstance(spec, TableSpec):
            raise TypeError(f"{spec!r} is not a TableSpec")
    return specs

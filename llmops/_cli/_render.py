"""Rich renderings of stored traces, shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

# Everything a store holds is data, never rich markup: span names, models, error messages and
# query results can contain ``[...]`` (``[/etc/x]`` would even end the output with an error).


def print_error(console: Console, message: object, label: str = "error") -> None:
    """``error: message`` with the label in red and the message as plain text."""
    console.print(Text.assemble((f"{label}:", "red"), " ", str(message)), highlight=False)


def _span_label(row: dict[str, Any]) -> str:
    name = escape(str(row["name"]))
    parts = [f"[bold]{name}[/bold]", f"[cyan]{row['duration_ms']:.2f} ms[/cyan]"]
    if row.get("config_version") and row.get("span_type") == "agent":
        parts.append(escape(f"config={row.get('config_name')}@{row['config_version'][:12]}"))
    if row.get("model"):
        parts.append(escape(f"model={row['model']}"))
    if row.get("input_tokens") is not None or row.get("output_tokens") is not None:
        parts.append(f"tokens={row.get('input_tokens') or 0}→{row.get('output_tokens') or 0}")
    if row.get("cost_usd") is not None:
        parts.append(f"[green]${row['cost_usd']:.6f}[/green]")
    if row.get("status_code") == "ERROR":
        error = f"{row.get('error_type') or ''} {row.get('status_message') or ''}"
        parts.append(f"[red]✗ {escape(error)}[/red]")
    return "  ".join(parts)


_TREE_INDENT = 4  # columns each level of a rich Tree indents
_LABEL_ROOM = 40  # columns a span's label keeps however deep it is


def trace_tree(rows: list[dict[str, Any]], width: int = 80) -> Tree:
    """A tree of one trace's spans (rows from the ``spans`` view), children in start order.

    Indentation stops where it would leave a label less than ``_LABEL_ROOM`` of ``width``
    columns (rich drops what does not fit): deeper spans are drawn at that indentation, in
    order, each with its depth as a number (``[depth 37]``, the root span being depth 1).
    """
    rows = sorted(rows, key=lambda r: r["start_time"])
    ids = {r["span_id"] for r in rows}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        parent = row["parent_span_id"] if row["parent_span_id"] in ids else None
        children.setdefault(parent, []).append(row)
    trace_id = rows[0]["trace_id"] if rows else "?"
    root = Tree(f"trace [magenta]{escape(str(trace_id))}[/magenta]")
    max_depth = max(1, (width - _LABEL_ROOM) // _TREE_INDENT)
    placed: set[str] = set()
    # Roots first; a span in a cycle of parent ids (a broken store) is a root of its own.
    for row in [*children.get(None, []), *rows]:
        if row["span_id"] not in placed:
            _add_subtree(root, row, children, max_depth, placed)
    return root


def _add_subtree(
    root: Tree,
    top: dict[str, Any],
    children: dict[str | None, list[dict[str, Any]]],
    max_depth: int,
    placed: set[str],
) -> None:
    """Add ``top`` and its descendants under ``root``, depth first, without recursion (a trace
    can be deeper than Python's recursion limit)."""
    stack: list[tuple[Tree, dict[str, Any], int]] = [(root, top, 1)]
    while stack:
        parent, row, depth = stack.pop()
        if row["span_id"] in placed:
            continue
        placed.add(row["span_id"])
        label = _span_label(row)
        if depth > max_depth:
            label = f"[dim]{escape(f'[depth {depth}]')}[/dim] {label}"
        node = parent.add(label)
        below = node if depth < max_depth else parent  # past the limit, no more indentation
        for child in reversed(children.get(row["span_id"], [])):
            stack.append((below, child, depth + 1))


def rows_table(
    rows: list[dict[str, Any]], title: str | None = None, whole: Collection[str] = ()
) -> Table:
    """A table of query rows; the ``whole`` columns (ids to copy) are never wrapped, the others
    fold to fit the width."""
    table = Table(title=title, show_lines=False)
    if not rows:
        table.add_column("(no rows)")
        return table
    for column in rows[0]:
        if column in whole:
            table.add_column(Text(str(column)), no_wrap=True, overflow="ignore")
        else:
            table.add_column(Text(str(column)), overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row.values()))
    return table

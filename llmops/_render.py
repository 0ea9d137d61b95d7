"""Rich renderings of stored traces, shared by the CLI commands."""

from __future__ import annotations

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


def trace_tree(rows: list[dict[str, Any]]) -> Tree:
    """A tree of one trace's spans (rows from the ``spans`` view), children in start order."""
    rows = sorted(rows, key=lambda r: r["start_time"])
    ids = {r["span_id"] for r in rows}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        parent = row["parent_span_id"] if row["parent_span_id"] in ids else None
        children.setdefault(parent, []).append(row)
    trace_id = rows[0]["trace_id"] if rows else "?"
    root = Tree(f"trace [magenta]{escape(str(trace_id))}[/magenta]")

    def add(node: Tree, parent: str | None) -> None:
        for child in children.get(parent, []):
            add(node.add(_span_label(child)), child["span_id"])

    add(root, None)
    return root


def rows_table(rows: list[dict[str, Any]], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    if not rows:
        table.add_column("(no rows)")
        return table
    for column in rows[0]:
        table.add_column(Text(str(column)), overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row.values()))
    return table

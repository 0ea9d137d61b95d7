"""``llmops monitor …``: production monitoring of the stored traces (issue 19, first slice)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from llmops._cli._render import print_error
from llmops._errors import LlmopsError

# The table's columns: header and cell from a series row (``--json`` prints every column).
_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
    ("config", lambda r: str(r["config_name"])),
    ("version", lambda r: str(r["config_version"])[:12]),
    ("window", lambda r: r["window_start"].strftime("%Y-%m-%d %H:%M")),
    ("traces", lambda r: str(r["traces"])),
    ("errors", lambda r: f"{r['errors']} ({r['error_rate']:.1%})"),
    ("tokens", lambda r: f"{r['input_tokens']}→{r['output_tokens']}"),
    ("cost", lambda r: _money(r["cost_usd"])),
    ("$/trace", lambda r: _money(r["cost_per_trace"])),
    ("p50", lambda r: f"{r['p50_ms']:.1f}"),
    ("p95", lambda r: f"{r['p95_ms']:.1f}"),
    ("guard", lambda r: str(r["guardrail_findings"])),
)


def _money(value: float | None) -> str:
    return "-" if value is None else "$" + f"{value:.6f}".rstrip("0").rstrip(".")


app = typer.Typer(help="Watch config versions in production.", no_args_is_help=True)
console = Console()


@app.command()
def status(
    config: Annotated[str | None, typer.Option("--config", help="Only this config name.")] = None,
    window: Annotated[str, typer.Option(help="Window length: 30m, 1h, 1d…")] = "1h",
    since: Annotated[str, typer.Option(help="Only traces this recent: 24h, 7d…")] = "24h",
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON lines.")] = False,
) -> None:
    """Per config version and window: traces, error rate, tokens, cost, p50/p95 latency and
    guardrail findings, newest window first."""
    from llmops._monitor import parse_duration, version_series

    try:
        length = parse_duration(window)
        back = parse_duration(since)
    except ValueError as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None
    cutoff = (datetime.now(UTC) - back).replace(tzinfo=None)
    try:
        rows = version_series(window=length, since=cutoff, config=config)
    except LlmopsError as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None
    if as_json:
        for row in rows:
            typer.echo(orjson.dumps(row, default=str).decode())
        return
    if not rows:
        console.print(f"no traces with a config version in the last {since}", highlight=False)
        return
    table = Table(
        title=f"per config version, {window} windows (UTC), last {since}; p50/p95 in ms",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for header, _ in _COLUMNS:
        whole = header in ("version", "window")
        table.add_column(Text(header), no_wrap=whole, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(row)) for _, cell in _COLUMNS))
    console.print(table)
    console.print("hallucination and success rates: not yet (online scoring comes later)")

"""The ``llmops`` Typer app: its commands, and those of the sibling modules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from llmops._cli._config import app as config_app
from llmops._cli._eval import app as eval_app
from llmops._cli._guard import app as guard_app
from llmops._cli._monitor import app as monitor_app
from llmops._cli._render import print_error
from llmops._cli._serve import serve as serve_command
from llmops._cli._server import server as server_command
from llmops._cli._ui import ui as ui_command
from llmops._errors import LlmopsError

app = typer.Typer(
    help="llmops: trace, version, guard and evaluate LLM agents.", no_args_is_help=True
)
traces_app = typer.Typer(help="Browse traces in the embedded store.", no_args_is_help=True)
store_app = typer.Typer(help="Maintain the embedded store.", no_args_is_help=True)
app.add_typer(traces_app, name="traces")
app.add_typer(config_app, name="config")
app.add_typer(guard_app, name="guard")
app.add_typer(eval_app, name="eval")
app.add_typer(monitor_app, name="monitor")
app.command("serve")(serve_command)
app.command("server")(server_command)
app.command("ui")(ui_command)
app.add_typer(store_app, name="store")
console = Console()
_DURATION = re.compile(r"^(\d+)([smhd])$")


def _since(value: str | None) -> datetime | None:
    """A cutoff in UTC (the store's times): a duration back from now, or an ISO date/time."""
    if value is None:
        return None
    match = _DURATION.match(value.strip())
    if not match:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise typer.BadParameter(
                "use a duration like 30m, 2h or 7d, or an ISO time like 2026-11-23T09:30 (UTC)",
                param_hint="--since",
            ) from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment
    amount, unit = int(match.group(1)), match.group(2)
    delta = {
        "s": timedelta(seconds=amount),
        "m": timedelta(minutes=amount),
        "h": timedelta(hours=amount),
        "d": timedelta(days=amount),
    }[unit]
    return (datetime.now(UTC) - delta).replace(tzinfo=None)


def _query(sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    from llmops._query import query

    try:
        return query(sql, params, flush=False)
    except LlmopsError as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None


@app.command()
def quickstart() -> None:
    """Run the quickstart agent end to end, traced into the store, and print its traces."""
    from llmops import _quickstart
    from llmops._configure import active_settings

    try:
        result = _quickstart.run()
    except LlmopsError as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None
    console.rule("agent config versions (MLflow)")
    for version in result.registered:
        aliases = ", ".join(version.aliases) or "-"
        console.print(f"  {version.ref}  MLflow v{version.mlflow_version}  aliases: {aliases}")
    console.print(str(result.diff), highlight=False, markup=False)
    console.rule(f"answers under {result.config_ref}")
    for question, reply in result.answers:
        console.print(
            f"[bold]Q:[/bold] {escape(question)}\n[bold]A:[/bold] {escape(reply)}\n",
            highlight=False,
        )
    traces = _query(
        "SELECT trace_id FROM traces WHERE session_id = ? ORDER BY start_time", [result.session_id]
    )
    console.rule("traces")
    for row in traces:
        show(row["trace_id"])
    console.rule("online scores (llmops monitor run --once)")
    scores = _quickstart.score_online(result.session_id)
    for (question, _), row in zip(result.answers, traces, strict=False):
        labels = ", ".join(f"{m} {v}" for m, v in scores.get(row["trace_id"], {}).items())
        console.print(f"  {escape(question)}  [dim]{labels or 'not scored'}[/dim]", highlight=False)
    if result.evaluation is not None:
        from llmops._cli._eval import _report

        _report(result.evaluation, junit=None, markdown=None)
        console.rule("what the comparison says")
        for line in _quickstart.story(result.evaluation):
            console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.rule("web UI")
    for url, status, size in _quickstart.show_in_ui():
        mark = "[green]ok[/green]" if status == 200 else f"[red]HTTP {status}[/red]"
        console.print(f"  {mark}  {url}  ({size:,} bytes)", highlight=False)
    console.print("Browse them: [bold]llmops ui[/bold] (http://127.0.0.1:5799)")
    store = active_settings().store_dir()
    console.print(
        f"{len(traces)} traces of session [bold]{result.session_id}[/bold] stored in {store}\n"
        "Next: [bold]llmops traces list[/bold], "
        '[bold]llmops sql "SELECT * FROM usage_by_config"[/bold], '
        "[bold]llmops config diff support-bot@production support-bot@candidate[/bold], "
        "[bold]llmops eval list[/bold]"
    )


def _config_version(value: str) -> str:
    """A version hash (prefix) as it is, or the version ``name@alias`` points at."""
    if "@" not in value:
        return value
    from llmops._registry import configs

    try:
        return configs().resolve(value).version
    except LlmopsError as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None


@traces_app.command("list")
def list_traces(
    since: Annotated[
        str | None,
        typer.Option(help="Only traces newer than this: 30m, 2h, 7d, or an ISO time (UTC)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Root span name contains this.")] = None,
    status: Annotated[str | None, typer.Option(help="ok or error.")] = None,
    session: Annotated[str | None, typer.Option(help="Session id.")] = None,
    config_version: Annotated[
        str | None,
        typer.Option(help="Config version: a prefix of its hash, or name@alias / name@v3."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1)] = 20,
) -> None:
    """List recent traces, newest first."""
    where: list[str] = []
    params: list[Any] = []
    cutoff = _since(since)
    if cutoff is not None:
        where.append("start_time >= ?")
        params.append(cutoff)
    if name:
        where.append("root_name ILIKE ?")
        params.append(f"%{name}%")
    if status:
        if status.lower() not in {"ok", "error"}:
            raise typer.BadParameter("use ok or error", param_hint="--status")
        where.append("error_count > 0" if status.lower() == "error" else "error_count = 0")
    if session:
        where.append("session_id = ?")
        params.append(session)
    if config_version:
        where.append("starts_with(config_version, ?)")
        params.append(_config_version(config_version))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = _query(
        "SELECT left(trace_id, 16) AS trace, root_name AS root, "
        "strftime(start_time, '%m-%d %H:%M:%S') AS started, round(duration_ms, 1) AS ms, "
        "span_count AS spans, error_count AS errors, "
        "coalesce(input_tokens, 0) + coalesce(output_tokens, 0) AS tokens, "
        "round(cost_usd, 6) AS cost_usd, session_id AS session, left(config_version, 12) AS config "
        f"FROM traces {clause} ORDER BY start_time DESC LIMIT {int(limit)}",
        params,
    )
    from llmops._cli._render import rows_table

    console.print(rows_table(rows, title="traces", whole=("trace",)))
    if not rows:
        from llmops._configure import active_settings

        what = "match these filters" if where else "yet"
        console.print(Text(f"no traces in {active_settings().store_dir()} {what}", style="dim"))


@traces_app.command("show")
def show(
    trace_id: Annotated[str, typer.Argument(help="A trace id or a unique prefix of one.")],
) -> None:
    """Print one trace as a tree with durations, tokens, cost and errors."""
    from llmops._cli._render import trace_tree

    matches = _query(
        "SELECT DISTINCT trace_id FROM span_rows WHERE starts_with(trace_id, ?)", [trace_id]
    )
    if len(matches) != 1:
        found = ", ".join(m["trace_id"][:16] for m in matches[:10])
        more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        detail = f": {found}{more}; give more of the id" if matches else ""
        print_error(console, f"{len(matches)} traces match {trace_id!r}{detail}")
        raise typer.Exit(2)
    rows = _query("SELECT * FROM spans WHERE trace_id = ?", [matches[0]["trace_id"]])
    console.print(trace_tree(rows, width=console.width))


@app.command()
def sql(
    statement: Annotated[
        str, typer.Argument(help="A DuckDB query over spans, traces, usage_by_config.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON lines.")] = False,
) -> None:
    """Run SQL over the store (the same data as ``llmops.query``)."""
    rows = _query(statement)
    if as_json:
        for row in rows:
            typer.echo(orjson.dumps(row, default=str).decode())
        return
    from llmops._cli._render import rows_table

    console.print(rows_table(rows))


@store_app.command("compact")
def compact() -> None:
    """Fold flushed batch files into Parquet segments now."""
    import duckdb

    from llmops._configure import active_settings
    from llmops._spanstore import open_store

    store = open_store(active_settings().store_dir())
    for name, table in store.tables.items():
        try:
            pending = table.pending()
            table.compact(force=True, blocking=True)
        except (OSError, duckdb.Error) as exc:
            print_error(console, f"{name}: compaction failed: {exc}")
            raise typer.Exit(2) from None
        console.print(f"{name}: compacted {pending} batch files", highlight=False, markup=False)


def main() -> None:
    import logging

    # MLflow logs its database migrations at INFO; the CLI's own output says what happened.
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    app()

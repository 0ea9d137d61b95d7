"""``llmops monitor …``: online scoring, per-version series, drift checks and canary analysis."""

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
    ("halluc.", lambda r: _share_of(r["hallucination_rate"])),
    ("success", lambda r: _share_of(r["success_rate"])),
    ("$/success", lambda r: _money(r["cost_per_success"])),
)


def _share_of(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


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
    """Per config version and window: traces, error rate, hallucination and success rates,
    tokens, cost, p50/p95 latency and guardrail findings, newest window first."""
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
    if not any(row["scored_traces"] for row in rows):
        console.print(
            "hallucination and success rates: no scored traces (run `llmops monitor run`)"
        )


def _share(value: float, option: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(f"{value} is not between 0 and 1", param_hint=option)
    return value


@app.command()
def run(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    name: Annotated[str, typer.Option(help="Scorer name: its checkpoint and scores.")] = "online",
    sample: Annotated[float, typer.Option(help="Share of traces scored (0-1).")] = 1.0,
    trace_name: Annotated[
        list[str] | None, typer.Option("--trace-name", help="Only root spans named so.")
    ] = None,
    config: Annotated[
        list[str] | None, typer.Option("--config", help="Only NAME or NAME@VERSION.")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only traces with the tag.")
    ] = None,
    errors: Annotated[
        bool, typer.Option("--errors/--no-errors", help="Always score traces with an error.")
    ] = True,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="hallucination, injection, pii or a registered metric."),
    ] = None,
    plugin: Annotated[
        list[str] | None, typer.Option("--plugin", help="Import MODULE first (user metrics).")
    ] = None,
    detector: Annotated[
        str, typer.Option(help="Hallucination detector: auto, offline or offline-nli.")
    ] = "auto",
    judge: Annotated[str | None, typer.Option(help="LLM judge: NAME@ALIAS or a model.")] = None,
    judge_rate: Annotated[float, typer.Option(help="Share of scored traces judged.")] = 0.0,
    settle: Annotated[str, typer.Option(help="Wait after a trace ends: 2s, 1m…")] = "2s",
    since: Annotated[str, typer.Option(help="First run: look back this far.")] = "24h",
    interval: Annotated[str, typer.Option(help="Pause when nothing arrived.")] = "10s",
    emit: Annotated[
        bool, typer.Option("--emit/--no-emit", help="Export gen_ai.evaluation.result events.")
    ] = True,
) -> None:
    """Score the traces that arrive: hallucination (contexts from tool spans), injection, PII,
    registered metrics and a sampled LLM judge. Resumes where it stopped; never scores a trace
    twice. Scores land in `monitor_scores`, linked to their traces."""
    import signal
    import threading

    import llmops
    from llmops._monitor import OnlineScorer, Rules

    try:
        _share(sample, "--sample")
        _share(judge_rate, "--judge-rate")
        settle_s = 0.0 if settle.strip() in ("0", "0s") else _seconds(settle)
        since_s, pause = _seconds(since), _seconds(interval)
        rules = Rules(
            name=name,
            sample=sample,
            names=tuple(trace_name or ()),
            configs=tuple(config or ()),
            tags=tuple(tag or ()),
            errors=errors,
            metrics=tuple(metric or ("hallucination", "injection")),
            plugins=tuple(plugin or ()),
            detector=detector,
            judge=judge,
            judge_rate=judge_rate if judge_rate or not judge else 1.0,
            settle_s=settle_s,
            since_s=since_s,
        )
        scorer = OnlineScorer(rules, emit=emit)
    except (ValueError, LlmopsError) as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        if once:
            _report(scorer.run_once())
        else:
            console.print(f"scoring as {name!r}; stop with Ctrl-C", highlight=False)
            for stats in scorer.run(interval_s=pause, stop=stop):
                if stats.considered:
                    _report(stats)
    except LlmopsError as exc:
        print_error(console, exc)
        raise typer.Exit(1) from None
    finally:
        llmops.flush()


def _seconds(value: str) -> float:
    return float(_duration(value).total_seconds())


def _report(stats: Any) -> None:
    rate = stats.scored / stats.seconds if stats.seconds > 0 else 0.0
    metrics = ", ".join(f"{m} {n}" for m, n in sorted(stats.per_metric.items()))
    console.print(
        f"{stats.considered} traces considered: {stats.scored} scored ({rate:.1f}/s), "
        f"{stats.sampled_out} sampled out, {stats.filtered_out} filtered out; "
        f"{stats.not_scorable} scores not scorable, {stats.errors} errors"
        + (f"; {metrics}" if metrics else ""),
        highlight=False,
    )


@app.command()
def check(
    window: Annotated[
        str, typer.Option(help="The last N traces of each version, or a duration (30m).")
    ] = "100",
    config: Annotated[str | None, typer.Option("--config", help="Only this config name.")] = None,
    against: Annotated[
        str | None, typer.Option(help="Baseline version: NAME@VERSION or NAME@ALIAS.")
    ] = None,
    baseline: Annotated[int, typer.Option(help="At most this many baseline traces.")] = 1000,
    alpha: Annotated[
        float, typer.Option(help="False-alarm probability of one check of one version.")
    ] = 0.001,
    since: Annotated[str, typer.Option(help="Only traces this recent: 24h, 7d…")] = "7d",
    webhook: Annotated[
        str | None, typer.Option(help="POST alerts here (JSON; Slack-compatible).")
    ] = None,
    alerts_file: Annotated[
        str | None, typer.Option("--alerts-file", help="Append alerts here (JSON lines).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Test each config version's latest window against its baseline (its own earlier traces,
    or --against). Exit 1 with one line per alert, 0 when nothing drifted, 2 on bad usage."""
    from llmops._monitor._check import (
        check as run_check,
    )
    from llmops._monitor._check import (
        post_webhook,
        record_alerts,
        report_json,
        write_alert_file,
    )

    try:
        size: int | Any = int(window) if window.strip().isdigit() else _duration(window)
        report = run_check(
            window=size,
            config=config,
            against=against,
            baseline=baseline,
            alpha=alpha,
            since=_duration(since),
        )
    except (ValueError, LlmopsError) as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None
    rows = record_alerts(report.alerts) if report.alerts else []
    if rows and alerts_file:
        try:
            write_alert_file(alerts_file, rows)
        except OSError as exc:
            print_error(console, f"--alerts-file {alerts_file}: {exc}")
    if rows and webhook and not post_webhook(webhook, rows):
        print_error(console, f"--webhook {webhook}: not delivered (see the log)", "warning")
    if as_json:
        typer.echo(orjson.dumps(report_json(report), default=str).decode())
    else:
        for alert in report.alerts:
            console.print(Text("ALERT ", style="bold red") + Text(alert.message()), soft_wrap=True)
        drifted = {(a.ref, a.metric) for a in report.alerts}
        quiet = [f"{ref} {t.metric}" for ref, t in report.tests if (ref, t.metric) not in drifted]
        if quiet:
            console.print(f"ok: {', '.join(quiet)}", highlight=False, soft_wrap=True)
        for line in report.skipped:
            console.print(f"not checked: {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if report.alerts else 0)


def _duration(value: str) -> Any:
    from llmops._monitor import parse_duration

    return parse_duration(value)


@app.command()
def canary(
    candidate: Annotated[str, typer.Argument(help="The canary: NAME@ALIAS or NAME@VERSION.")],
    against: Annotated[str, typer.Option(help="Compared with: NAME@ALIAS or NAME@VERSION.")],
    since: Annotated[str, typer.Option(help="Traces this recent: 1h, 24h…")] = "24h",
    min_traces: Annotated[int, typer.Option(help="Per side, before a promotion.")] = 100,
    apply: Annotated[
        bool, typer.Option("--apply", help="Promote, or set the canary's share to 0.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Per metric, the candidate's difference from production with its 95% interval, and a
    verdict: promote, hold or roll back. --apply acts on it through the registry. Exit 0 on
    promote, 1 on rollback, 3 on hold, 2 on bad usage."""
    from llmops._monitor._canary import analyse, record
    from llmops._monitor._canary import apply as act

    try:
        report = analyse(candidate, against, since=_duration(since), min_traces=min_traces)
        if apply:
            report.applied = act(report, candidate, against)
    except (ValueError, LlmopsError) as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None
    record(report)
    if as_json:
        typer.echo(orjson.dumps(report.to_json()).decode())
    else:
        table = Table(
            title=f"{report.candidate} against {report.production}, last {since}",
            box=box.SIMPLE_HEAD,
        )
        for header in ("metric", "candidate", "production", "difference [95%]", "margin", "n"):
            table.add_column(header)
        for c in report.comparisons:
            table.add_row(
                c.metric,
                f"{c.candidate:.4g}",
                f"{c.production:.4g}",
                f"{c.difference:+.4g} [{c.low:+.4g}, {c.high:+.4g}]",
                f"{c.margin:.4g}",
                f"{c.candidate_n} / {c.production_n}",
            )
        console.print(table)
        console.print(f"verdict: {report.verdict.upper()}", highlight=False)
        for reason in report.reasons:
            console.print(f"  {reason}", highlight=False, soft_wrap=True)
        if report.applied:
            console.print(f"applied: {report.applied}", highlight=False, soft_wrap=True)
    raise typer.Exit({"promote": 0, "rollback": 1}.get(report.verdict, 3))

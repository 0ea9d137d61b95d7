"""``llmops guard …``: screen text for PII and prompt injection, and benchmark the detectors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from llmops._cli._render import print_error

app = typer.Typer(help="Screen text for PII and prompt injection.", no_args_is_help=True)
console = Console()


@app.command()
def scan(
    path: Annotated[str, typer.Argument(help="A text file, or - for standard input.")],
    redact: Annotated[bool, typer.Option("--redact", help="Print the redacted text.")] = False,
    tier: Annotated[str | None, typer.Option(help="PII tier: pattern or ner.")] = None,
) -> None:
    """List PII findings and the prompt-injection verdict (never the matched values)."""
    from llmops.guardrails import RedactionPolicy, detect_injection, redact_report, scan_text

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(errors="replace")
    except OSError as exc:
        print_error(console, f"{path}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    if tier not in (None, "pattern", "ner"):
        raise typer.BadParameter("use pattern or ner", param_hint="--tier")
    result = scan_text(text, tier=tier)  # type: ignore[arg-type]
    table = Table(title=f"PII findings ({result.tier or 'no'} tier, {result.latency_ms:.0f} ms)")
    for column in ("type", "start", "end", "score", "detector"):
        table.add_column(column)
    for f in result.findings:
        table.add_row(f.entity_type, str(f.start), str(f.end), f"{f.score:.2f}", f.detector)
    console.print(table)
    if result.truncated:
        console.print(f"[yellow]only the first {result.scanned_chars} characters were scanned")
    for error in result.errors:
        print_error(console, error, label="detector error")
    injection = detect_injection(text)
    verdict = "[red]flagged[/red]" if injection.flagged else "[green]clean[/green]"
    console.print(f"prompt injection: {verdict} score={injection.score:.3f} "
                  f"reasons={', '.join(injection.reasons) or '-'}", highlight=False)  # fmt: skip
    if redact:
        typer.echo(redact_report(text, RedactionPolicy(tier=tier)).value)  # type: ignore[arg-type]


@app.command()
def bench(quick: Annotated[bool, typer.Option(help="Small sizes.")] = False) -> None:
    """Run the detector benchmarks (injection and PII) from a source checkout."""
    script = Path.cwd() / "benchmarks" / "run.py"
    if not script.exists():
        console.print("[red]error:[/red] run this in the llmops source checkout (benchmarks/)")
        raise typer.Exit(2)
    command = [
        sys.executable,
        str(script),
        "--only",
        "injection,pii",
        *(["--quick"] if quick else []),
    ]
    raise typer.Exit(subprocess.call(command))

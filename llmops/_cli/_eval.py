"""``llmops eval …``: run suites, compare stored runs, list and show them.

Exit codes: 0 every gate passed, 1 a gate failed, 2 bad usage or bad data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from llmops._cli._render import print_error
from llmops._errors import LlmopsError

if TYPE_CHECKING:
    from llmops.eval._runner import EvalRun

app = typer.Typer(help="Run eval suites, compare config versions, gate CI.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except LlmopsError as exc:
        print_error(errors, exc)
        raise typer.Exit(2) from None


@app.command("run")
def run(
    suite_path: Annotated[Path, typer.Argument(help="The suite.yaml.", metavar="SUITE")],
    config: Annotated[str | None, typer.Option(help="Config to evaluate: NAME@REF.")] = None,
    baseline: Annotated[str | None, typer.Option(help="Config to compare with: NAME@REF.")] = None,
    target: Annotated[
        str | None, typer.Option(help="A Python callable to evaluate: module:function.")
    ] = None,
    from_traces: Annotated[
        bool, typer.Option("--from-traces", help="Score recorded traces; call nothing.")
    ] = False,
    trace_name: Annotated[str | None, typer.Option(help="--from-traces: root span name.")] = None,
    trace_config: Annotated[
        str | None, typer.Option(help="--from-traces: config version (hash).")
    ] = None,
    trace_session: Annotated[str | None, typer.Option(help="--from-traces: session id.")] = None,
    since_hours: Annotated[float | None, typer.Option(help="--from-traces: recent hours.")] = None,
    limit: Annotated[int, typer.Option(help="--from-traces: most traces.")] = 100,
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    concurrency: Annotated[int | None, typer.Option(min=1, help="Cases at a time.")] = None,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            "--no-resume",
            help="Run every case again. Otherwise a rerun skips the cases already scored on the "
            "same suite, config version and target source.",
        ),
    ] = False,
    api_base: Annotated[str | None, typer.Option(help="Where the model is served.")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary here.")] = None,
    mlflow: Annotated[bool, typer.Option(help="Also log the run to MLflow.")] = True,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run SUITE against a config (or callable), store the results, compare, gate."""
    from llmops.eval._runner import run_suite
    from llmops.eval._suite import load_suite

    with _user_errors():
        target_spec: Any = target
        if from_traces:
            from llmops.eval._from_traces import TraceFilter, cases_from_traces
            from llmops.eval._targets import recorded_target

            filters = TraceFilter(
                name=trace_name,
                config_version=trace_config,
                session_id=trace_session,
                since_hours=since_hours,
                limit=limit,
            )
            suite = load_suite(suite_path, cases=cases_from_traces(filters))
            target_spec = recorded_target()
        else:
            suite = load_suite(suite_path)
        with _progress(len(suite.case_list), enabled=progress) as advance:
            result = run_suite(
                suite,
                target_spec,
                config=config,
                baseline=baseline,
                executor=executor,
                concurrency=concurrency,
                fresh=fresh,
                api_base=api_base,
                log_to_mlflow=mlflow,
                on_case=advance,
            )
    _report(result, junit=junit, markdown=markdown)
    raise typer.Exit(0 if result.passed else 1)


@contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("cases", total=total)
        yield lambda _result: bar.advance(task)


def _report(result: EvalRun, *, junit: Path | None, markdown: Path | None) -> None:
    from llmops.eval import _report as report

    resumed = f", {result.resumed_cases} resumed" if result.resumed_cases else ""
    console.rule(f"eval run {result.run_id}: {result.suite.name} on {result.target}")
    console.print(f"{len(result.cases)} cases{resumed}; executor {result.executor}")
    if result.baseline is not None:
        console.print(f"baseline run {result.baseline.run_id} ({result.baseline.target})")
    console.print(report.render_summary(result.summary, result.gates))
    if result.comparison is not None:
        console.print(report.render_comparison(result.comparison))
    failed = [c for c in result.cases if not c.passed]
    for case in failed[:20]:
        reason = case.error or ", ".join(n for n, s in case.scores.items() if s.passed is False)
        console.print(
            f"  [red]✗[/red] {escape(f'{case.case.id}: {reason}  trace {case.trace_id}')}",
            highlight=False,
        )
    if junit is not None:
        cases, scores = result.rows()
        report.write_junit(junit, result.run_id, result.suite.name, cases, scores, result.gates)
    if markdown is not None:
        title = f"llmops eval: {result.suite.name} on {result.target}"
        report.write_markdown(
            markdown,
            result.summary,
            result.gates,
            result.comparison,
            title=title,
            run_id=result.run_id,
        )
    verdict = "[green]passed[/green]" if result.passed else "[red]a gate failed[/red]"
    console.print(f"gates: {verdict}")


@app.command("compare")
def compare(
    baseline_run: Annotated[str, typer.Argument(metavar="RUN_A", help="Baseline run id.")],
    candidate_run: Annotated[str, typer.Argument(metavar="RUN_B", help="Candidate run id.")],
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary here.")] = None,
) -> None:
    """Compare two stored runs case by case (paired bootstrap confidence intervals)."""
    from llmops.eval import _report as report
    from llmops.eval._compare import compare_runs

    with _user_errors():
        comparison = compare_runs(baseline_run, candidate_run)
    console.print(report.render_comparison(comparison))
    if markdown is not None:
        report.write_markdown(markdown, {}, [], comparison, run_id=candidate_run)


@app.command("list")
def list_runs(limit: Annotated[int, typer.Option(help="Most recent runs.")] = 20) -> None:
    """Stored eval runs, newest first."""
    from llmops._query import query

    with _user_errors():
        rows = query(
            "SELECT run_id, suite_name, target, config_version, status, case_count, started_at "
            "FROM eval_runs ORDER BY started_ns DESC LIMIT ?",
            [limit],
            flush=False,
        )
    table = Table("run", "suite", "target", "config", "status", "cases", "started")
    for row in rows:
        table.add_row(
            row["run_id"],
            Text(row["suite_name"]),
            Text(row["target"]),
            (row["config_version"] or "")[:12],
            row["status"],
            str(row["case_count"]),
            str(row["started_at"])[:19],
        )
    console.print(table)

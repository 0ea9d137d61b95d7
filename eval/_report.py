"""Reports of a run: rich tables for the terminal, JUnit XML for CI, Markdown for job summaries.

The JUnit file has one ``<testcase>`` per case (failed when a metric failed, an error when the
case itself did not finish) and one per gate (``<skipped>`` when a gate could not be checked), so
a CI system shows which cases and which gates failed. The Markdown is written for a job summary
(GitHub's ``$GITHUB_STEP_SUMMARY``, GitLab's report artifacts): gates first, then the summary,
the comparison with the baseline and the cases that regressed, with their trace ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from llmops.eval._compare import Comparison, MetricDelta
from llmops.eval._gates import GateResult, gates_passed
from llmops.eval._junit import write_junit as write_junit
from llmops.eval._summary import summary_value

GATE_ICONS = {"passed": "✅", "failed": "❌", "skipped": "⏭"}
VERDICT_STYLES = {
    "improved": "green",
    "regressed": "bold red",
    "unchanged": "dim",
    "too few cases": "yellow",
    "n/a": "dim",
}
VERDICT_ICONS = {
    "improved": "🟢 improved",
    "regressed": "🔴 regressed",
    "unchanged": "unchanged",
    "too few cases": "⚠️ too few cases",
}


def format_value(value: float | None) -> str:
    """A number for a report: integers as integers, others with 4 significant digits."""
    if value is None:
        return "—"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def format_delta(delta: MetricDelta) -> tuple[str, str]:
    """The delta and its interval as text (``"+0.12"``, ``"[+0.05, +0.19]"``)."""
    change = "—" if delta.delta is None else f"{delta.delta:+.4g}"
    if delta.ci_low is None or delta.ci_high is None:
        return change, "—"
    return change, f"[{delta.ci_low:+.4g}, {delta.ci_high:+.4g}]"


def format_test(delta: MetricDelta) -> str:
    """What decided the verdict: ``"exact p=0.031"``, ``"sampled p=0.004"``, ``"bootstrap"``."""
    if delta.p_value is not None:
        return f"{delta.method or 'exact'} p={delta.p_value:.2g}"
    return delta.method or "—"


def _config(name: str | None, version: str | None) -> str:
    short = (version or "?")[:12]
    return f"{name}@{short}" if name else short


def render_comparison(comparison: Comparison, *, max_cases: int = 20) -> RenderableType:
    """The comparison as rich tables: one row per metric, then the regressed cases.

    Args:
        comparison: The result of ``compare_runs``.
        max_cases: Regressed cases shown (the rest are counted).
    """
    level = f"{comparison.confidence * 100:g}"
    table = Table(
        title=(
            f"{_config(comparison.baseline_config_name, comparison.baseline_config_version)} → "
            f"{_config(comparison.candidate_config_name, comparison.candidate_config_version)}"
            f"  ({comparison.paired_cases} paired cases)"
        )
    )
    columns = ("metric", "baseline", "candidate", "delta", f"{level}% CI", "test", "verdict")
    for column in columns:
        left = column in ("metric", "test", "verdict")
        table.add_column(column, justify="left" if left else "right")
    for delta in comparison.metrics:
        change, interval = format_delta(delta)
        table.add_row(
            Text(delta.metric),
            format_value(delta.baseline),
            format_value(delta.candidate),
            change,
            interval,
            format_test(delta),
            Text(delta.verdict, style=VERDICT_STYLES[delta.verdict]),
        )
    parts: list[RenderableType] = [table]
    note = comparison.too_few_cases_note()
    if note:
        parts.append(Text(note, style="yellow"))
    if comparison.regressed_cases:
        cases = Table(title=f"Regressed cases ({len(comparison.regressed_cases)})")
        for column in ("case", "metric", "baseline", "candidate", "candidate trace"):
            cases.add_column(column)
        for case in comparison.regressed_cases[:max_cases]:
            cases.add_row(
                Text(case.case_id),
                Text(case.metric),
                format_value(case.baseline_value),
                format_value(case.candidate_value),
                case.candidate_trace_id or "—",
            )
        parts.append(cases)
        hidden = len(comparison.regressed_cases) - max_cases
        if hidden > 0:
            parts.append(Text(f"… and {hidden} more regressed cases", style="dim"))
    parts.extend(Text(f"warning: {note}", style="yellow") for note in comparison.warnings)
    return Group(*parts)


def render_summary(
    summary: Mapping[str, Any], gate_results: Sequence[GateResult]
) -> RenderableType:
    """The run summary and the gate outcomes as rich tables."""
    table = Table(title="Summary")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name in summary:
        table.add_row(Text(name), format_value(summary_value(summary, name)))
    parts: list[RenderableType] = [table]
    if gate_results:
        gates = Table(title="Gates")
        for column in ("", "gate", "value", "detail"):
            gates.add_column(column)
        styles = {"passed": "green", "failed": "bold red", "skipped": "yellow"}
        for result in gate_results:
            gates.add_row(
                GATE_ICONS[result.status],
                Text(result.gate, style=styles[result.status]),
                format_value(result.value),
                Text(result.detail),
            )
        parts.append(gates)
    return Group(*parts)


# --- Markdown ---------------------------------------------------------------------------------
def _md(text: object) -> str:
    """Table-cell text: pipes escaped, newlines folded."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows)
    return [*lines, ""]


def _md_gates(gate_results: Sequence[GateResult]) -> list[str]:
    rows = [
        [GATE_ICONS[r.status], f"`{r.gate}`", format_value(r.value), r.detail] for r in gate_results
    ]
    return ["### Gates", "", *_md_table(["", "Gate", "Value", "Detail"], rows)]


def _md_comparison(comparison: Comparison, max_cases: int) -> list[str]:
    level = f"{comparison.confidence * 100:g}"
    base = _config(comparison.baseline_config_name, comparison.baseline_config_version)
    cand = _config(comparison.candidate_config_name, comparison.candidate_config_version)
    lines = [
        f"### Comparison: `{base}` → `{cand}`",
        "",
        f"Baseline run `{comparison.baseline_run_id}`, {comparison.paired_cases} paired cases.",
        "",
    ]
    lines.extend(f"> ⚠️ {note}" for note in comparison.warnings)
    if comparison.warnings:
        lines.append("")
    rows = []
    for delta in comparison.metrics:
        change, interval = format_delta(delta)
        verdict = VERDICT_ICONS.get(delta.verdict, delta.verdict)
        rows.append(
            [
                delta.metric,
                format_value(delta.baseline),
                format_value(delta.candidate),
                change,
                interval,
                format_test(delta),
                verdict,
            ]
        )
    header = ["Metric", "Baseline", "Candidate", "Delta", f"{level}% CI", "Test", "Verdict"]
    lines.extend(_md_table(header, rows))
    note = comparison.too_few_cases_note()
    if note:
        lines += [f"> ⚠️ {note}", ""]
    regressed = comparison.regressed_cases
    if regressed:
        lines += [f"#### Regressed cases ({len(regressed)})", ""]
        case_rows = [
            [
                f"`{c.case_id}`",
                c.metric,
                format_value(c.baseline_value),
                format_value(c.candidate_value),
                f"`{c.baseline_trace_id}`" if c.baseline_trace_id else "—",
                f"`{c.candidate_trace_id}`" if c.candidate_trace_id else "—",
            ]
            for c in regressed[:max_cases]
        ]
        header = ["Case", "Metric", "Baseline", "Candidate", "Baseline trace", "Candidate trace"]
        lines.extend(_md_table(header, case_rows))
        if len(regressed) > max_cases:
            lines += [f"… and {len(regressed) - max_cases} more.", ""]
    return lines


def markdown_report(
    summary: Mapping[str, Any] | None,
    gate_results: Sequence[GateResult],
    comparison: Comparison | None = None,
    *,
    title: str | None = None,
    run_id: str | None = None,
    suite_name: str | None = None,
    target: str | None = None,
    max_cases: int = 50,
) -> str:
    """The run as Markdown: verdict line, gates, summary, comparison and regressed cases.

    Args:
        summary: The run summary (``None``: a comparison of stored runs only).
        gate_results: The gate outcomes.
        comparison: The comparison with the baseline, if there was one.
        title: The heading; default ``"llmops eval: <suite_name>"``.
        run_id: The run's id, shown under the heading.
        suite_name: The suite's name.
        target: What ran (``"support-bot@candidate"``), shown under the heading.
        max_cases: Regressed cases listed (the rest are counted).
    """
    if suite_name is None and comparison is not None:
        suite_name = comparison.suite_name
    heading = title or ("llmops eval" + (f": {suite_name}" if suite_name else ""))
    if gate_results:
        heading += " — ✅ passed" if gates_passed(gate_results) else " — ❌ failed"
    lines = [f"## {heading}", ""]
    facts = [f"Run `{run_id}`" if run_id else "", f"target `{target}`" if target else ""]
    if any(facts):
        lines += [", ".join(f for f in facts if f), ""]
    if gate_results:
        lines += _md_gates(gate_results)
    if summary:
        rows = [[name, format_value(summary_value(summary, name))] for name in summary]
        lines += ["### Summary", "", *_md_table(["Metric", "Value"], rows)]
    if comparison is not None:
        lines += _md_comparison(comparison, max_cases)
    return "\n".join(lines)


def write_markdown(
    path: str | Path,
    summary: Mapping[str, Any] | None,
    gate_results: Sequence[GateResult],
    comparison: Comparison | None = None,
    *,
    title: str | None = None,
    run_id: str | None = None,
    suite_name: str | None = None,
    target: str | None = None,
    append: bool = False,
) -> Path:
    """Write :func:`markdown_report` to ``path`` (``append=True`` adds to a job summary file).

    Returns:
        The path written.
    """
    text = markdown_report(
        summary,
        gate_results,
        comparison,
        title=title,
        run_id=run_id,
        suite_name=suite_name,
        target=target,
    )
    target_path = Path(path)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with open(target_path, "a" if append else "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return target_path

"""Reports: JUnit XML read back, Markdown content, and the rich tables rendered to text."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from rich.console import Console

from llmops.eval._compare import CaseDelta, Comparison, MetricDelta
from llmops.eval._gates import evaluate_gates, parse_gates
from llmops.eval._report import (
    markdown_report,
    render_comparison,
    render_summary,
    write_junit,
    write_markdown,
)
from llmops.eval._summary import summarize

CASES: list[dict[str, Any]] = [
    {"case_id": "ok-1", "status": "ok", "latency_ms": 120.0, "cost_usd": 0.001},
    {"case_id": "bad-metric", "status": "ok", "latency_ms": 80.0, "cost_usd": 0.001},
    {"case_id": "crashed", "status": "error", "error": "ValueError: boom\x00", "latency_ms": 5.0},
    {"case_id": "judge-down", "status": "ok", "latency_ms": 50.0, "cost_usd": 0.001},
]
SCORES: list[dict[str, Any]] = [
    {"case_id": "ok-1", "metric": "hallucination", "value": 0.0, "passed": True, "status": "ok"},
    {
        "case_id": "bad-metric",
        "metric": "hallucination",
        "value": 1.0,
        "passed": False,
        "status": "ok",
        "details": '{"unsupported": ["founded in 1947"]}',
    },
    {
        "case_id": "judge-down",
        "metric": "hallucination",
        "value": None,
        "passed": None,
        "status": "error",
        "details": '{"error": "judge unreachable"}',
    },
    {
        "case_id": "crashed",
        "metric": "hallucination",
        "value": None,
        "passed": None,
        "status": "skipped",
    },
]


def _gate_results() -> list[Any]:
    summary = summarize(CASES, SCORES, {"hallucination": False})
    gates = parse_gates(
        ["hallucination_rate <= 0.05", "cost_per_case_usd <= 0.002", "no_regression: cost_usd"]
    )
    return evaluate_gates(gates, summary, None)


def _comparison() -> Comparison:
    return Comparison(
        baseline_run_id="run-a",
        candidate_run_id="run-b",
        baseline_config_name="bot",
        baseline_config_version="a" * 64,
        candidate_config_name="bot",
        candidate_config_version="b" * 64,
        suite_name="support",
        suite_hash="h2",
        baseline_suite_hash="h1",
        suites_differ=True,
        metrics=[
            MetricDelta(
                "hallucination",
                0.1,
                0.3,
                0.2,
                0.12,
                0.28,
                "regressed",
                False,
                True,
                40,
                method="bootstrap",
            ),
            MetricDelta(
                "hallucination_rate",
                0.0,
                0.5,
                0.5,
                0.5,
                1.0,
                "regressed",
                False,
                True,
                6,
                p_value=2 / 64,
                method="exact",
            ),
            MetricDelta(
                "cost_usd",
                0.002,
                0.003,
                0.001,
                None,
                None,
                "too few cases",
                False,
                True,
                4,
                p_value=2 / 16,
                method="exact",
            ),
            MetricDelta("cases", 40, 40, 0, None, None, "n/a", True, False),
        ],
        regressed_cases=[
            CaseDelta("case|7", "hallucination", 0.0, 1.0, "trace-a-7", "trace-b-7"),
        ],
        paired_cases=40,
        warnings=["the runs scored different suites (h1 vs h2)"],
    )


def test_junit_has_one_testcase_per_case_and_gate(tmp_path: Path) -> None:
    path = write_junit(
        tmp_path / "out" / "eval.xml", "run-1", "support", CASES, SCORES, _gate_results()
    )
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    cases_suite, gates_suite = root.findall("testsuite")
    assert cases_suite.get("name") == "support"
    assert cases_suite.find("properties/property").get("value") == "run-1"  # type: ignore[union-attr]
    testcases = {tc.get("name"): tc for tc in cases_suite.findall("testcase")}
    assert set(testcases) == {"ok-1", "bad-metric", "crashed", "judge-down"}
    assert list(testcases["ok-1"]) == []
    failure = testcases["bad-metric"].find("failure")
    assert failure is not None
    assert "hallucination failed" in failure.get("message", "")
    assert "founded in 1947" in (failure.text or "")
    judge = testcases["judge-down"].find("failure")
    assert judge is not None
    assert "hallucination errored" in judge.get("message", "")
    error = testcases["crashed"].find("error")
    assert error is not None
    assert "boom" in error.get("message", "")
    assert testcases["ok-1"].get("time") == "0.120"
    assert (cases_suite.get("tests"), cases_suite.get("failures"), cases_suite.get("errors")) == (
        "4",
        "2",
        "1",
    )
    gates = {tc.get("name"): tc for tc in gates_suite.findall("testcase")}
    assert gates["hallucination_rate <= 0.05"].find("failure") is not None
    assert list(gates["cost_per_case_usd <= 0.002"]) == []
    assert gates["no_regression: cost_usd"].find("skipped") is not None
    assert (gates_suite.get("failures"), gates_suite.get("skipped")) == ("1", "1")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "3", "1")


def test_markdown_has_gate_lines_summary_and_comparison(tmp_path: Path) -> None:
    summary = summarize(CASES, SCORES, {"hallucination": False})
    path = write_markdown(
        tmp_path / "summary.md",
        summary,
        _gate_results(),
        _comparison(),
        run_id="run-b",
        suite_name="support",
        target="bot@candidate",
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith("## llmops eval: support — ❌ failed")
    assert "Run `run-b`, target `bot@candidate`" in text
    assert "| ❌ | `hallucination_rate <= 0.05` | 0.6667 |" in text
    assert "| ✅ | `cost_per_case_usd <= 0.002` | 0.001 |" in text
    assert "| ⏭ | `no_regression: cost_usd` |" in text
    assert "| cases | 4 |" in text
    assert (
        "| hallucination | 0.1 | 0.3 | +0.2 | [+0.12, +0.28] | bootstrap | 🔴 regressed |" in text
    )
    assert (
        "| hallucination_rate | 0 | 0.5 | +0.5 | [+0.5, +1] | exact p=0.031 | 🔴 regressed |"
        in text
    )
    assert "| cost_usd | 0.002 | 0.003 | +0.001 | — | exact p=0.12 | ⚠️ too few cases |" in text
    assert "> ⚠️ too few cases (cost_usd): no values on this few paired cases could" in text
    assert "| cases | 40 | 40 | +0 | — | — | n/a |" in text
    assert "| `case\\|7` | hallucination | 0 | 1 | `trace-a-7` | `trace-b-7` |" in text
    assert "different suites" in text
    write_markdown(path, None, [], _comparison(), append=True)
    assert path.read_text(encoding="utf-8").count("### Comparison") == 2


def test_markdown_passes_when_no_gate_failed() -> None:
    summary = summarize(CASES[:1], SCORES[:1], {})
    results = evaluate_gates(parse_gates(["success_rate >= 1"]), summary, None)
    text = markdown_report(summary, results, suite_name="support")
    assert text.splitlines()[0] == "## llmops eval: support — ✅ passed"
    assert "### Comparison" not in text


@pytest.mark.parametrize("width", [200])
def test_rich_renderings_show_metrics_verdicts_and_gates(width: int) -> None:
    console = Console(width=width, record=True, color_system=None)
    console.print(render_comparison(_comparison()))
    console.print(render_summary(summarize(CASES, SCORES, {}), _gate_results()))
    text = console.export_text()
    assert "regressed" in text
    assert "[+0.12, +0.28]" in text
    assert "exact p=0.031" in text
    assert "too few cases" in text
    assert "it needs at least 6" in text
    assert "bot@aaaaaaaaaaaa → bot@bbbbbbbbbbbb" in text
    assert "case|7" in text
    assert "trace-b-7" in text
    assert "warning: the runs scored different suites" in text
    assert "hallucination_rate <= 0.05" in text
    assert "❌" in text
    assert "⏭" in text

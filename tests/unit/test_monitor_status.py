"""Issue 19, first slice: the ``version_series`` view and ``llmops monitor status``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console
from typer.testing import CliRunner

import llmops
from llmops import AgentConfig, ConfigError
from llmops._cli import _monitor as monitor_cli
from llmops._cli._main import app
from llmops._monitor import parse_duration, version_series

# One window holding every trace, whenever the test runs (an hour or a day could be crossed).
WHOLE = timedelta(days=100_000)


def config(prompt: str, name: str = "support-bot") -> AgentConfig:
    return AgentConfig.model_validate(
        {
            "name": name,
            "model": {"provider": "openai", "id": "gemma-3-270m"},
            "prompts": {"system": {"template": prompt}},
        }
    )


V1 = config("You answer from the docs.")
V2 = config("You answer from the docs, briefly.")
OTHER = config("Hello.", name="triage")


@llmops.agent
def answer(
    question: str, *, tokens: tuple[int, int], cost: float, sleep: float = 0.0, fail: bool = False
) -> str:
    span = llmops.current_span()
    span.set_usage(input_tokens=tokens[0], output_tokens=tokens[1])
    span.set_cost(cost)
    time.sleep(sleep)
    if fail:
        raise RuntimeError("the model is down")
    return question.upper()


@llmops.agent
def guarded(question: str) -> str:
    findings = [
        {"detector": "pii", "type": "EMAIL_ADDRESS", "count": 1, "score": None},
        {"detector": "injection", "type": "prompt_injection", "count": 1, "score": 0.9},
    ]
    llmops.current_span().set_attribute("llmops.guardrail.findings", findings)
    return question


def trace_traffic() -> None:
    with llmops.use_config(V1):
        answer("a", tokens=(10, 5), cost=0.01, sleep=0.0)
        answer("b", tokens=(10, 5), cost=0.01, sleep=0.05)
        answer("c", tokens=(10, 5), cost=0.01, sleep=0.1)
        with pytest.raises(RuntimeError):
            answer("d", tokens=(10, 0), cost=0.01, fail=True)
    with llmops.use_config(V2):
        answer("e", tokens=(20, 7), cost=0.03)
        guarded("my mail is a@b.example")
    with llmops.use_config(OTHER):
        answer("f", tokens=(1, 1), cost=0.001)
    answer("no config", tokens=(99, 99), cost=9.0)  # not a version: not in the series
    llmops.flush()


def by_version(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    assert len({r["config_version"] for r in rows}) == len(rows)
    return {r["config_version"]: r for r in rows}


def test_series_per_version_counts_exactly() -> None:
    trace_traffic()
    rows = by_version(version_series(window=WHOLE))
    assert set(rows) == {V1.version, V2.version, OTHER.version}
    v1, v2, other = rows[V1.version], rows[V2.version], rows[OTHER.version]
    assert (v1["config_name"], v2["config_name"], other["config_name"]) == (
        "support-bot",
        "support-bot",
        "triage",
    )
    assert (v1["traces"], v1["errors"], v1["error_rate"]) == (4, 1, 0.25)
    assert (v1["input_tokens"], v1["output_tokens"]) == (40, 15)
    assert v1["cost_usd"] == pytest.approx(0.04)
    assert v1["cost_per_trace"] == pytest.approx(0.01)
    assert (v1["guardrail_findings"], v1["guarded_traces"]) == (0, 0)
    assert (v2["traces"], v2["errors"], v2["error_rate"]) == (2, 0, 0.0)
    assert (v2["input_tokens"], v2["output_tokens"]) == (20, 7)
    assert v2["cost_usd"] == pytest.approx(0.03)  # the guarded trace has no cost: sum over known
    assert v2["cost_per_trace"] == pytest.approx(0.015)
    assert (v2["guardrail_findings"], v2["guarded_traces"]) == (2, 1)
    assert other["traces"] == 1
    # Nothing scored yet: NULL, never a made-up zero.
    assert all(r["hallucination_rate"] is None and r["success_rate"] is None for r in rows.values())

    durations = sorted(
        r["duration_ms"]
        for r in llmops.query(
            "SELECT duration_ms FROM traces WHERE config_version = ?", [V1.version]
        )
    )
    assert v1["p50_ms"] == pytest.approx((durations[1] + durations[2]) / 2)
    # Linear interpolation between the two slowest of four: 0.85 of the way to the slowest.
    assert v1["p95_ms"] == pytest.approx(durations[2] + 0.85 * (durations[3] - durations[2]))
    assert 85 <= v1["p95_ms"] < 2_000  # 50 ms + 0.85 × 50 ms, and then some
    assert v1["p50_ms"] <= v1["p95_ms"]


def test_the_view_buckets_by_hour_and_adds_up() -> None:
    trace_traffic()
    rows = llmops.query("SELECT * FROM version_series")
    assert list(rows[0]) == list(llmops._monitor.SERIES_COLUMNS)
    assert all(r["window_start"].minute == 0 and r["window_start"].second == 0 for r in rows)
    total: dict[str, int] = {}
    for row in rows:
        total[row["config_version"]] = total.get(row["config_version"], 0) + row["traces"]
    assert total == {V1.version: 4, V2.version: 2, OTHER.version: 1}


def test_filters_by_config_since_and_window() -> None:
    trace_traffic()
    rows = version_series(window=WHOLE, config="triage")
    assert [r["config_version"] for r in rows] == [OTHER.version]
    future = llmops.query("SELECT max(start_time) + INTERVAL 1 SECOND AS t FROM traces")[0]["t"]
    assert version_series(window=WHOLE, since=future) == []
    minutes = version_series(window=timedelta(minutes=1))
    assert sum(r["traces"] for r in minutes) == 7
    starts = [r["window_start"] for r in minutes]
    assert starts == sorted(starts, reverse=True)  # newest window first
    with pytest.raises(ConfigError, match=r"unknown config 'nope'.*support-bot, triage"):
        version_series(config="nope")
    with pytest.raises(ValueError):
        version_series(window=timedelta(0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", timedelta(seconds=30)), ("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)),
     ("7d", timedelta(days=7))],
)  # fmt: skip
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0h", "1w", "-1h", "1.5h", "h", "abc"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_cli, "console", Console(width=300))


def test_cli_status_table_and_json(wide: None) -> None:
    trace_traffic()
    runner = CliRunner()
    result = runner.invoke(app, ["monitor", "status", "--window", "1d", "--since", "24h"])
    assert result.exit_code == 0, result.output
    for shown in (V1.version[:12], V2.version[:12], "1 (25.0%)", "40→15", "$0.04", "$0.015"):
        assert shown in result.output
    assert "no scored traces (run `llmops monitor run`)" in result.output

    result = runner.invoke(app, ["monitor", "status", "--config", "support-bot", "--json"])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.output.splitlines()]
    assert {line["config_name"] for line in lines} == {"support-bot"}
    traces: dict[str, int] = {}
    for line in lines:
        traces[line["config_version"]] = traces.get(line["config_version"], 0) + line["traces"]
    assert traces == {V1.version: 4, V2.version: 2}
    assert set(lines[0]) == set(llmops._monitor.SERIES_COLUMNS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "nope"], "error: unknown config 'nope'"),
        (["--window", "0h"], "error: bad duration '0h'"),
        (["--window", "hourly"], "error: bad duration 'hourly'"),
        (["--since", "yesterday"], "error: bad duration 'yesterday'"),
    ],
)
def test_cli_status_bad_input_is_one_line_and_exit_2(
    wide: None, args: list[str], message: str
) -> None:
    trace_traffic()
    result = CliRunner().invoke(app, ["monitor", "status", *args])
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert len(result.output.strip().splitlines()) == 1


def test_cli_status_on_an_empty_store(wide: None) -> None:
    result = CliRunner().invoke(app, ["monitor", "status"])
    assert result.exit_code == 0, result.output
    assert "no traces with a config version in the last 24h" in result.output


def test_a_reader_that_never_imported_monitoring_sees_the_view(home: Path) -> None:
    trace_traffic()
    code = (
        "import llmops\n"
        "rows = llmops.query('SELECT config_version, sum(traces) AS n FROM version_series "
        "GROUP BY 1 ORDER BY 2 DESC')\n"
        "print(rows[0]['n'], len(rows))\n"
    )
    env = {**os.environ, "LLMOPS_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4", "3"]


@llmops.agent
def long_running(cutoffs: list[datetime]) -> str:
    time.sleep(0.01)
    cutoffs.append(datetime.now(UTC).replace(tzinfo=None))
    time.sleep(0.01)
    return answer("inner", tokens=(1, 1), cost=0.5)  # a span that starts after the cutoff


def test_since_counts_the_traces_started_after_it_with_all_their_spans() -> None:
    cutoffs: list[datetime] = []
    with llmops.use_config(V1):
        long_running(cutoffs)  # started before the cutoff: out, though a span of it is after
        answer("after", tokens=(3, 2), cost=0.02)
    with llmops.use_config(V2):
        guarded("my mail is a@b.example")
    llmops.flush()
    rows = by_version(version_series(window=WHOLE, since=cutoffs[0]))
    v1, v2 = rows[V1.version], rows[V2.version]
    assert (v1["traces"], v1["input_tokens"], v1["output_tokens"]) == (1, 3, 2)
    assert v1["cost_usd"] == pytest.approx(0.02)
    assert (v2["traces"], v2["guardrail_findings"]) == (1, 2)
    every = llmops.query(
        "SELECT config_version, count(*) AS n FROM traces WHERE start_time >= ? "
        "AND config_version IS NOT NULL GROUP BY ALL",
        [cutoffs[0]],
    )
    assert {r["config_version"]: r["n"] for r in every} == {V1.version: 1, V2.version: 1}

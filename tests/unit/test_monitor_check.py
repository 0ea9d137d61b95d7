"""Issue 19: ``llmops monitor check`` finds the version that drifted (scored by the real
detector, in a real store), and only that one; alerts go to the store, a file and a webhook."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from monitor_agent import RIGHT, WRONG, config, steady_clock, support_bot
from typer.testing import CliRunner

import llmops
from llmops import AgentConfig, ConfigError
from llmops._cli._main import app
from llmops._monitor import OnlineScorer, Rules
from llmops._monitor._check import check

TURNS_BAD = config("Answer from the docs.")
STAYS_GOOD = config("Answer from the docs, briefly.")


@pytest.fixture(autouse=True)
def _steady_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    steady_clock(monkeypatch)


def serve(version: AgentConfig, good: int, bad: int) -> None:
    """``good`` traces hallucinating 1 in 20 (5%), then ``bad`` ones hallucinating 1 in 4."""
    with llmops.use_config(version):
        for i in range(good):
            support_bot("How much is Pro?", answer=WRONG if i % 20 == 7 else RIGHT)
        for i in range(bad):
            support_bot("How much is Pro?", answer=WRONG if i % 4 == 1 else RIGHT)
    llmops.flush()
    OnlineScorer(Rules(settle_s=0, metrics=("hallucination",)), emit=False).run_once()


@pytest.fixture
def drifted() -> None:
    serve(TURNS_BAD, 150, 100)
    serve(STAYS_GOOD, 250, 0)


def test_the_version_that_turned_bad_is_reported_and_only_it(drifted: None) -> None:
    report = check(window=100)
    # Its hallucinations fail its tasks too: both rates drifted, nothing else did.
    assert {(a.config_version, a.metric) for a in report.alerts} == {
        (TURNS_BAD.version, "hallucination_rate"),
        (TURNS_BAD.version, "failure_rate"),
    }
    (alert,) = [a for a in report.alerts if a.metric == "hallucination_rate"]
    assert alert.test.baseline_value == pytest.approx(8 / 150)
    assert alert.test.current_value == pytest.approx(25 / 100)
    assert alert.test.current_low < 0.25 < alert.test.current_high
    assert alert.test.p_value <= alert.test.alpha == pytest.approx(0.001 / 4)
    wrong = {
        r["trace_id"]
        for r in llmops.query(
            "SELECT trace_id FROM monitor_scores WHERE metric = 'hallucination' AND NOT passed"
        )
    }
    assert set(alert.trace_ids[:20]) <= wrong  # the failing traces of the window come first
    tested = {(ref, t.metric) for ref, t in report.tests}
    assert (f"support-bot@{STAYS_GOOD.version[:12]}", "hallucination_rate") in tested


def test_cli_exit_codes_alerts_file_store_and_webhook(drifted: None, tmp_path: Path) -> None:
    posted: list[dict[str, Any]] = []
    with webhook(posted) as url:
        result = CliRunner().invoke(
            app,
            [
                "monitor", "check", "--window", "100",
                "--alerts-file", str(tmp_path / "alerts.jsonl"), "--webhook", url,
            ],
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert f"support-bot@{TURNS_BAD.version[:12]} hallucination_rate" in result.output
    assert STAYS_GOOD.version[:12] not in result.output.split("ok:")[0]
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert {orjson.loads(line)["config_version"] for line in lines} == {TURNS_BAD.version}
    stored = llmops.query("SELECT * FROM monitor_alerts ORDER BY metric")
    assert [(r["metric"], r["baseline"]) for r in stored] == [
        ("failure_rate", "before"),
        ("hallucination_rate", "before"),
    ]
    (body,) = posted
    assert "hallucination_rate" in body["text"]  # Slack shows `text`
    assert body["alerts"][0]["config_version"] == TURNS_BAD.version
    # Against the good version as the baseline (a canary check): the bad one drifted.
    canary = check(window=100, against=f"support-bot@{STAYS_GOOD.version[:10]}")
    assert {a.config_version for a in canary.alerts} == {TURNS_BAD.version}
    assert {a.baseline for a in canary.alerts} == {f"support-bot@{STAYS_GOOD.version[:12]}"}


def test_a_version_with_only_good_traces_exits_0() -> None:
    serve(STAYS_GOOD, 250, 0)
    result = CliRunner().invoke(app, ["monitor", "check", "--window", "100"])
    assert result.exit_code == 0, result.output
    assert "hallucination_rate" in result.output  # tested, and fine


def test_a_dead_webhook_is_retried_logged_and_the_verdict_stands(drifted: None) -> None:
    result = CliRunner().invoke(
        app, ["monitor", "check", "--webhook", "http://127.0.0.1:9/hook", "--window", "100"]
    )
    assert result.exit_code == 1
    assert "not delivered" in result.output


# An unknown --against is looked up in the (real, MLflow) registry, which warns on import.
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_bad_usage_exits_2_with_one_line() -> None:
    serve(STAYS_GOOD, 40, 0)
    runner = CliRunner()
    for args, why in (
        (["--window", "100"], "larger than the data"),
        (["--config", "nope"], "unknown config 'nope'"),
        (["--window", "soon"], "bad duration"),
        (["--against", "support-bot@ffff"], "--against"),
    ):
        result = runner.invoke(app, ["monitor", "check", *args])
        assert result.exit_code == 2, (args, result.output)
        assert why in result.output
    with pytest.raises(ConfigError, match="--baseline"):
        check(baseline=5)


class _Hook(http.server.BaseHTTPRequestHandler):
    posted: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        self.posted.append(orjson.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def webhook(posted: list[dict[str, Any]]) -> Iterator[str]:
    """A real HTTP server on loopback that keeps what is POSTed to it."""
    server = http.server.HTTPServer(("127.0.0.1", 0), type("Hook", (_Hook,), {"posted": posted}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_metrics_carry_the_per_version_series_and_alerts(drifted: None) -> None:
    import asyncio

    import httpx

    from llmops._configure import active_settings
    from llmops._server._app import ServerApp
    from llmops._spansink import DuckDBSpanSink

    check_ok = CliRunner().invoke(app, ["monitor", "check", "--window", "100"])
    assert check_ok.exit_code == 1
    store = active_settings().store_dir()
    server = ServerApp(DuckDBSpanSink(store), store)

    async def scrape() -> str:
        transport = httpx.ASGITransport(app=server)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            reply = await client.get("/metrics")
            assert reply.status_code == 200
            return reply.text

    text = asyncio.run(scrape())
    server.close()
    bad = f'config_name="support-bot",config_version="{TURNS_BAD.version}"'
    good = f'config_name="support-bot",config_version="{STAYS_GOOD.version}"'
    assert f"llmops_version_traces{{{bad}}} 250" in text
    assert f"llmops_version_traces{{{good}}} 250" in text
    rates = {
        line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("llmops_version_hallucination_rate{")
    }
    assert rates[bad] == pytest.approx((8 + 25) / 250)
    assert rates[good] == pytest.approx(13 / 250)
    assert f'llmops_monitor_alerts_total{{{bad},metric="hallucination_rate"}} 1' in text
    assert "# TYPE llmops_version_latency_p95_seconds gauge" in text
    assert "llmops_server_requests_total" in text  # the server's own series are still there
    # The shipped example rules name only series the server exposes.
    import re

    import yaml

    rules = yaml.safe_load((Path(__file__).parents[2] / "docs" / "alerts.yml").read_text())
    named = {
        name
        for rule in rules["groups"][0]["rules"]
        for name in re.findall(r"llmops_[a-z0-9_]+", rule["expr"])
    }
    assert named
    assert all(f"# TYPE {name} " in text for name in named), named

"""Issue 19, the UI: the monitoring page's charts and alerts, the compare page's charts, online
scores on the trace page and as a traces-list filter; over a real store.

The traces come from the real decorators under ``llmops.use_config``, captured in memory and
written to the store with their clocks moved to whole hours ago, so each version's windows are
known whenever the test runs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

pytest.importorskip("starlette")
pytest.importorskip("jinja2")

from starlette.testclient import TestClient

import llmops
from llmops import AgentConfig
from llmops._spanstore import open_store, records_to_rows, span_table
from llmops._ui import create_app
from llmops._ui._charts import Line, line_chart
from llmops.testing import capture_spans
from llmops.tracing._records import span_records


def config(prompt: str, name: str = "support-bot") -> AgentConfig:
    return AgentConfig.model_validate(
        {"name": name, "model": {"id": "tiny-model"}, "prompts": {"system": {"template": prompt}}}
    )


V1, V2, V3 = config("one"), config("two"), config("three")
OTHER = config("hello", name="triage")
HOUR = 3_600_000_000_000


@llmops.tool
def lookup(term: str) -> str:
    return f"doc about {term}"


@llmops.agent(name="support-bot")
def answer(question: str, fail: bool = False) -> str:
    llmops.current_span().set_cost(0.01)
    if fail:
        raise RuntimeError("the model is down")
    return lookup(question)


# (config, hours ago, fails): V1 in three windows, V2 in two, V3 and OTHER in one.
TRAFFIC = [
    (V1, 4, False), (V1, 4, True), (V1, 3, False), (V1, 3, False), (V1, 2, False),
    (V2, 2, False), (V2, 2, False), (V2, 1, False), (V2, 1, False), (V2, 1, False),
    (V3, 1, False), (OTHER, 1, False),
]  # fmt: skip


def _write_traffic(store: Path) -> list[str]:
    """The traces of TRAFFIC in the store, each moved to 5 minutes (plus its index in seconds)
    past the whole hour that many hours ago; their ids in TRAFFIC's order."""
    with capture_spans() as recorder:
        for index, (cfg, _, fails) in enumerate(TRAFFIC):
            with llmops.use_config(cfg), pytest.raises(RuntimeError) if fails else nullcontext():
                answer(f"q{index}", fail=fails)
        records = span_records(recorder.spans)
    this_hour = time.time_ns() // HOUR * HOUR
    trace_ids: list[str] = []
    for record in records:
        if record.trace_id not in trace_ids and record.parent_span_id is None:
            trace_ids.append(record.trace_id)
    assert len(trace_ids) == len(TRAFFIC)
    starts = {t: min(r.start_ns for r in records if r.trace_id == t) for t in trace_ids}
    moved = []
    for record in records:
        index = trace_ids.index(record.trace_id)
        at = this_hour - TRAFFIC[index][1] * HOUR + 300_000_000_000 + index * 1_000_000_000
        shift = at - starts[record.trace_id]
        moved.append(
            record._replace(start_ns=record.start_ns + shift, end_ns=record.end_ns + shift)
        )
    span_table(store).append(records_to_rows(moved))
    return trace_ids


def _score(trace_id: str, cfg: AgentConfig, passed: bool | None, written_ns: int) -> dict[str, Any]:
    return {
        "trace_id": trace_id,
        "config_name": cfg.name,
        "config_version": cfg.version,
        "trace_start_ns": written_ns,
        "metric": "hallucination",
        "value": None if passed is None else (0.0 if passed else 0.6),
        "label": {True: "faithful", False: "hallucinated", None: None}[passed],
        "passed": passed,
        "status": "not_scorable" if passed is None else "ok",
        "explanation": "no contexts" if passed is None else f"claims unsupported: {passed}",
        "scorer": "offline-detector/1",
        "rule": "sampled",
        "written_ns": written_ns,
    }


@pytest.fixture
def monitored(home: Path) -> dict[str, Any]:
    """TRAFFIC in the store, hallucination scores for some of it, and one alert on V2."""
    store = home / "store"
    ids = _write_traffic(store)
    now = time.time_ns()
    tables = open_store(store)
    scores = [
        _score(ids[0], V1, False, now - 10),  # rescored: the newer row (a pass) counts
        _score(ids[0], V1, True, now),
        _score(ids[1], V1, True, now),
        _score(ids[4], V1, False, now),
        _score(ids[7], V2, False, now),
        _score(ids[8], V2, False, now),
        _score(ids[9], V2, None, now),  # not scorable: neither a pass nor a fail
    ]
    tables.table("monitor_scores").append(scores)
    checked = time.time_ns() // HOUR * HOUR - HOUR + 1_800_000_000_000  # half an hour ago-ish
    tables.table("monitor_alerts").append(
        [
            {
                "alert_id": "alert-1",
                "checked_ns": checked,
                "config_name": "support-bot",
                "config_version": V2.version,
                "metric": "hallucination_rate",
                "baseline": "before",
                "baseline_value": 0.05,
                "baseline_n": 400,
                "current_value": 1.0,
                "current_low": 0.34,
                "current_high": 1.0,
                "current_n": 2,
                "p_value": 0.0004,
                "alpha": 0.0001,
                "trace_ids": orjson.dumps([ids[7], ids[8]]).decode(),
                "message": "hallucination_rate rose",
            }
        ]
    )
    return {"store": store, "ids": ids}


@pytest.fixture
def client(monitored: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(monitored["store"])) as test_client:
        yield test_client


def _chart(page: str, key: str) -> str:
    start = page.index(f'id="chart-{key}"')
    return page[start : page.index("</figure>", start)]


def _dots_per_line(chart: str) -> list[int]:
    """How many points each drawn line has, in the order of the lines."""
    paths = re.findall(r'<path class="chart-line (series-\d)" d="([^"]*)"', chart)
    counts = []
    for colour, d in paths:
        drawn = len(re.findall(r"[ML][\d.]+ [\d.]+", d))
        assert chart.count(f'<circle class="chart-dot {colour}"') == drawn
        counts.append(drawn)
    return counts


def _trace_ids(client: TestClient, query: str) -> set[str]:
    response = client.get(f"/api/traces?{query}")
    assert response.status_code == 200, response.text
    return {t["trace_id"] for t in response.json()["traces"]}


def test_monitor_page_charts_each_version_of_each_config(client: TestClient) -> None:
    page = client.get("/monitor?window=1h&since=24h")
    assert page.status_code == 200
    html = page.text
    assert 'href="/monitor" class="active"' in html
    support = html[html.index('id="config-support-bot"') : html.index('id="config-triage"')]
    legend = support[support.index('class="chart-legend"') : support.index("</ul>")]
    assert [v[:12] for v in (V1.version, V2.version, V3.version)] == re.findall(
        r">@([0-9a-f]{12})</a>", legend
    )  # oldest version first: its colour stays put as versions are added
    for key in ("p95_ms", "error_rate"):
        assert _dots_per_line(_chart(support, key)) == [3, 2, 1]
    # V1 was scored in two of its three windows (a gap), V2 in one, V3 never.
    hallucination = _chart(support, "hallucination_rate")
    assert _dots_per_line(hallucination) == [2, 1]
    v1_path = re.search(r'class="chart-line series-0" d="([^"]*)"', hallucination)
    assert v1_path is not None
    assert v1_path.group(1).count("M") == 2  # the unscored window breaks the line
    # y runs from the bottom (0%) up: V1's 0% then 100%, V2's 100%.
    ys = [
        float(y)
        for y in re.findall(
            r'<circle class="chart-dot series-\d" cx="[\d.]+" cy="([\d.]+)"', hallucination
        )
    ]
    assert ys[0] > ys[1] == ys[2]
    assert "llmops monitor run" in _chart(support, "cost_per_success")  # no success scores
    triage = html[html.index('id="config-triage"') :]
    assert _dots_per_line(_chart(triage, "p95_ms")) == [1]


def test_alerts_are_marked_on_their_chart_and_link_to_their_traces(
    client: TestClient, monitored: dict[str, Any]
) -> None:
    html = client.get("/monitor").text
    support = html[html.index('id="config-support-bot"') : html.index('id="config-triage"')]
    marks = re.findall(r'<a class="alert-mark" href="([^"]+)">', support)
    assert len(marks) == 1
    assert 'class="alert-mark"' in _chart(support, "hallucination_rate")
    assert 'class="alert-mark"' not in _chart(support, "p95_ms")
    row = support[support.index('id="alert-alert-1"') :]
    row = row[: row.index("</tr>")]
    assert V2.version[:12] in row
    assert "hallucination_rate" in row
    assert "5%" in row
    assert "<strong>100%</strong> [34%, 100%]" in row
    link = re.search(r'class="alert-traces" href="([^"]+)">2 traces<', row)
    assert link is not None
    assert link.group(1) == marks[0]
    target = link.group(1).replace("&amp;", "&")
    assert target.startswith("/?ids=")
    ids = monitored["ids"]
    assert _trace_ids(client, target[2:]) == {ids[7], ids[8]}
    listing = client.get(target).text
    assert listing.count('class="trace-link"') == 2
    assert 'id="ids-filter"' in listing
    assert 'type="hidden" name="ids"' in listing  # kept when other filters are applied


def test_config_filter_and_the_empty_state(client: TestClient, tmp_path: Path) -> None:
    html = client.get("/monitor?config=triage&window=30m&since=12h").text
    assert 'id="config-triage"' in html
    assert 'id="config-support-bot"' not in html
    assert '<option value="triage" selected>' in html
    assert '<option value="30m" selected>30m</option>' in html
    assert 'id="monitor-empty"' in client.get("/monitor?since=30m&window=5m").text
    with TestClient(create_app(tmp_path / "empty")) as empty:
        page = empty.get("/monitor")
        assert page.status_code == 200
        assert 'id="monitor-empty"' in page.text
        assert "llmops monitor run" in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("window=0h", "window='0h'"),
        ("window=hourly", "window='hourly'"),
        ("since=yesterday", "since='yesterday'"),
        ("window=2d&since=1d", "longer than since=1d"),
        ("window=1m&since=30d", "more than 1000 windows"),
        ("config=nope", "config='nope': no stored trace carries it (known: support-bot, triage)"),
    ],
)
def test_bad_monitor_parameters_are_400_with_the_reason(
    client: TestClient, query: str, message: str
) -> None:
    page = client.get(f"/monitor?{query}")
    assert page.status_code == 400
    assert message in page.text.replace("&#39;", "'")


def test_pages_stay_csp_safe(client: TestClient, monitored: dict[str, Any]) -> None:
    pages = [
        "/monitor",
        f"/compare?a=support-bot@{V1.version[:12]}&b=support-bot@{V2.version[:12]}",
        f"/traces/{monitored['ids'][7]}",
        "/?score=hallucination:fail",
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert " style=" not in page.text, path
        assert "<script" not in page.text, path
        assert "unsafe-inline" not in page.headers["content-security-policy"]


def test_score_filter_returns_exactly_the_traces_that_passed_or_failed(
    client: TestClient, monitored: dict[str, Any]
) -> None:
    ids = monitored["ids"]
    assert _trace_ids(client, "score=hallucination:fail") == {ids[4], ids[7], ids[8]}
    assert _trace_ids(client, "score=hallucination:pass") == {ids[0], ids[1]}
    assert _trace_ids(client, "score=faithfulness:fail") == set()
    v2 = f"support-bot@{V2.version[:12]}"
    assert _trace_ids(client, f"score=hallucination:fail&config={v2}") == {ids[7], ids[8]}
    assert _trace_ids(client, "score=hallucination:pass&errors=1") == {ids[1]}
    html = client.get("/?score=hallucination:fail&limit=2").text
    assert 'value="hallucination:fail"' in html
    assert 'href="/?score=hallucination%3Afail&amp;page=2&amp;limit=2"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("score=hallucination", "score='hallucination': expected METRIC:pass or METRIC:fail"),
        ("score=hallucination:maybe", "score="),
        ("ids=not-an-id", "ids: 'not-an-id' is not a trace id"),
        ("ids=" + ",".join(["0" * 32] * 101), "at most 100"),
    ],
)
def test_bad_score_and_ids_filters_are_400(client: TestClient, query: str, message: str) -> None:
    page = client.get(f"/?{query}")
    assert page.status_code == 400
    assert message in page.text.replace("&#39;", "'")
    assert message in client.get(f"/api/traces?{query}").json()["error"]


def test_trace_page_shows_its_online_scores(client: TestClient, monitored: dict[str, Any]) -> None:
    ids = monitored["ids"]
    page = client.get(f"/traces/{ids[7]}").text
    scores = page[page.index('id="online-scores"') : page.index("</section>")]
    assert scores.count('class="score-row"') == 1
    shown_values = ("hallucination", "0.6", "hallucinated", "badge-error", "offline-detector/1",
                    "claims unsupported: False", "sampled")  # fmt: skip
    for shown in shown_values:
        assert shown in scores
    assert 'href="/?score=hallucination%3Afail"' in scores
    rescored = client.get(f"/traces/{ids[0]}").text
    assert "badge-ok" in rescored[rescored.index('id="online-scores"') :]
    unscorable = client.get(f"/traces/{ids[9]}").text
    assert "not_scorable" in unscorable
    assert 'id="online-scores"' not in client.get(f"/traces/{ids[2]}").text
    api = client.get(f"/api/traces/{ids[0]}").json()["scores"]
    assert [(s["metric"], s["passed"]) for s in api] == [("hallucination", True)]


def test_compare_page_charts_only_the_two_versions(client: TestClient) -> None:
    a, b = f"support-bot@{V1.version[:12]}", f"support-bot@{V2.version[:12]}"
    page = client.get(f"/compare?a={a}&b={b}")
    assert page.status_code == 200
    section = page.text[page.text.index('id="production-series"') :]
    section = section[: section.index("</section>")]
    assert _dots_per_line(_chart(section, "p95_ms")) == [3, 2]
    assert V3.version[:12] not in section
    assert f"A · {a}" in section
    assert f"B · {b}" in section
    assert 'class="alert-mark"' in _chart(section, "hallucination_rate")  # V2's alert
    assert client.get(f"/compare?a={a}&b={b}&window=nope").status_code == 400
    unseen = client.get(f"/compare?a=support-bot@{'c' * 12}&b=support-bot@{'d' * 12}")
    assert unseen.status_code == 200
    assert 'id="production-series"' not in unseen.text


def test_line_chart_geometry() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    points = [(start + timedelta(hours=h), v) for h, v in enumerate([0.0, None, 0.5, 1.0])]
    chart = line_chart("rate", "Rate", [Line("v1", points)], fmt=str)
    (line,) = chart.lines
    assert line.path.startswith("M64.0 ")  # the first point on the left edge, at y = 0
    assert line.path.count("M") == 2  # the gap breaks the line
    assert line.path.count("L") == 1
    assert [d.y for d in line.dots] == [chart.bottom, (chart.top + chart.bottom) / 2, chart.top]
    assert line.dots[-1].x == chart.right
    assert [t.label for t in chart.y_ticks] == ["0.0", "0.25", "0.5", "0.75", "1.0"]
    assert chart.x_ticks[0].label == "00:00"
    assert chart.x_ticks[-1].at == chart.right
    empty = line_chart("rate", "Rate", [Line("v1", [(start, None)])], empty="nothing yet")
    assert empty.message == "nothing yet"
    assert empty.lines == []

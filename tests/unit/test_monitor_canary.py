"""Issue 19: canary analysis through a real registry (MLflow, local) and a real Router."""

from __future__ import annotations

import time

import pytest
from monitor_agent import RIGHT, WRONG, config, steady_clock, support_bot
from typer.testing import CliRunner

import llmops
from llmops._cli._main import app
from llmops._monitor import OnlineScorer, Rules
from llmops._monitor._canary import analyse
from llmops._registry import configs
from llmops.serving import Router

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)

PROD = config("Answer from the docs.")
CAND = config("Answer from the docs, in one sentence.")


@pytest.fixture(autouse=True)
def _steady_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    steady_clock(monkeypatch)


@pytest.fixture
def router() -> Router:
    registry = configs()
    for cfg, alias in ((PROD, "production"), (CAND, "candidate")):
        registry.register(cfg, aliases=(alias,))
    registry.set_canary_share("support-bot", 0.5)
    return Router.from_registry("support-bot", refresh_s=REFRESH_S)


REFRESH_S = 1.0  # routers read the registry again after this long


def serve(router: Router, n: int, candidate_wrong_every: int | None) -> dict[str, int]:
    """``n`` requests through the router; the candidate answers wrong every k-th time."""
    picked = {PROD.version: 0, CAND.version: 0}
    for i in range(n):
        cfg = router.pick(session_id=f"session-{i}")
        picked[cfg.version] += 1
        wrong = (
            cfg.version == CAND.version
            and candidate_wrong_every is not None
            and picked[cfg.version] % candidate_wrong_every == 0
        )
        with llmops.use_config(cfg):
            support_bot("How much is Pro?", answer=WRONG if wrong else RIGHT)
    llmops.flush()
    OnlineScorer(Rules(settle_s=0, metrics=("hallucination",)), emit=False).run_once()
    return picked


def test_a_worse_canary_is_rolled_back_and_gets_no_more_traffic(router: Router) -> None:
    picked = serve(router, 400, candidate_wrong_every=4)  # the candidate: 25% hallucinated
    assert min(picked.values()) > 120  # about half each
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["monitor", "canary", "support-bot@candidate", "--against", "support-bot@production",
         "--apply"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "ROLLBACK" in result.output
    assert "hallucination_rate worse" in result.output
    assert configs().canary_share("support-bot") == 0.0
    # The router reads the registry again: every request now goes to production.
    time.sleep(REFRESH_S)
    assert {router.pick(session_id=f"s{i}").version for i in range(50)} == {PROD.version}
    (action,) = llmops.query("SELECT * FROM monitor_actions")
    assert (action["kind"], action["applied"]) == ("rollback", True)
    assert action["candidate"] == f"support-bot@{CAND.version[:12]}"


def test_an_equal_canary_is_promoted_through_the_registry(router: Router) -> None:
    serve(router, 700, candidate_wrong_every=None)
    report = analyse("support-bot@candidate", "support-bot@production")
    assert report.verdict == "promote", report.reasons
    by_metric = {c.metric: c for c in report.comparisons}
    assert by_metric["hallucination_rate"].outcome == "within_margin"
    assert by_metric["hallucination_rate"].low <= 0 <= by_metric["hallucination_rate"].high
    result = CliRunner().invoke(
        app,
        ["monitor", "canary", "support-bot@candidate", "--against", "support-bot@production",
         "--apply", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert configs().resolve("support-bot@production").version == CAND.version
    time.sleep(REFRESH_S)
    assert {router.pick(session_id=f"s{i}").version for i in range(20)} == {CAND.version}


def test_too_few_traces_hold(router: Router) -> None:
    serve(router, 60, candidate_wrong_every=None)
    result = CliRunner().invoke(
        app, ["monitor", "canary", "support-bot@candidate", "--against", "support-bot@production"]
    )
    assert result.exit_code == 3, result.output
    assert "HOLD" in result.output
    assert "too few traces" in result.output
    assert configs().canary_share("support-bot") == 0.5  # nothing applied without --apply
    bad = CliRunner().invoke(app, ["monitor", "canary", "support-bot@nope", "--against", "x@y"])
    assert bad.exit_code == 2


def test_the_p95_shown_per_side_is_the_quantile_the_difference_is_taken_on() -> None:
    import random

    from llmops._monitor._canary import _compare

    rng = random.Random(7)
    canary = [rng.lognormvariate(5.0, 0.4) for _ in range(301)]
    production = [rng.lognormvariate(5.0, 0.3) for _ in range(407)]
    row = _compare("p95_ms", canary, production, 0.2, "relative", 50)
    assert row.candidate - row.production == pytest.approx(row.difference)
    ordered = sorted(canary)
    assert ordered[285] <= row.candidate <= ordered[286]  # 0.95 x 300 = 285: interpolated

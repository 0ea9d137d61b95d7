"""The quickstart run: register two config versions, answer in one session, evaluate both."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import llmops
from llmops._configdiff import ConfigDiff
from llmops._configure import active_settings
from llmops._quickstart._agent import (
    answer,
    candidate_config,
    model_server,
    quickstart_config,
)
from llmops._registry import ConfigVersion
from llmops.serving._local import LocalServer

if TYPE_CHECKING:
    from llmops.eval import EvalRun

QUESTIONS = (
    "How do I reset my password?",
    "How much does the Team plan cost per seat?",
    "What happens when I exceed the API rate limit?",
    "Can I pay with bitcoin in Antarctica?",
)


@dataclass(frozen=True)
class QuickstartRun:
    session_id: str
    config_ref: str
    answers: list[tuple[str, str]]
    registered: list[ConfigVersion]
    diff: ConfigDiff
    evaluation: EvalRun | None = None


def register_versions() -> tuple[list[ConfigVersion], ConfigDiff]:
    """Register the bundled config and a candidate; ``production`` goes to the first if unset."""
    registry = llmops.configs()
    production = quickstart_config()
    candidate = candidate_config(production)
    has_production = any("production" in v.aliases for v in registry.versions(production.name))
    first = registry.register(production, aliases=() if has_production else ("production",))
    second = registry.register(candidate, aliases=("candidate",))
    return [first, second], registry.diff(production, candidate)


def run(
    questions: tuple[str, ...] = QUESTIONS,
    ref: str = "support-bot@production",
    *,
    run_eval: bool = True,
) -> QuickstartRun:
    """Register the config versions, then answer each question in one new session under ``ref``."""
    registered, diff = register_versions()
    config = llmops.configs().get(ref)
    session_id = f"quickstart-{uuid.uuid4().hex[:8]}"
    log_dir = Path(active_settings().home) / "serving"
    alias = config.model.served_name or config.model.id
    with (
        LocalServer(alias=alias, log_dir=log_dir) as server,
        llmops.session(session_id),
        llmops.tags("quickstart"),
        llmops.use_config(config),
    ):
        answers = [(q, answer(q, config, server.api_base)) for q in questions]
        with model_server(server.api_base):
            evaluation = evaluate() if run_eval else None
    llmops.flush()
    return QuickstartRun(session_id, config.ref, answers, registered, diff, evaluation)


def score_online(session_id: str) -> dict[str, dict[str, str]]:
    """What ``llmops monitor run --once`` makes of the session's live traces: trace id ->
    metric -> label (the scores are stored in ``monitor_scores``, linked to the traces)."""
    from llmops._monitor import OnlineScorer, Rules

    OnlineScorer(Rules(name="quickstart", settle_s=0, since_s=3600)).run_once()
    llmops.flush()
    rows = llmops.query(
        "SELECT s.trace_id, s.metric, s.label FROM monitor_scores s "
        "JOIN (SELECT DISTINCT trace_id FROM spans WHERE session_id = ?) t USING (trace_id) "
        "ORDER BY s.trace_start, s.metric",
        [session_id],
    )
    scores: dict[str, dict[str, str]] = {}
    for row in rows:
        scores.setdefault(row["trace_id"], {})[row["metric"]] = row["label"]
    return scores


SUITE = "suite.yaml"
EVAL_TARGET = "llmops._quickstart:support_bot"


def suite_path() -> Path:
    """Where the bundled eval suite lies (inside the installed package)."""
    return Path(str(resources.files("llmops") / "_data" / "quickstart" / SUITE))


def evaluate() -> EvalRun:
    """The bundled suite under ``candidate``, compared with ``production`` on the same cases.

    The same run as ``llmops eval run SUITE --target llmops._quickstart:support_bot
    --config support-bot@candidate --baseline support-bot@production``: a rerun of that
    command resumes both runs, and exits 1 when a gate fails.
    """
    from llmops.eval import load_suite, run_suite

    return run_suite(
        load_suite(suite_path()),
        EVAL_TARGET,
        config="support-bot@candidate",
        baseline="support-bot@production",
    )

"""The quickstart (the app floor): a small support agent, its two config versions, the story.

``llmops quickstart`` calls :func:`run`, then prints :func:`story` and checks the pages of
:func:`show_in_ui`. The bundled config names the tool ``llmops._quickstart:search_docs`` and
evals target ``llmops._quickstart:support_bot`` (``EVAL_TARGET``): both resolve here.
"""

from __future__ import annotations

from llmops._quickstart._agent import (
    answer,
    candidate_config,
    quickstart_config,
    respond,
    search_docs,
    support_bot,
)
from llmops._quickstart._run import (
    EVAL_TARGET,
    QUESTIONS,
    QuickstartRun,
    evaluate,
    register_versions,
    run,
    score_online,
    suite_path,
)
from llmops._quickstart._story import show_in_ui, story

__all__ = [
    "EVAL_TARGET",
    "QUESTIONS",
    "QuickstartRun",
    "answer",
    "candidate_config",
    "evaluate",
    "quickstart_config",
    "register_versions",
    "respond",
    "run",
    "score_online",
    "search_docs",
    "show_in_ui",
    "story",
    "suite_path",
    "support_bot",
]

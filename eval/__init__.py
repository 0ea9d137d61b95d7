"""llmops.eval: eval suites offline and in CI, hallucination and cost, version against version.

A suite (``suite.yaml`` plus cases) runs against a config version or a Python callable; every
case runs in its own trace, every score lands in the embedded store (``eval_runs``,
``eval_cases``, ``eval_scores``) and in MLflow, and gates turn the result into an exit code.

Example:
    >>> suite = llmops.eval.load_suite("evals/suite.yaml")
    >>> run = llmops.eval.run_suite(suite, config="support-bot@candidate",
    ...                             baseline="support-bot@production")
    >>> run.passed
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._internal import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from llmops.eval._compare import Comparison, compare_configs, compare_runs
    from llmops.eval._hallucination import AutoDetector, OfflineDetector, hallucination
    from llmops.eval._judge import Judge, judge_hallucination
    from llmops.eval._judge_cache import judge_cache_stats
    from llmops.eval._metrics import CaseOutput, Score, metric
    from llmops.eval._nli import NLIDetector
    from llmops.eval._results import CaseResult
    from llmops.eval._runner import EvalRun, run_suite
    from llmops.eval._suite import Case, Suite, load_suite
    from llmops.eval._types import Claim, HallucinationResult

_LAZY = {
    "Case": "llmops.eval._suite",
    "CaseOutput": "llmops.eval._metrics",
    "CaseResult": "llmops.eval._results",
    "Claim": "llmops.eval._types",
    "Comparison": "llmops.eval._compare",
    "EvalRun": "llmops.eval._runner",
    "HallucinationResult": "llmops.eval._types",
    "AutoDetector": "llmops.eval._hallucination",
    "Judge": "llmops.eval._judge",
    "NLIDetector": "llmops.eval._nli",
    "OfflineDetector": "llmops.eval._hallucination",
    "Score": "llmops.eval._metrics",
    "Suite": "llmops.eval._suite",
    "compare_configs": "llmops.eval._compare",
    "compare_runs": "llmops.eval._compare",
    "hallucination": "llmops.eval._hallucination",
    "judge_cache_stats": "llmops.eval._judge_cache",
    "judge_hallucination": "llmops.eval._judge",
    "load_suite": "llmops.eval._suite",
    "metric": "llmops.eval._metrics",
    "run_suite": "llmops.eval._runner",
}

__all__ = [
    "AutoDetector",
    "Case",
    "CaseOutput",
    "CaseResult",
    "Claim",
    "Comparison",
    "EvalRun",
    "HallucinationResult",
    "Judge",
    "NLIDetector",
    "OfflineDetector",
    "Score",
    "Suite",
    "compare_configs",
    "compare_runs",
    "hallucination",
    "judge_cache_stats",
    "judge_hallucination",
    "load_suite",
    "metric",
    "run_suite",
]

__getattr__ = _lazy_attributes(__name__, _LAZY, globals())

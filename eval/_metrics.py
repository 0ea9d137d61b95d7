"""Metrics: the built-in ones, user-defined ones registered by name, and their checks.

A metric scores one case's output. It returns a :class:`Score`; a metric that cannot score (a
judge that is down) returns ``status="error"`` with no value, never a zero, so a summary does
not read an outage as a regression.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmops._errors import BackendUnavailable, EvalDatasetError, ModelCallError

if TYPE_CHECKING:
    from llmops.eval._suite import Case, MetricSpec, Suite


@dataclass(frozen=True)
class CaseOutput:
    """What a target produced for a case: the answer text and any contexts it retrieved."""

    text: str
    contexts: tuple[str, ...] = ()
    raw: Any = None


@dataclass(frozen=True)
class Score:
    """One metric's verdict on one case.

    Attributes:
        value: The number (``None`` when the metric errored or was skipped).
        passed: Whether it met its threshold (``None`` when the metric has none).
        status: ``ok``, ``error`` or ``skipped``.
        details: JSON-serialisable specifics (claims, the error message, ...).
    """

    value: float | None
    passed: bool | None = None
    status: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)


MetricFunction = Callable[["Case", CaseOutput, "MetricSpec"], Score]


@dataclass(frozen=True)
class MetricDef:
    """A registered metric implementation."""

    name: str
    function: MetricFunction
    higher_is_better: bool = True
    requires: tuple[str, ...] = ()
    description: str = ""


_REGISTRY: dict[str, MetricDef] = {}
_LOCK = threading.Lock()


def metric(
    name: str | None = None,
    *,
    higher_is_better: bool = True,
    requires: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a user-defined metric under ``name`` (default: the function's name).

    The function takes ``(case, output)`` (``output.text`` is the answer) and returns a number,
    a bool (pass/fail) or a :class:`Score`. With a ``threshold`` in the suite, a number passes
    when it is at least the threshold (at most, for ``higher_is_better=False``).

    Example:
        >>> @llmops.eval.metric("polite", requires=())
        ... def polite(case, output):
        ...     return "please" in output.text.lower()
    """

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        metric_name = name or function.__name__

        def score(case: Case, output: CaseOutput, spec: MetricSpec) -> Score:
            return _as_score(function(case, output), spec, higher_is_better)

        with _LOCK:
            _REGISTRY[metric_name] = MetricDef(
                metric_name, score, higher_is_better, requires, (function.__doc__ or "").strip()
            )
        return function

    return register


def _as_score(result: Any, spec: MetricSpec, higher_is_better: bool) -> Score:
    if isinstance(result, Score):
        return result
    if isinstance(result, bool):
        return Score(1.0 if result else 0.0, passed=result)
    value = float(result)
    if spec.threshold is None:
        return Score(value)
    passed = value >= spec.threshold if higher_is_better else value <= spec.threshold
    return Score(value, passed=passed)


def get_metric(spec: MetricSpec) -> MetricDef:
    """The implementation a suite's metric entry names."""
    _register_builtins()
    if spec.kind == "python":
        function_spec = spec.options.get("function")
        if not isinstance(function_spec, str):
            raise EvalDatasetError(f"metric {spec.name!r}: type python needs function: mod:fn")
        from llmops.eval._suite import import_object

        function = import_object(function_spec, what=f"metric {spec.name!r}")
        higher = bool(spec.options.get("higher_is_better", True))
        return MetricDef(
            spec.name, lambda c, o, s: _as_score(function(c, o), s, higher), higher_is_better=higher
        )
    try:
        return _REGISTRY[spec.kind]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise EvalDatasetError(f"unknown metric {spec.kind!r} (known: {known})") from None


def registered_metrics() -> list[str]:
    _register_builtins()
    return sorted(_REGISTRY)


def check_metrics(suite: Suite, where: Callable[[list[Any]], str]) -> None:
    """Every metric exists, and every case has the fields each metric needs."""
    from llmops.eval._suite import import_object

    for plugin in suite.plugins:
        import_object(f"{plugin}:__name__", what="plugin")
    problems = []
    for index, spec in enumerate(suite.metrics):
        try:
            definition = get_metric(spec)
        except EvalDatasetError as exc:
            problems.append(f"{where(['metrics', index])}: metrics.{index}: {exc}")
            continue
        detector = spec.options.get("detector")
        if definition.name == "hallucination" and detector is not None:
            problem = _detector_problem(detector, spec)
            if problem:
                at = where(["metrics", index, "detector"])
                problems.append(f"{at}: metrics.{index}.detector: {problem}")
        for needed in _requires(definition, spec):
            for case, location in zip(suite.case_list, suite.case_locations, strict=True):
                if not case.has(needed):
                    problems.append(
                        f"{location}: case {case.id!r}: {needed}: missing, "
                        f"needed by metric {spec.name!r}"
                    )
    if problems:
        raise EvalDatasetError("\n".join(problems[:50]))


def _detector_problem(detector: Any, spec: MetricSpec) -> str | None:
    """What is wrong with a hallucination metric's ``detector`` option, if anything."""
    from llmops._errors import ConfigError
    from llmops.eval._hallucination import check_detector_name

    if spec.options.get("judge") is not None:
        return "a metric has a judge or an offline detector, not both"
    try:
        check_detector_name(detector)
    except ConfigError as exc:
        return str(exc)
    return None


def _requires(definition: MetricDef, spec: MetricSpec) -> tuple[str, ...]:
    if definition.name == "hallucination" and spec.options.get("context_from") == "output":
        return ()
    return definition.requires


# --- built-in metrics -------------------------------------------------------------------------
_SPACES = re.compile(r"\s+")


def _normal(text: Any) -> str:
    return _SPACES.sub(" ", str(text)).strip().casefold()


def _exact_match(case: Case, output: CaseOutput, spec: MetricSpec) -> Score:
    expected = case.expected if isinstance(case.expected, list) else [case.expected]
    hit = any(_normal(output.text) == _normal(e) for e in expected)
    return Score(1.0 if hit else 0.0, passed=hit)


def _contains(case: Case, output: CaseOutput, spec: MetricSpec) -> Score:
    expected = case.expected if isinstance(case.expected, list) else [case.expected]
    text = _normal(output.text)
    missing = [str(e) for e in expected if _normal(e) not in text]
    value = 1.0 - len(missing) / len(expected)
    return Score(value, passed=not missing, details={"missing": missing} if missing else {})


def _rouge_l(case: Case, output: CaseOutput, spec: MetricSpec) -> Score:
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        raise EvalDatasetError(
            "metric rouge_l needs rouge-score: pip install 'llmops[eval]'"
        ) from None
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    expected = case.expected if isinstance(case.expected, list) else [case.expected]
    value = max(scorer.score(str(e), output.text)["rougeL"].fmeasure for e in expected)
    passed = None if spec.threshold is None else value >= spec.threshold
    return Score(value, passed=passed)


def _hallucination(case: Case, output: CaseOutput, spec: MetricSpec) -> Score:
    from llmops.eval._hallucination import hallucination

    contexts = list(output.contexts) if spec.options.get("context_from") == "output" else []
    contexts = contexts or list(case.context) or list(output.contexts)
    if not output.text.strip():
        return Score(None, status="skipped", details={"reason": "empty answer"})
    judge = _judge(spec.options.get("judge"))
    try:
        result = hallucination(
            output.text, contexts, judge=judge, detector=spec.options.get("detector")
        )
    except (BackendUnavailable, ModelCallError) as exc:
        return Score(None, status="error", details={"error": f"{type(exc).__name__}: {exc}"})
    details = {
        "detector": result.detector,
        "version": result.version,
        "claims": len(result.claims),
        "unsupported_claims": [c.text for c in result.unsupported_claims],
    }
    # A suite's threshold is the unsupported fraction a case may have and still pass;
    # without one, the detector's verdict decides (any unsupported claim fails).
    passed = not result.hallucinated if spec.threshold is None else result.score <= spec.threshold
    return Score(result.score, passed=passed, details=details)


_JUDGES: dict[str, Any] = {}


def _judge(reference: Any) -> Any:
    """One resolved judge per reference and registry (a registry lookup, not one per case)."""
    if not isinstance(reference, str):
        return reference
    import os

    from llmops._configure import active_settings

    key = f"{reference}|{active_settings().home}|{os.environ.get('MLFLOW_TRACKING_URI', '')}"
    with _LOCK:
        judge = _JUDGES.get(key)
    if judge is None:
        from llmops.eval._judge import as_judge

        judge = as_judge(reference)
        with _LOCK:
            _JUDGES.setdefault(key, judge)
    return judge


def resolve_judges(specs: list[MetricSpec]) -> None:
    """Resolve every judge a suite names before any case runs: a bad reference is bad input."""
    from llmops._errors import ConfigError

    for spec in specs:
        reference = spec.options.get("judge")
        if reference is None:
            continue
        try:
            _judge(reference)
        except ConfigError as exc:
            raise EvalDatasetError(f"metric {spec.name!r}: judge {reference!r}: {exc}") from None


_BUILTINS = (
    MetricDef("exact_match", _exact_match, True, ("expected",), "Output equals expected."),
    MetricDef("contains", _contains, True, ("expected",), "Output contains every expected."),
    MetricDef("rouge_l", _rouge_l, True, ("expected",), "ROUGE-L F-measure to expected."),
    MetricDef("hallucination", _hallucination, False, ("context",), "Unsupported-claim fraction."),
)


def _register_builtins() -> None:
    if "hallucination" not in _REGISTRY:
        with _LOCK:
            for definition in _BUILTINS:
                _REGISTRY.setdefault(definition.name, definition)

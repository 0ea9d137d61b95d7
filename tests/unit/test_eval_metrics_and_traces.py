"""Built-in metrics, and ``--from-traces``: scoring what already ran without calling it again."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmops
from llmops.eval import Case, CaseOutput, load_suite, run_suite
from llmops.eval._from_traces import TraceFilter, cases_from_traces
from llmops.eval._metrics import get_metric
from llmops.eval._suite import MetricSpec
from llmops.eval._targets import recorded_target


def score(kind: str, expected: object, text: str, **options: object) -> object:
    spec = MetricSpec(name=kind, **options)
    case = Case(input="q", expected=expected)
    return get_metric(spec).function(case, CaseOutput(text), spec)


def test_exact_match_contains_and_rouge() -> None:
    assert score("exact_match", "Paris", "  paris ").passed is True
    assert score("exact_match", ["Lyon", "Paris"], "Paris").passed is True
    assert score("exact_match", "Paris", "Paris, France").passed is False
    partial = score("contains", ["CSV", "JSON"], "Export as csv only.")
    assert (partial.value, partial.passed, partial.details) == (0.5, False, {"missing": ["JSON"]})
    close = score("rouge_l", "the cat sat on the mat", "the cat sat on a mat", threshold=0.5)
    far = score("rouge_l", "the cat sat on the mat", "stock prices fell sharply", threshold=0.5)
    assert close.value > 0.7
    assert close.passed is True
    assert far.value < 0.2
    assert far.passed is False


def test_the_hallucination_metric_uses_the_detector_its_spec_names() -> None:
    context = ["The Eiffel Tower was completed in 1889 and is 330 metres tall."]
    for detector in ("offline", "offline-nli"):
        spec = MetricSpec(name="hallucination", detector=detector)
        function = get_metric(spec).function
        right = function(
            Case(input="q", context=context), CaseOutput("The tower was completed in 1889."), spec
        )
        wrong = function(
            Case(input="q", context=context), CaseOutput("The tower was completed in 1925."), spec
        )
        assert (right.details["detector"], right.passed, wrong.passed) == (detector, True, False)
        assert wrong.details["unsupported_claims"] == ["The tower was completed in 1925."]


@llmops.tool(name="retrieve")
def retrieve(query: str) -> list[dict[str, str]]:
    return [{"text": "The Team plan costs 12 dollars per seat."}, {"text": "Refunds take 14 days."}]


@llmops.agent(name="billing-bot")
def billing_bot(question: str) -> str:
    passages = retrieve(question)
    llmops.current_span().set_usage(input_tokens=40, output_tokens=9)
    return passages[0]["text"] if "Team" in question else "Pay with seashells."


def test_recorded_traces_are_scored_without_running_again(tmp_path: Path) -> None:
    answers = [billing_bot("What does the Team plan cost?"), billing_bot("How do I pay?")]
    assert answers[1] == "Pay with seashells."
    llmops.flush()
    cases = cases_from_traces(TraceFilter(name="invoke_agent billing-bot"))
    assert len(cases) == 2
    by_input = {c["input"]: c for c in cases}
    team = by_input["What does the Team plan cost?"]
    assert team["context"] == [
        "The Team plan costs 12 dollars per seat.",
        "Refunds take 14 days.",
    ]
    path = tmp_path / "suite.yaml"
    path.write_text(
        "name: offline\nmetrics:\n  - name: paid_in_dollars\n    type: python\n"
        "    function: test_eval_metrics_and_traces:mentions_dollars\ncases: []\n"
    )
    suite = load_suite(path, cases=cases)
    run = run_suite(suite, recorded_target(), log_to_mlflow=False)
    results = {c.case.input: c for c in run.cases}
    first = results["What does the Team plan cost?"]
    assert first.trace_id == team["id"], "results link to the recorded trace"
    assert (first.input_tokens, first.output_tokens) == (40, 9)
    assert first.scores["paid_in_dollars"].passed is True
    assert results["How do I pay?"].scores["paid_in_dollars"].passed is False
    # Nothing ran again: no new agent spans, no eval.case spans.
    agents = llmops.query("SELECT count(*) AS n FROM spans WHERE name = 'invoke_agent billing-bot'")
    cases_run = llmops.query("SELECT count(*) AS n FROM spans WHERE name = 'eval.case'")
    assert (agents[0]["n"], cases_run[0]["n"]) == (2, 0)


def mentions_dollars(case: Case, output: CaseOutput) -> bool:
    return "dollars" in output.text


def test_no_matching_traces_is_a_clear_error() -> None:
    with pytest.raises(llmops.EvalDatasetError, match="no recorded traces match"):
        cases_from_traces(TraceFilter(name="nothing-like-this"))

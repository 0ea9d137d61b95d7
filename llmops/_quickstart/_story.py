"""What the quickstart's comparison says, in plain lines, and its pages in the web UI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._quickstart._run import EVAL_TARGET, suite_path

if TYPE_CHECKING:
    from llmops.eval import EvalRun

UI_URL = "http://127.0.0.1:5799"
_STORY_METRICS = (
    ("hallucination_rate", "answers with an unsupported claim", "{:.0%}"),
    ("contains_pass_rate", "answers with the expected fact", "{:.0%}"),
    ("input_tokens", "input tokens per case", "{:.0f}"),
    ("cost_usd", "cost per case", "${:.6f}"),
)


def story(evaluation: EvalRun, *, shown_cases: int = 3) -> list[str]:
    """What the comparison of the two versions says, and what a user does next: plain lines."""
    comparison = evaluation.comparison
    if comparison is None or evaluation.baseline is None:
        return ["No comparison: the baseline did not run."]
    baseline_ref = f"support-bot@{evaluation.baseline.config_version[:12]}"
    candidate_ref = f"support-bot@{evaluation.config_version[:12]}"
    lines = [
        f"candidate {candidate_ref} leaves the documents out of the prompt and lets the model "
        "write a sentence of its own; production",
        f"{baseline_ref} makes it quote a retrieved sentence. On the same "
        f"{comparison.paired_cases} questions:",
    ]
    for name, label, number in _STORY_METRICS:
        delta = comparison.metric(name)
        if delta is None or delta.baseline is None or delta.candidate is None:
            continue
        test = f", {delta.method} test p = {delta.p_value:.2g}" if delta.p_value is not None else ""
        lines.append(
            f"  {label}: {number.format(delta.baseline)} → {number.format(delta.candidate)}  "
            f"({delta.verdict}{test})"
        )
    gate = next((g for g in evaluation.gates if g.gate.startswith("no_regression")), None)
    command = (
        f"llmops eval run {suite_path()} --target {EVAL_TARGET} "
        "--config support-bot@candidate --baseline support-bot@production"
    )
    if gate is not None and gate.status == "failed":
        lines += [
            "The no_regression gate FAILED: in CI this comparison exits 1 and blocks the merge.",
            "The same check from the shell (it resumes both stored runs; exit code 1):",
            f"  {command}",
        ]
    else:
        status = gate.status if gate is not None else "missing"
        lines.append(f"The no_regression gate {status}: nothing here would block a merge.")
    lines += _flagged_answers(evaluation, shown_cases)
    lines += [
        "What to do: keep production where it is (do not promote the candidate); read the "
        "flagged traces",
        f"and the side-by-side comparison ({UI_URL}/compare?a=support-bot@production"
        "&b=support-bot@candidate);",
        "put the documents back in the prompt (or answer_mode: quote), register the fix with "
        "`llmops config register FILE --alias candidate`,",
        "rerun the command above, and promote with "
        "`llmops config promote support-bot@VERSION --to production` once every gate passes.",
    ]
    return lines


def _flagged_answers(evaluation: EvalRun, shown: int) -> list[str]:
    """The candidate's answers with unsupported claims, each with the claim and its trace."""
    flagged = [
        case
        for case in evaluation.cases
        if (score := case.scores.get("hallucination")) is not None and score.passed is False
    ]
    if not flagged:
        return []
    lines = [
        f"{len(flagged)} answers with unsupported claims; the first {min(shown, len(flagged))}:"
    ]
    for case in flagged[:shown]:
        claims = case.scores["hallucination"].details.get("unsupported_claims") or ["?"]
        lines.append(f"  {case.case.id}: {str(claims[0])[:110]!r}")
        if case.trace_id:
            lines.append(f"    trace {UI_URL}/traces/{case.trace_id}")
    return lines


UI_PAGES = (
    "/",
    "/compare?a=support-bot@production&b=support-bot@candidate",
    "/evals",
    "/monitor",
)


def show_in_ui(pages: tuple[str, ...] = UI_PAGES) -> list[tuple[str, int, int]]:
    """Start the web UI on a free port, fetch ``pages`` over HTTP, stop it.

    Returns:
        ``(url, status, bytes)`` per page: proof the UI renders what the quickstart stored.
    """
    import socket
    import threading
    import time
    import urllib.error
    import urllib.request

    import uvicorn

    from llmops._ui import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="llmops-quickstart-ui")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    shown = []
    try:
        for page in pages:
            url = f"http://127.0.0.1:{port}{page}"
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    shown.append((url, response.status, len(response.read())))
            except urllib.error.HTTPError as exc:
                shown.append((url, exc.code, 0))
    finally:
        server.should_exit = True
        thread.join(10)
    return shown

"""The quickstart agent: a planner, a retrieval tool over bundled documents, an answer step.

Small on purpose, and real: every step is traced into the embedded store, and the trace tree is
printed from what the store holds. Later parts of llmops (a served model, guardrails, config
versions, evals, the UI) hook into this same agent.
"""

from __future__ import annotations

import atexit
import math
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import llmops
from llmops import serving
from llmops._agentconfig import AgentConfig, PromptTemplate
from llmops._configdiff import ConfigDiff
from llmops._configure import active_settings
from llmops._registry import ConfigVersion
from llmops.serving._local import LocalServer

if TYPE_CHECKING:
    from llmops.eval import EvalRun

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "a an and are can do does for how i in is it my of on or the to what when where which who "
    "with you your".split()
)

QUESTIONS = (
    "How do I reset my password?",
    "How much does the Team plan cost per seat?",
    "What happens when I exceed the API rate limit?",
    "Can I pay with bitcoin in Antarctica?",
)


class NoRelevantDocuments(LookupError):
    """The retrieval tool found nothing relevant to the question."""


@dataclass(frozen=True)
class Passage:
    doc: str
    text: str
    score: float


def _terms(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def load_documents() -> dict[str, str]:
    folder = resources.files("llmops") / "_data" / "docs"
    return {
        p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".md")
    }


@llmops.trace(name="plan")
def plan(question: str) -> dict[str, object]:
    """Decide what to look up: the question's content words."""
    return {"steps": ["search_docs", "compose_answer"], "query_terms": _terms(question)}


def _body(markdown: str) -> str:
    """The text of a document without its heading lines."""
    return "\n".join(line for line in markdown.splitlines() if not line.startswith("#"))


@llmops.tool(name="search_docs")
def search_docs(query_terms: list[str], k: int = 2) -> list[Passage]:
    """Rank sentences of the bundled documents by TF-IDF overlap with the query terms."""
    sentences = [
        (doc, " ".join(sentence.split()))
        for doc, text in load_documents().items()
        for sentence in re.split(r"(?<=[.!?])\s+", _body(text))
        if sentence.strip()
    ]
    df = Counter(t for _, s in sentences for t in set(_terms(s)))
    n = len(sentences)
    scored = []
    for doc, sentence in sentences:
        words = set(_terms(sentence))
        score = sum(math.log(1 + n / df[t]) for t in set(query_terms) if t in words)
        if score > 0:
            scored.append(Passage(doc, sentence, round(score, 3)))
    scored.sort(key=lambda p: -p.score)
    # Keep passages that score at least half the best one: close seconds, not filler.
    best = [p for p in scored[:k] if scored and p.score >= scored[0].score / 2]
    if not best or best[0].score < 2.0:
        raise NoRelevantDocuments(f"no document matches {' '.join(query_terms)!r}")
    return best


@llmops.trace(name="compose_answer")
def compose_answer(question: str, passages: list[Passage]) -> Iterator[str]:
    """Stream the answer, citing each passage's document."""
    for passage in passages:
        yield f"{passage.text} [{passage.doc}] "


def quickstart_config() -> AgentConfig:
    """The bundled config of the quickstart agent."""
    path = resources.files("llmops") / "_data" / "quickstart" / "support-bot.yaml"
    with resources.as_file(path) as file:
        return AgentConfig.from_file(file)


def candidate_config(production: AgentConfig) -> AgentConfig:
    """A second version that is cheaper and wrong more often.

    It leaves the retrieved passages out of the prompt (fewer input tokens) and lets the model
    answer in one sentence of its own (``answer_mode: sentence``) instead of quoting the
    documents. A 270M model then invents facts; the eval's hallucination detector and the
    ``no_regression`` gate catch it.
    """
    prompts = dict(production.prompts)
    prompts["user"] = PromptTemplate(
        template="Question: {{question}}\nAnswer in your own words, with helpful details:",
        variables=("question",),
    )
    metadata = {**production.metadata, "answer_mode": "sentence"}
    return production.model_copy(update={"prompts": prompts, "metadata": metadata})


# One sentence of plain text: the model writes it, nothing ties it to the documents.
SENTENCE_GRAMMAR = 'root ::= [A-Z] [^\\n.?!<>*#]+ "."'


def quote_grammar(passages: list[Passage]) -> str:
    """A llama.cpp grammar (GBNF) whose only sentences are the passages, verbatim."""

    def literal(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'

    return "root ::= " + " | ".join(literal(p.text) for p in passages)


def answer_grammar(mode: str, passages: list[Passage]) -> str | None:
    """The grammar that constrains the model's answer under ``metadata.answer_mode``."""
    if mode == "quote":
        return quote_grammar(passages)
    if mode == "sentence":
        return SENTENCE_GRAMMAR
    return None


@dataclass(frozen=True)
class Reply:
    text: str
    passages: list[Passage]


def respond(question: str, config: AgentConfig, api_base: str) -> Reply:
    """Plan, retrieve, compose and ask the model: the agent's steps, each traced."""
    steps = plan(question)
    try:
        passages = search_docs(steps["query_terms"], k=int(config.metadata.get("retrieval_k", 2)))  # type: ignore[arg-type]
    except NoRelevantDocuments:
        llmops.current_span().set_attribute("support_bot.fallback", True)
        return Reply("I could not find that in the documentation; a human will follow up.", [])
    text = "".join(compose_answer(question, passages)).strip()
    grammar = answer_grammar(str(config.metadata.get("answer_mode", "free")), passages)
    extra_body = {"grammar": grammar} if grammar is not None else None
    variables = {"docs": text, "question": question}
    reply = serving.chat(config, variables=variables, api_base=api_base, extra_body=extra_body)
    values = {
        "model_answer": " ".join(reply.text.split()) or "(no answer)",
        "passages": text,
        "sources": ", ".join(sorted({p.doc for p in passages})),
    }
    template = config.prompts["answer"]
    rendered = template.render(**{k: v for k, v in values.items() if k in template.variables})
    return Reply(rendered, passages)


@llmops.agent(name="support-bot", description="Answers product questions from the docs.")
def answer(question: str, config: AgentConfig, api_base: str) -> str:
    return respond(question, config, api_base).text


_model_server: dict[str, str] = {}  # the api_base of the model server this process uses
_model_server_lock = threading.Lock()


def _api_base() -> str:
    """The running quickstart's model server, or one started for this process on first use."""
    with _model_server_lock:
        if "api_base" not in _model_server:
            server = LocalServer(log_dir=Path(active_settings().home) / "serving").start()
            atexit.register(server.stop)
            _model_server["api_base"] = server.api_base
        return _model_server["api_base"]


@llmops.agent(name="support-bot", description="Answers product questions from the docs.")
def support_bot(question: str) -> dict[str, object]:
    """The agent as an eval target, under whichever config version the eval runs.

    ``llmops eval run SUITE --target llmops._quickstart:support_bot --config support-bot@REF``
    runs it as the quickstart does: the answer plus the passages it retrieved (the contexts).
    """
    config = llmops.current_config()
    if not isinstance(config, AgentConfig):
        config = llmops.configs().get("support-bot@production")
    reply = respond(question, config, _api_base())
    return {"answer": reply.text, "contexts": [p.text for p in reply.passages]}


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
        _model_server["api_base"] = server.api_base
        try:
            evaluation = evaluate() if run_eval else None
        finally:
            _model_server.pop("api_base", None)
    llmops.flush()
    return QuickstartRun(session_id, config.ref, answers, registered, diff, evaluation)


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

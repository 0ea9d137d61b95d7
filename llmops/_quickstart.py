"""The quickstart agent: a planner, a retrieval tool over bundled documents, an answer step.

Small on purpose, and real: every step is traced into the embedded store, and the trace tree is
printed from what the store holds. Later parts of llmops (a served model, guardrails, config
versions, evals, the UI) hook into this same agent.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
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


@llmops.tool(name="search_docs")
def search_docs(query_terms: list[str], k: int = 2) -> list[Passage]:
    """Rank sentences of the bundled documents by TF-IDF overlap with the query terms."""
    sentences = [
        (doc, s.strip())
        for doc, text in load_documents().items()
        for s in re.split(r"(?<=[.!?])\s+", text)
        if s.strip() and not s.startswith("#")
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
    """A second version: three passages instead of two, and an answer that lists its sources."""
    prompts = dict(production.prompts)
    prompts["answer"] = PromptTemplate(
        template="{{model_answer}}\n  From the docs: {{passages}}\n  Sources: {{sources}}",
        variables=("model_answer", "passages", "sources"),
    )
    metadata = {**production.metadata, "retrieval_k": 3}
    return production.model_copy(update={"prompts": prompts, "metadata": metadata})


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
    reply = serving.chat(config, variables={"docs": text, "question": question}, api_base=api_base)
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


def eval_target(config: AgentConfig, api_base: str) -> Callable[[str], dict[str, object]]:
    """The agent as an eval target: the answer plus the passages it retrieved (the contexts)."""

    @llmops.agent(name="support-bot", description="Answers product questions from the docs.")
    def support_bot(question: str) -> dict[str, object]:
        reply = respond(question, config, api_base)
        return {"answer": reply.text, "contexts": [p.text for p in reply.passages]}

    support_bot.__qualname__ = (
        "support_bot"  # results name the target llmops._quickstart:support_bot
    )
    return support_bot


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
        evaluation = evaluate(server.api_base) if run_eval else None
    llmops.flush()
    return QuickstartRun(session_id, config.ref, answers, registered, diff, evaluation)


def evaluate(api_base: str) -> EvalRun:
    """The bundled suite on ``production``, then on ``candidate`` compared with it."""
    from llmops.eval import load_suite, run_suite

    path = resources.files("llmops") / "_data" / "quickstart" / "suite.yaml"
    with resources.as_file(path) as file:
        suite = load_suite(file)
    registry = llmops.configs()
    production = registry.get("support-bot@production")
    candidate = registry.get("support-bot@candidate")
    baseline = run_suite(suite, eval_target(production, api_base), config=production)
    return run_suite(suite, eval_target(candidate, api_base), config=candidate, baseline=baseline)


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

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
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import llmops
from llmops import serving
from llmops._agentconfig import AgentConfig, PromptTemplate
from llmops._configure import active_settings
from llmops.serving._local import LocalServer

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "a an and are can do does for how i in is it my of on or the to what when where which who "
    "with you your".split()
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


@contextmanager
def model_server(api_base: str) -> Iterator[None]:
    """Inside the block, ``support_bot`` asks the model server at ``api_base``."""
    _model_server["api_base"] = api_base
    try:
        yield
    finally:
        _model_server.pop("api_base", None)


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

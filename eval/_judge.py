"""The LLM-judge hallucination metric: ragas' faithfulness steps, every call through the gateway.

Two model calls per answer, as in ragas' ``Faithfulness``: the answer is broken into claims
(statements), then each claim gets a verdict (1: the context supports it, 0: it does not) with a
reason. The score is the unsupported fraction. Both calls go through :func:`llmops.serving.chat`
under the judge's config, so they are traced (``chat <model>`` spans carrying the judge config's
version), priced and guarded; their replies are cached on disk (:mod:`._judge_cache`), so the
same prompt, model, config and sampling never cost a second call.

A judge that is down raises :class:`BackendUnavailable`; a reply that cannot be read raises
:class:`ModelCallError` quoting it. Either way the caller marks the metric errored: a failure
never becomes a score.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from llmops._agentconfig import AgentConfig
from llmops._errors import ConfigError, EvalDatasetError, ModelCallError
from llmops.eval._judge_cache import cache_key, default_cache
from llmops.eval._judge_prompts import (
    parse_statements,
    parse_verdicts,
    statements_prompt,
    verdicts_prompt,
)
from llmops.eval._types import Claim, HallucinationResult

T = TypeVar("T")
DEFAULT_MAX_TOKENS = 1024


@dataclass(frozen=True)
class Judge:
    """An LLM judge: a config naming the model (and where it is served), and call options.

    Args:
        config: The judge's agent config; its version identifies the judge in results and
            cache keys. A ``system`` prompt without variables, if it has one, leads each call.
        api_base: Override the config's server URL.
        threshold: ``hallucinated`` is true when the unsupported fraction exceeds this.
        timeout: Seconds per call attempt.
        retries: Extra attempts when the server is unreachable.
        cache: Reuse earlier replies for the same prompt, model, config and sampling.

    Example:
        >>> judge = Judge.from_ref("faithfulness-judge@production")
        >>> judge.check("Paris is in Italy.", ["Paris is the capital of France."]).score
        1.0
    """

    config: AgentConfig
    api_base: str | None = None
    threshold: float = 0.0
    timeout: float = 60.0
    retries: int = 2
    cache: bool = True
    name: str = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.config, AgentConfig):
            raise ConfigError(f"Judge: config must be an AgentConfig, got {type(self.config)}")
        if not 0.0 <= self.threshold < 1.0:
            raise ConfigError(f"Judge: threshold must be in [0, 1), got {self.threshold}")
        object.__setattr__(self, "name", f"judge:{self.config.model.id}")

    @classmethod
    def from_ref(cls, ref: str, **options: Any) -> Judge:
        """A judge from a registered config, ``"name@alias"`` (resolved through MLflow).

        Raises:
            ConfigError: No such config, alias or version.
        """
        from llmops._registry import configs

        return cls(configs().get(ref), **options)

    @property
    def version(self) -> str:
        """The judge config's version (64 hex digits)."""
        return self.config.version

    def overrides(self) -> dict[str, Any]:
        """Sampling for judge calls: the config's, made deterministic and long enough for JSON.

        A temperature or token limit the config sets is kept; unset ones become 0 and
        ``DEFAULT_MAX_TOKENS``.
        """
        sampling = self.config.sampling
        chosen: dict[str, Any] = {}
        if sampling.temperature is None:
            chosen["temperature"] = 0.0
        if sampling.max_tokens is None:
            chosen["max_tokens"] = DEFAULT_MAX_TOKENS
        return chosen

    def sampling(self) -> dict[str, Any]:
        """Every sampling parameter a judge call sends (part of the cache key)."""
        params = self.config.sampling.model_dump(mode="json")
        params.update(self.overrides())
        return params

    def messages(self, prompt: str) -> list[dict[str, Any]]:
        """The chat messages for one judge prompt (the config's fixed system prompt first)."""
        system = self.config.prompts.get("system")
        lead = [] if system is None or system.variables else [
            {"role": "system", "content": system.template}
        ]  # fmt: skip
        return [*lead, {"role": "user", "content": prompt}]

    def check(self, answer: str, contexts: list[str]) -> HallucinationResult:
        """Score ``answer`` against ``contexts`` (see :func:`judge_hallucination`)."""
        return judge_hallucination(answer, contexts, self)


def as_judge(judge: object) -> Judge:
    """A :class:`Judge` from a Judge, an :class:`AgentConfig` or a ``"name@alias"`` reference.

    Raises:
        ConfigError: Anything else, or a reference that does not resolve.
    """
    if isinstance(judge, Judge):
        return judge
    if isinstance(judge, AgentConfig):
        return Judge(judge)
    if isinstance(judge, str):
        if "@" not in judge:
            raise ConfigError(f"judge {judge!r}: expected a config reference 'name@alias'")
        return Judge.from_ref(judge)
    raise ConfigError(
        f"judge must be a Judge, an AgentConfig or a 'name@alias' reference, got {type(judge)}"
    )


@dataclass
class _Calls:
    """What one scoring cost: new calls, cache hits, their traces and price."""

    model_calls: int = 0
    cache_hits: int = 0
    cost_usd: float = 0.0
    trace_ids: list[str] = field(default_factory=list)

    def details(self, judge: Judge) -> dict[str, Any]:
        return {
            "judge": judge.config.ref,
            "model_calls": self.model_calls,
            "cache_hits": self.cache_hits,
            "cost_usd": self.cost_usd,
            "trace_ids": self.trace_ids,
        }


def _ask(judge: Judge, prompt: str, calls: _Calls) -> str:
    """One judge call through the gateway, or its cached reply."""
    from llmops.serving import chat, target_for

    messages = judge.messages(prompt)

    def call() -> dict[str, Any]:
        result = chat(
            judge.config, messages, api_base=judge.api_base, timeout=judge.timeout,
            retries=judge.retries, **judge.overrides(),
        )  # fmt: skip
        return {
            "text": result.text,
            "model": result.model,
            "input_tokens": result.input_tokens,
            "output_tokens": result.output_tokens,
            "cost_usd": result.cost_usd,
            "trace_id": result.trace_id,
            "config_version": judge.version,
            "created": time.time(),
        }

    if judge.cache:
        key = cache_key(messages, target_for(judge.config).model, judge.version, judge.sampling())
        entry, hit = default_cache().get_or_call(key, call)
    else:
        entry, hit = call(), False
    if hit:
        calls.cache_hits += 1
    else:
        calls.model_calls += 1
        calls.cost_usd += float(entry.get("cost_usd") or 0.0)
        calls.trace_ids.append(str(entry.get("trace_id") or ""))
    return str(entry["text"])


def _check_inputs(answer: object, contexts: object) -> list[str]:
    if not isinstance(answer, str):
        raise EvalDatasetError(f"judge_hallucination: answer must be a string, got {type(answer)}")
    if isinstance(contexts, str) or not isinstance(contexts, (list, tuple)):
        raise EvalDatasetError(
            f"judge_hallucination: contexts must be a list of strings, got {type(contexts)}"
        )
    bad = [i for i, c in enumerate(contexts) if not isinstance(c, str)]
    if bad:
        raise EvalDatasetError(f"judge_hallucination: contexts[{bad[0]}] is not a string")
    passages = [c for c in contexts if c.strip()]
    if answer.strip() and not passages:
        raise EvalDatasetError(
            "judge_hallucination: no context given; faithfulness needs at least one passage"
        )
    return passages


def _parsed(judge: Judge, parse: Callable[..., T], *args: Any) -> T:
    try:
        return parse(*args)
    except ModelCallError as exc:  # name the judge: the runner shows this as the metric's error
        raise ModelCallError(f"{judge.name} ({judge.config.ref}): {exc}") from None


def _score(
    judge: Judge, answer: str, passages: list[str], question: str, calls: _Calls
) -> tuple[Claim, ...]:
    statements = _parsed(
        judge, parse_statements, _ask(judge, statements_prompt(answer, question), calls)
    )
    if not statements:
        raise ModelCallError(
            f"{judge.name} ({judge.config.ref}): judge claims: no claims extracted from a "
            "non-empty answer"
        )
    reply = _ask(judge, verdicts_prompt("\n".join(passages), statements), calls)
    verdicts = _parsed(judge, parse_verdicts, reply, statements)
    return tuple(
        Claim(text=s, supported=ok, score=1.0 if ok else 0.0, reasons=(why,) if why else ())
        for s, (ok, why) in zip(statements, verdicts, strict=True)
    )


def judge_hallucination(
    answer: str, contexts: list[str], judge: object, *, question: str = ""
) -> HallucinationResult:
    """Claim-level faithfulness of ``answer`` to ``contexts``, judged by an LLM.

    Thread-safe: the eval runner calls it from worker threads. Each answer costs two model
    calls (claims, then verdicts) unless both replies are cached.

    Args:
        answer: The text to check.
        contexts: The passages the answer should be faithful to.
        judge: A :class:`Judge`, an :class:`AgentConfig`, or a ``"name@alias"`` reference.
        question: The question the answer replies to, if known (helps split it into claims).

    Returns:
        ``HallucinationResult`` with ``detector="judge:<model id>"``, ``version`` the judge
        config's version, ``score`` the unsupported fraction, and each claim's verdict and
        reason. An empty answer has no claims and scores 0 without a call.

    Raises:
        BackendUnavailable: The judge's server cannot be reached.
        ModelCallError: The server failed, or its reply could not be read (quoted).
        EvalDatasetError: ``answer`` or ``contexts`` are malformed, or no context was given.
        ConfigError: ``judge`` is not a judge, or its reference does not resolve.
    """
    from llmops.tracing._context import use_config
    from llmops.tracing._spans import span

    passages = _check_inputs(answer, contexts)
    resolved = as_judge(judge)
    calls = _Calls()
    with use_config(resolved.config), span("judge hallucination") as handle:
        handle.set_attribute("llmops.judge.model", resolved.config.model.id)
        claims = _score(resolved, answer, passages, question, calls) if answer.strip() else ()
        unsupported = sum(1 for c in claims if not c.supported)
        score = unsupported / len(claims) if claims else 0.0
        handle.set_attribute("llmops.judge.cache_hits", calls.cache_hits)
        handle.set_output({"score": score, "claims": len(claims), "unsupported": unsupported})
    return HallucinationResult(
        score=score,
        hallucinated=score > resolved.threshold,
        claims=claims,
        detector=resolved.name,
        version=resolved.version,
        details=calls.details(resolved),
    )

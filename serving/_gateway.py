"""The gateway: a config's model call through litellm, traced as a GenAI ``chat`` span with cost.

``chat`` / ``achat`` return a :class:`ChatResult`; ``chat_stream`` / ``achat_stream`` yield text
chunks and record time to first token. Every call renders the config's prompts, runs under the
config's scope (so the span carries its version), records the messages sent and the answer as
``gen_ai.input.messages`` / ``gen_ai.output.messages``, retries connection failures with
backoff, and closes its span with the error when it fails.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from opentelemetry.trace import SpanKind

from llmops._agentconfig import AgentConfig
from llmops._errors import ConfigError
from llmops.serving import _litellm
from llmops.serving._pricing import price, price_parts
from llmops.tracing import semconv
from llmops.tracing._context import use_config
from llmops.tracing._messages import (
    capturing_outputs,
    record_input_messages,
    record_output_messages,
    text_output,
)
from llmops.tracing._spans import LlmopsSpan, span
from llmops.tracing._state import RUNTIME

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 60.0
_BACKEND_PROVIDERS = {"local": "llama.cpp", "vllm": "vllm"}


@dataclass
class ChatResult:
    """What a model call returned, with the numbers that went on its span."""

    text: str
    model: str
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    usage_estimated: bool = False
    cost_usd: float | None = None
    cost_source: str = "unpriced"
    latency_ms: float = 0.0
    time_to_first_token_ms: float | None = None
    trace_id: str = ""
    response_id: str | None = None
    raw: Any = field(default=None, repr=False)


def target_for(config: AgentConfig, api_base: str | None = None) -> _litellm.Target:
    """litellm's model name and base URL for a config (``provider/served_name``)."""
    model = config.model
    return _litellm.Target(
        model=f"{model.provider}/{model.served_name or model.id}",
        api_base=api_base or model.api_base,
    )


def build_messages(
    config: AgentConfig, messages: list[dict[str, Any]] | None, variables: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Explicit messages, or the config's ``system`` prompt plus its rendered ``user`` prompt."""
    if messages is not None:
        return [dict(m) for m in messages]  # guardrails may redact: never the caller's list
    if "user" not in config.prompts:
        raise ConfigError(f"{config.ref}: pass messages, or give the config a 'user' prompt")
    values = variables or {}
    built = []
    for role, prompt in (("system", "system"), ("user", "user")):
        if prompt in config.prompts:
            declared = config.prompts[prompt].variables
            rendered = config.render(prompt, **{k: v for k, v in values.items() if k in declared})
            built.append({"role": role, "content": rendered})
    return built


def _params(config: AgentConfig, overrides: dict[str, Any]) -> dict[str, Any]:
    sampling = config.sampling
    params = {
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed,
        "stop": list(sampling.stop) or None,
    }
    params.update(overrides)
    return params


def _start_attributes(
    config: AgentConfig, target: _litellm.Target, params: dict[str, Any]
) -> dict[str, Any]:
    return {
        semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_CHAT,
        semconv.GEN_AI_PROVIDER_NAME: _BACKEND_PROVIDERS.get(
            config.serving.backend, config.model.provider
        ),
        semconv.GEN_AI_REQUEST_MODEL: config.model.served_name or config.model.id,
        semconv.GEN_AI_REQUEST_TEMPERATURE: params.get("temperature"),
        semconv.GEN_AI_REQUEST_TOP_P: params.get("top_p"),
        semconv.GEN_AI_REQUEST_MAX_TOKENS: params.get("max_tokens"),
        semconv.GEN_AI_REQUEST_SEED: params.get("seed"),
        semconv.GEN_AI_REQUEST_STOP_SEQUENCES: params.get("stop"),
        "server.address": target.api_base,
    }


def _guard_messages(config: AgentConfig, built: list[dict[str, Any]]) -> None:
    """Screen what users and tools said (not the config's own system prompt), in place."""
    from llmops.guardrails import guard

    screened = [m for m in built if m.get("role") != "system"]
    contents = guard([m.get("content") for m in screened], direction="input", config=config).value
    for message, content in zip(screened, contents, strict=True):
        message["content"] = content


@dataclass
class _Call:
    config: AgentConfig
    target: _litellm.Target
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    handle: LlmopsSpan

    def finish(self, result: ChatResult, started: float) -> ChatResult:
        return _finish(self.config, self.target, self.handle, result, self.messages, started)


@contextmanager
def _call(
    config: AgentConfig,
    messages: list[dict[str, Any]] | None,
    variables: dict[str, Any] | None,
    api_base: str | None,
    overrides: dict[str, Any],
) -> Iterator[_Call]:
    """Everything a model call shares: target, messages and parameters from the config, and
    the CLIENT span under the config's scope with the messages as its input.

    The config's guardrail policy screens the messages first (``input``); a ``redact`` action
    changes them, a ``block`` raises ``GuardrailViolation`` before any call.
    """
    target = target_for(config, api_base)
    _litellm._litellm()  # imported before the span opens: the first call's latency is the call's
    built = build_messages(config, messages, variables)
    params = _params(config, overrides)
    name = f"chat {config.model.served_name or config.model.id}"
    attributes = _start_attributes(config, target, params)
    with use_config(config), span(name, kind=SpanKind.CLIENT, **attributes) as handle:
        if config.guardrails:
            _guard_messages(config, built)
        handle.set_input(built)
        record_input_messages(handle.otel_span, built)
        yield _Call(config, target, built, params, handle)


def _field(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _finish(
    config: AgentConfig,
    target: _litellm.Target,
    handle: LlmopsSpan,
    result: ChatResult,
    messages: list[dict[str, Any]],
    started: float,
) -> ChatResult:
    result.latency_ms = (time.perf_counter() - started) * 1000
    if config.guardrails:
        # Streams were already shown to the caller: there a block or redact comes afterwards.
        from llmops.guardrails import guard

        result.text = guard(result.text, direction="output", config=config).value
    if not result.input_tokens and not result.output_tokens:
        result.input_tokens = _litellm.count_tokens(target.model, messages=messages)
        result.output_tokens = _litellm.count_tokens(target.model, text=result.text)
        result.usage_estimated = True
    result.cost_usd, result.cost_source = price(
        config, target.model, result.input_tokens, result.output_tokens, result.latency_ms / 1000
    )
    result.trace_id = handle.trace_id
    handle.set_usage(input_tokens=result.input_tokens, output_tokens=result.output_tokens)
    handle.set_attribute(semconv.GEN_AI_RESPONSE_MODEL, result.model)
    handle.set_attribute(semconv.GEN_AI_RESPONSE_ID, result.response_id)
    handle.set_attribute(
        semconv.GEN_AI_RESPONSE_FINISH_REASONS, [result.finish_reason or "unknown"]
    )
    handle.set_attribute("llmops.usage.estimated", result.usage_estimated)
    if result.cost_usd is not None:
        parts = price_parts(config, target.model, result.input_tokens, result.output_tokens)
        input_usd, output_usd = parts or (None, None)
        handle.set_cost(
            result.cost_usd, source=result.cost_source, input_usd=input_usd, output_usd=output_usd
        )
    handle.set_attribute(semconv.LLMOPS_TIME_TO_FIRST_ITEM_MS, result.time_to_first_token_ms)
    handle.set_output(result.text)
    if capturing_outputs():
        limit = RUNTIME.capture.max_attribute_bytes
        output = text_output(result.text, result.finish_reason, limit)
        record_output_messages(handle.otel_span, output)
    return result


def _from_response(response: Any, target: _litellm.Target) -> ChatResult:
    choice = (_field(response, "choices") or [None])[0]
    message = _field(choice, "message") if choice is not None else None
    usage = _field(response, "usage")
    result = ChatResult(
        text=(_field(message, "content") or "") if message is not None else "",
        model=_field(response, "model") or target.model,
        finish_reason=_field(choice, "finish_reason") if choice is not None else None,
        input_tokens=int(_field(usage, "prompt_tokens") or 0) if usage is not None else 0,
        output_tokens=int(_field(usage, "completion_tokens") or 0) if usage is not None else 0,
        raw=response,
    )
    result.response_id = _field(response, "id")
    return result


def _with_retries(call: Callable[[], T], retries: int) -> T:
    for attempt in range(retries + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == retries or not _litellm.retryable(exc):
                raise
            time.sleep(0.25 * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def chat(
    config: AgentConfig,
    messages: list[dict[str, Any]] | None = None,
    *,
    variables: dict[str, Any] | None = None,
    api_base: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    retries: int = 2,
    **overrides: Any,
) -> ChatResult:
    """Call the config's model with its prompts and sampling settings; traced, priced.

    Args:
        config: The agent config (model, prompts, sampling, pricing).
        messages: Chat messages; default: the config's ``system`` and rendered ``user`` prompts.
        variables: Values for the prompt templates.
        api_base: Override the config's server URL (e.g. a server started by the tests).
        timeout: Seconds per attempt.
        retries: Extra attempts after a connection failure or timeout (with backoff).
        **overrides: Sampling parameters for this call (``temperature=0``…).

    Raises:
        BackendUnavailable: The server is down or timed out after the retries.
        ContextLengthExceeded: The prompt does not fit the model's context.
        ModelCallError: Any other error the server answered with.
    """
    with _call(config, messages, variables, api_base, overrides) as call:
        started = time.perf_counter()
        response = _with_retries(
            lambda: _litellm.complete(call.target, call.messages, call.params, timeout), retries
        )
        return call.finish(_from_response(response, call.target), started)


async def achat(
    config: AgentConfig,
    messages: list[dict[str, Any]] | None = None,
    *,
    variables: dict[str, Any] | None = None,
    api_base: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    retries: int = 2,
    **overrides: Any,
) -> ChatResult:
    """The async twin of :func:`chat`."""
    with _call(config, messages, variables, api_base, overrides) as call:
        started = time.perf_counter()
        for attempt in range(retries + 1):
            try:
                response = await _litellm.acomplete(
                    call.target, call.messages, call.params, timeout
                )
                break
            except Exception as exc:
                if attempt == retries or not _litellm.retryable(exc):
                    raise
                await asyncio.sleep(0.25 * 2**attempt)
        return call.finish(_from_response(response, call.target), started)


class _StreamState:
    def __init__(self, target: _litellm.Target) -> None:
        self.result = ChatResult(text="", model=target.model)
        self.parts: list[str] = []
        self.started = time.perf_counter()

    def take(self, chunk: Any) -> str:
        choice = (_field(chunk, "choices") or [None])[0]
        delta = _field(choice, "delta") if choice is not None else None
        text = (_field(delta, "content") or "") if delta is not None else ""
        if text and self.result.time_to_first_token_ms is None:
            self.result.time_to_first_token_ms = (time.perf_counter() - self.started) * 1000
        if choice is not None and _field(choice, "finish_reason"):
            self.result.finish_reason = _field(choice, "finish_reason")
        if model := _field(chunk, "model"):
            self.result.model = model
        self.result.response_id = self.result.response_id or _field(chunk, "id")
        usage = _field(chunk, "usage")
        if usage is not None and _field(usage, "prompt_tokens"):
            self.result.input_tokens = int(_field(usage, "prompt_tokens") or 0)
            self.result.output_tokens = int(_field(usage, "completion_tokens") or 0)
        self.parts.append(text)
        return text


def chat_stream(
    config: AgentConfig,
    messages: list[dict[str, Any]] | None = None,
    *,
    variables: dict[str, Any] | None = None,
    api_base: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    **overrides: Any,
) -> Iterator[str]:
    """Stream the answer's text; the span records time to first token and the final usage."""
    with _call(config, messages, variables, api_base, overrides) as call:
        state = _StreamState(call.target)
        for chunk in _litellm.stream(call.target, call.messages, call.params, timeout):
            text = state.take(chunk)
            if text:
                yield text
        state.result.text = "".join(state.parts)
        call.finish(state.result, state.started)


async def achat_stream(
    config: AgentConfig,
    messages: list[dict[str, Any]] | None = None,
    *,
    variables: dict[str, Any] | None = None,
    api_base: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    **overrides: Any,
) -> AsyncIterator[str]:
    """The async twin of :func:`chat_stream`."""
    with _call(config, messages, variables, api_base, overrides) as call:
        state = _StreamState(call.target)
        async for chunk in _litellm.astream(call.target, call.messages, call.params, timeout):
            text = state.take(chunk)
            if text:
                yield text
        state.result.text = "".join(state.parts)
        call.finish(state.result, state.started)

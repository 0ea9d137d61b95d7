"""The one module that talks to litellm. Nothing else in llmops imports it.

litellm is imported lazily (it takes seconds), offline-safe: its bundled price map instead of a
network fetch, and tiktoken's encodings from the files litellm ships.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from llmops._errors import BackendUnavailable, ContextLengthExceeded, ModelCallError


@cache
def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
    except ImportError:  # pragma: no cover - depends on the install
        raise ModelCallError("model calls need litellm: pip install 'llmops[serving]'") from None
    package = os.path.dirname(litellm.__file__)
    tokenizers = os.path.join(package, "litellm_core_utils", "tokenizers")
    os.environ.setdefault("CUSTOM_TIKTOKEN_CACHE_DIR", tokenizers)
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", tokenizers)
    litellm.telemetry = False
    litellm.suppress_debug_info = True
    litellm.drop_params = True  # servers that do not know a sampling option ignore it
    return litellm


def litellm_version() -> str:
    from importlib.metadata import version

    return version("litellm")


@dataclass(frozen=True)
class Target:
    """Where a call goes: litellm's ``provider/model`` name and an OpenAI-compatible base URL."""

    model: str
    api_base: str | None
    api_key: str | None = None


def _translate(exc: Exception, target: Target) -> Exception:
    """litellm's exception → an llmops error naming the server and the model."""
    litellm = _litellm()
    where = f"{target.model} at {target.api_base or 'the provider'}"
    message = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    if isinstance(exc, litellm.ContextWindowExceededError):
        return ContextLengthExceeded(f"{where}: prompt too long for the context window ({message})")
    unavailable = (
        litellm.APIConnectionError,
        litellm.Timeout,
        litellm.ServiceUnavailableError,
        litellm.InternalServerError,
    )
    if isinstance(exc, unavailable):
        return BackendUnavailable(f"{where}: {message}")
    if isinstance(exc, litellm.NotFoundError):
        return ModelCallError(f"{where}: unknown model ({message})")
    if isinstance(exc, litellm.RateLimitError):
        return BackendUnavailable(f"{where}: rate limited ({message})")
    text = message.lower()
    if "context" in text and ("length" in text or "window" in text or "exceed" in text):
        return ContextLengthExceeded(f"{where}: {message}")
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return BackendUnavailable(f"{where}: {message}")
    return ModelCallError(f"{where}: {message}")


def retryable(exc: Exception) -> bool:
    return isinstance(exc, BackendUnavailable)


def _kwargs(target: Target, params: dict[str, Any], timeout: float) -> dict[str, Any]:
    kwargs = {k: v for k, v in params.items() if v is not None and v != ()}
    kwargs.update(model=target.model, timeout=timeout, num_retries=0)
    if target.api_base:
        kwargs["api_base"] = target.api_base
    kwargs["api_key"] = target.api_key or "not-needed"
    return kwargs


def complete(target: Target, messages: list[dict[str, Any]], params: dict[str, Any],
             timeout: float) -> Any:  # fmt: skip
    try:
        return _litellm().completion(messages=messages, **_kwargs(target, params, timeout))
    except Exception as exc:
        raise _translate(exc, target) from None


async def acomplete(target: Target, messages: list[dict[str, Any]], params: dict[str, Any],
                    timeout: float) -> Any:  # fmt: skip
    try:
        return await _litellm().acompletion(messages=messages, **_kwargs(target, params, timeout))
    except Exception as exc:
        raise _translate(exc, target) from None


def stream(target: Target, messages: list[dict[str, Any]], params: dict[str, Any],
           timeout: float) -> Iterator[Any]:  # fmt: skip
    kwargs = _kwargs(target, params, timeout)
    try:
        chunks = _litellm().completion(
            messages=messages, stream=True, stream_options={"include_usage": True}, **kwargs
        )
        yield from chunks
    except Exception as exc:
        raise _translate(exc, target) from None
    _check_finished(chunks, target)


async def astream(target: Target, messages: list[dict[str, Any]], params: dict[str, Any],
                  timeout: float) -> AsyncIterator[Any]:  # fmt: skip
    kwargs = _kwargs(target, params, timeout)
    try:
        chunks = await _litellm().acompletion(
            messages=messages, stream=True, stream_options={"include_usage": True}, **kwargs
        )
        async for chunk in chunks:
            yield chunk
    except Exception as exc:
        raise _translate(exc, target) from None
    _check_finished(chunks, target)


def _check_finished(chunks: Any, target: Target) -> None:
    # Every finished OpenAI-style stream ends with a finish reason from the server. litellm adds a
    # synthetic "stop" when none came (the server went away mid-answer); its stream wrapper
    # records whether the server sent one.
    received = getattr(chunks, "received_finish_reason", "unknown")
    intermittent = getattr(chunks, "intermittent_finish_reason", None)
    if received is None and intermittent is None:
        raise BackendUnavailable(
            f"{target.model} at {target.api_base}: the stream ended before the model finished"
        )


def price_from_map(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """Cost in USD from litellm's bundled price map, or None when the model is not in it."""
    litellm = _litellm()
    try:
        prompt, completion = litellm.cost_per_token(
            model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
    except Exception:  # unknown model: not priced, not an error
        return None
    return float(prompt) + float(completion)


def count_tokens(model: str, messages: list[dict[str, Any]] | None = None,
                 text: str | None = None) -> int:  # fmt: skip
    """Tokens by tiktoken (litellm's bundled encodings) when a server returns no usage."""
    litellm = _litellm()
    if text is not None:
        return int(litellm.token_counter(model=model, text=text))
    return int(litellm.token_counter(model=model, messages=messages or []))

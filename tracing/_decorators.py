"""``@trace``, ``@agent``, ``@tool`` and ``@llm``: functions in, OpenTelemetry spans out.

The recipe (after logfire's ``instrument`` and openinference's ``@tracer.agent``): bare or with
keyword-only options, the signature kept, one explicit wrapper per kind of function (sync and
async here; generators and async generators in :mod:`llmops.tracing._streams`), the argument
binder built once at decoration time, and a
fast path that captures nothing when the span is not recording. Whatever goes wrong inside
llmops is counted, never raised; the user's own exceptions are recorded and re-raised unchanged.
"""

from __future__ import annotations

import functools
import inspect
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any, TypeVar, overload

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind
from typing_extensions import ParamSpec

from llmops._errors import ConfigError
from llmops._internal import STATS, handle_internal_errors, internal_error
from llmops.tracing import semconv
from llmops.tracing._capture import (
    ArgumentBinder,
    ArgumentRebinder,
    argument_binder,
    argument_rebinder,
    clean_text,
    clean_value,
    to_json,
)
from llmops.tracing._context import (
    config_attributes,
    policy_in_scope,
    scoped_context,
    screen,
    with_policy,
)
from llmops.tracing._messages import (
    capturing_outputs,
    output_messages,
    record_model_request,
    record_output_messages,
)
from llmops.tracing._spans import record_error, set_clean_attributes
from llmops.tracing._state import RUNTIME, get_tracer

P = ParamSpec("P")
R = TypeVar("R")

OutputHook = Callable[[Span, Any], None]
InputHook = Callable[[Span, Mapping[str, Any]], None]  # the span, the call's bound arguments


@dataclass(frozen=True)
class _SpanSpec:
    """Everything about a decorated function's span that is fixed at decoration time."""

    name: str
    kind: SpanKind
    attributes: Mapping[str, Any]
    capture_input: bool | None
    capture_output: bool | None
    binder: ArgumentBinder
    output_hook: OutputHook | None = None
    scope: Mapping[str, Any] | None = None  # stamped on every span started inside the call
    policy_config: Any = None  # an agent config whose guardrail policy applies inside the call
    screens: tuple[str, str] | None = None  # guardrail directions for (arguments, result)
    rebinder: ArgumentRebinder | None = None  # puts redacted arguments back into a call
    input_hook: InputHook | None = None  # reads the arguments when the input is captured


def _span_context(spec: _SpanSpec, span: Span) -> Context:
    ctx = otel_trace.set_span_in_context(span)
    if spec.policy_config is not None:
        ctx = with_policy(ctx, spec.policy_config)
    return ctx if spec.scope is None else scoped_context(ctx, spec.scope)


Payload = tuple[str, bool]  # JSON text, truncated


def _start(
    spec: _SpanSpec, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Span, object, Payload | None]:
    """Start the span and make it current; serialise the arguments now (they may change later).

    The input is set on the span together with the output in :func:`_finish`: one attribute
    update instead of two on the hot path.
    """
    if _ABANDONED:
        end_abandoned_streams()
    tracer = RUNTIME.tracer or get_tracer()
    span = tracer.start_span(spec.name, kind=spec.kind, attributes=spec.attributes)
    token = otel_context.attach(_span_context(spec, span))
    payload = None
    if span.is_recording():
        capture = spec.capture_input
        if capture is None:
            capture = RUNTIME.capture.inputs
        if capture:
            bound = spec.binder(args, kwargs)
            payload = to_json(bound, RUNTIME.capture.max_attribute_bytes)
            if spec.input_hook is not None:
                with handle_internal_errors("decorator.input_hook"):
                    spec.input_hook(span, bound)
    return span, token, payload


def _finish(
    spec: _SpanSpec,
    span: Span,
    token: object | None,
    payload: Payload | None,
    result: Any,
    has_result: bool,
    run_hook: bool = True,
    result_cut: bool = False,
    end_ns: int | None = None,
) -> None:
    """Record the output (``result_cut``: the result is already shortened) and end the span."""
    try:
        if span.is_recording():
            if has_result and run_hook and spec.output_hook is not None:
                spec.output_hook(span, result)
            output = None
            if has_result:
                capture = spec.capture_output
                if capture is None:
                    capture = RUNTIME.capture.outputs
                if capture:
                    text, truncated = to_json(result, RUNTIME.capture.max_attribute_bytes)
                    output = (text, truncated or result_cut)
            _set_payloads(span, payload, output)
    except Exception:
        internal_error("decorator.finish")
    finally:
        if token is not None:
            otel_context.detach(token)  # type: ignore[arg-type]
        span.end(end_ns)


def _set_payloads(span: Span, payload: Payload | None, output: Payload | None) -> None:
    """Input and output in one attribute update: JSON text from :func:`to_json`, valid as is."""
    attributes: dict[str, Any] = {}
    truncated: tuple[str, ...] = ()
    for key, value in ((semconv.INPUT_VALUE, payload), (semconv.OUTPUT_VALUE, output)):
        if value is not None:
            attributes[key] = value[0]
            if value[1]:
                truncated += (key,)
    if truncated:  # after any marks set during the call (the input messages', set_attribute's)
        marked = (getattr(span, "attributes", None) or {}).get(semconv.LLMOPS_TRUNCATED, ())
        attributes[semconv.LLMOPS_TRUNCATED] = (*marked, *(k for k in truncated if k not in marked))
    if attributes:
        set_clean_attributes(span, attributes)


def _account(start_ns: int, call_ns: int) -> None:
    STATS.overhead_ns += perf_counter_ns() - start_ns - call_ns
    STATS.overhead_calls += 1


def _screen_arguments(
    spec: _SpanSpec, args: Any, kwargs: Any, payload: Payload | None
) -> tuple[Any, Any, Payload | None]:
    """Apply the policy to the call's arguments; a redaction reaches the function and the span.

    Raises:
        GuardrailViolation: The policy blocks these arguments.
    """
    bound = spec.binder(args, kwargs)
    screened = screen(spec.screens[0], bound)  # type: ignore[index]
    if screened is bound or spec.rebinder is None:
        return args, kwargs, payload
    args, kwargs = spec.rebinder(args, kwargs, screened)
    if payload is not None:  # the span shows what the function received
        payload = to_json(screened, RUNTIME.capture.max_attribute_bytes)
        if spec.input_hook is not None:  # the span is current while its arguments are screened
            with handle_internal_errors("decorator.input_hook"):
                spec.input_hook(otel_trace.get_current_span(), screened)
    return args, kwargs, payload


def _wrap_sync(func: Callable[P, R], spec: _SpanSpec) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        t0 = perf_counter_ns()
        try:
            span, token, payload = _start(spec, args, kwargs)
        except Exception:
            internal_error("decorator.start")
            return func(*args, **kwargs)
        t1 = perf_counter_ns()
        try:
            screened = spec.screens is not None and policy_in_scope()
            if screened:
                args, kwargs, payload = _screen_arguments(spec, args, kwargs, payload)
            result = func(*args, **kwargs)
            if screened:
                result = screen(spec.screens[1], result)  # type: ignore[index]
        except BaseException as exc:
            t2 = perf_counter_ns()
            record_error(span, exc)
            _finish(spec, span, token, payload, None, has_result=False)
            _account(t0, t2 - t1)
            raise
        t2 = perf_counter_ns()
        _finish(spec, span, token, payload, result, has_result=True)
        _account(t0, t2 - t1)
        return result

    return wrapper


def _wrap_async(func: Callable[P, Any], spec: _SpanSpec) -> Callable[P, Any]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        t0 = perf_counter_ns()
        try:
            span, token, payload = _start(spec, args, kwargs)
        except Exception:
            internal_error("decorator.start")
            return await func(*args, **kwargs)
        t1 = perf_counter_ns()
        try:
            screened = spec.screens is not None and policy_in_scope()
            if screened:
                args, kwargs, payload = _screen_arguments(spec, args, kwargs, payload)
            result = await func(*args, **kwargs)
            if screened:
                result = screen(spec.screens[1], result)  # type: ignore[index]
        except BaseException as exc:
            t2 = perf_counter_ns()
            record_error(span, exc)
            _finish(spec, span, token, payload, None, has_result=False)
            _account(t0, t2 - t1)
            raise
        t2 = perf_counter_ns()
        _finish(spec, span, token, payload, result, has_result=True)
        _account(t0, t2 - t1)
        return result

    return wrapper


# Spans of streams collected before their first step. Collection may run anywhere (inside a
# garbage-collection pass, on a thread holding one of the pipeline's locks), so the finalizer
# only queues them; the next traced call or flush() ends them, with the time they were dropped.
_ABANDONED: deque[tuple[Any, int]] = deque()


def end_abandoned_streams() -> None:
    """End the spans of streams that were collected without ever being iterated."""
    while _ABANDONED:
        try:
            recorder, dropped_ns = _ABANDONED.popleft()
        except IndexError:  # another thread took the last one
            return
        recorder.end_ns = dropped_ns
        recorder.close(None)


def _decorate(func: Any, spec_factory: Callable[[Callable[..., Any]], _SpanSpec]) -> Any:
    if isinstance(func, (staticmethod, classmethod)):
        # Placed above @staticmethod / @classmethod: trace the function, keep the descriptor.
        return type(func)(_decorate(func.__func__, spec_factory))
    if not callable(func) or isinstance(func, (str, bytes)):
        raise ConfigError(
            f"llmops decorators take a function; got {type(func).__name__} {func!r:.60}. "
            "Use @llmops.trace or @llmops.trace(name='...')."
        )
    spec = spec_factory(func)
    # A function decorated already by llmops is a plain function returning a stream: its mark
    # (copied by functools.wraps) says which kind, where inspect no longer can.
    from llmops.tracing._streams import STREAM_MARK, wrap_stream

    stream = getattr(func, STREAM_MARK, None)
    kind = _unwrapped(func)  # a partial or a callable instance: what it calls decides
    if stream == "async" or (stream is None and inspect.isasyncgenfunction(kind)):
        return wrap_stream(func, spec, "async")
    if stream == "sync" or inspect.isgeneratorfunction(kind):
        return wrap_stream(func, spec, "sync")
    if inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(kind):
        return _wrap_async(func, spec)
    return _wrap_sync(func, spec)


def _unwrapped(func: Any) -> Any:
    """What names and kinds a callable: a ``functools.partial``'s function, a callable
    instance's ``__call__`` (never the instance's repr, which holds its memory address)."""
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.isroutine(func) or isinstance(func, type):
        return func
    return type(func).__call__  # callable, checked by the caller


def _qualname(func: Callable[..., Any]) -> str:
    own = getattr(func, "__qualname__", None)  # a wrapper made by functools.update_wrapper too
    if isinstance(own, str) and own:
        return own
    target = _unwrapped(func)
    if target is not func and not isinstance(func, functools.partial):
        return type(func).__qualname__  # a callable instance: its class names it
    return getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or "call"


def _short_name(func: Callable[..., Any], default: str) -> str:
    """The function's own name (a tool's or an agent's name), through partials and instances."""
    name = getattr(func, "__name__", None)
    if isinstance(name, str):
        return name
    return _qualname(func).rsplit(".", 1)[-1] or default


def _docstring(func: Callable[..., Any]) -> str | None:
    doc = inspect.getdoc(func)
    return doc.strip().split("\n\n")[0] if doc else None


def _check_options(decorator: str, name: Any, attributes: Any) -> None:
    """Reject wrong options where the decorator is written, not at its first call.

    Raises:
        ConfigError: ``name`` is not a string, or ``attributes`` not a mapping with string keys.
    """
    if name is not None and not isinstance(name, str):
        raise ConfigError(
            f"llmops.{decorator}(name=...) takes a string span name; got {type(name).__name__}"
        )
    if attributes is None:
        return
    if not isinstance(attributes, Mapping):
        raise ConfigError(
            f"llmops.{decorator}(attributes=...) takes a mapping of attribute names to values, "
            f"e.g. {{'team': 'search'}}; got {type(attributes).__name__}"
        )
    for key in attributes:
        if not isinstance(key, str):
            raise ConfigError(
                f"llmops.{decorator}(attributes=...): attribute names are strings; "
                f"got {type(key).__name__} {key!r:.60}"
            )


def _make_decorator(func: Any, build: Callable[[Callable[..., Any]], _SpanSpec]) -> Any:
    if func is None:
        return lambda f: _decorate(f, build)
    return _decorate(func, build)


def _spec(
    func: Callable[..., Any],
    *,
    name: str,
    kind: SpanKind,
    attributes: Mapping[str, Any],
    capture_input: bool | None,
    capture_output: bool | None,
    output_hook: OutputHook | None = None,
    scope: Mapping[str, Any] | None = None,
    policy_config: Any = None,
    screens: tuple[str, str] | None = None,
    input_hook: InputHook | None = None,
) -> _SpanSpec:
    clean = {clean_text(k): clean_value(v) for k, v in attributes.items() if v is not None}
    for key, value in clean.items():
        if not isinstance(value, (str, bool, int, float)) and not (
            isinstance(value, (list, tuple))
            and all(isinstance(v, (str, bool, int, float)) for v in value)
        ):
            raise ConfigError(
                f"attribute {key!r} of {name!r}: {type(value).__name__} is not a primitive "
                "OpenTelemetry attribute value (str, bool, int, float or a list of them)"
            )
    return _SpanSpec(
        name=clean_text(name),
        kind=kind,
        attributes=clean,
        capture_input=capture_input,
        capture_output=capture_output,
        binder=argument_binder(func),
        output_hook=output_hook,
        scope=scope,
        policy_config=policy_config,
        screens=screens,
        rebinder=argument_rebinder(func) if screens is not None else None,
        input_hook=input_hook,
    )


# --- public decorators ------------------------------------------------------------------------


@overload
def trace(func: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def trace(
    *,
    name: str | None = None,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def trace(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Any:
    """Trace a function: each call becomes a span named after it, nested under the caller's.

    Args:
        func: The function (when used bare, ``@llmops.trace``).
        name: Span name; default the function's qualified name.
        capture_input: Record the arguments as ``input.value`` (default: the configured setting).
        capture_output: Record the return value as ``output.value``.
        attributes: Attributes set on every span of this function.

    Example:
        >>> @llmops.trace
        ... def plan(question: str) -> list[str]:
        ...     return ["search", "answer"]
    """

    _check_options("trace", name, attributes)

    def build(f: Callable[..., Any]) -> _SpanSpec:
        return _spec(
            f,
            name=name or _qualname(f),
            kind=SpanKind.INTERNAL,
            attributes=dict(attributes or {}),
            capture_input=capture_input,
            capture_output=capture_output,
        )

    return _make_decorator(func, build)


@overload
def agent(func: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def agent(
    *,
    name: str | None = None,
    version: str | None = None,
    description: str | None = None,
    config: Any = None,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def agent(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    version: str | None = None,
    description: str | None = None,
    config: Any = None,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Any:
    """Trace an agent's entry point as an ``invoke_agent`` span (``gen_ai.agent.*``).

    Args:
        config: An ``llmops.AgentConfig``: its name and version go on this span and on every
            span started inside the call (as ``llmops.use_config`` does), and name the agent.

    Example:
        >>> @llmops.agent(name="support-bot")
        ... def answer(question: str) -> str: ...
    """
    _check_options("agent", name, attributes)
    scope = config_attributes(config) if config is not None else None

    def build(f: Callable[..., Any]) -> _SpanSpec:
        agent_name = name or (config.name if config is not None else None)
        agent_name = agent_name or _short_name(f, "agent")
        agent_version = version or (scope or {}).get(semconv.GEN_AI_AGENT_VERSION)
        return _spec(
            f,
            name=f"{semconv.OPERATION_INVOKE_AGENT} {agent_name}",
            kind=SpanKind.INTERNAL,
            attributes={
                semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_INVOKE_AGENT,
                **(scope or {}),
                semconv.GEN_AI_AGENT_NAME: agent_name,
                semconv.GEN_AI_AGENT_VERSION: agent_version,
                semconv.GEN_AI_AGENT_DESCRIPTION: description or _docstring(f),
                **(attributes or {}),
            },
            capture_input=capture_input,
            capture_output=capture_output,
            scope=scope,
            policy_config=config,
        )

    return _make_decorator(func, build)


@overload
def tool(func: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def tool(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Any:
    """Trace a tool as an ``execute_tool`` span (``gen_ai.tool.*``).

    Example:
        >>> @llmops.tool
        ... def search(query: str, k: int = 3) -> list[str]: ...
    """

    _check_options("tool", name, attributes)

    def build(f: Callable[..., Any]) -> _SpanSpec:
        tool_name = name or _short_name(f, "tool")
        return _spec(
            f,
            name=f"{semconv.OPERATION_EXECUTE_TOOL} {tool_name}",
            kind=SpanKind.INTERNAL,
            attributes={
                semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_EXECUTE_TOOL,
                semconv.GEN_AI_TOOL_NAME: tool_name,
                semconv.GEN_AI_TOOL_TYPE: "function",
                semconv.GEN_AI_TOOL_DESCRIPTION: description or _docstring(f),
                **(attributes or {}),
            },
            capture_input=capture_input,
            capture_output=capture_output,
            screens=("tool_args", "tool_result"),
        )

    return _make_decorator(func, build)


@overload
def llm(func: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def llm(
    *,
    name: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    operation: str = semconv.OPERATION_CHAT,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def llm(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    operation: str = semconv.OPERATION_CHAT,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Any:
    """Trace a model call as a ``chat`` (or ``text_completion``…) client span.

    Usage, response model, id and finish reasons are read from an OpenAI-style return value
    (an object or dict with ``usage``, ``model``, ``id``, ``choices``) when there is one;
    otherwise record them with ``llmops.current_span().set_usage(...)``. OpenAI-style
    ``messages`` among the arguments (and ``system`` or ``instructions``) and the returned
    ``choices`` are recorded as ``gen_ai.input.messages`` / ``gen_ai.output.messages`` (off with
    ``capture_messages=False``, or with the input or output capture).

    Example:
        >>> @llmops.llm(model="gemma-3-270m", provider="llama.cpp")
        ... def complete(prompt: str) -> dict: ...
    """

    _check_options("llm", name, attributes)

    def build(f: Callable[..., Any]) -> _SpanSpec:
        return _spec(
            f,
            name=f"{operation} {name or model or _short_name(f, 'llm')}",
            kind=SpanKind.CLIENT,
            attributes={
                semconv.GEN_AI_OPERATION_NAME: operation,
                semconv.GEN_AI_REQUEST_MODEL: model,
                semconv.GEN_AI_PROVIDER_NAME: provider,
                **(attributes or {}),
            },
            capture_input=capture_input,
            capture_output=capture_output,
            output_hook=(
                record_model_response
                if capture_output is None
                else functools.partial(record_model_response, capture_output=capture_output)
            ),
            screens=("input", "output"),
            input_hook=record_model_request,
        )

    return _make_decorator(func, build)


def _field(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _first_field(obj: Any, *keys: str) -> Any:
    """The first of ``keys`` that ``obj`` has a value for (0 counts: it is a value)."""
    for key in keys:
        value = _field(obj, key)
        if value is not None:
            return value
    return None


def record_model_response(span: Span, response: Any, *, capture_output: bool | None = None) -> None:
    """Read usage, model, id, finish reasons and the messages from an OpenAI-style response,
    if it is one (the messages unless ``capture_output`` or the settings say otherwise)."""
    usage = _field(response, "usage")
    if usage is not None:
        input_tokens = _first_field(usage, "prompt_tokens", "input_tokens")
        output_tokens = _first_field(usage, "completion_tokens", "output_tokens")
        if isinstance(input_tokens, int):
            span.set_attribute(semconv.GEN_AI_USAGE_INPUT_TOKENS, input_tokens)
        if isinstance(output_tokens, int):
            span.set_attribute(semconv.GEN_AI_USAGE_OUTPUT_TOKENS, output_tokens)
    model = _field(response, "model")
    if isinstance(model, str):
        span.set_attribute(semconv.GEN_AI_RESPONSE_MODEL, clean_text(model))
    response_id = _field(response, "id")
    if isinstance(response_id, str):
        span.set_attribute(semconv.GEN_AI_RESPONSE_ID, clean_text(response_id))
    choices = _field(response, "choices")
    if isinstance(choices, (list, tuple)):
        reasons = [
            clean_text(r)
            for r in (_field(c, "finish_reason") for c in choices)
            if isinstance(r, str)
        ]
        if reasons:
            span.set_attribute(semconv.GEN_AI_RESPONSE_FINISH_REASONS, reasons)
        if capturing_outputs(capture_output):
            limit = RUNTIME.capture.max_attribute_bytes
            record_output_messages(span, output_messages(response, limit))

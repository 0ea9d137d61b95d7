"""Context that rides along with spans: session, user, tags, and trace propagation.

Session, user and tags are kept in the OpenTelemetry context (not in W3C baggage, so they never
leave the process in the headers of unrelated HTTP calls) and stamped on every span started
inside the scope by :class:`llmops.tracing.ExportPipeline`. They cross threads with
:func:`wrap_executor` / :func:`bind_context`, and processes with :func:`inject` /
:func:`continue_trace`.
"""

from __future__ import annotations

import contextvars
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
from opentelemetry import context as otel_context
from opentelemetry import trace
from typing_extensions import ParamSpec

from llmops import _hooks
from llmops._errors import ConfigError
from llmops.tracing import semconv
from llmops.tracing._capture import clean_text

P = ParamSpec("P")
R = TypeVar("R")

_ATTRIBUTES_KEY = otel_context.create_key("llmops-context-attributes")
_POLICY_KEY = otel_context.create_key("llmops-guardrail-config")
_CONFIG_KEY = otel_context.create_key("llmops-config")
_CARRIER_KEY = "llmops-attributes"
_ENV_KEYS = {
    "traceparent": "TRACEPARENT",
    "tracestate": "TRACESTATE",
    _CARRIER_KEY: "LLMOPS_CONTEXT",
}


def context_attributes(ctx: otel_context.Context | None = None) -> Mapping[str, Any]:
    """The attributes that spans started in ``ctx`` (default: now) will be stamped with."""
    value = otel_context.get_value(_ATTRIBUTES_KEY, ctx)
    return value if isinstance(value, dict) else {}


def scoped_context(
    ctx: otel_context.Context, attributes: Mapping[str, Any]
) -> otel_context.Context:
    """``ctx`` with ``attributes`` merged into the scope stamped on spans started in it."""
    merged = dict(context_attributes(ctx))
    for key, value in attributes.items():
        if value is None:
            continue
        if key == semconv.LLMOPS_TAGS:
            previous = list(merged.get(key, ()))
            value = previous + [t for t in value if t not in previous]
        merged[key] = value
    return otel_context.set_value(_ATTRIBUTES_KEY, merged, ctx)


def stamp(span: Any, attributes: Mapping[str, Any]) -> None:
    """Set the scope's attributes on ``span``; what the span set itself wins (tags merge)."""
    own = getattr(span, "attributes", None) or {}
    if own:
        missing = {k: v for k, v in attributes.items() if k not in own}
        tags = attributes.get(semconv.LLMOPS_TAGS)
        if tags and semconv.LLMOPS_TAGS in own:
            previous = list(own[semconv.LLMOPS_TAGS])
            missing[semconv.LLMOPS_TAGS] = previous + [t for t in tags if t not in previous]
        attributes = missing
    if attributes:
        span.set_attributes(attributes)


def config_attributes(config: Any) -> dict[str, Any]:
    """The attributes that tie spans to an agent config (anything with ``name``/``version``).

    Raises:
        ConfigError: ``config`` has no name or no version (it is not an ``llmops.AgentConfig``).
    """
    name = getattr(config, "name", None)
    version = getattr(config, "version", None)
    if name is None or version is None:
        raise ConfigError(
            "an agent config must be an llmops.AgentConfig (or have a name and a version); "
            f"got {type(config).__name__}"
        )
    name, version = clean_text(str(name)), clean_text(str(version))
    return {
        semconv.LLMOPS_CONFIG_NAME: name,
        semconv.LLMOPS_CONFIG_VERSION: version,
        semconv.GEN_AI_AGENT_NAME: name,
        semconv.GEN_AI_AGENT_VERSION: version[:12],
    }


@contextmanager
def use_config(config: Any) -> Iterator[Any]:
    """Run the block under an agent config: every span started inside (threads and processes
    through the context helpers included) carries its name and version, and
    :func:`current_config` returns it.

    Example:
        >>> cfg = llmops.configs().get("support-bot@production")
        >>> with llmops.use_config(cfg):
        ...     answer("hi")
    """
    ctx = otel_context.set_value(_CONFIG_KEY, config)
    if getattr(config, "guardrails", None):
        ctx = otel_context.set_value(_POLICY_KEY, config, ctx)
    token = otel_context.attach(ctx)
    try:
        with with_attributes(**config_attributes(config)):
            yield config
    finally:
        otel_context.detach(token)


def current_config() -> Any:
    """The agent config of the innermost :func:`use_config` block, or ``None`` outside one.

    An agent that reads its prompts and settings from here runs unchanged under any version,
    as ``llmops eval run --config NAME@REF --target module:function`` runs it.

    Example:
        >>> with llmops.use_config(cfg):
        ...     llmops.current_config() is cfg
        True
    """
    return otel_context.get_value(_CONFIG_KEY)


def with_policy(ctx: otel_context.Context, config: Any) -> otel_context.Context:
    """``ctx`` where ``config``'s guardrail policy applies to traced tools and model calls."""
    if not getattr(config, "guardrails", None):
        return ctx
    return otel_context.set_value(_POLICY_KEY, config, ctx)


def policy_in_scope() -> bool:
    """Whether an agent config with a guardrail policy is in scope (one context lookup)."""
    return otel_context.get_value(_POLICY_KEY) is not None


def screen(direction: str, value: Any) -> Any:
    """Apply the guardrail policy in scope (if any) to ``value``; may raise GuardrailViolation."""
    config = otel_context.get_value(_POLICY_KEY)
    if config is None:
        return value
    guard = _hooks.require("screen")  # the guardrails' guard(value, direction=, config=)
    return guard(value, direction=direction, config=config).value


@contextmanager
def with_attributes(**attributes: Any) -> Iterator[None]:
    """Stamp ``attributes`` on every span started inside the block (and on the current one).

    Nested scopes merge; ``llmops.tags`` lists accumulate. Used by :func:`session`,
    :func:`user`, :func:`tags`, and by agent-config scopes.
    """
    ctx = scoped_context(otel_context.get_current(), attributes)
    current = trace.get_current_span()
    if current.is_recording():
        stamp(current, context_attributes(ctx))
    token = otel_context.attach(ctx)
    try:
        yield
    finally:
        otel_context.detach(token)


def _require_text(what: str, value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
        raise ConfigError(f"llmops.{what}() needs a non-empty string id, got {value!r}")
    return clean_text(str(value))


@contextmanager
def session(session_id: str) -> Iterator[None]:
    """Group the traces in this block into one session (``session.id``, ``gen_ai.conversation.id``).

    Example:
        >>> with llmops.session("chat-42"):
        ...     answer("hello")
    """
    session_id = _require_text("session", session_id)
    with with_attributes(
        **{semconv.SESSION_ID: session_id, semconv.GEN_AI_CONVERSATION_ID: session_id}
    ):
        yield


@contextmanager
def user(user_id: str) -> Iterator[None]:
    """Attribute the spans in this block to a user (``user.id``)."""
    with with_attributes(**{semconv.USER_ID: _require_text("user", user_id)}):
        yield


@contextmanager
def tags(*names: str) -> Iterator[None]:
    """Tag the spans in this block (``llmops.tags``; nested tags accumulate)."""
    with with_attributes(**{semconv.LLMOPS_TAGS: [clean_text(str(n)) for n in names]}):
        yield


# --- threads ----------------------------------------------------------------------------------


def bind_context(func: Callable[P, R]) -> Callable[P, R]:
    """Return ``func`` bound to the current context, for threads and callbacks.

    Example:
        >>> threading.Thread(target=llmops.bind_context(work)).start()
    """
    captured = contextvars.copy_context()

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # Each call runs in its own copy so concurrent calls do not share context changes.
        return captured.copy().run(func, *args, **kwargs)

    return run


def _run_in_trace(
    carrier: dict[str, str],
    settings: dict[str, Any] | None,
    fn: Callable[..., R],
    /,
    *args: Any,
    **kw: Any,
) -> R:
    """A task in a worker process: run ``fn`` in the submitter's trace, then flush its spans.

    A spawned worker starts unconfigured: it takes the submitter's settings (its store, its
    exporters) unless it configured llmops itself (the ``configure_worker`` hook). Pool workers
    end without running exit handlers, so spans are flushed after every task.
    """
    _hooks.require("configure_worker")(settings)
    try:
        with continue_trace(carrier):
            return fn(*args, **kw)
    finally:
        _hooks.require("flush")(timeout_millis=5_000)


class _ContextExecutor(Executor):
    def __init__(self, inner: Executor) -> None:
        self._inner = inner
        # A context cannot be pickled: processes get the trace as a W3C carrier instead. (Looked
        # up, not imported: importing it loads multiprocessing, ~13 ms of `import llmops`.)
        processes = sys.modules.get("concurrent.futures.process")
        self._processes = processes is not None and isinstance(inner, processes.ProcessPoolExecutor)

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        if self._processes:
            carrier, settings = inject(), _hooks.require("worker_settings")()
            return self._inner.submit(_run_in_trace, carrier, settings, fn, *args, **kwargs)
        ctx = contextvars.copy_context()
        return self._inner.submit(ctx.run, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def wrap_executor(executor: Executor) -> Executor:
    """Wrap an executor so tasks run in the submitting code's trace context.

    A thread pool's tasks run in a copy of the submitter's context; a process pool's get the
    trace as a W3C ``traceparent`` (with llmops' session, user and tags) and flush their spans
    when each task ends.

    Example:
        >>> with llmops.wrap_executor(ThreadPoolExecutor(4)) as pool:
        ...     results = list(pool.map(search, queries))
    """
    return _ContextExecutor(executor)


# --- processes --------------------------------------------------------------------------------


def inject(carrier: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Write the current trace context (W3C ``traceparent``) and llmops attributes to a carrier.

    Returns:
        The carrier (a new dict when none is given), e.g. for HTTP headers or a task payload.
    """
    from opentelemetry.propagate import inject as otel_inject

    out: dict[str, str] = {}
    otel_inject(out)
    attributes = context_attributes()
    if attributes:
        # ASCII only (non-ASCII as \\u escapes): HTTP header values are Latin-1 on the wire.
        out[_CARRIER_KEY] = json.dumps(attributes, ensure_ascii=True, separators=(",", ":"))
    if carrier is not None:
        carrier.update(out)
    return out


def inject_env(env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Like :func:`inject`, with environment-variable names (``TRACEPARENT``, ``LLMOPS_CONTEXT``).

    Example:
        >>> subprocess.run(cmd, env=llmops.inject_env(dict(os.environ)))
    """
    out = {_ENV_KEYS.get(k, k.upper()): v for k, v in inject().items()}
    if env is not None:
        env.update(out)
        return dict(env)
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):  # ASGI and some HTTP clients hand headers over as bytes
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return value if isinstance(value, str) else None


def _normalise_carrier(carrier: Mapping[Any, Any] | str | bytes | None) -> dict[str, str]:
    if carrier is None:
        carrier = os.environ
    if isinstance(carrier, (str, bytes)):
        return {"traceparent": _text(carrier) or ""}
    reverse = {v: k for k, v in _ENV_KEYS.items()}
    out = {}
    for key, value in carrier.items():
        name, text = _text(key), _text(value)
        if name is not None and text is not None:
            out[reverse.get(name, name.lower())] = text
    return out


_MAX_REMOTE_ATTRIBUTES = 64
_MAX_REMOTE_TEXT = 1024
# What a carrier may set: the scope llmops carries (session, user, tags, config, agent) and the
# application's own keys. Not the rest of llmops' and GenAI's namespaces: a caller over HTTP
# must not set a span's cost, token counts or model.
_REMOTE_KEYS = frozenset(
    {
        semconv.SESSION_ID, semconv.GEN_AI_CONVERSATION_ID, semconv.USER_ID, semconv.LLMOPS_TAGS,
        semconv.LLMOPS_CONFIG_NAME, semconv.LLMOPS_CONFIG_VERSION, semconv.GEN_AI_AGENT_NAME,
        semconv.GEN_AI_AGENT_VERSION,
    }
)  # fmt: skip
_RESERVED_PREFIXES = ("llmops.", "gen_ai.")


def _remote_key(key: str) -> bool:
    return 0 < len(key) <= 256 and (key in _REMOTE_KEYS or not key.startswith(_RESERVED_PREFIXES))


def _remote_value(value: Any) -> Any:
    """A value from another process's carrier, if it is one a span attribute can hold."""
    if isinstance(value, str):
        return clean_text(value[:_MAX_REMOTE_TEXT])
    if isinstance(value, (bool, int, float)) and not (
        isinstance(value, int) and not -(2**63) <= value < 2**63
    ):
        return value
    if (
        isinstance(value, list)
        and len(value) <= _MAX_REMOTE_ATTRIBUTES
        and all(isinstance(v, str) for v in value)
    ):
        return [clean_text(v[:_MAX_REMOTE_TEXT]) for v in value]
    return None


def _remote_attributes(raw: str) -> dict[str, Any]:
    """The scope attributes a carrier brings, limited to what spans may hold.

    The carrier comes from outside the process (an HTTP header): keys must be text, values
    text, numbers, booleans or lists of text, and their number and length are bounded.
    """
    try:
        attributes = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(attributes, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in list(attributes.items())[:_MAX_REMOTE_ATTRIBUTES]:
        kept = _remote_value(value)
        if kept is not None and _remote_key(key):
            out[clean_text(key)] = kept
    return out


@contextmanager
def continue_trace(
    carrier: Mapping[Any, Any] | str | bytes | None = None,
) -> Iterator[None]:
    """Continue a trace started elsewhere: spans in the block become children of the remote span.

    Args:
        carrier: Headers or a payload from :func:`inject` (keys and values as text or bytes), a
            ``traceparent`` string, or None to read ``TRACEPARENT`` / ``LLMOPS_CONTEXT`` from
            the environment (see :func:`inject_env`).
    """
    from opentelemetry.propagate import extract

    values = _normalise_carrier(carrier)
    ctx = extract(values)
    raw = values.get(_CARRIER_KEY)
    if raw:
        attributes = _remote_attributes(raw)
        if attributes:
            ctx = otel_context.set_value(_ATTRIBUTES_KEY, attributes, ctx)
    token = otel_context.attach(ctx)
    try:
        yield
    finally:
        otel_context.detach(token)

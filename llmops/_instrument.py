"""``llmops.instrument()``: the installed instrumentations of model SDKs, traced into llmops.

An app that calls the OpenAI SDK (or anthropic, or LangChain) itself needs no decorator around
each call: one ``llmops.instrument()`` turns on the standard OpenTelemetry instrumentation
installed for each library, given llmops' tracer provider. Their spans then take the road of
llmops' own: they nest under the open ``@llmops.agent`` span, get the session, user and config
scope stamped, go through the credential scrub and the redact hook, and land in the store, where
the row mapper reads their dialect (OTel GenAI, OpenInference, OpenLLMetry) into the typed
columns and prices a span that has tokens and no cost (the ``price`` hook).

For each library the first installed of its instrumentations is used (``_FLAVOURS``: the
official OpenTelemetry one, then OpenInference's, then OpenLLMetry's). Instrumentors are
imported only here, when called: ``import llmops`` stays light.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from importlib import import_module, metadata
from typing import Any

from llmops._errors import ConfigError

logger = logging.getLogger("llmops")


@dataclass(frozen=True)
class _Flavour:
    """One instrumentation package of a library."""

    package: str  # the distribution: what ``pip install`` takes, and what instrument() returns
    module: str
    instrumentor: str  # the BaseInstrumentor subclass in ``module``
    dialect: str  # "otel" | "openinference" | "openllmetry": how content capture is set


_OTEL = "otel"
_OPENINFERENCE = "openinference"
_OPENLLMETRY = "openllmetry"

# Preferred first. OpenLLMetry publishes under ``opentelemetry-instrumentation-*`` names; the
# official OpenAI one is ``-openai-v2``.
_FLAVOURS: dict[str, tuple[_Flavour, ...]] = {
    "openai": (
        _Flavour(
            "opentelemetry-instrumentation-openai-v2",
            "opentelemetry.instrumentation.openai_v2",
            "OpenAIInstrumentor",
            _OTEL,
        ),
        _Flavour(
            "openinference-instrumentation-openai",
            "openinference.instrumentation.openai",
            "OpenAIInstrumentor",
            _OPENINFERENCE,
        ),
        _Flavour(
            "opentelemetry-instrumentation-openai",
            "opentelemetry.instrumentation.openai",
            "OpenAIInstrumentor",
            _OPENLLMETRY,
        ),
    ),
    "anthropic": (
        _Flavour(
            "openinference-instrumentation-anthropic",
            "openinference.instrumentation.anthropic",
            "AnthropicInstrumentor",
            _OPENINFERENCE,
        ),
        _Flavour(
            "opentelemetry-instrumentation-anthropic",
            "opentelemetry.instrumentation.anthropic",
            "AnthropicInstrumentor",
            _OPENLLMETRY,
        ),
    ),
    "langchain": (
        _Flavour(
            "openinference-instrumentation-langchain",
            "openinference.instrumentation.langchain",
            "LangChainInstrumentor",
            _OPENINFERENCE,
        ),
        _Flavour(
            "opentelemetry-instrumentation-langchain",
            "opentelemetry.instrumentation.langchain",
            "LangchainInstrumentor",
            _OPENLLMETRY,
        ),
    ),
}
# The distribution each library is installed as, and the modules its instrumentations patch.
_LIBRARY_PACKAGE = {"openai": "openai", "anthropic": "anthropic", "langchain": "langchain-core"}
_LIBRARY_MODULES = {
    "openai": ("openai",),
    "anthropic": ("anthropic",),
    "langchain": ("langchain_core", "langchain", "langchain_community"),
}

# Message content: the official GenAI instrumentations read these at every call, OpenLLMetry's
# its own variable; OpenInference takes a TraceConfig (its variables are its defaults).
_GENAI_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_SEMCONV_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
_GENAI_LATEST = "gen_ai_latest_experimental"  # older openai-v2 puts content on spans only here
_TRACELOOP_CONTENT = "TRACELOOP_TRACE_CONTENT"
_OPENINFERENCE_HIDE = {"hide_inputs": "OPENINFERENCE_HIDE_INPUTS",
                       "hide_outputs": "OPENINFERENCE_HIDE_OUTPUTS"}  # fmt: skip


# A function wrapper an instrumentation put in place: (owner, attribute name, the wrapper).
_Patch = tuple[Any, str, Any]


@dataclass
class _On:
    flavour: _Flavour
    instrumentor: Any
    patches: list[_Patch]  # the wrappers its instrument() added, to check it took them away


@dataclass
class _State:
    on: dict[str, _On] = field(default_factory=dict)  # library -> what llmops turned on for it
    # Environment variables llmops set, with their values before; put back when nothing is on.
    saved_environ: dict[str, str | None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATE = _State()


def instrument(*names: str, capture_content: bool | None = None, **options: Any) -> list[str]:
    """Trace calls made through model SDKs into llmops, by their standard instrumentations.

    Each name is a library (``"openai"``, ``"anthropic"``, ``"langchain"``: the first installed
    of its instrumentations is used, the official OpenTelemetry one, then OpenInference's, then
    OpenLLMetry's) or one instrumentation's package name
    (``"openinference-instrumentation-openai"``). The spans nest under the open llmops span, get
    the session, user and config scope, the credential scrub and the redact hook, and land in
    the store with model, provider, tokens and a cost priced from litellm's map.

    Calling it again changes nothing for what is on already; :func:`llmops.uninstrument` turns
    instrumentations off. Instrumentations follow every later ``configure()``.

    Args:
        *names: Libraries or instrumentation packages; none: every library that is installed
            with one of its instrumentations.
        capture_content: Record prompts and completions on the spans. ``None`` (the default):
            the instrumentation's own environment variable where it is set
            (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``, ``TRACELOOP_TRACE_CONTENT``,
            ``OPENINFERENCE_HIDE_INPUTS``/``_OUTPUTS``), else llmops' ``capture_inputs`` and
            ``capture_outputs`` settings (on by default). Set through those environment
            variables, which stay set until everything is uninstrumented.
        **options: Passed to each instrumentor's ``instrument()`` (OpenInference's ``config``,
            the official one's ``completion_hook``...).

    Returns:
        The packages of the instrumentations now on for the names asked (all: with no names).

    Raises:
        ConfigError: A name is unknown, or names a library or instrumentation that is not
            installed (the message gives the ``pip install`` command), or another
            instrumentation of the same library is on.

    Example:
        >>> llmops.instrument()
        ['opentelemetry-instrumentation-openai-v2']
        >>> openai.OpenAI().chat.completions.create(...)  # a span in the store
    """
    if "tracer_provider" in options:
        raise ConfigError("llmops.instrument() gives instrumentations llmops' tracer provider")
    wanted = [_resolve(name) for name in names] or [(library, None) for library in _FLAVOURS]
    turned_on: list[str] = []
    with _STATE.lock:
        for library, flavour in wanted:
            package = _turn_on(library, flavour, bool(names), capture_content, options)
            if package is not None and package not in turned_on:
                turned_on.append(package)
    return turned_on


def uninstrument(*names: str) -> list[str]:
    """Turn off what :func:`llmops.instrument` turned on: for ``names`` (libraries or packages,
    as there), or everything. Returns the packages turned off."""
    wanted = [_resolve(name) for name in names] or [(library, None) for library in _FLAVOURS]
    turned_off: list[str] = []
    with _STATE.lock:
        for library, flavour in wanted:
            on = _STATE.on.get(library)
            if on is None or flavour not in (None, on.flavour):
                continue
            del _STATE.on[library]
            on.instrumentor.uninstrument()
            _take_away(on.patches)
            turned_off.append(on.flavour.package)
        if not _STATE.on:
            _restore_environ()
    return turned_off


def _resolve(name: str) -> tuple[str, _Flavour | None]:
    """A library name, or one instrumentation's package name, as (library, flavour or None)."""
    key = name.strip().lower().replace("_", "-")
    if key in _FLAVOURS:
        return key, None
    for library, flavours in _FLAVOURS.items():
        for flavour in flavours:
            if flavour.package == key:
                return library, flavour
    known = sorted(_FLAVOURS) + sorted(f.package for fs in _FLAVOURS.values() for f in fs)
    raise ConfigError(f"llmops.instrument(): unknown {name!r}; one of {', '.join(known)}")


def _installed(package: str) -> bool:
    try:
        metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return False
    return True


def _turn_on(
    library: str,
    wanted: _Flavour | None,
    named: bool,
    capture_content: bool | None,
    options: dict[str, Any],
) -> str | None:
    """Turn ``library``'s instrumentation on (under the lock); its package, or None when
    nothing was asked by name and nothing usable is installed."""
    on = _STATE.on.get(library)
    if on is not None:
        if wanted is None or wanted == on.flavour:
            return on.flavour.package
        raise ConfigError(
            f"llmops.instrument({wanted.package!r}): {library} is instrumented by "
            f"{on.flavour.package} already (its spans would be doubled); call "
            f"llmops.uninstrument({library!r}) first"
        )
    if not _installed(_LIBRARY_PACKAGE[library]):
        if named:
            raise ConfigError(
                f"llmops.instrument({library!r}): {library} is not installed: "
                f"pip install {_LIBRARY_PACKAGE[library]}"
            )
        return None
    candidates = (wanted,) if wanted is not None else _FLAVOURS[library]
    installed = [flavour for flavour in candidates if _installed(flavour.package)]
    if not installed:
        if named:
            raise ConfigError(
                f"llmops.instrument({(wanted.package if wanted else library)!r}): no "
                f"instrumentation of {library} is installed: pip install {candidates[0].package}"
            )
        return None
    problems: list[str] = []
    for flavour in installed:
        instrumentor = _usable_instrumentor(flavour, problems)
        if instrumentor is not None:
            _start(library, flavour, instrumentor, capture_content, options)
            return flavour.package
    if named:
        raise ConfigError(f"llmops.instrument({library!r}): {'; '.join(problems)}")
    logger.info("llmops: %s not instrumented: %s", library, "; ".join(problems))
    return None


def _usable_instrumentor(flavour: _Flavour, problems: list[str]) -> Any:
    """``flavour``'s instrumentor when it imports and its library's version fits; else None,
    with the reason added to ``problems``."""
    try:
        instrumentor = getattr(import_module(flavour.module), flavour.instrumentor)()
    except Exception as error:  # an instrumentation broken by the library's version, or ours
        problems.append(f"{flavour.package} does not import: {error!r}")
        return None
    from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

    conflict = get_dependency_conflicts(instrumentor.instrumentation_dependencies())
    if conflict is not None:
        problems.append(f"{flavour.package}: {conflict}")
        return None
    return instrumentor


def _start(
    library: str,
    flavour: _Flavour,
    instrumentor: Any,
    capture_content: bool | None,
    options: dict[str, Any],
) -> None:
    if instrumentor.is_instrumented_by_opentelemetry:
        # Turned on by the application itself: left as it is, and to it to turn off.
        logger.info("llmops: %s was instrumented already, outside llmops", flavour.package)
        return
    from llmops._configure import following_provider

    kwargs = {**options, **_content_options(flavour, capture_content, options)}
    before = _wrappers(_LIBRARY_MODULES[library])
    try:
        instrumentor.instrument(tracer_provider=following_provider(), **kwargs)
    except Exception:
        if not _STATE.on:
            _restore_environ()
        raise
    after = _wrappers(_LIBRARY_MODULES[library])
    added = [patch for key, patch in after.items() if key not in before]
    _STATE.on[library] = _On(flavour, instrumentor, added)


def _wrappers(prefixes: tuple[str, ...]) -> dict[tuple[int, str, int], _Patch]:
    """The wrapt function wrappers on the functions and classes of the library's loaded modules.

    Some instrumentations' ``uninstrument()`` leaves wrappers in place (OpenLLMetry's OpenAI one
    0.62 unwraps by a path the current ``opentelemetry-instrumentation`` no longer resolves), so
    llmops notes what ``instrument()`` added and takes away what is left of it.
    """
    from wrapt import FunctionWrapper

    found: dict[tuple[int, str, int], _Patch] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not any(name == p or name.startswith(p + ".") for p in prefixes):
            continue
        owners = [module]
        owners += [
            v for v in vars(module).values() if issubclass(type(v), type) and v.__module__ == name
        ]
        for owner in owners:
            for attribute, value in list(vars(owner).items()):
                if issubclass(type(value), FunctionWrapper):  # never a lazy proxy's __class__
                    found[(id(owner), attribute, id(value))] = (owner, attribute, value)
    return found


def _take_away(patches: list[_Patch]) -> None:
    """Put back what each wrapper of ``patches`` still in place wraps."""
    for owner, attribute, wrapper in patches:
        original = wrapper.__wrapped__
        if vars(owner).get(attribute) is wrapper:
            setattr(owner, attribute, original)


def _content_options(
    flavour: _Flavour, capture_content: bool | None, options: dict[str, Any]
) -> dict[str, Any]:
    """Set ``flavour``'s content capture (environment variables; OpenInference: its config)."""
    if capture_content is None:
        from llmops._configure import active_settings

        settings = active_settings()
        inputs, outputs = settings.capture_inputs, settings.capture_outputs
    else:
        inputs = outputs = capture_content
    explicit = capture_content is not None
    if flavour.dialect == _OTEL:
        _add_opt_in(_SEMCONV_OPT_IN, _GENAI_LATEST)
        mode = "SPAN_ONLY" if inputs and outputs else "NO_CONTENT"
        _set_environ(_GENAI_CONTENT, mode, explicit)
    elif flavour.dialect == _OPENLLMETRY:
        _set_environ(_TRACELOOP_CONTENT, "true" if inputs and outputs else "false", explicit)
    elif "config" not in options:
        from openinference.instrumentation import TraceConfig

        hide: dict[str, Any] = {"hide_inputs": not inputs, "hide_outputs": not outputs}
        if not explicit:  # the environment's choice stands
            hide = {k: v for k, v in hide.items() if _OPENINFERENCE_HIDE[k] not in os.environ}
        return {"config": TraceConfig(**hide)}
    return {}


def _set_environ(name: str, value: str, override: bool) -> None:
    if not override and os.environ.get(name, "").strip():
        return
    _STATE.saved_environ.setdefault(name, os.environ.get(name))
    os.environ[name] = value


def _add_opt_in(name: str, value: str) -> None:
    present = [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]
    if value not in present:
        _set_environ(name, ",".join([*present, value]), override=True)


def _restore_environ() -> None:
    for name, value in _STATE.saved_environ.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _STATE.saved_environ.clear()

"""llmops: follow an LLM agent from code to production.

Decorate the application (``@llmops.agent``, ``@llmops.tool``, ``@llmops.llm``,
``@llmops.trace``), call ``llmops.configure()`` once (or rely on the embedded defaults), and every
run becomes an OpenTelemetry trace with GenAI attributes in the embedded DuckDB store and
anywhere OTLP goes.

Example:
    >>> import llmops
    >>> @llmops.tool
    ... def search(query: str) -> list[str]:
    ...     return ["doc-1"]
    >>> @llmops.agent(name="support-bot")
    ... def answer(question: str) -> str:
    ...     return f"found {len(search(question))} documents"
    >>> answer("how do I reset my password?")
    'found 1 documents'

``import llmops`` stays light: the OpenTelemetry SDK, DuckDB and pydantic load on first use.
"""

from __future__ import annotations

import os as _os
from typing import TYPE_CHECKING


def _source_checkout_subpackages() -> None:
    # Installed, pyproject maps tracing/, eval/, guardrails/ and serving/ into this package. Run
    # from a source checkout (python in the repository root), ``llmops/`` shadows the installed
    # package; then the sibling folders are the subpackages.
    here = _os.path.dirname(_os.path.abspath(__file__))
    root = _os.path.dirname(here)
    if not _os.path.isdir(_os.path.join(here, "tracing")) and _os.path.isfile(
        _os.path.join(root, "tracing", "semconv.py")
    ):
        __path__.append(root)


_source_checkout_subpackages()

from llmops._errors import (  # noqa: E402
    BackendUnavailable,
    ConfigError,
    ContextLengthExceeded,
    EvalDatasetError,
    GuardrailViolation,
    LlmopsError,
    ModelCallError,
    StoreError,
)
from llmops._internal import lazy_attributes as _lazy_attributes  # noqa: E402
from llmops.tracing import (  # noqa: E402
    LlmopsSpan,
    agent,
    bind_context,
    continue_trace,
    current_config,
    current_span,
    inject,
    inject_env,
    llm,
    session,
    span,
    tags,
    tool,
    trace,
    use_config,
    user,
    with_attributes,
    wrap_executor,
)

if TYPE_CHECKING:
    from llmops._agentconfig import AgentConfig
    from llmops._configdiff import ConfigDiff
    from llmops._configure import configure, flush, shutdown, stats
    from llmops._query import query
    from llmops._registry import ConfigRegistry, ConfigTampered, ConfigVersion, configs
    from llmops._settings import Settings

__version__ = "0.1.0"

_LAZY = {
    "AgentConfig": "llmops._agentconfig",
    "ConfigDiff": "llmops._configdiff",
    "ConfigRegistry": "llmops._registry",
    "ConfigTampered": "llmops._registry",
    "ConfigVersion": "llmops._registry",
    "Settings": "llmops._settings",
    "configs": "llmops._registry",
    "configure": "llmops._configure",
    "flush": "llmops._configure",
    "query": "llmops._query",
    "shutdown": "llmops._configure",
    "stats": "llmops._configure",
}

__all__ = [
    "AgentConfig",
    "BackendUnavailable",
    "ConfigDiff",
    "ConfigError",
    "ConfigRegistry",
    "ConfigTampered",
    "ConfigVersion",
    "ContextLengthExceeded",
    "EvalDatasetError",
    "GuardrailViolation",
    "LlmopsError",
    "LlmopsSpan",
    "ModelCallError",
    "Settings",
    "StoreError",
    "agent",
    "bind_context",
    "configs",
    "configure",
    "continue_trace",
    "current_config",
    "current_span",
    "flush",
    "inject",
    "inject_env",
    "llm",
    "query",
    "session",
    "shutdown",
    "span",
    "stats",
    "tags",
    "tool",
    "trace",
    "use_config",
    "user",
    "with_attributes",
    "wrap_executor",
]


__getattr__ = _lazy_attributes("llmops", _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

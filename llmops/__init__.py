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
import sys as _sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType


class _CheckoutFolders:
    """Finds ``llmops.tracing``, ``.eval``, ``.guardrails`` and ``.serving`` in a source checkout.

    Only these four names: the checkout's ``tests/``, ``scripts/`` or ``benchmarks/`` never
    become ``llmops.tests`` and the like (putting the repository root on ``__path__`` would).
    """

    def __init__(self, root: str) -> None:
        self.checkout_root = root

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        parent, _, folder = fullname.rpartition(".")
        if parent != "llmops" or folder not in _MAPPED_FOLDERS:
            return None
        from importlib.util import spec_from_file_location

        location = _os.path.join(self.checkout_root, folder)
        init = _os.path.join(location, "__init__.py")
        return spec_from_file_location(fullname, init, submodule_search_locations=[location])


_MAPPED_FOLDERS = frozenset({"tracing", "eval", "guardrails", "serving"})


def _source_checkout_subpackages() -> None:
    # Installed, pyproject maps tracing/, eval/, guardrails/ and serving/ into this package. Run
    # from a source checkout (python in the repository root), ``llmops/`` shadows the installed
    # package; then a finder after the path finder maps those four sibling folders, and only them.
    here = _os.path.dirname(_os.path.abspath(__file__))
    root = _os.path.dirname(here)
    if _os.path.isdir(_os.path.join(here, "tracing")) or not _os.path.isfile(
        _os.path.join(root, "tracing", "semconv.py")
    ):
        return
    if not any(getattr(finder, "checkout_root", None) == root for finder in _sys.meta_path):
        _sys.meta_path.append(_CheckoutFolders(root))


_source_checkout_subpackages()

from llmops import _hooks  # noqa: E402
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

# The composition root. Lower floors never import upper ones (see the README's architecture);
# where one needs an upper one, it asks llmops._hooks by name. These paths load on first use.
# tracing's automatic set-up and a spawned worker's settings come from the core:
_hooks.register("configure", "llmops._configure:configure")
_hooks.register("flush", "llmops._configure:flush")
_hooks.register("worker_settings", "llmops._configure:worker_settings")
_hooks.register("configure_worker", "llmops._configure:configure_worker")
# span screening by the guardrails, and the injection judge's chat function by serving:
_hooks.register("screen", "llmops.guardrails:guard")
_hooks.register("chat", "llmops.serving._gateway:chat")
# the store prices spans that carry tokens and no cost (OTLP, other instrumentations):
_hooks.register("price", "llmops.serving._pricing:price_tokens")
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
    from llmops._instrument import instrument, uninstrument
    from llmops._query import query
    from llmops._registry import ConfigRegistry, ConfigTampered, ConfigVersion, configs
    from llmops._settings import Settings
    from llmops._spansink import DuckDBSpanExporter

__version__ = "0.1.0"

_LAZY = {
    "AgentConfig": "llmops._agentconfig",
    "ConfigDiff": "llmops._configdiff",
    "ConfigRegistry": "llmops._registry",
    "ConfigTampered": "llmops._registry",
    "ConfigVersion": "llmops._registry",
    "DuckDBSpanExporter": "llmops._spansink",
    "Settings": "llmops._settings",
    "configs": "llmops._registry",
    "configure": "llmops._configure",
    "flush": "llmops._configure",
    "instrument": "llmops._instrument",
    "query": "llmops._query",
    "shutdown": "llmops._configure",
    "stats": "llmops._configure",
    "uninstrument": "llmops._instrument",
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
    "DuckDBSpanExporter",
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
    "instrument",
    "llm",
    "query",
    "session",
    "shutdown",
    "span",
    "stats",
    "tags",
    "tool",
    "trace",
    "uninstrument",
    "use_config",
    "user",
    "with_attributes",
    "wrap_executor",
]


__getattr__ = _lazy_attributes("llmops", _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

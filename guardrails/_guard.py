"""``guard()``: run a policy's checks on a value, act on what they find, record it on the span.

Findings go on the active span as an ``llmops.guardrail`` event (detector, direction, entity
types and counts, scores, action, truncation, latency, errors), never the sensitive values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from llmops._errors import GuardrailViolation
from llmops._policy import CheckPolicy, Direction, GuardrailPolicy
from llmops.tracing import current_span, semconv

_FATAL = (KeyboardInterrupt, SystemExit)


@dataclass(frozen=True)
class GuardResult:
    """What :func:`guard` did.

    Attributes:
        value: The value to use from now on (redacted when the action was ``redact``).
        action: ``allow`` (nothing found), ``flag``, ``redact`` or ``block``.
        findings: One dict per detector hit: ``detector``, ``type``, ``count``, ``score``.
        errors: Detector failures, one line each.
        truncated: A detector looked at only part of a long value.
        latency_ms: Time spent in the checks.
    """

    value: Any
    action: str
    findings: tuple[dict[str, Any], ...] = ()
    errors: tuple[str, ...] = ()
    truncated: bool = False
    latency_ms: float = 0.0
    direction: str = "input"

    @property
    def blocked(self) -> bool:
        return self.action == "block"


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    try:
        return orjson.dumps(value, default=str).decode()
    except Exception:
        return repr(value)


@dataclass
class _Run:
    check: CheckPolicy
    value: Any
    findings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    truncated: bool = False
    redacted: Any = None

    def injection(self) -> None:
        from llmops.guardrails.injection._detect import detect_injection

        judge = None
        if self.check.injection_judge is not None:
            from llmops.guardrails.injection._judge import JudgeRef

            judge = JudgeRef.from_policy(self.check.injection_judge)
        value = self.value
        if not isinstance(value, dict | list | tuple):  # structures: their strings, not keys
            value = _as_text(value)
        result = detect_injection(
            value,
            threshold=self.check.injection_threshold,
            judge=judge,
            encoder=self.check.injection_encoder,
        )
        if any(r.startswith("input:truncated") for r in result.reasons):
            self.truncated = True
        if result.flagged:
            self.findings.append({
                "detector": "injection", "type": "PROMPT_INJECTION", "count": 1,
                "score": round(result.score, 4),
                "reasons": [r for r in result.reasons if not r.startswith("input:")][:8],
            })  # fmt: skip

    def pii(self) -> None:
        from llmops.guardrails.pii._policy import RedactionPolicy
        from llmops.guardrails.pii._redact import redact_report

        policy = RedactionPolicy(
            entities=self.check.pii_entities,
            score_threshold=self.check.pii_score_threshold,
            fail_closed=self.check.on_error == "closed",
        )
        report = redact_report(self.value, policy)
        self.truncated = self.truncated or report.truncated
        self.errors.extend(report.errors)
        self.redacted = report.value
        for entity, count in sorted(report.counts.items()):
            self.findings.append({"detector": "pii", "type": entity, "count": count, "score": None})


def guard(
    value: Any,
    *,
    direction: Direction = "input",
    policy: GuardrailPolicy | CheckPolicy | None = None,
    config: Any = None,
) -> GuardResult:
    """Screen ``value`` for one direction of a policy, act, and record the outcome on the span.

    Args:
        value: Text or a structure (dicts and lists are walked, never regex-matched as JSON).
        direction: Which part of the policy applies.
        policy: A policy (or one direction's checks); default the ``config``'s.
        config: An agent config whose ``guardrails`` block is the policy.

    Raises:
        GuardrailViolation: The action is ``block`` and a check found something (or a detector
            failed under ``on_error: closed``); carries the findings.

    Example:
        >>> guard(user_text, policy=CheckPolicy(checks=("injection",), action="block"))
    """
    if isinstance(policy, CheckPolicy):
        check = policy
    else:
        check = (policy or GuardrailPolicy.of(config)).for_direction(direction)
    if not check.active:
        return GuardResult(value=value, action="allow", direction=direction)
    started = time.perf_counter()
    run = _Run(check, value)
    for name in check.checks:
        try:
            getattr(run, name)()
        except BaseException as exc:  # native detectors may raise BaseException subclasses
            if isinstance(exc, _FATAL):
                raise
            run.errors.append(f"{name}: {type(exc).__name__}")
    failed_closed = bool(run.errors) and check.on_error == "closed"
    action = "allow"
    if run.findings or failed_closed:
        action = "block" if failed_closed else check.action
    result_value = value
    if action == "redact":
        if run.redacted is not None:
            result_value = run.redacted
        if any(f["detector"] == "injection" for f in run.findings):
            action = "block"  # an injection cannot be redacted away
    result = GuardResult(
        value=result_value,
        action=action,
        findings=tuple(run.findings),
        errors=tuple(run.errors),
        truncated=run.truncated,
        latency_ms=(time.perf_counter() - started) * 1000,
        direction=direction,
    )
    record(result, check)
    if result.blocked:
        kinds = ", ".join(sorted({f["type"] for f in result.findings})) or "detector error"
        raise GuardrailViolation(
            f"guardrail blocked the {direction}: {kinds}", list(result.findings)
        )
    return result


def record(result: GuardResult, check: CheckPolicy) -> None:
    """Put the outcome on the active span: an event, and the findings attribute."""
    span = current_span()
    if not span.is_recording:
        return
    span.add_event(
        "llmops.guardrail",
        {
            "direction": result.direction,
            "action": result.action,
            "checks": list(check.checks),
            "findings": orjson.dumps(list(result.findings)).decode(),
            "truncated": result.truncated,
            "latency_ms": round(result.latency_ms, 3),
            "errors": list(result.errors),
        },
    )
    if result.findings:
        span.set_attribute(semconv.LLMOPS_GUARDRAIL_FINDINGS, list(result.findings))
        span.set_attribute("llmops.guardrail.action", result.action)

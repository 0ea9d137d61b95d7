"""Guardrail policies: what an agent config's ``guardrails`` block may say.

Per direction (``input``, ``output``, ``tool_args``, ``tool_result``): which checks run, what
happens when one finds something (``block``, ``redact`` or ``flag``), thresholds, entity lists,
and whether a failing detector lets the value through (``open``) or stops it (``closed``).

Plain pydantic models, on the core floor so that :class:`~llmops.AgentConfig` validates its
``guardrails`` block without importing the guardrails; :mod:`llmops.guardrails` exports them and
applies them.

Example (YAML, in an agent config)::

    guardrails:
      input:  {checks: [injection, pii], action: block, injection_threshold: 0.6}
      tool_result:
        checks: [injection]
        injection_judge: {config: injection-judge@production, when: uncertain}
        injection_encoder: true
      output: {checks: [pii], action: redact, pii_entities: [EMAIL_ADDRESS, PHONE_NUMBER]}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Direction = Literal["input", "output", "tool_args", "tool_result"]
DIRECTIONS: tuple[Direction, ...] = ("input", "output", "tool_args", "tool_result")


class InjectionJudgePolicy(BaseModel):
    """An LLM judge for the injection check: a registered config and when to consult it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    config: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="'name@alias' of the judge")
    when: Literal["uncertain", "always"] = "uncertain"
    band: tuple[float, float] = (0.2, 0.9)
    timeout: float = Field(default=20.0, gt=0.0)


class CheckPolicy(BaseModel):
    """The checks for one direction, and what to do with what they find."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    checks: tuple[Literal["pii", "injection"], ...] = ()
    action: Literal["block", "redact", "flag"] = "flag"
    injection_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    injection_judge: InjectionJudgePolicy | None = None
    injection_encoder: bool = Field(
        default=False,
        description="Keep an injection flagged only if the injection encoder agrees (fewer "
        "false positives; ~150 ms per flagged KB; the eval extra)",
    )
    pii_entities: tuple[str, ...] | None = None
    pii_score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    on_error: Literal["open", "closed"] = "open"

    @property
    def active(self) -> bool:
        return bool(self.checks)


class GuardrailPolicy(BaseModel):
    """A whole policy: one :class:`CheckPolicy` per direction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: CheckPolicy = Field(default_factory=CheckPolicy)
    output: CheckPolicy = Field(default_factory=CheckPolicy)
    tool_args: CheckPolicy = Field(default_factory=CheckPolicy)
    tool_result: CheckPolicy = Field(default_factory=CheckPolicy)

    def for_direction(self, direction: Direction) -> CheckPolicy:
        check: CheckPolicy = getattr(self, direction)
        return check

    @classmethod
    def of(cls, config: Any) -> GuardrailPolicy:
        """The policy of an agent config (its ``guardrails`` block), or an empty one."""
        block = getattr(config, "guardrails", None) or {}
        return cls.model_validate(block)

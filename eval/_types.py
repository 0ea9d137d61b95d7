"""Result types shared by the hallucination detectors (offline and judge) and the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Claim:
    """One claim of an answer and whether the context supports it.

    Attributes:
        text: The claim as it appears in the answer.
        supported: The verdict for this claim.
        score: Support in [0, 1] (1: the context clearly states it).
        evidence: The context passage that best supports (or contradicts) it, if any.
        reasons: Which signals decided (e.g. ``"number 1947 not in context"``).
    """

    text: str
    supported: bool
    score: float
    evidence: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class HallucinationResult:
    """Faithfulness of an answer to its contexts.

    Attributes:
        score: The unsupported fraction of claims: 0 fully supported, 1 nothing supported.
        hallucinated: The verdict at the detector's threshold.
        claims: Every claim with its verdict.
        detector: Which implementation scored it (``"offline"``, ``"offline-nli"`` or
            ``"judge:<model>"``).
        version: The detector's version (model file hash, or judge config version).
        details: Anything else worth keeping (JSON-serialisable).
    """

    score: float
    hallucinated: bool
    claims: tuple[Claim, ...]
    detector: str
    version: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def unsupported_claims(self) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if not c.supported)


class HallucinationDetector(Protocol):
    """Anything that scores an answer against its contexts."""

    name: str

    def check(self, answer: str, contexts: list[str]) -> HallucinationResult: ...

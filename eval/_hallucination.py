"""Claim-level hallucination scoring: the offline detectors and the ``hallucination`` entry point.

The default, :class:`AutoDetector`, hands a short context (up to :data:`LONG_CONTEXT_WORDS`)
to the claim-feature detector here and a long one to the cross-encoder (``_nli``).

The claim-feature detector needs no judge and no network. It splits the answer into claims
(:func:`~llmops.eval._claims.split_claims`) and scores each claim's support by the contexts
with a small logistic model over a handful of signals (:mod:`._hallucination_features`:
MiniLM word support, paraphrase-tolerant word coverage, unseen numbers and names, negation).

The weights and the default threshold ship in ``_data/hallucination_model.json``, written by
``scripts/train_hallucination.py``. A claim is supported when its support score reaches the
threshold; the answer's score is the unsupported fraction and it is hallucinated when any claim
is unsupported.

Example:
    >>> from llmops.eval import hallucination
    >>> result = hallucination("The tower is 330 m tall.", ["The Eiffel Tower is 300 m tall."])
    >>> result.hallucinated, [c.text for c in result.unsupported_claims]
    (True, ['The tower is 330 m tall.'])
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from llmops._errors import ConfigError
from llmops._internal import once
from llmops.eval._claims import CHAT_WORDS, STOPWORDS, extract_facts, split_claims
from llmops.eval._hallucination_features import (
    FEATURES,
    ClaimContext,
    ClaimSignals,
    claim_features,
    prepare,
    unseen_reasons,
)
from llmops.eval._types import Claim, HallucinationResult

if TYPE_CHECKING:
    from llmops.eval._embeddings import MiniLMEncoder
    from llmops.eval._nli import NLIDetector

MODEL_PATH = Path(__file__).resolve().parent / "_data" / "hallucination_model.json"


@dataclass(frozen=True)
class ClaimModel:
    """A logistic model of P(claim supported) over :data:`FEATURES` (standardised inputs)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    version: str

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ClaimModel:
        """Read the model file written by ``scripts/train_hallucination.py``."""
        try:
            raw = path.read_bytes()
            data = json.loads(raw)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the hallucination model {path}: {exc}") from exc
        if tuple(data.get("features", ())) != FEATURES:
            raise ConfigError(f"{path}: features {data.get('features')} != {list(FEATURES)}")
        return cls(
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            coef=tuple(data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            version=hashlib.sha256(raw).hexdigest()[:12],
        )

    def support(self, features: Sequence[float]) -> float:
        """P(supported) for one claim's feature vector."""
        z = self.intercept + sum(
            c * (x - m) / s
            for c, x, m, s in zip(self.coef, features, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _reasons(claim: str, signals: ClaimSignals, context: ClaimContext) -> tuple[str, ...]:
    reasons = unseen_reasons(claim, context.numbers, context.stems)
    missing = list(dict.fromkeys(signals.uncovered))
    if missing:
        reasons.append("words not in context: " + ", ".join(missing[:5]))
    if signals.values[FEATURES.index("negation_mismatch")]:
        reasons.append("negation differs from the closest context sentence")
    reasons.append(f"closest context sentence similarity {signals.similarity:.2f}")
    return tuple(reasons)


class OfflineDetector:
    """The judge-free detector: MiniLM embeddings plus lexical, number and name checks.

    Args:
        threshold: Support score (0-1) a claim needs to count as supported; default: the
            threshold shipped with the model (chosen on the QA dev split).
        encoder: The embedding model; default: the process-wide MiniLM encoder.
        model_path: Another model file (for experiments).

    Example:
        >>> OfflineDetector().check("Paris is in France.", ["Paris is the capital of France."])
    """

    name = "offline"

    def __init__(
        self,
        *,
        threshold: float | None = None,
        encoder: MiniLMEncoder | None = None,
        model_path: Path | None = None,
    ) -> None:
        self.model = ClaimModel.load(model_path or MODEL_PATH)
        self.threshold = self.model.threshold if threshold is None else _check_threshold(threshold)
        self._encoder = encoder

    @property
    def version(self) -> str:
        """The model file's content hash."""
        return self.model.version

    def _encoder_or_default(self) -> MiniLMEncoder:
        if self._encoder is None:
            from llmops.eval._embeddings import default_encoder

            self._encoder = default_encoder()
        return self._encoder

    def check(
        self, answer: str, contexts: Sequence[str], *, threshold: float | None = None
    ) -> HallucinationResult:
        """Score ``answer`` against ``contexts`` claim by claim.

        Args:
            answer: The text to check.
            contexts: The passages it must be grounded in.
            threshold: Overrides the detector's threshold for this call.
        """
        cut, claims, contexts = begin(self.threshold, answer, contexts, threshold)
        if not claims or not contexts:
            return trivial(self, claims, cut)
        encodings, context = prepare(self._encoder_or_default(), claims, contexts)
        scored: list[Claim] = []
        for claim, encoding in zip(claims, encodings, strict=True):
            why = _not_a_claim(claim)
            if why is not None:
                scored.append(Claim(claim, True, 1.0, None, (why,)))
                continue
            signals = claim_features(claim, encoding, context)
            support = self.model.support(signals.values)
            reasons = _reasons(claim, signals, context)
            evidence = context.sentences[signals.best]
            scored.append(Claim(claim, support >= cut, round(support, 4), evidence, reasons))
        return result_of(self, scored, cut, {"context_sentences": len(context.sentences)})


class _Detector(Protocol):
    name: str

    @property
    def version(self) -> str: ...


def begin(
    shipped: float, answer: str, contexts: Sequence[str], threshold: float | None
) -> tuple[float, list[str], list[str]]:
    """What every offline check starts from: the threshold in force, the answer's claims and
    the non-blank contexts."""
    cut = shipped if threshold is None else _check_threshold(threshold)
    return cut, split_claims(answer), [c for c in contexts if c.strip()]


def trivial(detector: _Detector, claims: list[str], cut: float) -> HallucinationResult:
    """The result when there is nothing to compare: no claim, or no context."""
    if not claims:  # nothing claimed, so nothing is unsupported
        return result_of(detector, [], cut, {"note": "empty answer"})
    scored = []
    for claim in claims:
        why = _not_a_claim(claim)
        if why is None:
            scored.append(Claim(claim, False, 0.0, None, ("no context",)))
        else:
            scored.append(Claim(claim, True, 1.0, None, (why,)))
    return result_of(detector, scored, cut, {"note": "no context"})


def result_of(
    detector: _Detector, claims: list[Claim], cut: float, details: dict[str, Any]
) -> HallucinationResult:
    """The answer's result from its scored claims: the unsupported fraction and the verdict."""
    unsupported = sum(not c.supported for c in claims)
    score = unsupported / len(claims) if claims else 0.0
    details = {**details, "threshold": cut, "claims": len(claims)}
    return HallucinationResult(
        score, unsupported > 0, tuple(claims), detector.name, detector.version, details
    )


def _not_a_claim(claim: str) -> str | None:
    """Why ``claim`` asserts nothing to check, or None when it does.

    A question asks rather than claims; chit-chat ("Sure.", "You're welcome, I hope you enjoy
    it!", "That is a great one.") has no name, no number and no content word outside the words
    of conversation (:data:`~llmops.eval._claims.CHAT_WORDS`; contractions of function words,
    "you're", aside).
    """
    if claim.rstrip(" \"')]”’").endswith("?"):
        return "a question claims nothing"
    facts = extract_facts(claim)
    if facts.numbers or facts.entities:
        return None
    if not facts.content:
        return "nothing to check"
    if all(w in CHAT_WORDS or w.split("'")[0] in STOPWORDS for w in facts.content):
        return "chit-chat: nothing to check"
    return None


def _check_threshold(threshold: float) -> float:
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"hallucination threshold must be within [0, 1], got {threshold!r}")
    return float(threshold)


# Contexts longer than this (in words) go to the cross-encoder: it is the cross-encoder's
# premise window (``_nli.PREMISE_WORDS``; a test keeps them equal), beyond which the claim
# features, fitted on QA's short passages, flag most abstractive summaries. Not fitted; the
# README gives what other cuts did.
LONG_CONTEXT_WORDS = 150


class AutoDetector:
    """The default offline detector: the claim features for a short context, the cross-encoder
    for a long one (over :data:`LONG_CONTEXT_WORDS` words in all).

    The claim-feature detector was fitted on QA's short passages: on them it scores better than
    the cross-encoder (HaluEval QA F1 0.87 against 0.77) and it catches a small model's invented
    sentences. Over a long document its word coverage punishes any abstraction (it flags 80% of
    right HaluEval summaries), where the cross-encoder reads the sentences closest to each claim
    (summaries F1 0.81 against 0.68). The result names the detector that scored it.

    Args:
        short: The detector for short contexts; default: the process-wide claim-feature one.
        long: The detector for long contexts; default: the process-wide cross-encoder.
    """

    name = "auto"

    def __init__(
        self, *, short: OfflineDetector | None = None, long: NLIDetector | None = None
    ) -> None:
        self._short = short
        self._long = long

    @property
    def short(self) -> OfflineDetector:
        """The detector for short contexts (the claim features)."""
        if self._short is None:
            self._short = _claim_features()
        return self._short

    @property
    def long(self) -> NLIDetector:
        """The detector for long contexts (the cross-encoder)."""
        if self._long is None:
            from llmops.eval._nli import default_nli_detector

            self._long = default_nli_detector()
        return self._long

    def for_contexts(self, contexts: Sequence[str]) -> OfflineDetector | NLIDetector:
        """The detector that scores an answer against ``contexts``."""
        words = sum(len(c.split()) for c in contexts)
        return self.long if words > LONG_CONTEXT_WORDS else self.short

    def check(
        self, answer: str, contexts: Sequence[str], *, threshold: float | None = None
    ) -> HallucinationResult:
        """Score ``answer`` against ``contexts`` with the detector they call for (the arguments
        of :meth:`OfflineDetector.check`).

        Raises:
            ConfigError: A ``threshold`` was given: the two detectors' support scores are on
                different scales (shipped cuts 0.58 and 0.38), so a cut must name its detector.
        """
        if threshold is not None:
            raise ConfigError(
                "a hallucination threshold belongs to one detector: name it "
                "(detector='offline' or 'offline-nli'), or build AutoDetector(short="
                "OfflineDetector(threshold=...), long=NLIDetector(threshold=...))"
            )
        return self.for_contexts(contexts).check(answer, contexts)


_default_auto = AutoDetector()


@once
def _claim_features() -> OfflineDetector:
    return OfflineDetector()


def default_detector() -> AutoDetector:
    """The process-wide default offline detector: :class:`AutoDetector` (models load on first
    use). ``offline`` (claim features) or ``offline-nli`` (the cross-encoder) always use one."""
    return _default_auto


DETECTORS = ("auto", "offline", "offline-nli")  # what a suite's or the monitor's ``detector`` names


def named_detector(name: str) -> AutoDetector | OfflineDetector | NLIDetector:
    """The process-wide offline detector called ``name``: ``auto`` (the default: by the
    context's length), ``offline`` (claim features) or ``offline-nli`` (the cross-encoder);
    a result's ``detector`` names the one that scored it.

    Raises:
        ConfigError: ``name`` is none of them.
    """
    check_detector_name(name)
    if name == "auto":
        return _default_auto
    if name == "offline":
        return _claim_features()
    from llmops.eval._nli import default_nli_detector

    return default_nli_detector()


def check_detector_name(name: object) -> None:
    """Raise ``ConfigError`` unless ``name`` is one of :data:`DETECTORS` (callers add where)."""
    if name not in DETECTORS:
        known = ", ".join(DETECTORS)
        raise ConfigError(f"unknown hallucination detector {name!r} (known: {known})")


def _as_list(contexts: str | Sequence[str]) -> list[str]:
    if isinstance(contexts, str):
        return [contexts]
    if not isinstance(contexts, Sequence):
        raise TypeError(
            f"contexts must be a str or a sequence of str, got {type(contexts).__name__}"
        )
    for i, item in enumerate(contexts):
        if not isinstance(item, str):
            raise TypeError(f"contexts[{i}] must be a str, got {type(item).__name__}")
    return list(contexts)


def hallucination(
    answer: str,
    contexts: str | Sequence[str],
    judge: object | None = None,
    *,
    threshold: float | None = None,
    detector: AutoDetector | OfflineDetector | NLIDetector | str | None = None,
) -> HallucinationResult:
    """Claim-level faithfulness of ``answer`` to ``contexts``.

    Args:
        answer: The text to check.
        contexts: The passages the answer must be grounded in (one string or several).
        judge: An LLM judge configuration; ``None`` uses the offline detector (no network).
        threshold: A named offline detector only (``offline`` or ``offline-nli``): the support
            score a claim needs to count as supported (default: the shipped threshold).
        detector: The offline detector, or its name (:data:`DETECTORS`); default: ``auto``,
            the claim features for a short context and the cross-encoder for a long one.

    Returns:
        The unsupported fraction as ``score``, the verdict, and every claim with its verdict.

    Raises:
        TypeError: ``answer`` or ``contexts`` is not text.
        ConfigError: ``threshold`` is outside [0, 1] or given without naming its detector,
            ``detector`` names no detector or comes with a judge, or the offline extras are not
            installed.

    Example:
        >>> hallucination("Born in 1950.", "She was born in 1950.").score
        0.0
    """
    if not isinstance(answer, str):
        raise TypeError(f"answer must be a str, got {type(answer).__name__}")
    contexts_list = _as_list(contexts)
    if judge is not None:
        if detector is not None:
            raise ConfigError("hallucination: a judge or an offline detector, not both")
        from llmops.eval._judge import judge_hallucination

        return judge_hallucination(answer, contexts_list, judge)
    offline: AutoDetector | OfflineDetector | NLIDetector
    if detector is None:
        offline = default_detector()
    elif isinstance(detector, str):
        offline = named_detector(detector)
    else:
        offline = detector
    return offline.check(answer, contexts_list, threshold=threshold)

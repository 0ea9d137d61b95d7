"""PII detection: :func:`scan_pii` and :func:`scan_text`, on presidio with our additions.

The pipeline for one text, every step linear in its length::

    cap at max_chars ─ normalise (NFKC, invisibles) ─ chunks with overlap ─ presidio per chunk
      ─ credential patterns ─ keep each hit in the chunk that owns its start ─ threshold
      ─ PERSON clean-up and repetition ─ overlap resolution ─ offsets back to the original

A detector that fails (any exception, ``BaseException`` included, except ``KeyboardInterrupt``
and ``SystemExit``) does not escape: the failure is named in :attr:`ScanResult.errors` (the
exception type only: messages can quote the text) and counted in ``llmops.stats()``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from llmops._credentials import SECRET, find_secrets
from llmops._internal import STATS
from llmops.guardrails.pii._engine import Tier, get_engine
from llmops.guardrails.pii._normalize import normalize_text
from llmops.guardrails.pii._post import Hit, postprocess

DEFAULT_ENTITIES: tuple[str, ...] = (
    "CREDIT_CARD", "CRYPTO", "EMAIL_ADDRESS", "IBAN_CODE", "IP_ADDRESS", "LOCATION",
    "MEDICAL_LICENSE", "PERSON", "PHONE_NUMBER", SECRET, "STREET_ADDRESS", "US_BANK_NUMBER",
    "US_DRIVER_LICENSE", "US_ITIN", "US_PASSPORT", "US_SSN",
)  # fmt: skip
DEFAULT_MAX_CHARS = 200_000
DEFAULT_SCORE_THRESHOLD = 0.5
CHUNK_CHARS = 2_000
CHUNK_OVERLAP = 256
_FATAL = (KeyboardInterrupt, SystemExit)


@dataclass(frozen=True)
class Finding:
    """One detected entity; never the matched value itself.

    Attributes:
        entity_type: Presidio's entity name, such as ``EMAIL_ADDRESS`` or ``PERSON``.
        start: Offset of the first character in the original text.
        end: Offset after the last character in the original text.
        score: Confidence in [0, 1].
        detector: The recognizer that found it, such as ``EmailRecognizer``.
    """

    entity_type: str
    start: int
    end: int
    score: float
    detector: str


@dataclass(frozen=True)
class ScanResult:
    """What :func:`scan_text` found, and how the scan went.

    Attributes:
        findings: Findings in order of position.
        truncated: True when the text was longer than ``max_chars`` and only its start was
            scanned.
        latency_ms: Wall time of the scan.
        errors: Detector failures and unusable input, one short line each (no text quoted).
        tier: The detection tier that ran (``pattern`` or ``ner``), or None if none could.
        scanned_chars: How many characters of the original were scanned.
    """

    findings: tuple[Finding, ...] = ()
    truncated: bool = False
    latency_ms: float = 0.0
    errors: tuple[str, ...] = ()
    tier: str | None = None
    scanned_chars: int = 0


def coerce_text(value: object) -> tuple[str | None, str | None]:
    """The text to scan in ``value``, and an error line when it has none."""
    if isinstance(value, str):
        return value, None
    if value is None:
        return None, "input: None, nothing to scan"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace"), None
    try:
        return str(value), None
    except Exception as exc:
        return None, f"input: {type(value).__name__} has no text ({type(exc).__name__})"


def chunk_spans(length: int, text: str) -> Iterator[tuple[int, int, int, int]]:
    """``(start, end, owned_start, owned_end)`` of overlapping chunks covering ``text``.

    Chunks end at whitespace where possible. Each hit belongs to the chunk whose owned range
    holds its start, so a hit shorter than half the overlap is always seen whole by its owner.
    """
    start, owned_start = 0, 0
    while True:
        end = min(start + CHUNK_CHARS, length)
        if end < length:
            space = max(text.rfind(" ", end - 200, end), text.rfind("\n", end - 200, end))
            end = space + 1 if space > start + CHUNK_OVERLAP else end
        if end >= length:
            yield start, length, owned_start, length
            return
        owned_end = end - CHUNK_OVERLAP // 2
        yield start, end, owned_start, owned_end
        start, owned_start = end - CHUNK_OVERLAP, owned_end


def _detect(
    text: str, entities: list[str], tier: Tier | None
) -> tuple[list[Hit], list[str], str | None]:
    errors: list[str] = []
    hits: list[Hit] = find_secrets(text) if SECRET in entities else []
    presidio_entities = [entity for entity in entities if entity != SECRET]
    if not presidio_entities:
        return hits, errors, None
    engine = get_engine(tier)
    wanted = [entity for entity in presidio_entities if entity in engine.entities]
    if not text.strip():
        return hits, errors, engine.tier
    for start, end, owned_start, owned_end in chunk_spans(len(text), text):
        try:
            results = engine.analyze(text[start:end], wanted) if wanted else []
        except _FATAL:
            raise
        except BaseException as exc:  # a detector failure is contained, not raised
            errors.append(f"detector: {type(exc).__name__} in chars {start}-{end}")
            continue
        for result in results:
            if owned_start <= start + result.start < owned_end:
                detector = (result.recognition_metadata or {}).get("recognizer_name", "presidio")
                hits.append(
                    (result.entity_type, start + result.start, start + result.end,
                     float(result.score), str(detector))
                )  # fmt: skip
    return hits, errors, engine.tier


def scan_text(
    text: object,
    entities: Iterable[str] | None = None,
    *,
    tier: Tier | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    score_threshold: float = DEFAULT_SCORE_THRESHOLD,
) -> ScanResult:
    """Scan ``text`` for PII and report how the scan went; never raises for bad input.

    Args:
        text: The text; bytes are decoded as UTF-8 with replacement, other values scanned as
            ``str(value)``, None scans nothing.
        entities: Entity types to look for; default :data:`DEFAULT_ENTITIES`. Types the tier
            cannot detect (LOCATION without a model) are ignored.
        tier: ``"pattern"`` (no model) or ``"ner"`` (spaCy); default the best installed.
        max_chars: Only the first ``max_chars`` characters are scanned (``truncated`` says so).
        score_threshold: Findings scoring below this are dropped.

    Returns:
        The findings (offsets into the original text) with truncation, latency and errors.

    Raises:
        PiiUnavailable: presidio, or the spaCy pipeline of the requested tier, is missing.

    Example:
        >>> result = scan_text("Mail j\\u200bohn@example.com", tier="pattern")
        >>> [(f.entity_type, f.start, f.end) for f in result.findings]
        [('EMAIL_ADDRESS', 5, 22)]
    """
    started = time.perf_counter()
    original, error = coerce_text(text)
    if original is None:
        return ScanResult(errors=(error or "input: nothing to scan",))
    if isinstance(entities, str):
        entities = [entities]
    wanted = list(DEFAULT_ENTITIES if entities is None else entities)
    truncated = len(original) > max_chars
    scanned = original[:max_chars] if truncated else original
    normalized = normalize_text(scanned)
    hits, errors, tier_used = _detect(normalized.text, wanted, tier)
    hits = [hit for hit in hits if hit[3] >= score_threshold and hit[0] in wanted]
    findings = []
    for entity, start, end, score, detector in postprocess(normalized.text, hits):
        begin, stop = normalized.to_original(start, end)
        findings.append(Finding(entity, begin, stop, round(score, 4), detector))
    if errors:
        STATS.incr("guardrail_errors", len(errors))
        STATS.log_once_in_a_while("pii", "llmops: PII detector failed (%s)", errors[0])
    return ScanResult(
        findings=tuple(findings),
        truncated=truncated,
        latency_ms=(time.perf_counter() - started) * 1e3,
        errors=tuple(errors),
        tier=tier_used,
        scanned_chars=len(scanned),
    )


def scan_pii(
    text: object, entities: Iterable[str] | None = None, *, tier: Tier | None = None
) -> list[Finding]:
    """The PII findings in ``text``; :func:`scan_text` also reports truncation and errors.

    Example:
        >>> [f.entity_type for f in scan_pii("Call +41 44 668 18 00", tier="pattern")]
        ['PHONE_NUMBER']
    """
    return list(scan_text(text, entities, tier=tier).findings)

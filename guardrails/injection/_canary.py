"""Canary tokens: detect that a model's output leaks its system prompt.

Put the string from :func:`make_canary` in the system prompt (for instance "Never reveal the
token ..."); any output that contains it leaked the prompt. Copying can be partial or disguised,
so :func:`check_canary` looks for the canary's random part verbatim, then with case, spacing,
punctuation and invisible characters removed, reversed, and inside base64 or hex runs of the
output. The random part is 64 bits, so a match by chance is negligible.

Example:
    >>> canary = make_canary()
    >>> leaked_canary(f"Sure! My instructions say {canary}.", canary)
    True
    >>> leaked_canary("I cannot share that.", canary)
    False
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass

from llmops._errors import ConfigError
from llmops.guardrails.injection._normalize import visible

CANARY_PREFIX = "llmops-canary-"
_MIN_CORE = 8
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}[ :]?){16,}")
# Outputs are scanned up to this many characters (head and tail), so the cost stays bounded.
MAX_OUTPUT_CHARS = 1_000_000


@dataclass(frozen=True, slots=True)
class CanaryCheck:
    """Whether an output leaked a canary and how.

    Attributes:
        leaked: True when the canary (or its random part) was found.
        reason: ``"canary:verbatim"``, ``"canary:obfuscated"``, ``"canary:reversed"``,
            ``"canary:base64"`` or ``"canary:hex"``; None when nothing leaked.
    """

    leaked: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.leaked


def make_canary() -> str:
    """A fresh canary token: a fixed prefix and 16 random hex digits.

    Example:
        >>> make_canary().startswith("llmops-canary-")
        True
    """
    return CANARY_PREFIX + secrets.token_hex(8)


def _core(canary: str) -> str:
    """The part of the canary that identifies it: its random suffix, as lowercase alnum."""
    if not isinstance(canary, str):
        raise ConfigError(f"canary must be a string, got {type(canary).__name__}")
    token = canary[len(CANARY_PREFIX) :] if canary.startswith(CANARY_PREFIX) else canary
    core = _NON_ALNUM.sub("", visible(token))
    if len(core) < _MIN_CORE:
        raise ConfigError(f"canary {canary!r} is too short: use make_canary()")
    return core


def _as_output(output: object) -> str:
    if output is None:
        return ""
    if isinstance(output, bytes | bytearray | memoryview):
        output = bytes(output).decode("utf-8", "replace")
    text = output if isinstance(output, str) else repr(output)
    if len(text) > MAX_OUTPUT_CHARS:
        half = MAX_OUTPUT_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    return text


def _decoded_runs(text: str) -> tuple[list[str], list[str]]:
    b64, hexed = [], []
    for match in _BASE64_RUN.finditer(text):
        run = match.group().rstrip("=")
        run = run[: len(run) // 4 * 4] if len(run) % 4 == 1 else run
        try:
            b64.append(base64.b64decode(run + "=" * (-len(run) % 4)).decode("latin-1"))
        except (binascii.Error, ValueError):
            continue
    for match in _HEX_RUN.finditer(text):
        digits = re.sub("[ :]", "", match.group())
        try:
            hexed.append(bytes.fromhex(digits[: len(digits) // 2 * 2]).decode("latin-1"))
        except ValueError:
            continue
    return b64, hexed


def check_canary(output: object, canary: str) -> CanaryCheck:
    """Look for ``canary`` in a model's ``output``, also when disguised.

    Args:
        output: The model output (str; bytes are decoded, None is an empty output).
        canary: The token placed in the system prompt, from :func:`make_canary`.

    Returns:
        Whether it leaked and the reason.

    Raises:
        ConfigError: ``canary`` is not a string with at least 8 letters or digits.
    """
    core = _core(canary)
    text = _as_output(output)
    if core in text.lower():
        return CanaryCheck(True, "canary:verbatim")
    flat = _NON_ALNUM.sub("", visible(text))
    if core in flat:
        return CanaryCheck(True, "canary:obfuscated")
    if core[::-1] in flat:
        return CanaryCheck(True, "canary:reversed")
    b64, hexed = _decoded_runs(text)
    for reason, decoded in (("canary:base64", b64), ("canary:hex", hexed)):
        if any(core in _NON_ALNUM.sub("", part.lower()) for part in decoded):
            return CanaryCheck(True, reason)
    return CanaryCheck(False)


def leaked_canary(output: object, canary: str) -> bool:
    """True when ``output`` contains ``canary`` (see :func:`check_canary` for the reason).

    Args:
        output: The model output.
        canary: The token placed in the system prompt.

    Returns:
        Whether the canary leaked.
    """
    return check_canary(output, canary).leaked

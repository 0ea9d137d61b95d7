"""The encodings the hand-written injection sets build their encoded items with."""

from __future__ import annotations

import base64
import codecs


def b64(text: str) -> str:
    """``text`` as standard base64."""
    return base64.b64encode(text.encode()).decode()


def b64url(data: bytes) -> str:
    """``data`` as URL-safe base64 without padding (as in JWTs)."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def hex_of(text: str) -> str:
    """``text`` as hex digits."""
    return text.encode().hex()


def rot13(text: str) -> str:
    """``text`` with its letters shifted by 13."""
    return codecs.encode(text, "rot13")

"""Request bodies: read with a size cap, and decompressed with the same cap.

The cap holds after decompression too: a gzip body is inflated a slice at a time and given up as
soon as it passes the cap, so a small "gzip bomb" never takes more memory than an honest body
would.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import Receive

# Content-Encoding → zlib's window bits: gzip, and HTTP's "deflate" (zlib-wrapped; 47 also
# takes a gzip header, as some clients send under that name).
_ENCODINGS = {"": None, "identity": None, "gzip": 31, "x-gzip": 31, "deflate": 47}


class TooLarge(ValueError):
    """The body, as sent or once decompressed, is over the limit."""


class BadEncoding(ValueError):
    """The body is not valid for its Content-Encoding; the message says why."""


class ClientGone(Exception):
    """The client disconnected before sending the whole body."""


def supported(encoding: str) -> bool:
    """Whether bodies with this (lower-case) Content-Encoding can be read."""
    return encoding in _ENCODINGS


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body from an ASGI ``receive``.

    Raises:
        TooLarge: More than ``limit`` bytes arrived (reading stops there).
        ClientGone: The client went away first.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def decompress(data: bytes, encoding: str, limit: int) -> bytes:
    """``data`` decoded from ``encoding``, at most ``limit`` bytes of it.

    Raises:
        TooLarge: It inflates past ``limit`` bytes.
        BadEncoding: It is not valid gzip/deflate (or is cut short).
        KeyError: ``encoding`` is not supported (see :func:`supported`).
    """
    wbits = _ENCODINGS[encoding]
    if wbits is None:
        return data
    out = bytearray()
    pending = data
    try:
        while True:  # one pass per gzip member (a body may hold several)
            inflater = zlib.decompressobj(wbits)
            while True:
                out += inflater.decompress(pending, limit + 1 - len(out))
                if len(out) > limit:
                    raise TooLarge(f"the body inflates past the limit of {limit} bytes")
                pending = inflater.unconsumed_tail
                if inflater.eof or not pending:
                    break
            if not inflater.eof:
                raise BadEncoding(f"the {encoding} body ends early")
            pending = inflater.unused_data
            if not pending:
                return bytes(out)
    except zlib.error as exc:
        raise BadEncoding(f"not a valid {encoding} body: {exc}") from None

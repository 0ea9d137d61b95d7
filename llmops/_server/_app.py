"""The server's ASGI app: the token check, then OTLP at ``/v1/traces``, ``/metrics``, the UI.

An OTLP request takes a writer slot before its body is read, so memory is bounded by the slots
times the body limit, whatever the number of clients. A slot not free within ``queue_wait_s``
answers 429 with ``Retry-After`` (OTel exporters back off and retry). The body is decompressed,
decoded, and written as one batch file on a thread of the server's pool (off the event loop);
the 200 goes out only once that file is renamed into place, so an acknowledged batch survives a
``kill -9`` of the server. A store that cannot write (disk full, read-only) answers 503 with
``Retry-After``; a body over the limit 413; a malformed one 400 with the reason, counted by kind.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from llmops._errors import StoreError
from llmops._internal import logger
from llmops._monitor._prometheus import VersionMetrics
from llmops._server import _body, _otlp
from llmops._server._metrics import CONTENT_TYPE, ServerMetrics
from llmops.tracing._exporters import SpanSink
from llmops.tracing._secrets import scrub_records

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

TRACES_PATH = "/v1/traces"
METRICS_PATH = "/metrics"
PROJECT_HEADER = b"x-llmops-project"
TOKEN_HEADER = b"x-llmops-token"
TOKEN_COOKIE = "llmops_token"
_CONTENT_TYPES = {
    "application/x-protobuf": _otlp.PROTOBUF,
    "application/protobuf": _otlp.PROTOBUF,
    "application/json": _otlp.JSON,
}
_REPLY_TYPES = {_otlp.PROTOBUF: b"application/x-protobuf", _otlp.JSON: b"application/json"}
# google.rpc.Code of each refusal, for the Status body OTLP/HTTP asks for.
_RPC_CODES = {400: 3, 401: 16, 405: 12, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14}


@dataclass(frozen=True)
class Limits:
    """How much the server takes at once.

    Attributes:
        max_body_bytes: Largest request body, as sent and once decompressed (413 above).
        slots: OTLP requests read, decoded and written at once (the writer threads).
        queue_wait_s: How long a request waits for a slot before a 429.
        retry_after_busy_s: ``Retry-After`` of a 429.
        retry_after_store_s: ``Retry-After`` of a 503 (the store cannot write).
    """

    max_body_bytes: int = 16 * 1024 * 1024
    slots: int = 4
    queue_wait_s: float = 2.0
    retry_after_busy_s: int = 1
    retry_after_store_s: int = 5


class Refused(Exception):
    """Answer with this HTTP status and message (and headers), counted; gRPC maps the status."""

    def __init__(self, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or []


class ServerApp:
    """The ``llmops server`` ASGI app.

    Args:
        sink: Where received spans go (the store's span sink); ``write`` raises when it cannot.
        store_dir: The store folder, for the store's numbers in ``/metrics``.
        ui: The web UI app served on every other path, or None.
        token: When set, every request must carry it (``Authorization: Bearer``,
            ``x-llmops-token``, or the cookie the UI sets after ``/?token=…``).
        limits: Sizes and waits.
    """

    def __init__(
        self,
        sink: SpanSink,
        store_dir: Path,
        *,
        ui: ASGIApp | None = None,
        token: str | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.sink = sink
        self.store_dir = Path(store_dir)
        self.ui = ui
        self._token = token.encode() if token else None
        self.limits = limits or Limits()
        self.metrics = ServerMetrics(self.limits.slots)
        self.versions = VersionMetrics(self.store_dir)
        self._pool = ThreadPoolExecutor(self.limits.slots, thread_name_prefix="llmops-ingest")
        self._slots: asyncio.Semaphore | None = None
        self.on_shutdown: list[Callable[[], Awaitable[None]]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":  # websockets: the UI has none; refuse without a word
            await send({"type": "websocket.close", "code": 1008})
            return
        if self._token is not None and not await self._authorized(scope, send, self._token):
            return
        path = scope["path"]
        if path == TRACES_PATH:
            await self._traces(scope, receive, send)
        elif path == METRICS_PATH:
            await self._metrics(send)
        elif self.ui is not None:
            await self.ui(scope, receive, send)
        else:
            await _reply(send, 404, b"text/plain; charset=utf-8", b"not found\n")

    # --- the token ------------------------------------------------------------------------------
    def token_offered(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """Whether these (lower-case) headers, or gRPC metadata, carry the token, compared in
        constant time: ``Authorization: Bearer``, ``x-llmops-token`` or the UI's cookie. True when
        the server has no token."""
        token = self._token
        if token is None:
            return True
        offered = [value for name, value in headers if name == TOKEN_HEADER]
        for name, value in headers:
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                offered.append(value[7:].strip())
            elif name == b"cookie":
                offered.extend(_cookies(value, TOKEN_COOKIE))
        return any(hmac.compare_digest(value, token) for value in offered)

    async def _authorized(self, scope: Scope, send: Send, token: bytes) -> bool:
        """Whether the request carries ``token``; if not, the 401 (or the UI's redirect) is sent."""
        if self.token_offered(scope["headers"]):
            return True
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        offered = query.pop("token", "").encode()
        if scope["method"] == "GET" and offered and hmac.compare_digest(offered, token):
            # A browser opening the UI: keep the token in a cookie, and drop it from the address.
            location = scope["path"] + (f"?{urlencode(query)}" if query else "")
            cookie = f"{TOKEN_COOKIE}={token.decode()}; Path=/; HttpOnly; SameSite=Strict"
            await _reply(
                send,
                303,
                b"text/plain; charset=utf-8",
                b"",
                [(b"location", location.encode()), (b"set-cookie", cookie.encode())],
            )
            return False
        self.metrics.answered(401)
        await _reply(
            send,
            401,
            b"text/plain; charset=utf-8",
            b"missing or wrong token: send 'Authorization: Bearer <token>'\n",
            [(b"www-authenticate", b'Bearer realm="llmops"')],
        )
        return False

    # --- /metrics and the lifespan --------------------------------------------------------------
    async def _metrics(self, send: Send) -> None:
        text = await asyncio.get_running_loop().run_in_executor(None, self._metrics_text)
        await _reply(send, 200, CONTENT_TYPE.encode(), text.encode())

    def _metrics_text(self) -> str:
        """The server's and the store's series, then the per-version ones (which read the
        store: a store that cannot be read costs those series and a log line, not the scrape)."""
        text = self.metrics.text(self.store_dir)
        try:
            return text + self.versions.text()
        except Exception as exc:  # a damaged or locked store: the server's own series still go
            logger.warning("llmops server: per-version metrics: %s: %s", type(exc).__name__, exc)
            return text

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for stop in self.on_shutdown:  # other receivers (gRPC) finish before the writers
                    await stop()
                await asyncio.get_running_loop().run_in_executor(None, self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        """Finish the writes in progress and the store's background work."""
        self._pool.shutdown(wait=True)
        self.sink.shutdown(30_000)

    # --- OTLP -----------------------------------------------------------------------------------
    async def _traces(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope["headers"]
        content_type = _header(headers, b"content-type").split(";")[0].strip().lower()
        form = _CONTENT_TYPES.get(content_type)
        try:
            decoded = await self._accept(scope, receive, form, headers)
        except Refused as refusal:
            self.metrics.answered(refusal.status)
            await _refuse(send, form, refusal)
            return
        except Exception as exc:  # a bug: logged and answered, and the server lives on
            logger.error("llmops server: a request failed", exc_info=True)
            self.metrics.answered(500)
            await _refuse(send, form, Refused(500, f"internal error: {type(exc).__name__}"))
            return
        self.metrics.answered(200)
        if form == _otlp.PROTOBUF:
            body = _otlp.protobuf_response(decoded)
        else:
            body = _otlp.json_response(decoded)
        await _reply(send, 200, _REPLY_TYPES[form or _otlp.JSON], body)

    async def _accept(
        self, scope: Scope, receive: Receive, form: str | None, headers: list[tuple[bytes, bytes]]
    ) -> _otlp.Decoded:
        if scope["method"] != "POST":
            raise Refused(405, "send OTLP spans with POST", [(b"allow", b"POST")])
        if form is None:
            raise Refused(415, "send application/x-protobuf or application/json")
        encoding = _header(headers, b"content-encoding").strip().lower()
        if not _body.supported(encoding):
            raise Refused(415, f"unsupported Content-Encoding {encoding!r}: send gzip or none")
        limit = self.limits.max_body_bytes
        length = _header(headers, b"content-length")
        if length.isdigit() and int(length) > limit:
            raise Refused(413, f"the body is over the limit of {limit} bytes")
        project = _header(headers, PROJECT_HEADER).strip() or None
        async with self._slot():
            try:
                raw = await _body.read_body(receive, limit)
            except _body.TooLarge as exc:
                raise Refused(413, str(exc)) from None
            except _body.ClientGone:
                raise Refused(400, "the client went away before the body ended") from None
            return await asyncio.get_running_loop().run_in_executor(
                self._pool, self._ingest, raw, form, encoding, project
            )

    async def ingest(self, raw: bytes, form: str, project: str | None) -> _otlp.Decoded:
        """Decode and write a body already read and decompressed (gRPC's), in a writer slot.

        Raises:
            Refused: The server is busy (429), the body is malformed (400) or the store cannot
                write (503).
        """
        async with self._slot():
            return await asyncio.get_running_loop().run_in_executor(
                self._pool, self._ingest, raw, form, "", project
            )

    def _slot(self) -> _Slot:
        if self._slots is None:  # made on the server's event loop
            self._slots = asyncio.Semaphore(self.limits.slots)
        return _Slot(self._slots, self.limits, self.metrics)

    def _ingest(self, raw: bytes, form: str, encoding: str, project: str | None) -> _otlp.Decoded:
        """Decode and write one request, on a writer thread; raises :class:`Refused`."""
        started = time.perf_counter()
        limit = self.limits.max_body_bytes
        try:
            body = _body.decompress(raw, encoding, limit)
        except _body.TooLarge as exc:
            raise Refused(413, str(exc)) from None
        except _body.BadEncoding as exc:
            self.metrics.bad(encoding)
            raise Refused(400, str(exc)) from None
        self.metrics.received(len(raw), len(body))
        try:
            decoded = _otlp.DECODERS[form](body, project)
        except _otlp.Malformed as exc:
            self.metrics.bad(form)
            raise Refused(400, str(exc)) from None
        except Exception as exc:  # a decoder's bug must not take the server down, nor be a 500
            logger.warning("llmops server: could not decode a %s request", form, exc_info=True)
            self.metrics.bad(form)
            raise Refused(400, f"cannot decode the {form} body: {type(exc).__name__}") from None
        # API keys are never recorded: what other processes send is scrubbed as ours is.
        decoded.records[:] = scrub_records(decoded.records)
        try:
            self.sink.write(decoded.records)
        except (OSError, StoreError) as exc:
            logger.warning("llmops server: cannot write spans: %s", exc)
            retry = str(self.limits.retry_after_store_s).encode()
            raise Refused(
                503, f"the store cannot write: {exc}", [(b"retry-after", retry)]
            ) from None
        written = len(decoded.records)
        self.metrics.stored(
            written + decoded.rejected,
            written,
            decoded.rejected,
            decoded.links_dropped,
            time.perf_counter() - started,
        )
        return decoded


class _Slot:
    """One writer slot, waited for at most ``queue_wait_s`` (then a 429)."""

    def __init__(self, slots: asyncio.Semaphore, limits: Limits, metrics: ServerMetrics) -> None:
        self._slots = slots
        self._limits = limits
        self._metrics = metrics

    async def __aenter__(self) -> None:
        self._metrics.queue(waiting=1)
        try:
            await asyncio.wait_for(self._slots.acquire(), self._limits.queue_wait_s)
        except TimeoutError:
            retry = str(self._limits.retry_after_busy_s).encode()
            raise Refused(
                429, "the server is busy: retry later", [(b"retry-after", retry)]
            ) from None
        finally:
            self._metrics.queue(waiting=-1)
        self._metrics.queue(in_flight=1)

    async def __aexit__(self, *exc: object) -> None:
        self._metrics.queue(in_flight=-1)
        self._slots.release()


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""


def _cookies(header: bytes, name: str) -> list[bytes]:
    found = []
    for part in header.split(b";"):
        key, _, value = part.strip().partition(b"=")
        if key == name.encode():
            found.append(value)
    return found


async def _reply(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Send, form: str | None, refusal: Refused) -> None:
    """A refusal: a ``google.rpc.Status`` in the request's encoding (plain text if unknown)."""
    message = str(refusal)
    code = _RPC_CODES.get(refusal.status, 2)
    if form == _otlp.PROTOBUF:
        content_type, body = _REPLY_TYPES[form], _otlp.protobuf_status(code, message)
    elif form == _otlp.JSON:
        content_type, body = _REPLY_TYPES[form], _otlp.json_status(code, message)
    else:
        content_type, body = b"text/plain; charset=utf-8", f"{message}\n".encode()
    await _reply(send, refusal.status, content_type, body, refusal.headers)

"""OTLP/gRPC: ``TraceService/Export`` on its own port, into the same ingest as OTLP/HTTP.

The OpenTelemetry SDKs' default exporter speaks gRPC (port 4317), so a server that takes it
receives from apps configured with nothing but an endpoint. A request goes the HTTP road from
the decoded body on: the same token, the same writer slots, the same decoder, scrub and batch
write, and the answer only once the batch file is in place.

gRPC reads and decompresses the message itself (gzip included), within the body limit
(``grpc.max_receive_message_length``); at most twice ``slots`` calls are held at once (half
writing, half waiting), so memory stays bounded by that times the limit. Refusals carry the
status codes the OTLP specification names: ``RESOURCE_EXHAUSTED`` with ``RetryInfo`` when busy,
``UNAVAILABLE`` with ``RetryInfo`` when the store cannot write (both retried by the exporters),
``INVALID_ARGUMENT`` for a malformed message, ``UNAUTHENTICATED`` without the token.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from llmops._errors import ConfigError
from llmops._internal import logger
from llmops._server import _otlp
from llmops._server._app import Refused

if TYPE_CHECKING:
    import grpc
    import grpc.aio

    from llmops._server._app import ServerApp

DEFAULT_GRPC_PORT = 4317
SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
_RETRY_INFO = "google.rpc.retryinfo-bin"
# The refusal's HTTP status → the gRPC status name, as the OTLP specification pairs them.
_CODES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    413: "RESOURCE_EXHAUSTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def check_grpc_installed() -> None:
    """Raises:
    ConfigError: grpcio is missing (``pip install 'llmops[grpc]'``).
    """
    if importlib.util.find_spec("grpc") is None:
        raise ConfigError("OTLP/gRPC needs grpcio: pip install 'llmops[grpc]'")


def grpc_address(host: str, port: int) -> str:
    """``host:port`` as gRPC writes it (IPv6 in brackets)."""
    host = host.strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class GrpcReceiver:
    """The OTLP/gRPC trace service of one ``ServerApp``, on the app's event loop.

    Args:
        app: The server whose token, slots, metrics and store the calls use.
        reuse_port: Share the port with other server processes on this host.
    """

    def __init__(self, app: ServerApp, *, reuse_port: bool = False) -> None:
        self.app = app
        self.reuse_port = reuse_port
        self._server: grpc.aio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: a free port) and serve; the port bound.

        Raises:
            OSError: The address is in use or cannot be bound.
        """
        import grpc
        import grpc.aio

        limits = self.app.limits
        options = [
            ("grpc.max_receive_message_length", limits.max_body_bytes),
            # grpc shares ports by default; like the HTTP listener, only when asked to.
            ("grpc.so_reuseport", 1 if self.reuse_port else 0),
        ]
        server = grpc.aio.server(options=options, maximum_concurrent_rpcs=2 * limits.slots)
        handler = grpc.unary_unary_rpc_method_handler(self._export)  # bytes in, bytes out
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, {"Export": handler}),)
        )
        address = grpc_address(host, port)
        try:
            bound = server.add_insecure_port(address)
        except RuntimeError as exc:  # grpcio >= 1.4x raises where older ones returned 0
            raise OSError(f"cannot listen on {address}: {exc}") from None
        if not bound:
            raise OSError(f"cannot listen on {address}")
        await server.start()
        self._server = server
        self.app.on_shutdown.append(self.stop)
        return bound

    async def stop(self, grace_s: float = 10.0) -> None:
        """Refuse new calls and let those in progress finish (up to ``grace_s``)."""
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop(grace_s)

    async def _export(self, request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        import grpc

        app = self.app
        metadata = [
            (key.encode("latin-1"), value if isinstance(value, bytes) else value.encode())
            for key, value in (context.invocation_metadata() or ())
        ]
        try:
            if not app.token_offered(metadata):
                raise Refused(401, "missing or wrong token: send 'authorization: Bearer <token>'")
            project = dict(metadata).get(b"x-llmops-project", b"").decode().strip() or None
            decoded = await app.ingest(request, _otlp.PROTOBUF, project)
        except Refused as refusal:
            code = _CODES.get(refusal.status, "UNKNOWN")
            app.metrics.grpc_answered(code)
            trailing = _retry_info(refusal)
            await context.abort(getattr(grpc.StatusCode, code), str(refusal), trailing)
        except Exception as exc:  # a bug: logged and answered, and the server lives on
            logger.error("llmops server: a gRPC call failed", exc_info=True)
            app.metrics.grpc_answered("INTERNAL")
            await context.abort(grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}")
        app.metrics.grpc_answered("OK")
        return _otlp.protobuf_response(decoded)


def _retry_info(refusal: Refused) -> tuple[tuple[str, bytes], ...]:
    """``RetryInfo`` trailing metadata from a refusal's ``Retry-After``, which the OTel
    exporters wait out before they retry; none when the refusal has none."""
    seconds = dict(refusal.headers).get(b"retry-after")
    if not seconds:
        return ()
    from google.protobuf.duration_pb2 import Duration
    from google.rpc.error_details_pb2 import RetryInfo

    info = RetryInfo(retry_delay=Duration(seconds=int(seconds)))
    return ((_RETRY_INFO, info.SerializeToString()),)


__all__ = ["DEFAULT_GRPC_PORT", "GrpcReceiver", "check_grpc_installed", "grpc_address"]

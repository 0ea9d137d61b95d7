"""``llmops server``: spans from any app, any language, any instrumentation, into the store.

One process serves OTLP/HTTP at ``/v1/traces`` (protobuf and JSON, gzip included, as the
OpenTelemetry exporters send it), Prometheus metrics at ``/metrics`` and the web UI on every
other path; with a gRPC port, OTLP/gRPC too (``llmops._server._grpc``, grpcio from the ``grpc``
extra). Received spans become neutral span records (``llmops.tracing.SpanRecord``) and are
written by the store's span sink, the same road as the decorators' spans: the same row mapper
(dialects mapped, cost priced), the same files. A 200 means the batch file is renamed into place
(durable against ``kill -9``); see :mod:`llmops._server._app` for the limits and refusals.

Any number of server processes may run at once, on one host or on hosts sharing the store
folder: the store takes concurrent writers (see ``llmops._store``). With ``reuse_port`` several
processes on one host listen on the same port, and the kernel spreads connections over them.

Security: loopback by default. Any other address needs a token, checked on every request in
constant time; without one the server refuses to start. Starlette and uvicorn come with the
``ui`` extra.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from llmops._errors import ConfigError

if TYPE_CHECKING:
    from llmops._server._app import Limits, ServerApp

DEFAULT_PORT = 4318
TOKEN_ENV = "LLMOPS_SERVER_TOKEN"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    """Refuse a bind beyond this machine without a token.

    Raises:
        ConfigError: ``host`` is not loopback and there is no token.
    """
    if not token and not is_loopback(host):
        raise ConfigError(
            f"refusing to listen on {host} without a token: anyone who reaches it could read and "
            f"write your traces; pass --token or set {TOKEN_ENV}"
        )


def create_app(
    store_dir: Path | None = None,
    *,
    token: str | None = None,
    limits: Limits | None = None,
    ui: bool = True,
    fsync: bool = False,
) -> ServerApp:
    """The server as an ASGI app, writing into (and showing) the store at ``store_dir``.

    Args:
        store_dir: The store folder; default: the configured one (``$LLMOPS_HOME/store``).
        token: Required on every request when set.
        limits: Body size, writer slots and waits (``llmops._server._app.Limits``).
        ui: Serve the web UI too.
        fsync: Also make each batch survive power loss before answering (slower).
    """
    from llmops._configure import active_settings
    from llmops._server._app import ServerApp
    from llmops._spansink import DuckDBSpanSink

    settings = active_settings()
    store = Path(store_dir) if store_dir is not None else settings.store_dir()
    sink = DuckDBSpanSink(store, compact_threshold=settings.compact_threshold, fsync=fsync)
    ui_app = None
    if ui:
        from llmops._ui import create_app as create_ui

        ui_app = create_ui(store)
    return ServerApp(sink, store, ui=ui_app, token=token, limits=limits)


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening socket for the server: the UI's, with a longer accept queue."""
    from llmops._ui import bind as bind_socket

    return bind_socket(host, port, reuse_port=reuse_port, backlog=1024)


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    token: str | None = None,
    store_dir: Path | None = None,
    limits: Limits | None = None,
    ui: bool = True,
    fsync: bool = False,
    reuse_port: bool = False,
    grpc_port: int | None = None,
) -> None:
    """Serve until interrupted, printing the address first (one line).

    Args:
        host: Interface to bind; anything but loopback needs ``token``.
        port: TCP port; 0 picks a free one (the printed address says which).
        token: Required on every request; default: ``$LLMOPS_SERVER_TOKEN``.
        store_dir: The store folder; default: the configured one.
        limits: Body size, writer slots and waits.
        ui: Serve the web UI too.
        fsync: Also make each batch survive power loss before answering.
        reuse_port: Share the port with other server processes on this host.
        grpc_port: Also take OTLP/gRPC on this port of ``host`` (0: a free one); None: no gRPC.
            Needs grpcio (``llmops[grpc]``).

    Raises:
        ConfigError: A non-loopback ``host`` without a token, or gRPC asked for without grpcio.
        OSError: An address is in use or cannot be bound.
    """
    token = token or os.environ.get(TOKEN_ENV) or None
    check_exposure(host, token)
    if grpc_port is not None:
        from llmops._server._grpc import check_grpc_installed

        check_grpc_installed()
    app = create_app(store_dir, token=token, limits=limits, ui=ui, fsync=fsync)
    try:
        sock = bind(host, port, reuse_port=reuse_port)
    except OSError:
        app.close()
        raise
    try:
        asyncio.run(_serve(app, sock, host, token, grpc_port, reuse_port))
    except OSError:
        sock.close()
        app.close()
        raise


async def _serve(
    app: ServerApp,
    sock: socket.socket,
    host: str,
    token: str | None,
    grpc_port: int | None,
    reuse_port: bool,
) -> None:
    """Start the gRPC receiver (if asked), print the addresses, and serve HTTP until a signal."""
    import uvicorn

    shown = f"[{host.strip('[]')}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}"
    parts = [f"OTLP {url}/v1/traces"]
    if grpc_port is not None:
        from llmops._server._grpc import GrpcReceiver

        bound = await GrpcReceiver(app, reuse_port=reuse_port).start(host, grpc_port)
        parts.append(f"OTLP/gRPC {shown}:{bound}")
    parts += [f"metrics {url}/metrics"] + ([f"UI {url}/"] if app.ui is not None else [])
    guard = "token required" if token else "no token"
    print(f"llmops server at {url}/ ({', '.join(parts)}; {guard}; Ctrl+C to stop)", flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=10
    )
    await uvicorn.Server(config).serve(sockets=[sock])


__all__ = [
    "DEFAULT_PORT",
    "TOKEN_ENV",
    "bind",
    "check_exposure",
    "create_app",
    "is_loopback",
    "serve",
]

"""The local web UI (``llmops ui``): traces, eval runs, and two config versions side by side.

Server-rendered and read-only: Starlette routes query the embedded store through DuckDB and
render Jinja2 templates (autoescaped; no script or style inline, so a strict
Content-Security-Policy holds). Nothing here is imported by ``import llmops``; Starlette,
uvicorn and Jinja2 come with the ``ui`` extra.

Pages: ``/`` traces, ``/traces/{id}`` waterfall and span detail, ``/configs`` config versions,
``/compare?a=NAME@REF&b=NAME@REF`` config diff with eval metric deltas, ``/evals`` and
``/evals/{run_id}`` eval runs, ``/monitor`` per-version series charts and drift alerts; JSON at
``/api/traces`` and ``/api/traces/{id}``.
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from llmops._ui._data import StoreReader
    from llmops._ui._web import Renderer

DEFAULT_PORT = 5799


def create_app(
    store_dir: Path | None = None,
    *,
    home: Path | None = None,
    tracking_uri: str | None = None,
) -> Starlette:
    """The UI as an ASGI app.

    Args:
        store_dir: The store to read; default: the configured one (``$LLMOPS_HOME/store``).
        home: The llmops home of the config registry; default: the configured one.
        tracking_uri: MLflow tracking URI of the config registry; default as the registry's.

    Example:
        >>> import uvicorn
        >>> uvicorn.run(create_app(Path(".llmops/store")), host="127.0.0.1", port=5799)
    """
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from llmops._configure import active_settings
    from llmops._ui import _evals, _pages
    from llmops._ui._data import StoreReader
    from llmops._ui._web import Renderer, SecurityHeaders, static_files

    settings = active_settings()
    reader = StoreReader(store_dir or settings.store_dir(), settings.compact_threshold)
    renderer = Renderer()
    static = static_files()
    registry = _evals.RegistrySource(home=home or Path(settings.home), tracking_uri=tracking_uri)

    def static_file(request: Request) -> Response:
        found = static.get(request.path_params["name"])
        if found is None:
            return renderer.error(404, "no such file")
        headers = {"cache-control": "public, max-age=300"}
        return Response(found[0], media_type=found[1], headers=headers)

    def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def not_found(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code != 404:
            return PlainTextResponse(str(exc.detail), status_code=exc.status_code)
        return renderer.error(404, f"no page at {request.url.path}")

    route_list = [
        *_pages.routes(reader, renderer),
        *_evals.routes(reader, renderer, registry),
        Route("/static/{name}", static_file),
        Route("/healthz", healthz),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        import anyio.to_thread

        await anyio.to_thread.run_sync(_warm, reader, renderer)
        yield

    return Starlette(
        routes=route_list,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: not_found},
        lifespan=lifespan,
    )


def _warm(reader: StoreReader, renderer: Renderer) -> None:
    """Before the first request: open the store once (DuckDB's import, the tables of the
    installed features, each file's check) and compile the pages' templates, so the first page
    costs what the next ones do (on a 10M-span store, 586 -> 374 ms; docs/scaling.md). A store
    that cannot be read yet is the pages' to report, not the startup's."""
    from llmops._internal import logger

    try:
        with reader.connection() as con:
            con.execute("SELECT count(*) FROM (SELECT 1 FROM span_rows LIMIT 1)").fetchall()
        for name in ("traces.html", "trace.html"):
            renderer.env.get_template(name)
    except Exception as exc:
        logger.warning("llmops ui: warming up failed: %s: %s", type(exc).__name__, exc)


def bind(host: str, port: int, *, reuse_port: bool = False, backlog: int = 128) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port).

    Args:
        reuse_port: Let other processes listen on the same port (``SO_REUSEPORT``); the kernel
            spreads new connections over them.
        backlog: Connections the kernel queues before they are accepted.

    Raises:
        OSError: The address is in use or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    *,
    store_dir: Path | None = None,
) -> None:
    """Serve the UI until interrupted, printing its address first.

    Args:
        host: Interface to bind; the default keeps the UI on this machine (it has no login).
        port: TCP port; 0 picks a free one (the printed address says which).
        open_browser: Open the address in the default browser once listening.
        store_dir: The store to read; default: the configured one.

    Raises:
        OSError: The address is in use or cannot be bound.
    """
    import uvicorn

    app = create_app(store_dir)
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound_port}/"
    print(f"llmops UI at {url} (Ctrl+C to stop)", flush=True)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])

"""``llmops server``: receive OTLP spans into the store, and serve the UI and ``/metrics``."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer
from rich.console import Console

from llmops._cli._render import print_error

console = Console(stderr=True, soft_wrap=True)  # one-line errors, whatever the width
SERVER_MODULES = ("starlette", "uvicorn", "jinja2")


def server(
    host: Annotated[
        str, typer.Option(help="Interface to listen on; anything but loopback needs a token.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port (0: any free port).")
    ] = 4318,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="LLMOPS_SERVER_TOKEN",
            show_envvar=True,
            help="Require 'Authorization: Bearer TOKEN' on every request.",
        ),
    ] = None,
    max_body_mib: Annotated[
        float, typer.Option(min=0.001, help="Largest request body, also once decompressed (MiB).")
    ] = 16.0,
    slots: Annotated[
        int, typer.Option(min=1, max=256, help="Requests read, decoded and written at once.")
    ] = 4,
    queue_wait: Annotated[
        float, typer.Option(min=0.0, help="Seconds a request waits for a slot before a 429.")
    ] = 2.0,
    ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Serve the web UI too.")] = True,
    fsync: Annotated[
        bool, typer.Option(help="Make each batch survive power loss before answering (slower).")
    ] = False,
    reuse_port: Annotated[
        bool, typer.Option(help="Share the port with other llmops server processes on this host.")
    ] = False,
    grpc_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Also take OTLP/gRPC on this port (4317 is the usual; 0: any free port).",
        ),
    ] = None,
) -> None:
    """Receive OTLP spans (HTTP; gRPC with --grpc-port) into the store; serve the UI, /metrics."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        print_error(console, f"the server needs {', '.join(missing)}: pip install 'llmops[ui]'")
        raise typer.Exit(2)
    from llmops._errors import ConfigError
    from llmops._server import check_exposure, serve
    from llmops._server._app import Limits

    try:
        check_exposure(host, token)
        if grpc_port is not None:
            from llmops._server._grpc import check_grpc_installed

            check_grpc_installed()
    except ConfigError as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None
    limits = Limits(
        max_body_bytes=int(max_body_mib * 1024 * 1024), slots=slots, queue_wait_s=queue_wait
    )
    try:
        serve(
            host,
            port,
            token=token,
            limits=limits,
            ui=ui,
            fsync=fsync,
            reuse_port=reuse_port,
            grpc_port=grpc_port,
        )
    except OSError as exc:
        if exc.strerror:  # the HTTP socket's own error
            why = f"cannot listen on {host}:{port}: {exc.strerror} (try another --port)"
        else:  # gRPC's, which names its address
            why = f"{exc} (try another --grpc-port)"
        print_error(console, why)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:  # uvicorn handles Ctrl+C itself; this covers the start-up window
        raise typer.Exit(0) from None

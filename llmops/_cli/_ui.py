"""``llmops ui``: serve the local web UI over the embedded store."""

from __future__ import annotations

import importlib.util
import ipaddress
from typing import Annotated

import typer
from rich.console import Console

from llmops._cli._render import print_error

console = Console(stderr=True)
UI_MODULES = ("starlette", "uvicorn", "jinja2")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ui(
    host: Annotated[
        str, typer.Option(help="Interface to listen on; the UI has no login, keep it local.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port (0: any free port).")
    ] = 5799,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the UI in a browser.")
    ] = False,
) -> None:
    """Browse traces, config versions and eval runs in a local web UI."""
    missing = [name for name in UI_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        console.print(
            f"[red]error:[/red] the UI needs {', '.join(missing)}: pip install 'llmops[ui]'",
            highlight=False,
        )
        raise typer.Exit(2)
    if not _is_loopback(host):
        console.print(
            f"[yellow]warning:[/yellow] serving on {host}: anyone who can reach it reads your "
            "traces (the UI has no login)",
            highlight=False,
        )
    from llmops._ui import serve

    try:
        serve(host, port, open_browser=open_browser)
    except OSError as exc:
        reason = exc.strerror or exc
        print_error(console, f"cannot listen on {host}:{port}: {reason} (try another --port)")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:  # uvicorn handles Ctrl+C itself; this covers the start-up window
        raise typer.Exit(0) from None

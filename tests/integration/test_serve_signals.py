"""``llmops serve`` on the real local model (Gemma 3 270M on llama.cpp), as a process manager
runs it: it is up once the model answers, and SIGTERM, SIGINT or its own death leaves no model
server behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import llmops

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

CONFIG = Path(llmops.__file__).parent / "_data" / "quickstart" / "support-bot.yaml"
LLMOPS = Path(sys.executable).with_name("llmops")
START_TIMEOUT_S = 240.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` after the command name: state, ppid, pgid, …; None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def model_servers(parent: int) -> list[int]:
    """The llama.cpp servers that ``parent`` started."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(entry.name))
        if fields is None or int(fields[1]) != parent:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"llama_cpp.server" in cmdline:
            found.append(int(entry.name))
    return found


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not running(pid)


@dataclass
class Served:
    """``llmops serve`` (``process``) and the llama.cpp server it started (``server_pid``)."""

    process: subprocess.Popen[bytes]
    server_pid: int
    port: int
    output: Path
    start_seconds: float

    def text(self) -> str:
        return self.output.read_text(errors="replace")


def one_token(port: int) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/completions",
        data=json.dumps({"prompt": "Hello", "max_tokens": 1}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        answer: dict[str, object] = json.load(response)
    return answer


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """``llmops serve support-bot.yaml --port P`` in its own session, once it says it serves."""
    port = free_port()
    output = tmp_path / "llmops-serve.log"
    started = time.monotonic()
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [str(LLMOPS), "serve", str(CONFIG), "--port", str(port)],
            cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    servers: list[int] = []
    try:
        while "serving support-bot" not in output.read_text(errors="replace"):
            servers = servers or model_servers(process.pid)
            if process.poll() is not None or time.monotonic() - started > START_TIMEOUT_S:
                pytest.fail(f"llmops serve did not come up:\n{output.read_text()[-4000:]}")
            time.sleep(0.2)
        servers = servers or model_servers(process.pid)
        assert len(servers) == 1, servers
        yield Served(process, servers[0], port, output, time.monotonic() - started)
    finally:
        for pid in servers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
        process.wait()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_the_model_server_and_exits_cleanly(
    served: Served, stop: signal.Signals
) -> None:
    answer = one_token(served.port)  # up means the model answers, not just /v1/models
    assert answer["choices"]
    assert running(served.server_pid)
    assert os.getpgid(served.server_pid) == served.server_pid  # its own process group
    sent = time.monotonic()
    served.process.send_signal(stop)
    returncode = served.process.wait(timeout=30)
    took = time.monotonic() - sent
    text = " ".join(served.text().split())
    assert returncode == 0, text
    assert f"stopping ({stop.name})" in text
    assert not running(served.server_pid), "llmops serve left its llama.cpp server running"
    assert took < 20, f"{stop.name}: stopped in {took:.1f} s"
    print(f"{stop.name}: up in {served.start_seconds:.1f} s, stopped in {took:.2f} s")


def test_the_model_server_dies_with_a_killed_llmops_serve(served: Served) -> None:
    served.process.kill()  # SIGKILL: nothing of llmops runs, the kernel's death signal does
    served.process.wait(timeout=10)
    assert wait_gone(served.server_pid, timeout=10), "the llama.cpp server outlived llmops serve"


def test_a_model_server_that_dies_ends_llmops_serve_with_its_signal(served: Served) -> None:
    import resource

    resource.prlimit(served.server_pid, resource.RLIMIT_CORE, (0, 0))  # no 300 MB core file
    os.kill(served.server_pid, signal.SIGSEGV)
    returncode = served.process.wait(timeout=30)
    assert returncode == 2, served.text()
    # One line, whole even without a terminal (a process manager's log): signal, phase, cause,
    # the log file and the command.
    [error] = [line for line in served.text().splitlines() if line.startswith("error: ")]
    assert error.startswith("error: model server killed by SIGSEGV during serving; ")
    assert "likely cause: illegal instruction or protection fault in the CPU library" in error
    assert "scripts/install_llama_cpp.sh" in error
    assert "serving/llama-server-" in error  # its log file
    assert error.rstrip().endswith("--chat_format gemma")  # and the command, on the same line

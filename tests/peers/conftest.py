"""Opt-in tier: llmops' OTLP export read back from a real peer (``make test-peers``).

Skipped unless ``LLMOPS_TEST_PHOENIX=1`` and a ``phoenix`` executable is found
(``LLMOPS_PHOENIX_BIN``, else ``phoenix`` on ``PATH``). Phoenix (``arize-phoenix``) pins its own
dependencies, so it lives in its own venv (``.venv-phoenix``, made by the make target); the tests
reach it only through HTTP and through its own client run by that venv's Python.

Phoenix binds its OTLP/gRPC receiver to ``[::]`` with no setting for the host: the server is
started by a few lines that rewrite that one address to loopback before running Phoenix's own
``main``, on free ports and a temporary ``PHOENIX_WORKING_DIR``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 180.0
MEASUREMENTS: list[str] = []

# Run by the phoenix venv's Python: `phoenix serve`, its gRPC receiver on loopback only.
_LAUNCH = """\
import sys
import grpc.aio._server as grpc_server
add_insecure_port = grpc_server.Server.add_insecure_port
def on_loopback(self, address):
    return add_insecure_port(self, address.replace("[::]:", "127.0.0.1:", 1))
grpc_server.Server.add_insecure_port = on_loopback
from phoenix.server.main import main
sys.argv[0] = "phoenix"
sys.exit(main())
"""


def phoenix_bin() -> str | None:
    """The ``phoenix`` executable: ``LLMOPS_PHOENIX_BIN`` if set (and executable), else ``PATH``."""
    configured = os.environ.get("LLMOPS_PHOENIX_BIN")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("phoenix")


PHOENIX_BIN = phoenix_bin()


def _skip_reason() -> str | None:
    if os.environ.get("LLMOPS_TEST_PHOENIX") != "1":
        return "opt-in: set LLMOPS_TEST_PHOENIX=1 (make test-peers) to export to a real Phoenix"
    if PHOENIX_BIN is None:
        return "no phoenix executable (LLMOPS_PHOENIX_BIN, or PATH): make test-peers installs one"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if MEASUREMENTS:
        terminalreporter.section("phoenix measurements")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)


@pytest.fixture
def measured() -> Callable[[str], None]:
    """Add a line to the "phoenix measurements" section printed at the end of the run."""
    return MEASUREMENTS.append


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PhoenixServer:
    url: str
    python: str  # the phoenix venv's interpreter, for its client
    version: str

    def read(self, script: str, *args: str) -> object:
        """Run ``script`` (it prints one JSON value) with Phoenix's own client installed."""
        done = subprocess.run(
            [self.python, "-c", script, self.url, *args],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-4000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def graphql(self, query: str) -> dict[str, object]:
        """Phoenix's GraphQL API (what its UI reads; its Python client has no cost call)."""
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
        assert not body.get("errors"), body
        data: dict[str, object] = body["data"]
        return data


# Loopback as /proc/net/tcp and tcp6 write it: 127.0.0.1, ::ffff:127.0.0.1, ::1.
_LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net writes them) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                address, _, hex_port = fields[1].partition(":")
                if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def phoenix_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoenixServer]:
    """A real ``phoenix serve`` on free loopback ports and a fresh working folder."""
    assert PHOENIX_BIN is not None  # the tests were marked skipped otherwise
    # Not resolved: the venv's python is a link to the base interpreter.
    python = os.path.join(os.path.dirname(os.path.abspath(PHOENIX_BIN)), "python")
    version = subprocess.run(
        [python, "-c", "from importlib.metadata import version; print(version('arize-phoenix'))"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    folder = tmp_path_factory.mktemp("phoenix")
    port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "PHOENIX_WORKING_DIR": str(folder),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    started = time.monotonic()
    with open(folder / "server.log", "wb") as log:  # the child keeps its own copy
        proc = subprocess.Popen(
            [python, "-c", _LAUNCH, "serve"], cwd=folder, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() - started > START_TIMEOUT_S:
                text = (folder / "server.log").read_text(errors="replace")
                pytest.fail(f"phoenix serve did not start:\n{text[-6000:]}")
            time.sleep(0.5)
        MEASUREMENTS.append(
            f"arize-phoenix {version}: phoenix serve -> /healthz in "
            f"{time.monotonic() - started:.1f} s"
        )
        if Path("/proc/net/tcp").exists():  # Linux: where the gRPC receiver listens
            grpc_bound = listening_addresses(grpc_port)
            assert grpc_bound, f"no gRPC receiver on port {grpc_port}"
            assert grpc_bound <= _LOOPBACK, f"gRPC receiver not on loopback: {grpc_bound}"
        yield PhoenixServer(url, python, version)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# The stub OpenAI-compatible server of the unit tests (tests/unit has no package of its own).
sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))

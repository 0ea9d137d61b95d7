"""Integration fixtures: a real MLflow tracking server and the real local model server, each
started once by the test session, and a child process that file permissions bind."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from llmops.serving import LocalServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Root reads and writes whatever a file's mode says (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), and CI
# runs as root. The child drops every capability but stays uid 0: it still owns the test's files,
# so their modes bind it as they bind the owner in a run as an ordinary user. Switching to
# ``nobody`` would not do: the interpreter may live under /root (pyenv), which nobody cannot enter.
_DROP_CAPABILITIES = ("--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--")


def _run_unprivileged(script: str, *args: str) -> Any:
    """Run a Python ``script`` with ``args`` in a child process that file permissions bind, and
    return the JSON it printed last. A child that fails, or cannot drop root's privileges, fails
    the test: it never skips."""
    command = [sys.executable, "-W", "error", "-c", textwrap.dedent(script), *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("as root this test needs setpriv (util-linux) to drop its capabilities")
        command = [setpriv, *_DROP_CAPABILITIES, *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        pytest.fail(f"the unprivileged child exited {done.returncode}:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture
def run_unprivileged() -> Callable[..., Any]:
    """``run_unprivileged(script, *args)``: ``script`` in a child Python that file permissions
    bind (this user, or root without its capabilities); returns the JSON it printed last."""
    return _run_unprivileged


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mlflow server`` on a SQLite store and a local artifact folder; yields its URL."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    mlflow = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen(
        [
            str(mlflow), "server",
            "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
            "--artifacts-destination", str(folder / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        # MLflow's server imports litellm when it is installed; without the bundled price map
        # litellm tries the network at import and deadlocks the server's start-up offline.
        env={**os.environ, "MLFLOW_TRACKING_URI": "", "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError(
                f"mlflow server did not start:\n{(folder / 'server.log').read_text()}"
            )
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The real local model (Gemma 3 270M on llama.cpp) behind its OpenAI-compatible server."""
    from llmops.serving import LocalServer

    with LocalServer(log_dir=tmp_path_factory.mktemp("serving")) as running:
        yield running

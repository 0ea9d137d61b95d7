"""Integration fixtures: a real MLflow tracking server and the real local model server, each
started once by the test session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from llmops.serving import LocalServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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

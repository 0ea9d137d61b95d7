"""vLLM command lines, KServe manifests, the canary router, metrics parsing, and how a model
server process is checked, diagnosed and stopped (with real processes standing in for it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import llmops
from llmops import AgentConfig
from llmops._cli._serve import StopRequested, stopping_on_signals
from llmops.serving import LocalServer, Router, kserve_manifest, vllm_command
from llmops.serving._local import exit_reason, likely_cause, spawn, stop_process
from llmops.serving._metrics import parse
from llmops.testing import SpanRecorder


def vllm_config(**options: Any) -> AgentConfig:
    return AgentConfig(
        name="support-bot",
        model={"provider": "hosted_vllm", "id": "google/gemma-3-1b-it", "served_name": "gemma"},
        serving={"backend": "vllm", "options": options},
    )


def test_vllm_command_from_the_config() -> None:
    cmd = vllm_command(
        vllm_config(dtype="bfloat16", max_model_len=4096, tensor_parallel_size=2,
                    gpu_memory_utilization=0.85, lora_modules={"support": "/loras/support"}),
        port=9000,
    )  # fmt: skip
    assert cmd[:3] == ["vllm", "serve", "google/gemma-3-1b-it"]
    joined = " ".join(cmd)
    for expected in (
        "--served-model-name gemma",
        "--port 9000",
        "--dtype bfloat16",
        "--max-model-len 4096",
        "--tensor-parallel-size 2",
        "--gpu-memory-utilization 0.85",
        "--enable-lora --lora-modules support=/loras/support",
        "--enable-force-include-usage",
    ):
        assert expected in joined


def test_unknown_serving_option_is_named() -> None:
    with pytest.raises(llmops.ConfigError, match="unknown option\\(s\\) max_len"):
        vllm_command(vllm_config(max_len=10))


# The parts of KServe's InferenceService (serving.kserve.io/v1beta1) CRD schema that a
# manifest must satisfy to be accepted, transcribed from the CRD's openAPIV3Schema.
KSERVE_SUBSET = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "serving.kserve.io/v1beta1"},
        "kind": {"const": "InferenceService"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$",
                    "maxLength": 63,
                }
            },
        },
        "spec": {
            "type": "object",
            "required": ["predictor"],
            "properties": {
                "predictor": {
                    "type": "object",
                    "properties": {
                        "containers": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "image": {"type": "string"},
                                    "args": {"type": "array", "items": {"type": "string"}},
                                    "command": {"type": "array", "items": {"type": "string"}},
                                    "resources": {"type": "object"},
                                },
                            },
                        }
                    },
                }
            },
        },
    },
}


def test_kserve_manifest_matches_the_crd_schema() -> None:
    import jsonschema

    manifest = kserve_manifest(vllm_config(tensor_parallel_size=2))
    jsonschema.validate(manifest, KSERVE_SUBSET)
    container = manifest["spec"]["predictor"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert "--served-model-name" in container["args"]
    assert (
        manifest["metadata"]["annotations"]["llmops.config.version"]
        == vllm_config(tensor_parallel_size=2).version
    )


def test_router_is_sticky_and_changes_share_at_run_time(llmops_spans: SpanRecorder) -> None:
    stable, candidate = vllm_config(), vllm_config(dtype="half")
    router = Router(stable=stable, candidate=candidate, share=0.2)
    picks = {f"s{i}": router.pick(session_id=f"s{i}").version for i in range(2000)}
    share = sum(v == candidate.version for v in picks.values()) / len(picks)
    assert 0.15 < share < 0.25
    assert all(router.pick(session_id=s).version == v for s, v in list(picks.items())[:200])
    router.set_share(0.0)
    assert all(router.pick(session_id=f"s{i}") is stable for i in range(200))
    router.set_share(1.0)
    assert router.pick(session_id="anyone") is candidate
    with llmops.span("request"):
        router.pick(session_id="x")
    assert llmops_spans.attributes("request")["llmops.route.arm"] == "candidate"
    with pytest.raises(llmops.ConfigError):
        router.set_share(1.5)


def test_metrics_parsing_sums_label_sets() -> None:
    text = (
        "# HELP vllm:num_requests_running Number of requests running\n"
        'vllm:num_requests_running{model_name="gemma"} 2\n'
        'vllm:num_requests_running{model_name="other"} 1\n'
        'vllm:generation_tokens_total{model_name="gemma"} 1.5e3\n'
        "python_gc_objects_collected_total 10\n"
    )
    assert parse(text) == {
        "vllm:num_requests_running": 3.0,
        "vllm:generation_tokens_total": 1500.0,
    }


# A stand-in model server: dies at start-up (SIGILL, SIGSEGV, exit 1), never listens (hang), or
# serves /v1/models and then answers, refuses or dies on (SIGSEGV) the health check's one-token
# completion.
FAKE_SERVER = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file from a deliberate crash
    port, mode = int(sys.argv[1]), sys.argv[2]
    print("loading the model", flush=True)
    if mode in ("SIGILL", "SIGSEGV"):
        os.kill(os.getpid(), getattr(signal, mode))
    if mode == "exit":
        print("ValueError: Failed to load model from file", flush=True)
        sys.exit(1)
    if mode == "hang":
        signal.pause()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send(200, {"object": "list", "data": [{"id": "fake"}]})

        def do_POST(self):
            if mode == "crash-on-completion":
                print("ggml_compute_forward_mul_mat: first token", flush=True)
                os.kill(os.getpid(), signal.SIGSEGV)
            if mode == "refuse":
                self.send(404, {"error": {"message": "model 'fake' not found"}})
            else:
                self.send(200, {"choices": [{"text": " world", "index": 0}]})

        def send(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)


@dataclass
class FakeServer(LocalServer):
    """A :class:`LocalServer` whose process is :data:`FAKE_SERVER` in the given mode."""

    mode: str = "answer"
    script: Path = Path()

    def command(self) -> list[str]:
        return [sys.executable, str(self.script), str(self.port), self.mode]


@pytest.fixture
def fake_server(tmp_path: Path) -> Any:
    script = tmp_path / "fake_server.py"
    script.write_text(FAKE_SERVER)
    return lambda mode: FakeServer(log_dir=tmp_path / "serving", mode=mode, script=script)


@pytest.mark.parametrize("name", ["SIGILL", "SIGSEGV"])
def test_a_server_killed_at_start_up_is_named_with_its_likely_cause(
    fake_server: Any, name: str
) -> None:
    server = fake_server(name)
    with pytest.raises(llmops.BackendUnavailable) as caught:
        server.start(timeout=30)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"model server killed by {name} during start-up")
    assert "likely cause: illegal instruction or protection fault in the CPU library" in message
    assert "scripts/install_llama_cpp.sh .venv/bin/python" in message
    assert "-DGGML_NATIVE=OFF" in message
    assert "last log line: 'loading the model'" in message
    assert f"log: {server.log_file}" in message
    assert server.process is None


def test_a_server_that_lists_its_model_but_dies_on_the_first_token(fake_server: Any) -> None:
    server = fake_server("crash-on-completion")
    started = time.monotonic()
    with pytest.raises(llmops.BackendUnavailable) as caught:
        server.start(timeout=30)
    message = str(caught.value)
    assert time.monotonic() - started < 15  # the death is noticed, not waited out
    assert "\n" not in message
    assert message.startswith("model server killed by SIGSEGV during its first completion (")
    assert "/v1/completions, max_tokens=1)" in message
    assert "likely cause: illegal instruction or protection fault" in message
    assert "last log line: 'ggml_compute_forward_mul_mat: first token'" in message
    assert str(server.log_file) in message


def test_an_exit_code_names_the_code_and_the_last_log_line_but_no_crash_cause(
    fake_server: Any,
) -> None:
    with pytest.raises(llmops.BackendUnavailable) as caught:
        fake_server("exit").start(timeout=30)
    message = str(caught.value)
    assert message.startswith("model server exited with code 1 during start-up")
    assert "last log line: 'ValueError: Failed to load model from file'" in message
    assert "likely cause" not in message


def test_a_refused_completion_fails_the_health_check_at_once(fake_server: Any) -> None:
    server = fake_server("refuse")
    with pytest.raises(llmops.BackendUnavailable, match="refused its first completion") as caught:
        server.start(timeout=30)
    assert "HTTP 404" in str(caught.value)
    assert "model 'fake' not found" in str(caught.value)


def test_a_server_that_never_answers_times_out_and_is_stopped(fake_server: Any) -> None:
    server = fake_server("hang")
    with pytest.raises(llmops.BackendUnavailable) as caught:
        server.start(timeout=1.5)
    message = str(caught.value)
    assert message.startswith("model server did not answer within 1.5 s, during start-up")
    assert "last log line: 'loading the model'" in message
    assert server.process is None


def test_a_server_that_answers_is_healthy_and_stops(fake_server: Any) -> None:
    with fake_server("answer") as server:
        process = server.process
        assert process is not None
        assert process.poll() is None
    assert process.returncode is not None
    assert server.process is None


def test_exit_reasons_and_causes() -> None:
    assert exit_reason(-signal.SIGBUS) == "killed by SIGBUS"
    assert exit_reason(3) == "exited with code 3"
    assert likely_cause(-signal.SIGBUS, "a cause") == "a cause"
    assert "OOM killer" in (likely_cause(-signal.SIGKILL) or "")
    assert likely_cause(-signal.SIGTERM) is None
    assert likely_cause(1) is None


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _running(pid)


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@linux_only
def test_stop_kills_what_the_server_started_and_a_server_that_ignores_sigterm(
    tmp_path: Path,
) -> None:
    stubborn = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        "print(worker.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    log = tmp_path / "server.log"
    process = spawn([sys.executable, "-c", stubborn], log)
    deadline = time.monotonic() + 20
    while not log.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(log.read_text())
    assert os.getpgid(process.pid) == process.pid  # its own process group
    started = time.monotonic()
    stop_process(process, grace=0.5)
    assert time.monotonic() - started < 5
    assert process.returncode == -signal.SIGKILL
    assert _wait_gone(worker)


@linux_only
def test_the_server_dies_with_a_parent_killed_without_notice(tmp_path: Path) -> None:
    parent = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from llmops.serving._local import spawn\n"
        "sleeper = [sys.executable, '-c', 'import time; time.sleep(300)']\n"
        "server = spawn(sleeper, Path(sys.argv[1]))\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    middle = subprocess.Popen(
        [sys.executable, "-c", parent, str(tmp_path / "server.log")], stdout=subprocess.PIPE
    )
    assert middle.stdout is not None
    server = int(middle.stdout.readline())
    assert _running(server)
    middle.kill()  # SIGKILL: no finally, no handler runs in the parent
    middle.wait()
    middle.stdout.close()
    assert _wait_gone(server), "the model server outlived its parent"


def test_stop_signals_raise_in_the_main_thread_and_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)

    def signalled() -> None:
        with stopping_on_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends

    with pytest.raises(StopRequested) as caught:
        signalled()
    assert caught.value.signal_name == "SIGTERM"
    assert isinstance(caught.value, KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) is before

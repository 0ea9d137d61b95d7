"""Local model decode speed: the portable llama.cpp build against one built for this CPU.

``make setup`` builds llama-cpp-python for a fixed baseline (x86-64-v3: AVX2, FMA, F16C, BMI2;
no AVX-512, no AMX), never ``-march=native``, because a native build crashed on a CPU that
advertises AMX inside a VM that does not enable it. This measures what the portable build
costs where a native build does run: Gemma 3 270M (Q4_K_M), one thread (as the server runs on
2-core machines), greedy decoding with end-of-text banned so every run decodes the same count.

The baseline, a native build, is made once by ``scripts/install_llama_cpp.sh --native DIR``
(about 5 minutes on 2 cores) and kept in ``.whl/``; a quick run skips it when it is absent.
Each build runs in its own process; the two alternate, and the median of the rounds is kept.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import REPO_ROOT, BenchResult, Row

NATIVE_DIR = REPO_ROOT / ".whl" / "native-llama-cpp"
_PROMPT = "The history of the printing press begins in"
_SCRIPT = r"""
import json, sys, time
from llama_cpp import Llama
path, tokens = sys.argv[1], int(sys.argv[2])
llm = Llama(model_path=path, n_ctx=512, n_threads=1, seed=7, verbose=False)
ban = {llm.token_eos(): -1e9}
def run(n):
    start = time.perf_counter()
    out = llm(PROMPT, max_tokens=n, temperature=0.0, logit_bias=ban)
    return time.perf_counter() - start, out["usage"]["completion_tokens"]
run(4)  # warm up: weights paged in, buffers allocated
first, _ = run(1)
total, produced = run(tokens)
print(json.dumps({"tokens_per_s": (produced - 1) / (total - first), "produced": produced,
                  "prompt_s": first, "lib": __import__("llama_cpp").__file__}))
""".replace("PROMPT", repr(_PROMPT))


def _decode(model: Path, tokens: int, pythonpath: Path | None) -> dict[str, float]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(model), str(tokens)],
        env=env, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _build_flags() -> str:
    import llama_cpp

    flags = Path(llama_cpp.__file__).parent / "lib" / "llmops-build-flags.txt"
    return flags.read_text().strip() if flags.exists() else "unknown (not built by make setup)"


def run(quick: bool = False) -> BenchResult:
    from llmops.serving._local import model_path

    model = model_path()
    tokens, rounds = (32, 1) if quick else (128, 3)
    result = BenchResult("decode", "Local model decode speed: portable build vs native build")
    has_native = (NATIVE_DIR / "llama_cpp").is_dir()
    if not has_native and not quick:
        subprocess.run(
            [str(REPO_ROOT / "scripts" / "install_llama_cpp.sh"), "--native", str(NATIVE_DIR),
             sys.executable],
            check=True,
        )  # fmt: skip
        has_native = True
    portable: list[float] = []
    native: list[float] = []
    for _ in range(rounds):
        portable.append(_decode(model, tokens, None)["tokens_per_s"])
        if has_native:
            native.append(_decode(model, tokens, NATIVE_DIR)["tokens_per_s"])
    result.rows.append(
        Row(
            "decode, portable build (1 thread)",
            statistics.median(portable),
            "tokens/s",
            baseline=statistics.median(native) if native else None,
            baseline_label="native build",
            target=0.8 if native else None,
            target_op=">=",
            target_on="ratio",
            note="the price of never compiling for the build machine's CPU",
        )
    )
    result.details = {
        "portable_flags": _build_flags(),
        "portable_tokens_per_s": portable,
        "native_tokens_per_s": native,
        "tokens": tokens,
        "cpu_flags": sorted(
            f for f in _cpu_flags() if f.startswith(("avx", "amx", "fma", "f16c", "bmi"))
        ),
    }
    return result


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((x for x in text.splitlines() if x.startswith("flags")), "")
    return set(line.split(":", 1)[-1].split())

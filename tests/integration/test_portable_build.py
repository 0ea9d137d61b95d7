"""The local model server's CPU library runs on any x86-64-v3 machine, not just the build's.

llama-cpp-python compiles for the build machine by default (``-march=native``); on a CPU that
advertises AMX inside a VM that does not enable it, that build died on its first completion
(``ldtilecfg``). ``make setup`` builds it with scripts/install_llama_cpp.sh instead; this checks
the library that is installed, by disassembling it.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

llama_cpp = pytest.importorskip("llama_cpp")
LIB = Path(llama_cpp.__file__).parent / "lib"

# Instruction families by what they need from the CPU: a register or mnemonic that only that
# extension has.
_FAMILIES = {
    "amx_tile": re.compile(r"\b(ldtilecfg|sttilecfg|tileloadd\w*|tilestored|tilezero|tdp\w+)\b"),
    "avx512f": re.compile(r"%zmm\d|%k[1-7]\b"),
    "avx2": re.compile(r"\bvpbroadcast[bwdq]\b.*%ymm|\bvperm[dq]\b|\bvpgather\w+"),
    "fma": re.compile(r"\bvfn?m(add|sub)\d{3}[ps][sd]\b"),
}


def _disassembly() -> str:
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.fail("objdump (binutils) is needed to check the CPU library")
    library = LIB / "libggml-cpu.so"
    out = subprocess.run(
        [objdump, "-d", "--no-show-raw-insn", str(library)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return out.stdout


def _cpu_flags() -> set[str]:
    text = Path("/proc/cpuinfo").read_text()
    line = next(x for x in text.splitlines() if x.startswith("flags"))
    return set(line.split(":", 1)[1].split())


@pytest.mark.skipif(
    not Path("/proc/cpuinfo").exists() or platform.machine() not in ("x86_64", "AMD64"),
    reason="the x86-64 baseline applies to x86-64 machines",
)
def test_cpu_library_is_built_for_the_portable_baseline() -> None:
    flags_file = LIB / "llmops-build-flags.txt"
    assert flags_file.exists(), "llama-cpp-python was not built by scripts/install_llama_cpp.sh"
    build = flags_file.read_text()
    assert "-DGGML_NATIVE=OFF" in build
    assert "-DGGML_NATIVE=ON" not in build
    code = _disassembly()
    used = {family for family, pattern in _FAMILIES.items() if pattern.search(code)}
    # Never AVX-512 or AMX, whatever the build machine had; and nothing this CPU lacks.
    assert "amx_tile" not in used
    assert "avx512f" not in used
    if build.startswith("x86-64-v3"):
        assert {"avx2", "fma"} <= used  # the baseline is really used, not a generic build
    assert used <= _cpu_flags(), f"instructions this CPU cannot run: {used - _cpu_flags()}"

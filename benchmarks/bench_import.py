"""Import time: ``import llmops`` in fresh interpreters, and what it pulls in.

Each sample is the wall time of a new ``python -c "import llmops"`` process less the median of
``python -c "pass"`` (interpreter start-up and ``site``). The processes run from a scratch folder,
so the installed package is measured, not a source checkout on ``sys.path``. The baseline is
``import opentelemetry.sdk.trace``, the SDK llmops defers until the first span.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time

from _common import BenchResult, Row

# Modules that must stay out of ``import llmops``: each costs tens to hundreds of milliseconds.
HEAVY_MODULES = ("opentelemetry.sdk", "duckdb", "pydantic", "litellm")
_LIST_MODULES = "import llmops, sys, json; print(json.dumps(sorted(sys.modules)))"


def _spawn_ms(code: str, cwd: str) -> float:
    """Wall milliseconds of one fresh ``python -c code`` process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def _median_ms(code: str, cwd: str, runs: int) -> tuple[float, list[float]]:
    _spawn_ms(code, cwd)  # warm the OS file cache and the .pyc files
    samples = [_spawn_ms(code, cwd) for _ in range(runs)]
    return statistics.median(samples), samples


def loaded_modules(cwd: str) -> list[str]:
    """``sys.modules`` after ``import llmops`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES], cwd=cwd, check=True, capture_output=True, text=True
    )
    return list(json.loads(proc.stdout))


def slowest_imports(cwd: str, top: int = 8) -> list[tuple[str, float]]:
    """The modules with the largest cumulative time under ``-X importtime`` (ms), llmops aside."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import llmops"],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    entries: list[tuple[str, float]] = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header line
        entries.append((parts[2].strip(), int(parts[1]) / 1000))
    entries = [e for e in entries if e[0] != "llmops"]
    return sorted(entries, key=lambda e: e[1], reverse=True)[:top]


def heavy_loaded(modules: list[str]) -> list[str]:
    """The heavy modules (or their submodules) present in ``modules``."""
    return sorted(
        heavy
        for heavy in HEAVY_MODULES
        if any(m == heavy or m.startswith(heavy + ".") for m in modules)
    )


def run(quick: bool = False) -> BenchResult:
    """Time ``import llmops`` and ``import opentelemetry.sdk.trace``; list heavy imports."""
    runs = 3 if quick else 7
    result = BenchResult("import", "cost of `import llmops` in a fresh interpreter (ms)")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as cwd:
        startup_ms, startup = _median_ms("pass", cwd, runs)
        llmops_ms, llmops_samples = _median_ms("import llmops", cwd, runs)
        sdk_ms, sdk_samples = _median_ms("import opentelemetry.sdk.trace", cwd, runs)
        modules = loaded_modules(cwd)
        slowest = slowest_imports(cwd)
    heavy = heavy_loaded(modules)
    llmops_net = llmops_ms - startup_ms
    sdk_net = sdk_ms - startup_ms
    result.rows = [
        Row("import llmops", llmops_net, "ms", sdk_net, "import opentelemetry.sdk.trace", 150.0,
            note="slowest (cumulative, -X importtime): "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in slowest[:4])),
        Row("heavy modules loaded by import llmops", float(len(heavy)), "modules", target=0.0,
            note=", ".join(heavy) if heavy else ""),
        Row("interpreter start-up (subtracted)", startup_ms, "ms"),
    ]  # fmt: skip
    result.details = {
        "runs": runs,
        "samples_ms": {"pass": startup, "llmops": llmops_samples, "otel_sdk": sdk_samples},
        "slowest_imports_ms": dict(slowest),
        "heavy_checked": list(HEAVY_MODULES),
        "heavy_loaded": heavy,
        "modules_loaded": len(modules),
        "llmops_modules": [m for m in modules if m.startswith("llmops")],
        "third_party_roots": sorted(
            {m.split(".")[0] for m in modules if not m.startswith(("_", "llmops"))}
            - set(sys.stdlib_module_names)
        ),
    }
    return result

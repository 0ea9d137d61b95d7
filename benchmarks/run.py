"""Run the llmops benchmark suite: one table per benchmark, every number in one JSON file.

Usage::

    .venv/bin/python benchmarks/run.py              # everything, full sizes (make bench)
    .venv/bin/python benchmarks/run.py --quick      # small sizes: a smoke run in about a minute
    .venv/bin/python benchmarks/run.py --only store --only query

Each benchmark measures its baseline in the same run, so ratios hold across machines even where
absolute numbers do not. Results go to ``benchmarks/results/latest.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import bench_decode
import bench_decorator
import bench_gateway
import bench_hallucination
import bench_import
import bench_ingest
import bench_injection
import bench_monitor
import bench_pii
import bench_query
import bench_store
import bench_ui_scale
from _common import BENCH_DIR, REPO_ROOT, BenchResult, format_table

# Order matters a little: import time first, on a machine nothing else has warmed or loaded.
BENCHMARKS: dict[str, ModuleType] = {
    "import": bench_import,
    "decorator": bench_decorator,
    "store": bench_store,
    "query": bench_query,
    "injection": bench_injection,
    "hallucination": bench_hallucination,
    "pii": bench_pii,
    "gateway": bench_gateway,
    "decode": bench_decode,
    "ingest": bench_ingest,
    "ui_scale": bench_ui_scale,
    "monitor": bench_monitor,
}
_PACKAGES = ("llmops", "opentelemetry-sdk", "duckdb", "orjson", "langfuse", "mlflow")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def environment(quick: bool, selected: list[str]) -> dict[str, Any]:
    """Where and on what the numbers were taken."""
    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "benchmarks": selected,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain")),
        "versions": {name: _version(name) for name in _PACKAGES},
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only this benchmark (repeatable, or comma-separated): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=BENCH_DIR / "results" / "latest.json",
        help="where to write the JSON results (default: %(default)s)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    names = [n.strip() for item in args.only or [] for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.selected = names or list(BENCHMARKS)
    return args


def run_one(name: str, quick: bool) -> BenchResult | dict[str, str]:
    """Run one benchmark; a crash becomes an error record instead of ending the suite."""
    started = time.perf_counter()
    try:
        result: BenchResult = BENCHMARKS[name].run(quick=quick)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    result.elapsed_s = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict[str, Any] = {"environment": environment(args.quick, args.selected)}
    report["results"] = {}
    missed: list[str] = []
    failed: list[str] = []
    print(f"llmops benchmarks ({'quick' if args.quick else 'full'}): {', '.join(args.selected)}")
    print("ratio = value / baseline, both measured in this run\n", flush=True)
    for name in args.selected:
        outcome = run_one(name, args.quick)
        if isinstance(outcome, dict):
            failed.append(name)
            report["results"][name] = outcome
            print(f"== {name}: FAILED\n{outcome['traceback']}", flush=True)
            continue
        report["results"][name] = outcome.to_json()
        missed += [f"{name}: {row.metric}" for row in outcome.rows if row.passed is False]
        print(format_table(outcome, quick=args.quick) + "\n", flush=True)
    report["summary"] = {"missed": missed, "failed": failed}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"targets missed: {len(missed)}" + "".join(f"\n  - {m}" for m in missed))
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}")
    print(f"results written to {args.output}")
    if failed or (args.strict and missed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

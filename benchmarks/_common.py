"""Shared pieces of the benchmark suite: result rows, tables, timing loops and worker processes.

Every benchmark returns a :class:`BenchResult`: rows of ``value`` against a ``baseline``
measured in the same run, their ratio (always ``value / baseline``), and a target checked either
on the value or on the ratio. ``run.py`` prints them and writes them to JSON.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULT_MARKER = "BENCH_RESULT "

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


@dataclass
class Row:
    """One measured quantity, its same-run baseline, and the target it is checked against."""

    metric: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: float | None = None
    target_op: Literal["<=", "<", ">=", ">"] = "<="
    target_on: Literal["value", "ratio"] = "value"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def passed(self) -> bool | None:
        """True or False when the row has a target; None when it is informational."""
        if self.target is None:
            return None
        checked = self.ratio if self.target_on == "ratio" else self.value
        if checked is None:
            return False
        return _OPS[self.target_op](checked, self.target)

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        unit = "x" if self.target_on == "ratio" else f" {self.unit}"
        return f"{self.target_op} {_number(self.target)}{unit}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["passed"] = self.passed
        return data


@dataclass
class BenchResult:
    """What one benchmark measured: the table rows and any extra details for the JSON file."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "elapsed_s": round(self.elapsed_s, 3),
            "rows": [row.to_json() for row in self.rows],
            "details": self.details,
        }


def _number(x: float | None) -> str:
    if x is None:
        return "-"
    magnitude = abs(x)
    if float(x).is_integer() and magnitude < 1e15:
        return f"{int(x):,}"
    if magnitude >= 10_000:
        return f"{x:,.0f}"
    if magnitude >= 100:
        return f"{x:.0f}"
    if magnitude >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if magnitude >= 0.1 or x == 0 else f"{x:.3g}"


def format_table(result: BenchResult, *, quick: bool = False) -> str:
    """A plain-text table of ``result``: metric, value, baseline, ratio, target, status."""
    header = ["metric", "value", "baseline", "ratio", "target", "status"]
    lines = []
    for row in result.rows:
        value = "-" if row.value is None else f"{_number(row.value)} {row.unit}"
        baseline = "-"
        if row.baseline is not None:
            baseline = f"{_number(row.baseline)} {row.unit} ({row.baseline_label})"
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        status = {True: "PASS", False: "MISS", None: "info"}[row.passed]
        lines.append([row.metric, value, baseline, ratio, row.target_text(), status])
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(len(header))]
    title = f"== {result.name}: {result.title} ({result.elapsed_s:.1f} s)"
    if quick:
        title += "  [--quick: small sizes, targets indicative only]"
    out = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in lines]
    notes = [f"  * {row.metric}: {row.note}" for row in result.rows if row.note]
    return "\n".join(out + notes)


def loop_seconds(
    func: Callable[[Any], Any], arg: Any, number: int, drain: Callable[[], Any] | None = None
) -> float:
    """Seconds per call of ``func(arg)`` over ``number`` calls (GC stays on, as in production).

    ``drain`` (a tracer's flush) runs inside the timed region: the work the calls left to a
    background thread is charged to them, not to whatever runs next.
    """
    start = time.perf_counter()
    for _ in range(number):
        func(arg)
    if drain is not None:
        drain()
    return (time.perf_counter() - start) / number


def per_call_stats(samples: Sequence[float]) -> dict[str, float]:
    """Median and minimum of per-call samples, in microseconds."""
    return {
        "median_us": statistics.median(samples) * 1e6,
        "min_us": min(samples) * 1e6,
        "samples": len(samples),
    }


def measure_interleaved(
    contenders: Mapping[str, Callable[[Any], Any]],
    args: Mapping[str, Any],
    *,
    number: int,
    repeat: int,
    drains: Mapping[str, Callable[[], Any]] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Time every contender on every argument, round-robin, ``repeat`` rounds of ``number`` calls.

    Interleaving spreads machine noise (frequency, neighbours) evenly over the contenders.
    ``drains`` maps a contender to the call that finishes its background work (a tracer's
    flush); it is timed with the contender's own round. Without one, a batch exporter's thread
    would spend its time, and hold the GIL, during the next contender's round.

    Returns:
        ``{contender: {arg_name: {"median_us", "min_us", "samples"}}}``.
    """
    samples: dict[tuple[str, str], list[float]] = {}
    drains = drains or {}
    for name, func in contenders.items():  # warm-up: caches, lazy imports, first-span set-up
        for arg in args.values():
            loop_seconds(func, arg, max(10, number // 10), drains.get(name))
    for _ in range(repeat):
        for name, func in contenders.items():
            for arg_name, arg in args.items():
                gc.collect()
                seconds = loop_seconds(func, arg, number, drains.get(name))
                samples.setdefault((name, arg_name), []).append(seconds)
    return {
        name: {arg_name: per_call_stats(samples[(name, arg_name)]) for arg_name in args}
        for name in contenders
    }


def emit(payload: dict[str, Any]) -> None:
    """Print a worker's result as one marked JSON line (other output may surround it)."""
    sys.stdout.write(RESULT_MARKER + json.dumps(payload) + "\n")
    sys.stdout.flush()


def run_worker(argv: Sequence[str], *, timeout_s: float = 900, cwd: Path | None = None) -> Any:
    """Run ``python <argv>`` in a fresh process and return the JSON it :func:`emit`-ted.

    Raises:
        RuntimeError: The worker failed or printed no result; the message ends with its stderr.
    """
    proc = subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=cwd or REPO_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = (proc.stderr or proc.stdout)[-2000:]
    raise RuntimeError(
        f"worker {' '.join(argv)} exited {proc.returncode} without a result:\n{tail}"
    )


def confusion(flags: Sequence[bool], labels: Sequence[int]) -> dict[str, float]:
    """Precision, recall, F1 and false-positive rate of ``flags`` against ``labels``."""
    tp = sum(f and y == 1 for f, y in zip(flags, labels, strict=True))
    fp = sum(f and y == 0 for f, y in zip(flags, labels, strict=True))
    pos = sum(labels)
    neg = len(labels) - pos
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / pos if pos else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "fpr": fp / neg if neg else 0.0,
            "tp": tp, "fp": fp, "positives": pos, "negatives": neg}  # fmt: skip

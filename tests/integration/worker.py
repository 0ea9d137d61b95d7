"""A traced child process for the multi-process tests.

Usage: python worker.py MODE N
  burst   trace N agent runs (each 3 spans), flush, exit
  hang    trace N agent runs, flush, print "flushed", then sleep until killed
  child   continue the trace from TRACEPARENT / LLMOPS_CONTEXT and run one tool
"""

from __future__ import annotations

import os
import sys
import time

import llmops


@llmops.tool
def lookup(i: int) -> int:
    return i * 2


@llmops.llm(model="m", provider="test")
def complete(i: int) -> dict[str, object]:
    return {"usage": {"prompt_tokens": 3, "completion_tokens": 1}}


@llmops.agent(name="worker")
def run(i: int) -> int:
    complete(i)
    return lookup(i)


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2])
    llmops.configure(service_name=f"worker-{os.getpid()}", batch_size=64, compact_threshold=4)
    if mode == "child":
        with llmops.continue_trace():
            lookup(count)
        llmops.flush()
        return
    for i in range(count):
        run(i)
    llmops.flush()
    if mode == "hang":
        print("flushed", flush=True)
        # Spans made after the flush may be lost by kill -9; the flushed ones may not.
        for i in range(10_000):
            run(i)
            time.sleep(0.001)


if __name__ == "__main__":
    main()

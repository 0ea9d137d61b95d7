"""Suites: loading, validation errors with file:line:field, ids and hashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops._errors import EvalDatasetError
from llmops.eval import load_suite


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = """\
name: faq
target: pkg:fn
metrics:
  - contains
  - name: exact_match
gates:
  - contains_pass_rate >= 0.5
cases:
  - {id: a, input: "q1", context: "ctx one", expected: "x"}
  - input: "q2"
    context: ["p1", "p2"]
    expected: ["y", "z"]
"""


def test_a_good_suite_loads_with_ids_and_a_stable_hash(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path, "suite.yaml", GOOD))
    first, second = suite.case_list
    assert first.id == "a"
    assert first.context == ["ctx one"]
    assert len(second.id) == 12
    assert second.context == ["p1", "p2"]
    again = load_suite(write(tmp_path, "again.yaml", GOOD.replace("pkg:fn", "other:fn")))
    assert again.hash == suite.hash, "the target is not part of the suite's identity"
    changed = load_suite(write(tmp_path, "changed.yaml", GOOD.replace('"q1"', '"q1 changed"')))
    assert changed.hash != suite.hash


def test_cases_from_jsonl_and_errors_name_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cases.jsonl",
        '{"id": "a", "input": "q", "expected": "x"}\n\n{"id": "b", "inputs": "typo"}\nnot json\n',
    )
    suite = write(tmp_path, "suite.yaml", "name: s\nmetrics: [contains]\ncases: cases.jsonl\n")
    with pytest.raises(EvalDatasetError) as info:
        load_suite(suite)
    message = str(info.value)
    assert "cases.jsonl:3: input: Field required" in message
    assert "cases.jsonl:3: inputs: Extra inputs are not permitted" in message
    assert "cases.jsonl:4: invalid JSON" in message


def test_a_case_without_what_a_metric_needs_is_named(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cases.jsonl",
        '{"id": "a", "input": "q", "expected": "x"}\n{"id": "b", "input": "q2"}\n',
    )
    suite = write(tmp_path, "suite.yaml", "name: s\nmetrics: [contains]\ncases: cases.jsonl\n")
    with pytest.raises(EvalDatasetError, match=r"cases.jsonl:2: case 'b': expected: missing"):
        load_suite(suite)


def test_unknown_metric_bad_gate_and_bad_yaml(tmp_path: Path) -> None:
    unknown = write(
        tmp_path,
        "u.yaml",
        "name: s\nmetrics:\n  - contains\n  - nonsense\ncases: [{input: q, expected: x}]\n",
    )
    with pytest.raises(EvalDatasetError, match=r"u.yaml:4: metrics.1: unknown metric 'nonsense'"):
        load_suite(unknown)
    gate = write(
        tmp_path,
        "g.yaml",
        "name: s\nmetrics: [contains]\ngates:\n  - cost is low\ncases: [{input: q, expected: x}]\n",
    )
    with pytest.raises(EvalDatasetError, match=r"g.yaml:4: gates.0: .*cost is low"):
        load_suite(gate)
    broken = write(tmp_path, "b.yaml", "name: s\nmetrics: [contains\n")
    with pytest.raises(EvalDatasetError, match=r"b.yaml:\d+: invalid YAML"):
        load_suite(broken)
    missing = write(tmp_path, "m.yaml", "name: s\nmetrics: []\ncases: [{input: q}]\n")
    with pytest.raises(EvalDatasetError, match=r"m.yaml:2: metrics: List should have at least 1"):
        load_suite(missing)


def test_a_hallucination_metric_names_its_offline_detector(tmp_path: Path) -> None:
    def suite(options: str) -> Path:
        text = f"name: s\nmetrics:\n  - name: h\n    type: hallucination\n{options}"
        return write(tmp_path, "d.yaml", text + "cases: [{input: q, context: c}]\n")

    assert load_suite(suite("    detector: offline-nli\n")).metrics[0].options == {
        "detector": "offline-nli"
    }
    with pytest.raises(
        EvalDatasetError,
        match=r"d.yaml:5: metrics.0.detector: unknown hallucination detector 'nli' \(known: auto, ",
    ):
        load_suite(suite("    detector: nli\n"))
    with pytest.raises(EvalDatasetError, match=r"d.yaml:5: metrics.0.detector: .*not both"):
        load_suite(suite("    detector: offline\n    judge: judge-bot@production\n"))
    # The detector decides the scores, so it is in the hash; no name is the default, auto.
    hashes = {
        name: load_suite(suite(f"    detector: {name}\n" if name else "")).hash
        for name in ("", "auto", "offline", "offline-nli")
    }
    assert hashes[""] == hashes["auto"]
    assert len({hashes["auto"], hashes["offline"], hashes["offline-nli"]}) == 3


def test_duplicate_case_ids_are_rejected(tmp_path: Path) -> None:
    suite = write(
        tmp_path,
        "d.yaml",
        "name: s\nmetrics: [contains]\ncases:\n  - {id: a, input: q, expected: x}\n"
        "  - {id: a, input: r, expected: y}\n",
    )
    with pytest.raises(EvalDatasetError, match=r"d.yaml:5: id: duplicate case id 'a'"):
        load_suite(suite)

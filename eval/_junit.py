"""JUnit XML for CI: one ``<testcase>`` per eval case and one per gate.

A case fails (``<failure>``) when a metric failed or errored, and is an ``<error>`` when the case
itself did not finish; a gate fails or is ``<skipped>`` when it could not be checked. Cases and
gates are two ``<testsuite>`` elements under ``<testsuites>``, the shape Jenkins, GitLab and the
GitHub test-report actions read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from llmops.eval._gates import GateResult
from llmops.eval._summary import case_ok, score_failed

# XML 1.0 forbids most control characters; a model's output may contain them.
_XML_INVALID = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _value(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"


def _clean(text: object) -> str:
    return _XML_INVALID.sub("\ufffd", str(text))


def _case_element(
    parent: ET.Element, classname: str, case: Mapping[str, Any], scores: list[Mapping[str, Any]]
) -> str | None:
    latency = case.get("latency_ms")
    element = ET.SubElement(
        parent,
        "testcase",
        classname=_clean(classname),
        name=_clean(case["case_id"]),
        time=f"{(latency or 0.0) / 1000.0:.3f}",
    )
    if not case_ok(case):
        status = str(case.get("status") or "error")
        message = f"case {status}: {case.get('error') or 'no error message'}"
        ET.SubElement(element, "error", message=_clean(message), type=_clean(status))
        return "error"
    failed = [s for s in scores if score_failed(s)]
    if not failed:
        return None
    message = "; ".join(
        f"{s['metric']} {'errored' if s.get('status') == 'error' else 'failed'}"
        f" (value {_value(s.get('value'))})"
        for s in failed
    )
    body = "\n".join(f"{s['metric']}: {s.get('details') or '{}'}" for s in failed)
    failure = ET.SubElement(element, "failure", message=_clean(message), type="metric")
    failure.text = _clean(body)
    return "failure"


def _suite_element(root: ET.Element, name: str, counts: dict[str, int], seconds: float) -> None:
    suite = root[-1]
    suite.set("name", _clean(name))
    for key in ("tests", "failures", "errors", "skipped"):
        suite.set(key, str(counts.get(key, 0)))
    suite.set("time", f"{seconds:.3f}")


def write_junit(
    path: str | Path,
    run_id: str,
    suite_name: str,
    cases: Sequence[Mapping[str, Any]],
    scores: Sequence[Mapping[str, Any]],
    gate_results: Sequence[GateResult],
) -> Path:
    """Write JUnit XML: one test case per eval case and one per gate.

    Args:
        path: The file to write (its folder is created).
        run_id: The run's id (a ``<property>`` of the suite).
        suite_name: The suite's name (the ``<testsuite>`` name and test class).
        cases: Rows shaped like ``eval_cases``.
        scores: Rows shaped like ``eval_scores``.
        gate_results: The gate outcomes.

    Returns:
        The path written.
    """
    by_case: dict[str, list[Mapping[str, Any]]] = {}
    for score in scores:
        by_case.setdefault(str(score["case_id"]), []).append(score)
    root = ET.Element("testsuites", name="llmops eval")
    ET.SubElement(root, "testsuite")
    properties = ET.SubElement(root[-1], "properties")
    ET.SubElement(properties, "property", name="run_id", value=_clean(run_id))
    counts = {"tests": len(cases), "failures": 0, "errors": 0}
    for case in cases:
        outcome = _case_element(root[-1], suite_name, case, by_case.get(str(case["case_id"]), []))
        if outcome:
            counts[f"{outcome}s"] += 1
    seconds = sum((c.get("latency_ms") or 0.0) for c in cases) / 1000.0
    _suite_element(root, suite_name, counts, seconds)
    ET.SubElement(root, "testsuite")
    gate_counts = {"tests": len(gate_results), "failures": 0, "skipped": 0}
    for result in gate_results:
        element = ET.SubElement(
            root[-1], "testcase", classname=_clean(f"{suite_name}.gates"), name=_clean(result.gate)
        )
        if result.status == "failed":
            ET.SubElement(element, "failure", message=_clean(result.detail), type="gate")
            gate_counts["failures"] += 1
        elif result.status == "skipped":
            ET.SubElement(element, "skipped", message=_clean(result.detail))
            gate_counts["skipped"] += 1
    _suite_element(root, f"{suite_name}.gates", gate_counts, 0.0)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    ET.indent(root)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
    return target

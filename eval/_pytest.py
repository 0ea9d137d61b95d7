"""Eval suites as pytest tests: ``pytest --llmops-suite evals/suite.yaml``.

Each case becomes a test (it fails when the case errored or a metric failed) and so does each
gate (a skipped gate skips), so a team's existing pytest CI reports evals like any other test.
The suite runs once, when its first test runs. The ``llmops_eval`` fixture runs a suite from a
test for custom assertions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from llmops.eval._runner import EvalRun


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("llmops", "llmops eval suites")
    group.addoption(
        "--llmops-suite",
        action="append",
        default=[],
        metavar="SUITE",
        help="Run this eval suite as tests (repeatable).",
    )
    group.addoption("--llmops-config", default=None, help="Config to evaluate: NAME@REF.")
    group.addoption("--llmops-baseline", default=None, help="Config to compare with: NAME@REF.")
    group.addoption("--llmops-target", default=None, help="Callable to evaluate: module:function.")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    for suite_path in config.getoption("--llmops-suite", default=[]) or []:
        collector = SuiteFile.from_parent(session, path=Path(suite_path).resolve())
        items.extend(collector.collect())


class SuiteFile(pytest.File):
    """A suite file: one item per case and per gate; runs the suite once, lazily."""

    _run: EvalRun | None = None

    def collect(self) -> Iterator[pytest.Item]:
        from llmops.eval._suite import load_suite

        suite = load_suite(self.path)
        self.suite = suite
        for case in suite.case_list:
            yield CaseItem.from_parent(self, name=f"case[{case.id}]", case_id=case.id)
        from llmops.eval._gates import parse_gate

        for index, spec in enumerate(suite.gates):
            text = parse_gate(spec).text
            yield GateItem.from_parent(self, name=f"gate[{index}]", index=index, text=text)

    def result(self) -> EvalRun:
        if self._run is None:
            from llmops.eval._runner import run_suite

            options = self.config.option
            self._run = run_suite(
                self.suite,
                options.llmops_target,
                config=options.llmops_config,
                baseline=options.llmops_baseline,
            )
        return self._run


class CaseItem(pytest.Item):
    def __init__(self, *, case_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_id = case_id

    def runtest(self) -> None:
        assert isinstance(self.parent, SuiteFile)
        run = self.parent.result()
        case = next(c for c in run.cases if c.case.id == self.case_id)
        if case.status != "ok":
            raise EvalCaseFailed(f"{case.status}: {case.error} (trace {case.trace_id})")
        failed = {n: s for n, s in case.scores.items() if s.passed is False}
        if failed:
            detail = "; ".join(f"{n}={s.value!r} {s.details}" for n, s in failed.items())
            raise EvalCaseFailed(f"{detail} (trace {case.trace_id})")

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"eval case {self.case_id}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, EvalCaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class GateItem(pytest.Item):
    def __init__(self, *, index: int, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index
        self.text = text

    def runtest(self) -> None:
        assert isinstance(self.parent, SuiteFile)
        results = [g for g in self.parent.result().gates if g.gate == self.text]
        failed = [g for g in results if g.status == "failed"]
        if failed:
            raise EvalCaseFailed("; ".join(f"gate {g.gate} failed: {g.detail}" for g in failed))
        if results and all(g.status == "skipped" for g in results):
            pytest.skip(f"{self.text}: {results[0].detail}")

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"eval gate {self.text}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, EvalCaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class EvalCaseFailed(AssertionError):
    """A case or gate did not pass (reported without a traceback)."""


@pytest.fixture
def llmops_eval() -> Callable[..., EvalRun]:
    """Run a suite from a test: ``run = llmops_eval("suite.yaml", config="bot@candidate")``."""
    from llmops.eval._runner import run_suite
    from llmops.eval._suite import load_suite

    def run(suite: str | Path, target: Any = None, **options: Any) -> EvalRun:
        return run_suite(load_suite(suite), target, **options)

    return run

"""Eval suites as data: ``suite.yaml`` plus cases inline or in JSONL, validated with locations.

A suite names its target (a config reference or ``module:function``), its metrics and gates, and
its cases. Every validation error names the file, the line and the field, and all errors of a
file are reported at once.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmops._errors import ConfigError, EvalDatasetError

M = TypeVar("M", bound=BaseModel)
Where = Callable[[list[Any]], str]


class Case(BaseModel):
    """One eval case.

    Attributes:
        id: Stable identifier; pairs cases across runs (default: a hash of input and context).
        input: What the target receives: text, or a mapping of prompt variables.
        context: Passages the answer must be faithful to (one string or several).
        expected: The reference answer (or a list of strings that must appear), if any.
        metadata: Free-form labels, kept with the results.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = ""
    input: str | dict[str, Any]
    context: list[str] = Field(default_factory=list)
    expected: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("context", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def model_post_init(self, _context: Any) -> None:
        if not self.id:
            digest = hashlib.sha256(orjson.dumps([self.input, self.context])).hexdigest()
            object.__setattr__(self, "id", digest[:12])

    def has(self, field_name: str) -> bool:
        """Whether the case carries what a metric needs (``expected`` or ``context``)."""
        value = getattr(self, field_name)
        return value is not None and value != []


class MetricSpec(BaseModel):
    """A metric as the suite names it: ``name``, its implementation ``type`` and options."""

    model_config = ConfigDict(frozen=True, extra="allow")

    name: str
    type: str = ""
    threshold: float | None = None

    @property
    def kind(self) -> str:
        return self.type or self.name

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class SuiteSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    concurrency: int = Field(default=4, ge=1, le=256)
    retries: int = Field(default=1, ge=0, le=10)
    timeout_s: float = Field(default=120.0, gt=0)
    seed: int = 0


class Suite(BaseModel):
    """A validated suite (see the module docstring for the file format)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    target: str | None = None
    plugins: list[str] = Field(default_factory=list)
    metrics: list[MetricSpec] = Field(min_length=1)
    gates: list[str | dict[str, Any]] = Field(default_factory=list)
    cases: list[Case] | str = Field(min_length=1)
    settings: SuiteSettings = SuiteSettings()
    path: Path | None = Field(default=None, exclude=True)
    case_locations: list[str] = Field(default_factory=list, exclude=True)

    @field_validator("metrics", mode="before")
    @classmethod
    def _metric_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def case_list(self) -> list[Case]:
        assert isinstance(self.cases, list), "cases are loaded by load_suite"
        return self.cases

    @property
    def hash(self) -> str:
        """SHA-256 of what decides the scores: the cases and the metrics (not target or gates);
        an offline hallucination metric counts with its detector, named or the default."""
        metrics = [m.model_dump(mode="json") for m in self.metrics]
        for spec, dumped in zip(self.metrics, metrics, strict=True):
            if spec.kind == "hallucination" and spec.options.get("judge") is None:
                dumped.setdefault("detector", "auto")
        payload = {"cases": [c.model_dump(mode="json") for c in self.case_list], "metrics": metrics}
        return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def load_suite(path: str | Path, *, cases: list[dict[str, Any]] | None = None) -> Suite:
    """Read and validate a suite file, its cases (inline or JSONL) and its metric names.

    Args:
        path: The ``suite.yaml``.
        cases: Cases to use instead of the file's (e.g. built from recorded traces).

    Raises:
        EvalDatasetError: Anything malformed, each problem as ``file:line: field: message``.
    """
    from llmops._configfile import parse_yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data, locate = parse_yaml(path, text)
    except OSError as exc:
        raise EvalDatasetError(f"{path}: cannot read the suite: {exc.strerror or exc}") from None
    except ConfigError as exc:
        raise EvalDatasetError(str(exc)) from None
    if not isinstance(data, dict):
        raise EvalDatasetError(f"{path}:1: a suite is a mapping (name, metrics, cases, ...)")
    if cases is not None:
        data = {**data, "cases": cases}
    suite = _validate(Suite, data, lambda loc: f"{path}:{locate(loc)}")
    if isinstance(suite.cases, str):
        loaded, locations = load_cases(path.parent / suite.cases)
    else:
        loaded = suite.cases
        where = f"{path}" if cases is not None else None
        locations = [where or f"{path}:{locate(['cases', i])}" for i in range(len(loaded))]
    suite = suite.model_copy(update={"cases": loaded, "path": path, "case_locations": locations})
    _check_unique_ids(suite, path)
    from llmops.eval._gates import parse_gate
    from llmops.eval._metrics import check_metrics

    for index, gate in enumerate(suite.gates):
        try:
            parse_gate(gate)
        except EvalDatasetError as exc:
            where = f"{path}:{locate(['gates', index])}"
            raise EvalDatasetError(f"{where}: gates.{index}: {exc}") from None
    check_metrics(suite, lambda loc: f"{path}:{locate(loc)}")
    return suite


def load_cases(path: Path) -> tuple[list[Case], list[str]]:
    """Cases from a JSONL file (one JSON object per line) or a YAML list, with their locations."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalDatasetError(f"{path}: cannot read the cases: {exc.strerror or exc}") from None
    if path.suffix.lower() in {".yaml", ".yml"}:
        from llmops._configfile import parse_yaml

        try:
            data, locate = parse_yaml(path, text)
        except ConfigError as exc:
            raise EvalDatasetError(str(exc)) from None
        if not isinstance(data, list):
            raise EvalDatasetError(f"{path}:1: a cases file is a list of cases")
        where = [f"{path}:{locate([i])}" for i in range(len(data))]
        cases = [_validate(Case, item, _located(path, locate, [i])) for i, item in enumerate(data)]
        return cases, where
    cases, locations, problems = [], [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: invalid JSON: {exc}")
            continue
        try:
            cases.append(_validate(Case, item, _at_line(path, number)))
            locations.append(f"{path}:{number}")
        except EvalDatasetError as exc:
            problems.append(str(exc))
    if problems:
        raise EvalDatasetError("\n".join(problems))
    if not cases:
        raise EvalDatasetError(f"{path}: no cases")
    return cases, locations


def _located(path: Path, locate: Callable[[list[Any]], int], prefix: list[Any]) -> Where:
    return lambda loc: f"{path}:{locate([*prefix, *loc])}"


def _at_line(path: Path, line: int) -> Where:
    return lambda _loc: f"{path}:{line}"


def _validate(model: type[M], data: Any, where: Callable[[list[Any]], str]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if not isinstance(p, str) or "[" not in p]
            field = ".".join(str(p) for p in loc) or "(root)"
            problems.append(f"{where(loc)}: {field}: {err['msg']}")
        raise EvalDatasetError("\n".join(problems)) from None


def _check_unique_ids(suite: Suite, path: Path) -> None:
    seen: set[str] = set()
    for case, where in zip(suite.case_list, suite.case_locations, strict=True):
        if case.id in seen:
            raise EvalDatasetError(f"{where}: id: duplicate case id {case.id!r}")
        seen.add(case.id)


def import_object(spec: str, *, what: str) -> Any:
    """``module:attribute`` → the object, with an error that names the spec."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise EvalDatasetError(f"{what} {spec!r}: use 'module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EvalDatasetError(f"{what} {spec!r}: cannot import {module_name}: {exc}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise EvalDatasetError(f"{what} {spec!r}: {module_name} has no {attribute!r}") from None

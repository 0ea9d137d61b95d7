"""The compare page: two config versions side by side, and their eval runs metric by metric.

``/compare?a=NAME@REF&b=NAME@REF`` resolves both refs in the config registry, diffs the configs,
compares the latest completed eval runs of the two versions on a suite both ran
(``llmops.eval`` does the statistics), and charts both versions' production series
(``window`` and ``since`` as on ``/monitor``; by default hourly over 7 days).
``/compare?baseline_run=ID&candidate_run=ID`` compares two runs directly. Either half degrades
to a message when its source is missing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmops._ui._data import BadRequest, StoreReader

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from llmops._agentconfig import AgentConfig
    from llmops._ui._evals import RegistrySource
    from llmops._ui._web import Handler, Renderer

MAX_CASE_ROWS = 500
_HEX = re.compile(r"^[0-9a-f]{4,64}$")


@dataclass
class Side:
    """One of the two versions: the ref asked for, and what it resolved to."""

    ref: str
    name: str | None = None
    version: str | None = None
    config: AgentConfig | None = None
    mlflow_version: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def eval_ref(self) -> str:
        """The ref ``compare_configs`` matches against stored runs."""
        if self.version is None:
            return self.ref
        return f"{self.name}@{self.version}" if self.name else self.version


@dataclass
class ConfigSides:
    """Both sides, the config diff when both configs loaded, or why there is none."""

    a: Side
    b: Side
    diff: Any = None
    side_by_side: list[tuple[str, str, str]] = field(default_factory=list)
    message: str | None = None


def side_by_side(left: str, right: str) -> list[tuple[str, str, str]]:
    """Two texts aligned line by line: ``(kind, left line, right line)``.

    ``kind`` is ``same``, ``changed``, ``removed`` (left only) or ``added`` (right only).
    """
    a, b = left.splitlines(), right.splitlines()
    rows: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [
                ("same", a[i], b[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            if k >= len(olds):
                rows.append(("added", "", news[k]))
            elif k >= len(news):
                rows.append(("removed", olds[k], ""))
            else:
                rows.append(("changed", olds[k], news[k]))
    return rows


def _yaml(config: AgentConfig) -> str:
    import yaml

    data = config.model_dump(mode="json")
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


def _resolve(registry: RegistrySource, side: Side) -> None:
    """Fill ``side`` from the registry; a ref it does not know is a bad request."""
    from llmops._errors import BackendUnavailable, ConfigError

    try:
        found = registry.get().resolve(side.ref)
    except BackendUnavailable:
        raise
    except ConfigError as exc:
        raise BadRequest(str(exc)) from None
    side.name, side.version = found.name, found.version
    side.mlflow_version, side.aliases = found.mlflow_version, found.aliases
    side.config = registry.get().get(found.ref)


def _fallback(side: Side) -> None:
    """Without a registry, ``NAME@VERSION`` (hex) still names a version in the eval runs."""
    name, _, version = side.ref.rpartition("@") if "@" in side.ref else ("", "", side.ref)
    if not _HEX.match(version):
        raise BadRequest(f"{side.ref!r}: without the config registry, give NAME@VERSION")
    side.name, side.version = name or None, version


def config_sides(registry: RegistrySource, a: str, b: str) -> ConfigSides:
    """Resolve both refs and diff their configs; a missing registry leaves a message instead."""
    from llmops._configdiff import diff_configs
    from llmops._errors import LlmopsError

    for ref in (a, b):
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", ref) and not _HEX.match(ref):
            raise BadRequest(f"{ref!r}: expected NAME@REF (an alias, a version or v<N>)")
    sides = ConfigSides(Side(a), Side(b))
    sides.message = registry.unavailable()
    if sides.message is None:
        try:
            _resolve(registry, sides.a)
            _resolve(registry, sides.b)
        except BadRequest:
            raise
        except LlmopsError as exc:  # unreachable server, tampered artifact: say so, go on
            sides.message = str(exc)
    if sides.a.config is not None and sides.b.config is not None:
        sides.diff = diff_configs(sides.a.config, sides.b.config)
        sides.side_by_side = side_by_side(_yaml(sides.a.config), _yaml(sides.b.config))
    else:
        for side in (sides.a, sides.b):
            if side.version is None:
                _fallback(side)
    return sides


def case_differences(reader: StoreReader, baseline: str, candidate: str) -> list[dict[str, Any]]:
    """Scores that differ between two runs, case by case, with both runs' trace ids."""
    return reader.rows(
        "WITH a AS (SELECT case_id, metric, value, passed FROM eval_scores WHERE run_id = ?), "
        "b AS (SELECT case_id, metric, value, passed FROM eval_scores WHERE run_id = ?), "
        "d AS (SELECT coalesce(a.case_id, b.case_id) AS case_id, "
        "  coalesce(a.metric, b.metric) AS metric, a.value AS baseline_value, "
        "  b.value AS candidate_value, a.passed AS baseline_passed, b.passed AS candidate_passed "
        "  FROM a FULL JOIN b ON a.case_id = b.case_id AND a.metric = b.metric "
        "  WHERE a.value IS DISTINCT FROM b.value OR a.passed IS DISTINCT FROM b.passed) "
        "SELECT d.*, ca.trace_id AS baseline_trace_id, cb.trace_id AS candidate_trace_id "
        "FROM d LEFT JOIN (SELECT case_id, trace_id FROM eval_cases WHERE run_id = ?) ca "
        "  USING (case_id) "
        "LEFT JOIN (SELECT case_id, trace_id FROM eval_cases WHERE run_id = ?) cb USING (case_id) "
        "ORDER BY d.case_id, d.metric LIMIT ?",
        [baseline, candidate, baseline, candidate, MAX_CASE_ROWS + 1],
    )


def _evaluate(
    reader: StoreReader, sides: ConfigSides | None, runs: tuple[str, str] | None
) -> tuple[Any, str | None]:
    """The eval comparison (``llmops.eval``'s ``Comparison``), or why there is none."""
    from llmops._errors import LlmopsError

    try:
        from llmops.eval._compare import compare_configs, compare_runs
    except ImportError as exc:  # pragma: no cover - depends on the install
        return None, f"eval comparison is not available: {exc}"
    try:
        with reader.connection() as con:
            if runs is not None:
                return compare_runs(*runs, con=con), None
            assert sides is not None
            return compare_configs(sides.a.eval_ref, sides.b.eval_ref, con=con), None
    except LlmopsError as exc:
        return None, str(exc)


def _sides_of_runs(registry: RegistrySource, comparison: Any) -> ConfigSides | None:
    """The config versions two compared runs ran, when both runs name theirs."""
    refs = []
    for prefix in ("baseline", "candidate"):
        name = getattr(comparison, f"{prefix}_config_name")
        version = getattr(comparison, f"{prefix}_config_version")
        if not name or not version:
            return None
        refs.append(f"{name}@{version}")
    try:
        return config_sides(registry, *refs)
    except BadRequest as exc:  # a version that was never registered: no diff, say why
        sides = ConfigSides(Side(refs[0]), Side(refs[1]), message=str(exc))
        _fallback(sides.a)
        _fallback(sides.b)
        return sides


def compare_page(reader: StoreReader, renderer: Renderer, registry: RegistrySource) -> Handler:
    """The ``/compare`` handler."""
    from llmops._ui._evals import compare_choices, default_pair
    from llmops._ui._monitoring import TimeRange, compare_charts

    def handler(request: Request) -> Response:
        params = request.query_params
        a, b = (params.get("a") or "").strip(), (params.get("b") or "").strip()
        base_run = (params.get("baseline_run") or "").strip()
        cand_run = (params.get("candidate_run") or "").strip()
        if bool(a) != bool(b) or bool(base_run) != bool(cand_run):
            raise BadRequest("give both a and b (NAME@REF), or both baseline_run and candidate_run")
        runs = (base_run, cand_run) if base_run else None
        span = TimeRange.from_query(params, since="7d")
        sides = config_sides(registry, a, b) if a else None
        comparison, eval_message = None, None
        if sides is not None or runs is not None:
            comparison, eval_message = _evaluate(reader, sides, runs)
        if sides is None and comparison is not None:
            sides = _sides_of_runs(registry, comparison)
        cases = []
        if comparison is not None:
            cases = case_differences(
                reader, comparison.baseline_run_id, comparison.candidate_run_id
            )
        monitor = compare_charts(reader, sides, span) if sides is not None else None
        versions, _ = registry.versions()
        return renderer.page(
            "compare.html",
            title="Compare config versions",
            nav="compare",
            a=sides.a.ref if sides else "",
            b=sides.b.ref if sides else "",
            sides=sides,
            comparison=comparison,
            eval_message=eval_message,
            cases=cases[:MAX_CASE_ROWS],
            cases_truncated=len(cases) > MAX_CASE_ROWS,
            regressed={(c.case_id, c.metric) for c in comparison.regressed_cases}
            if comparison
            else set(),
            monitor=monitor,
            choices=compare_choices(versions),
            default_pair=default_pair(versions),
        )

    return handler

"""Eval run pages, the config versions page, and where the config registry is read from."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from llmops._ui import _data
from llmops._ui._data import PAGE_SIZES, StoreReader
from llmops._ui._trace import loads
from llmops._ui._web import Renderer, html_page

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from llmops._registry import ConfigRegistry, ConfigVersion

_RUN_COLUMNS = (
    "run_id, suite_name, suite_hash, target, config_name, config_version, baseline_run_id, "
    "git_commit, executor, status, started_at, finished_at, case_count, summary, gates, "
    "mlflow_run_id, (finished_ns - started_ns) / 1e6 AS duration_ms"
)


class RegistrySource:
    """The MLflow config registry, or why it cannot be read (never a reason to fail a page).

    Args:
        home: The llmops home (its ``mlflow.db`` is the local default registry).
        tracking_uri: An MLflow tracking URI; default as ``ConfigRegistry``'s.
    """

    def __init__(self, home: Path, tracking_uri: str | None = None) -> None:
        self.home = home
        self.tracking_uri = tracking_uri
        self._registry: ConfigRegistry | None = None

    def unavailable(self) -> str | None:
        """Why the registry cannot be read, or ``None`` when it can be."""
        if importlib.util.find_spec("mlflow") is None:
            return "Config versions live in MLflow, which is not installed: " + (
                "pip install 'llmops[registry]'"
            )
        if not self.get().exists():
            return (
                f"No config registry yet ({self.get().tracking_uri}). Register a config with "
                "`llmops config register FILE` or run `llmops quickstart`."
            )
        return None

    def get(self) -> ConfigRegistry:
        """The registry (created on first use; MLflow is imported only when it is called)."""
        if self._registry is None:
            from llmops._registry import ConfigRegistry

            self._registry = ConfigRegistry(self.tracking_uri, home=self.home)
        return self._registry

    def versions(self) -> tuple[dict[str, list[ConfigVersion]], str | None]:
        """Every config's versions (newest first), or the reason they cannot be listed."""
        from llmops._errors import LlmopsError

        reason = self.unavailable()
        if reason is not None:
            return {}, reason
        registry = self.get()
        try:
            return {name: registry.versions(name) for name in registry.names()}, None
        except LlmopsError as exc:
            return {}, str(exc)


def list_runs(reader: StoreReader, page: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of eval runs, newest first, and how many there are."""
    rows = reader.rows(
        f"SELECT {_RUN_COLUMNS}, count(*) OVER () AS total FROM eval_runs "
        "ORDER BY started_ns DESC NULLS LAST, run_id LIMIT ? OFFSET ?",
        [limit, (page - 1) * limit],
    )
    total = int(rows[0]["total"]) if rows else 0
    return [_run_view(row) for row in rows], total


def _run_view(row: dict[str, Any]) -> dict[str, Any]:
    """A run row with its JSON columns parsed: summary as (metric, value) pairs, gates."""
    summary = loads(row.get("summary"), {})
    pairs = []
    for metric, entry in sorted(summary.items() if isinstance(summary, dict) else []):
        value = entry.get("value") if isinstance(entry, dict) else entry
        pairs.append((metric, value))
    gates = loads(row.get("gates"), [])
    gates = [g for g in gates if isinstance(g, dict)] if isinstance(gates, list) else []
    return {
        **row,
        "summary_pairs": pairs,
        "gates": gates,
        "gates_failed": sum(1 for g in gates if g.get("status") == "failed"),
    }


def run_detail(reader: StoreReader, run_id: str, page: int, limit: int) -> dict[str, Any]:
    """A run, one page of its cases with their scores by metric, and its metric names."""
    runs = reader.rows(f"SELECT {_RUN_COLUMNS} FROM eval_runs WHERE run_id = ?", [run_id])
    if not runs:
        raise _data.NotFound(f"no eval run {run_id!r}")
    cases = reader.rows(
        "SELECT case_id, case_index, status, error, input, output, expected, latency_ms, "
        "input_tokens, output_tokens, cost_usd, trace_id, count(*) OVER () AS total "
        "FROM eval_cases WHERE run_id = ? ORDER BY case_index, case_id LIMIT ? OFFSET ?",
        [run_id, limit, (page - 1) * limit],
    )
    metrics = reader.rows(
        "SELECT DISTINCT metric FROM eval_scores WHERE run_id = ? ORDER BY metric", [run_id]
    )
    scores = reader.rows(
        "SELECT case_id, metric, value, passed, status FROM eval_scores "
        "WHERE run_id = ? AND list_contains(?::VARCHAR[], case_id)",
        [run_id, [c["case_id"] for c in cases]],
    )
    by_case: dict[str, dict[str, dict[str, Any]]] = {}
    for score in scores:
        by_case.setdefault(score["case_id"], {})[score["metric"]] = score
    for case in cases:
        case["scores"] = by_case.get(case["case_id"], {})
        for key in ("input", "output", "expected"):
            case[key] = _pretty(case[key])
    return {
        "run": _run_view(runs[0]),
        "cases": cases,
        "metrics": [m["metric"] for m in metrics],
        "total": int(cases[0]["total"]) if cases else 0,
    }


def _pretty(text: str | None) -> str | None:
    from llmops._ui._trace import show_value

    return None if text is None else show_value(text)


def compare_choices(versions: dict[str, list[ConfigVersion]]) -> list[tuple[str, str]]:
    """``(ref, label)`` options for the compare form: every version, aliases in the label."""
    options = []
    for _name, found in sorted(versions.items()):
        for version in found:
            aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
            options.append((version.ref, f"{version.ref} · v{version.mlflow_version}{aliases}"))
    return options


def default_pair(versions: dict[str, list[ConfigVersion]]) -> tuple[str, str] | None:
    """``production`` vs ``candidate`` of the first config that has both, else its two newest."""
    for found in versions.values():
        by_alias = {alias: v for v in found for alias in v.aliases}
        if "production" in by_alias and "candidate" in by_alias:
            return by_alias["production"].ref, by_alias["candidate"].ref
    for found in versions.values():
        if len(found) >= 2:
            return found[1].ref, found[0].ref
    return None


def routes(reader: StoreReader, renderer: Renderer, registry: RegistrySource) -> list[Route]:
    """The eval run pages, the configs page and the compare page."""
    from starlette.routing import Route

    from llmops._ui._compare import compare_page

    page = html_page(renderer)

    @page
    def evals_page(request: Request) -> Response:
        number, limit = _data.page_params(request.query_params)
        runs, total = list_runs(reader, number, limit)
        return renderer.page(
            "evals.html",
            title="Eval runs",
            nav="evals",
            runs=runs,
            paging=_paging(total, number, limit, "/evals"),
        )

    @page
    def eval_run_page(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        number, limit = _data.page_params(request.query_params, default_limit=100)
        detail = run_detail(reader, run_id, number, limit)
        path = f"/evals/{run_id}"
        return renderer.page(
            "eval_run.html",
            title=f"Eval run {run_id}",
            nav="evals",
            paging=_paging(detail["total"], number, limit, path, default_limit=100),
            **detail,
        )

    @page
    def configs_page(request: Request) -> Response:
        versions, message = registry.versions()
        usage = {row["config_version"]: row for row in _data.config_usage(reader)}
        return renderer.page(
            "configs.html",
            title="Config versions",
            nav="configs",
            versions=versions,
            registry_message=message,
            usage=usage,
            unregistered=[
                row
                for version, row in usage.items()
                if not any(v.version == version for found in versions.values() for v in found)
            ],
            default_pair=default_pair(versions),
        )

    return [
        Route("/evals", evals_page),
        Route("/evals/{run_id}", eval_run_page),
        Route("/configs", configs_page),
        Route("/compare", page(compare_page(reader, renderer, registry))),
    ]


def _paging(
    total: int, page: int, limit: int, path: str, default_limit: int = 50
) -> dict[str, Any]:
    """Page numbers and the links to the neighbouring pages."""
    last = max(1, -(-total // limit))

    def link(number: int) -> str:
        query = {"page": number} if number > 1 else {}
        if limit != default_limit:
            query["limit"] = limit
        return f"{path}?{urlencode(query)}" if query else path

    return {
        "page": page,
        "last": last,
        "total": total,
        "page_sizes": PAGE_SIZES,
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < last else None,
    }

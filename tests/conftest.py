"""Shared fixtures: every test gets its own LLMOPS_HOME and a fresh llmops state."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# llmops' own tests see internal errors instead of counting them.
os.environ["LLMOPS_RAISE_INTERNAL_ERRORS"] = "1"
os.environ.setdefault("OTEL_SDK_DISABLED", "false")


# What litellm does that pytest's warnings-as-errors would fail a test for, in tests marked
# ``litellm``: deprecation and typing warnings on import, an event loop and sockets it leaks.
LITELLM_WARNINGS = (
    "ignore::DeprecationWarning",
    "ignore:Items? .* (is|are) using the .ReadOnly. qualifier:UserWarning",
    "ignore::ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("litellm") is not None:
            item.add_marker(pytest.mark.filterwarnings(*LITELLM_WARNINGS))


@pytest.fixture(autouse=True)
def _isolated_llmops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from llmops._internal import STATS

    for key in list(os.environ):
        if key.startswith("LLMOPS_") and key != "LLMOPS_RAISE_INTERNAL_ERRORS":
            monkeypatch.delenv(key)
        if key.startswith("OTEL_EXPORTER_OTLP") or key == "OTEL_TRACES_SAMPLER":
            monkeypatch.delenv(key)
    monkeypatch.setenv("LLMOPS_HOME", str(tmp_path / "llmops-home"))
    STATS.reset()
    yield
    import llmops

    llmops.shutdown()
    STATS.reset()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "llmops-home"


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Install a fake distribution whose entry points are ``{group: {name: "module:attr"}}``:
    what ``pip install llmops-clickhouse`` would put on ``sys.path`` (removed after the test)."""

    def install(name: str, entry_points: dict[str, dict[str, str]]) -> None:
        dist_info = tmp_path / "site" / f"{name.replace('-', '_')}-1.0.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n")
        sections = [
            f"[{group}]\n" + "".join(f"{key} = {target}\n" for key, target in entries.items())
            for group, entries in entry_points.items()
        ]
        (dist_info / "entry_points.txt").write_text("\n".join(sections))
        monkeypatch.syspath_prepend(str(dist_info.parent))

    return install

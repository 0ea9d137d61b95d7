"""Each package's public surface is declared, sorted and complete (after httpx's test)."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "llmops",
    "llmops.tracing",
    "llmops.eval",
    "llmops.guardrails",
    "llmops.serving",
    "llmops.testing",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_resolvable(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    for member in exported:
        assert getattr(module, member) is not None


@pytest.mark.parametrize("name", ["llmops", "llmops.tracing"])
def test_every_public_name_is_exported(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and getattr(v, "__module__", name).startswith("llmops")
        and n not in {"annotations", "TYPE_CHECKING", "Any"}
    }
    assert public <= set(module.__all__)


def test_public_names_have_docstrings() -> None:
    import llmops

    missing = [
        n
        for n in llmops.__all__
        if callable(getattr(llmops, n)) and not (getattr(llmops, n).__doc__ or "").strip()
    ]
    assert missing == []


def test_error_tree() -> None:
    import llmops

    for error in (
        llmops.ConfigError,
        llmops.StoreError,
        llmops.BackendUnavailable,
        llmops.GuardrailViolation,
        llmops.EvalDatasetError,
    ):
        assert issubclass(error, llmops.LlmopsError)

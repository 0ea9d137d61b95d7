"""Readable, structured differences between two agent configs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from llmops._agentconfig import AgentConfig

MISSING = "<absent>"


@dataclass(frozen=True)
class Change:
    """One field that differs: its dotted path, and its value in each version."""

    path: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.path}: {self.old!r} → {self.new!r}"


@dataclass(frozen=True)
class ConfigDiff:
    """How version ``b`` differs from version ``a``.

    Attributes:
        changes: Fields other than prompt texts, as old → new.
        prompts: Prompt name → unified diff of its template (added and removed prompts too).
    """

    a: str
    b: str
    changes: tuple[Change, ...] = ()
    prompts: dict[str, str] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        return not self.changes and not self.prompts

    def __str__(self) -> str:
        if self.identical:
            return f"{self.a} and {self.b} are identical"
        lines = [f"--- {self.a}", f"+++ {self.b}"]
        lines += [f"  {change}" for change in self.changes]
        for name, text in self.prompts.items():
            lines.append(f"  prompts.{name}:")
            lines += [f"    {line}" for line in text.splitlines()]
        return "\n".join(lines)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def _fields(config: AgentConfig) -> dict[str, Any]:
    data = config.model_dump(mode="json")
    prompts = data.pop("prompts")
    data["prompts"] = {name: {"variables": p["variables"]} for name, p in prompts.items()}
    data["tools"] = {tool.pop("name"): tool for tool in data["tools"]}
    flat: dict[str, Any] = {}
    _flatten(data, "", flat)
    return flat


def _template_diff(name: str, old: str | None, new: str | None) -> str:
    lines = difflib.unified_diff(
        (old or "").splitlines(),
        (new or "").splitlines(),
        fromfile=f"a/{name}" if old is not None else "/dev/null",
        tofile=f"b/{name}" if new is not None else "/dev/null",
        lineterm="",
    )
    return "\n".join(list(lines)[2:])  # the file header lines repeat what the caller prints


def diff_configs(a: AgentConfig, b: AgentConfig) -> ConfigDiff:
    """Compare two configs field by field, and their prompt templates line by line."""
    left, right = _fields(a), _fields(b)
    changes = tuple(
        Change(path, left.get(path, MISSING), right.get(path, MISSING))
        for path in sorted(set(left) | set(right))
        if left.get(path, MISSING) != right.get(path, MISSING)
    )
    prompts = {}
    for name in sorted(set(a.prompts) | set(b.prompts)):
        old = a.prompts[name].template if name in a.prompts else None
        new = b.prompts[name].template if name in b.prompts else None
        if old != new:
            prompts[name] = _template_diff(name, old, new)
    return ConfigDiff(a=a.ref, b=b.ref, changes=changes, prompts=prompts)

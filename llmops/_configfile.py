"""Agent config files: YAML or TOML in, errors that name the file, line and field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from llmops._errors import ConfigError

if TYPE_CHECKING:
    from llmops._agentconfig import AgentConfig

_YAML = {".yaml", ".yml"}
_TOML = {".toml"}


def load_config_file(cls: type[AgentConfig], path: Path) -> AgentConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    if suffix in _YAML:
        data, locate = parse_yaml(path, text)
    elif suffix in _TOML:
        data, locate = _parse_toml(path, text)
    else:
        raise ConfigError(f"{path}: unknown config format {suffix!r} (use .yaml, .yml or .toml)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a config is a mapping of fields, got {type(data).__name__}")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if not isinstance(p, str) or not p.startswith("function-")]
            line = locate(loc)
            field = ".".join(str(p) for p in loc) or "(root)"
            problems.append(f"{path}:{line}: {field}: {err['msg']}")
        raise ConfigError("\n".join(problems)) from None


def parse_yaml(path: Path, text: str) -> tuple[Any, Any]:
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else "?"
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem}") from None

    def locate(loc: list[Any]) -> int:
        current = node
        line = current.start_mark.line + 1 if current is not None else 1
        for part in loc:
            child = _yaml_child(current, part)
            if child is None:
                break
            current = child
            line = current.start_mark.line + 1
        return line

    return data, locate


def _yaml_child(node: Any, part: Any) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def _parse_toml(path: Path, text: str) -> tuple[Any, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    lines = text.splitlines()

    def locate(loc: list[Any]) -> int:
        # tomllib keeps no positions: find the deepest key of the path, in order, by its text.
        line_no = 0
        for part in loc:
            if not isinstance(part, str):
                continue
            for i in range(line_no, len(lines)):
                stripped = lines[i].strip()
                if stripped.startswith((f"{part} ", f"{part}=", f"[{part}", f'"{part}"')) or (
                    stripped.startswith("[") and stripped.rstrip("]").endswith(f".{part}")
                ):
                    line_no = i
                    break
        return line_no + 1

    return data, locate


def dump_config_file(config: AgentConfig, path: Path) -> Path:
    data = config.model_dump(mode="json", exclude_defaults=False)
    suffix = path.suffix.lower()
    if suffix in _YAML:
        import yaml

        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    elif suffix in _TOML:
        import tomli_w

        text = tomli_w.dumps(_drop_none(data))
    else:
        raise ConfigError(f"{path}: unknown config format {suffix!r} (use .yaml, .yml or .toml)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _drop_none(value: Any) -> Any:
    # TOML has no null: an absent key reads back as the field's default (None).
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value

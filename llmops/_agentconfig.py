"""``AgentConfig``: an agent's model, prompts, tools and settings as one immutable artifact.

The version is the SHA-256 of a canonical JSON form (sorted keys, integral floats written as
integers, NFC-normalised text, LF line endings, no insignificant whitespace, defaults included),
so the same content gets the same version on any machine and any change gets a new one.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from llmops._errors import ConfigError
from llmops._policy import GuardrailPolicy

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
SHORT_VERSION = 12


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelSpec(_Frozen):
    """Which model answers, and where: a litellm provider prefix, a model id, a server."""

    provider: str = Field(default="openai", description="litellm provider: openai, hosted_vllm…")
    id: str = Field(min_length=1, description="The model id, e.g. gemma-3-270m.")
    api_base: str | None = Field(default=None, description="OpenAI-compatible base URL.")
    served_name: str | None = Field(default=None, description="The alias the server exposes.")


class PromptTemplate(_Frozen):
    """A prompt with ``{{variable}}`` placeholders; every placeholder must be declared."""

    template: str
    variables: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _declared(self) -> PromptTemplate:
        used = set(_VARIABLE.findall(self.template))
        undeclared = sorted(used - set(self.variables))
        if undeclared:
            raise ValueError(f"template uses undeclared variable(s): {', '.join(undeclared)}")
        unused = sorted(set(self.variables) - used)
        if unused:
            raise ValueError(f"declared variable(s) not in the template: {', '.join(unused)}")
        return self

    def render(self, **values: Any) -> str:
        """Fill the placeholders.

        Raises:
            ConfigError: A declared variable is missing, or an unknown one is given.
        """
        missing = sorted(set(self.variables) - set(values))
        unknown = sorted(set(values) - set(self.variables))
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing variable(s) {', '.join(missing)}")
            if unknown:
                problems.append(f"unknown variable(s) {', '.join(unknown)}")
            raise ConfigError("; ".join(problems))
        return _VARIABLE.sub(lambda m: str(values[m.group(1)]), self.template)


class ToolSpec(_Frozen):
    """A tool the agent may call: JSON-schema parameters and, optionally, its Python callable."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    import_path: str | None = Field(default=None, pattern=r"^[\w.]+:[\w.]+$")

    @field_validator("parameters")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        import jsonschema

        try:
            jsonschema.Draft202012Validator.check_schema(value)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
        return value


class Sampling(_Frozen):
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1)
    seed: int | None = None
    stop: tuple[str, ...] = ()


class ServingSpec(_Frozen):
    """How the config is served: vLLM on GPUs, or a local CPU server; backend options."""

    backend: Literal["vllm", "local"] = "local"
    options: dict[str, Any] = Field(default_factory=dict)


class Pricing(_Frozen):
    """Prices for self-hosted models: per token, or a GPU-hour price."""

    input_per_token: float | None = Field(default=None, ge=0)
    output_per_token: float | None = Field(default=None, ge=0)
    gpu_hour_usd: float | None = Field(default=None, ge=0)
    currency: str = "USD"


class AgentConfig(_Frozen):
    """One immutable, content-addressed agent configuration.

    Example:
        >>> cfg = AgentConfig(name="support-bot", model={"id": "gemma-3-270m"},
        ...                   prompts={"user": {"template": "Q: {{q}}", "variables": ["q"]}})
        >>> print(cfg.ref)  # support-bot@ and 12 hex digits of the content hash
    """

    name: str = Field(pattern=_NAME)
    description: str = ""
    model: ModelSpec
    prompts: dict[str, PromptTemplate] = Field(default_factory=dict)
    tools: tuple[ToolSpec, ...] = ()
    sampling: Sampling = Field(default_factory=Sampling)
    guardrails: dict[str, Any] = Field(default_factory=dict)
    serving: ServingSpec = Field(default_factory=ServingSpec)
    pricing: Pricing = Field(default_factory=Pricing)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("guardrails")
    @classmethod
    def _valid_policy(cls, value: dict[str, Any]) -> dict[str, Any]:
        GuardrailPolicy.model_validate(value)  # errors name the field, e.g. guardrails.input
        return value

    @field_validator("guardrails", "metadata")
    @classmethod
    def _json_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            orjson.dumps(value)
        except TypeError as exc:
            raise ValueError(f"must hold JSON values only ({exc})") from None
        return value

    @model_validator(mode="after")
    def _unique_tools(self) -> AgentConfig:
        names = [t.name for t in self.tools]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"duplicate tool name(s): {', '.join(duplicated)}")
        return self

    # --- identity -----------------------------------------------------------------------------
    def canonical_json(self) -> bytes:
        """The canonical form the version is the hash of."""
        return orjson.dumps(_canonical(self.model_dump(mode="json")), option=orjson.OPT_SORT_KEYS)

    @cached_property
    def version(self) -> str:
        """SHA-256 of :meth:`canonical_json`, 64 hex digits."""
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied; its version is computed afresh from its content."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("version", None)  # the cached hash belongs to the original
        return copied

    @property
    def short_version(self) -> str:
        return self.version[:SHORT_VERSION]

    @property
    def ref(self) -> str:
        """``name@short_version``."""
        return f"{self.name}@{self.short_version}"

    def render(self, prompt: str, **values: Any) -> str:
        """Render one of the config's prompts (``ConfigError`` when unknown or incomplete)."""
        template = self.prompts.get(prompt)
        if template is None:
            known = ", ".join(sorted(self.prompts)) or "none"
            raise ConfigError(f"{self.name}: no prompt {prompt!r} (known: {known})")
        try:
            return template.render(**values)
        except ConfigError as exc:
            raise ConfigError(f"{self.name}: prompt {prompt!r}: {exc}") from None

    # --- files --------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path) -> AgentConfig:
        """Load a YAML (``.yaml``/``.yml``) or TOML (``.toml``) config file.

        Raises:
            ConfigError: The file is unreadable or invalid; the message gives file, line, field.
        """
        from llmops._configfile import load_config_file

        return load_config_file(cls, Path(path))

    def to_file(self, path: str | Path) -> Path:
        """Write the config as YAML or TOML (by suffix); ``from_file`` reads it back equal."""
        from llmops._configfile import dump_config_file

        return dump_config_file(self, Path(path))

    @classmethod
    def from_json(cls, data: bytes | str) -> AgentConfig:
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc)) from None


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    if isinstance(value, dict):
        return {_canonical(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def format_validation_error(exc: ValidationError, where: str = "config") -> str:
    """One line per problem: ``where: field.path: message``."""
    return "; ".join(
        f"{where}: {'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
        for err in exc.errors()
    )

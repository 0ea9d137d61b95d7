"""Typed settings: each declared once, with its environment variable and default.

``llmops.configure(**overrides)`` builds :class:`Settings` from keyword overrides, then
``LLMOPS_*`` environment variables, then the defaults below. Standard ``OTEL_*`` variables are
honoured where OpenTelemetry defines them (service name, sampler, OTLP endpoint and headers).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from llmops._errors import ConfigError
from llmops.tracing._state import RedactHook
from llmops.tracing.backends import PEERS, parse_headers


class Settings(BaseSettings):
    """Every llmops setting; each field reads ``LLMOPS_<FIELD>`` from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="LLMOPS_", extra="forbid", validate_default=True, frozen=True
    )

    enabled: bool = True
    home: Path = Path(".llmops")
    store_path: Path | None = Field(
        default=None, description="Folder of the span store; default $LLMOPS_HOME/store."
    )
    exporters: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Where spans go, by name: duckdb, otlp, console, none, or a plug-in's "
        "(entry-point group llmops.exporters); default duckdb, plus otlp when an OTLP endpoint "
        "is set.",
    )
    service_name: str | None = Field(default=None, description="Default: OTEL_SERVICE_NAME.")
    sample_ratio: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Head sampling; default: OTEL_TRACES_SAMPLER."
    )
    tail_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    tail_keep_errors: bool = True
    tail_slow_ms: float | None = Field(default=None, gt=0)
    tail_costly_usd: float | None = Field(default=None, gt=0)
    tail_max_traces: int = Field(default=10_000, ge=1)
    capture_inputs: bool = True
    capture_outputs: bool = True
    capture_messages: bool = Field(
        default=True,
        description="Record a model call's messages as gen_ai.input.messages / "
        "gen_ai.output.messages (inputs and outputs also need capture_inputs / capture_outputs).",
    )
    max_attribute_bytes: int = Field(default=16_384, ge=64)
    redact: str | RedactHook | None = Field(
        default=None, description="A callable (key, value) -> value, or its 'module:function'."
    )
    otlp_endpoint: str | None = None
    otlp_headers: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="OTLP request headers: a dict, 'key=value,key2=value2' (as in "
        "OTEL_EXPORTER_OTLP_HEADERS) or a JSON object.",
    )
    otlp_resource_attributes: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Resource attributes added to the spans sent over OTLP only (not the "
        "store's): a dict, 'key=value,key2=value2' or a JSON object.",
    )
    otlp_peer: str | None = Field(
        default=None,
        description="The kind of backend at the OTLP endpoint (langfuse, mlflow, phoenix; "
        "set by llmops.tracing.backends); mlflow adds MLflow's names for cost and messages.",
    )
    otlp_protocol: Literal["http/protobuf", "grpc"] | None = Field(
        default=None,
        description="How OTLP is sent: http/protobuf or grpc (the grpc extra); default "
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.",
    )
    otlp_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="Per OTLP request; default OTEL_EXPORTER_OTLP_TIMEOUT or 10 s.",
    )
    queue_size: int = Field(default=8192, ge=16)
    batch_size: int = Field(default=512, ge=1)
    schedule_delay_ms: int = Field(default=500, ge=1)
    compact_threshold: int = Field(
        default=64, ge=2, description="Pending batch files that trigger a compaction."
    )

    @field_validator("exporters", mode="before")
    @classmethod
    def _split_exporters(cls, value: Any) -> Any:
        # LLMOPS_EXPORTERS=duckdb,otlp (or a JSON list) from the environment.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("exporters")
    @classmethod
    def _check_exporters(cls, value: list[str] | None) -> list[str] | None:
        from llmops._exporters import NO_EXPORTER, is_known, known_exporters

        unknown = [name for name in value or () if not is_known(name)]
        if unknown:
            known = ", ".join([*known_exporters(), NO_EXPORTER])
            raise ValueError(f"unknown exporter {unknown[0]!r}; known exporters: {known}")
        return value

    @field_validator("home", "store_path")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # Fixed when the settings are made: a later os.chdir() must not move the store.
        return None if value is None else value.expanduser().absolute()

    @field_validator("otlp_headers", "otlp_resource_attributes", mode="before")
    @classmethod
    def _parse_headers(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        return json.loads(text) if text.startswith("{") else parse_headers(text)

    @field_validator("otlp_endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value

    @field_validator("otlp_peer")
    @classmethod
    def _check_peer(cls, value: str | None) -> str | None:
        if value is not None and value not in PEERS:
            raise ValueError(f"unknown peer {value!r}; known peers: {', '.join(PEERS)}")
        return value

    @field_validator("redact")
    @classmethod
    def _check_redact(cls, value: Any) -> Any:
        if value is None or callable(value):
            return value
        if not isinstance(value, str) or ":" not in value:
            raise ValueError("must be a callable or a 'module:function' import path")
        return value

    def is_enabled(self) -> bool:
        """False when ``enabled`` is off or OpenTelemetry's ``OTEL_SDK_DISABLED=true`` is set."""
        return self.enabled and os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"

    def store_dir(self) -> Path:
        return self.store_path or self.home / "store"

    def exporter_names(self) -> list[str]:
        if self.exporters is not None:
            return [name for name in self.exporters if name != "none"]
        names = ["duckdb"]
        if self.otlp_endpoint or _otlp_endpoint_from_env():
            names.append("otlp")
        return names

    def resolved_service_name(self) -> str:
        return self.service_name or os.environ.get("OTEL_SERVICE_NAME") or "llmops-app"


def _otlp_endpoint_from_env() -> str | None:
    return os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )


def resolve_redact_hook(value: str | RedactHook | None) -> RedactHook | None:
    """Import a ``module:function`` redaction hook, or return the callable as it is."""
    if value is None or callable(value):
        return value
    module_name, _, attr = value.partition(":")
    try:
        module = __import__(module_name, fromlist=[attr])
        hook = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"redact: cannot import {value!r}: {exc}") from exc
    if not callable(hook):
        raise ConfigError(f"redact: {value!r} is not callable")
    return hook


def _describe_error(err: Any) -> str:
    loc = [str(p) for p in err["loc"]]
    field = loc[0] if loc else "?"
    where = ".".join(loc) or "?"
    if field in Settings.model_fields:
        where += f" (argument or LLMOPS_{field.upper()})"
    return f"{where}: {err['msg']}"


# LLMOPS_* variables that are not settings: read elsewhere, or by the tests and benchmarks.
_OTHER_VARIABLES = frozenset(
    {"RAISE_INTERNAL_ERRORS", "CONTEXT", "SECRET_SCAN", "EMBED_THREADS", "CLI"}
)
_OTHER_PREFIXES = ("VLLM_", "TEST_")
_warned: set[str] = set()


def _warn_unknown_variables() -> None:
    """One log line for an ``LLMOPS_*`` variable no setting reads (a misspelling, most likely).

    Not an error: an argument with a wrong name is one, but the environment is shared with
    other tools and older deployments.
    """
    import difflib
    import logging

    fields = {name.upper() for name in Settings.model_fields}
    for variable in os.environ:
        if not variable.startswith("LLMOPS_") or variable in _warned:
            continue
        name = variable[len("LLMOPS_") :]
        if name in fields or name in _OTHER_VARIABLES or name.startswith(_OTHER_PREFIXES):
            continue
        _warned.add(variable)
        close = difflib.get_close_matches(name, sorted(fields), n=1)
        hint = f"; did you mean LLMOPS_{close[0]}?" if close else ""
        logging.getLogger("llmops").warning(
            "llmops: %s is not an llmops setting and is ignored%s", variable, hint
        )


def load_settings(**overrides: Any) -> Settings:
    """Build settings from overrides and the environment, or raise a one-line ConfigError."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_describe_error(err) for err in exc.errors())
        raise ConfigError(f"invalid llmops settings: {problems}") from None
    _warn_unknown_variables()
    return settings

"""Where OTLP goes: endpoint and headers for Langfuse, an MLflow server, Phoenix, a Collector."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OtlpTarget:
    """An OTLP/HTTP traces endpoint and the headers it needs; pass it as ``configure(otlp=...)``."""

    endpoint: str
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print credentials
        return f"OtlpTarget(endpoint={self.endpoint!r}, headers=<{len(self.headers)} hidden>)"


def langfuse(
    public_key: str | None = None, secret_key: str | None = None, host: str | None = None
) -> OtlpTarget:
    """Langfuse's OTLP endpoint (``/api/public/otel``), Basic auth from its key pair.

    Unset arguments come from ``LANGFUSE_PUBLIC_KEY``, ``LANGFUSE_SECRET_KEY`` and
    ``LANGFUSE_BASE_URL`` (or ``LANGFUSE_HOST``).

    Raises:
        ConfigError: No key pair in the arguments or the environment.
    """
    public_key = public_key or os.environ.get("LANGFUSE_PUBLIC_KEY", "")
    secret_key = secret_key or os.environ.get("LANGFUSE_SECRET_KEY", "")
    if not (public_key and secret_key):
        from llmops._errors import ConfigError

        raise ConfigError(
            "langfuse: a public and a secret key are needed (arguments, or LANGFUSE_PUBLIC_KEY "
            "and LANGFUSE_SECRET_KEY)"
        )
    host = (
        host
        or os.environ.get("LANGFUSE_BASE_URL")
        or os.environ.get("LANGFUSE_HOST")
        or "https://cloud.langfuse.com"
    ).rstrip("/")
    token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
    return OtlpTarget(f"{host}/api/public/otel/v1/traces", {"Authorization": f"Basic {token}"})


def mlflow(tracking_uri: str | None = None, experiment_id: str = "0") -> OtlpTarget:
    """An MLflow server's OTLP endpoint (``/v1/traces``) into one experiment."""
    uri = (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or "http://127.0.0.1:5000").rstrip(
        "/"
    )
    return OtlpTarget(f"{uri}/v1/traces", {"x-mlflow-experiment-id": str(experiment_id)})


def phoenix(endpoint: str | None = None, api_key: str | None = None) -> OtlpTarget:
    """Arize Phoenix's OTLP/HTTP endpoint (default ``http://127.0.0.1:6006/v1/traces``)."""
    base = (
        endpoint or os.environ.get("PHOENIX_COLLECTOR_ENDPOINT") or "http://127.0.0.1:6006"
    ).rstrip("/")
    if not base.endswith("/v1/traces"):
        base += "/v1/traces"
    api_key = api_key or os.environ.get("PHOENIX_API_KEY")
    return OtlpTarget(base, {"authorization": f"Bearer {api_key}"} if api_key else {})


def collector(endpoint: str = "http://127.0.0.1:4318") -> OtlpTarget:
    """An OpenTelemetry Collector's OTLP/HTTP receiver."""
    endpoint = endpoint.rstrip("/")
    return OtlpTarget(endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces")

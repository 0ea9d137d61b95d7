"""Where OTLP goes: endpoint and headers for Langfuse, an MLflow server, Phoenix, a Collector.

A target may also name resource attributes for the spans sent there (Phoenix's project) and
its kind of backend (``peer``), whose own attribute names are added on the way (MLflow's cost;
see ``llmops.tracing._peers``).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field

# The kinds of backend a target may name (``OtlpTarget.peer``, the ``otlp_peer`` setting).
PEERS = ("langfuse", "mlflow", "phoenix")
PHOENIX_PROJECT_ATTRIBUTE = "openinference.project.name"  # a resource attribute
PHOENIX_PROJECT_HEADER = "x-project-name"  # read first by newer Phoenix versions


@dataclass(frozen=True)
class OtlpTarget:
    """An OTLP traces endpoint and the headers it needs; pass it as ``configure(otlp=...)``.

    ``protocol`` is ``http/protobuf`` (the endpoint is the ``/v1/traces`` URL) or ``grpc``
    (the endpoint is ``http://host:port``, plain, or ``https://`` for TLS; the ``grpc`` extra).
    """

    endpoint: str
    headers: dict[str, str] = field(default_factory=dict)
    resource_attributes: dict[str, str] = field(default_factory=dict)
    peer: str | None = None
    protocol: str = "http/protobuf"

    def __repr__(self) -> str:  # never print credentials
        return (
            f"OtlpTarget(endpoint={self.endpoint!r}, headers=<{len(self.headers)} hidden>, "
            f"resource_attributes={self.resource_attributes!r}, peer={self.peer!r}, "
            f"protocol={self.protocol!r})"
        )


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
    return OtlpTarget(
        f"{host}/api/public/otel/v1/traces", {"Authorization": f"Basic {token}"}, peer="langfuse"
    )


def mlflow(
    tracking_uri: str | None = None, experiment_id: str = "0", token: str | None = None
) -> OtlpTarget:
    """An MLflow server's OTLP endpoint (``/v1/traces``) into one experiment.

    A secured server's credentials come as MLflow's own clients take them: ``token`` or
    ``MLFLOW_TRACKING_TOKEN`` (bearer), else ``MLFLOW_TRACKING_USERNAME`` and
    ``MLFLOW_TRACKING_PASSWORD`` (basic). Spans go with MLflow's own names added: a span's cost
    as ``mlflow.llm.cost`` (MLflow sums them into the trace's cost), and its messages as
    ``mlflow.spanInputs`` / ``mlflow.spanOutputs`` (shown as a chat).
    """
    uri = (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or "http://127.0.0.1:5000").rstrip(
        "/"
    )
    headers = {"x-mlflow-experiment-id": str(experiment_id)}
    token = token or os.environ.get("MLFLOW_TRACKING_TOKEN")
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif user:
        password = os.environ.get("MLFLOW_TRACKING_PASSWORD", "")
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {basic}"
    return OtlpTarget(f"{uri}/v1/traces", headers, peer="mlflow")


def phoenix(
    endpoint: str | None = None, api_key: str | None = None, project: str | None = None
) -> OtlpTarget:
    """Arize Phoenix's OTLP/HTTP endpoint (default ``http://127.0.0.1:6006/v1/traces``).

    Headers from ``PHOENIX_CLIENT_HEADERS`` (``key=value,...``), and ``api_key`` or
    ``PHOENIX_API_KEY`` as a bearer token. ``project`` (or ``PHOENIX_PROJECT_NAME``) is the
    Phoenix project the spans land in (else Phoenix's ``default``): sent as the resource
    attribute ``openinference.project.name``, which every Phoenix reads, and as the
    ``x-project-name`` header, which newer ones read first.
    """
    base = (
        endpoint or os.environ.get("PHOENIX_COLLECTOR_ENDPOINT") or "http://127.0.0.1:6006"
    ).rstrip("/")
    if not base.endswith("/v1/traces"):
        base += "/v1/traces"
    api_key = api_key or os.environ.get("PHOENIX_API_KEY")
    try:
        headers = parse_headers(os.environ.get("PHOENIX_CLIENT_HEADERS", ""))
    except ValueError as exc:
        from llmops._errors import ConfigError

        raise ConfigError(f"PHOENIX_CLIENT_HEADERS: {exc}") from None
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    project = project or os.environ.get("PHOENIX_PROJECT_NAME")
    resource: dict[str, str] = {}
    if project:
        resource[PHOENIX_PROJECT_ATTRIBUTE] = project
        if project.isascii() and project.isprintable():  # a header value must be
            headers[PHOENIX_PROJECT_HEADER] = project
    return OtlpTarget(base, headers, resource, peer="phoenix")


def parse_headers(text: str) -> dict[str, str]:
    """``key=value,key2=value2``, the form of ``OTEL_EXPORTER_OTLP_HEADERS``, as a dict.

    Raises:
        ValueError: A part is not ``key=value`` (the message never repeats its text).
    """
    from urllib.parse import unquote

    headers = {}
    for index, part in enumerate(filter(None, (p.strip() for p in text.split(","))), 1):
        key, sign, value = part.partition("=")
        if not sign or not key.strip():
            # Never the text itself: a header value is often a credential.
            raise ValueError(
                f"expected key=value pairs separated by commas; part {index} has no '=' "
                f"({len(part)} characters, not shown)"
            )
        headers[unquote(key.strip())] = unquote(value.strip())
    return headers


def collector(endpoint: str | None = None, *, grpc: bool = False) -> OtlpTarget:
    """An OpenTelemetry Collector's (or ``llmops server``'s) OTLP receiver: OTLP/HTTP at
    ``http://127.0.0.1:4318`` by default, or with ``grpc=True`` OTLP/gRPC at
    ``http://127.0.0.1:4317`` (the ``grpc`` extra)."""
    if grpc:
        return OtlpTarget((endpoint or "http://127.0.0.1:4317").rstrip("/"), protocol="grpc")
    endpoint = (endpoint or "http://127.0.0.1:4318").rstrip("/")
    return OtlpTarget(endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces")

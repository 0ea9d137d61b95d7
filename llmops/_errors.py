"""The llmops exception tree.

Every error llmops raises on purpose derives from :class:`LlmopsError`::

    LlmopsError
    ├── ConfigError            a setting, config file or decorator use that a developer must fix
    ├── StoreError             the embedded store cannot answer a query (bad SQL, unreadable files)
    ├── BackendUnavailable     a model server, tracking server or exporter endpoint is down
    ├── ModelCallError         the model server answered with an error (unknown model, bad request)
    │   └── ContextLengthExceeded   the prompt does not fit the model's context window
    ├── GuardrailViolation     a guardrail policy blocked a call; carries the findings
    └── EvalDatasetError       an eval suite or dataset is malformed

The tracing path itself never raises into user code: internal failures there are logged and
counted in :func:`llmops.stats` instead.
"""

from __future__ import annotations

from typing import Any


class LlmopsError(Exception):
    """Root of every error llmops raises on purpose."""


class ConfigError(LlmopsError, ValueError):
    """A setting, config file or decorator use is wrong; the message names the field."""


class StoreError(LlmopsError):
    """The embedded store could not answer (bad SQL, unreadable segment files)."""


class BackendUnavailable(LlmopsError):
    """A server llmops depends on (model server, tracking server, exporter) is unreachable."""


class ModelCallError(LlmopsError):
    """A model server answered a call with an error that retrying will not fix."""


class ContextLengthExceeded(ModelCallError):
    """The prompt (plus the requested output) does not fit the model's context window."""


class GuardrailViolation(LlmopsError):
    """A guardrail policy blocked a call.

    Attributes:
        findings: What the detectors found (types, scores and positions, never the values).
    """

    def __init__(self, message: str, findings: list[Any] | None = None) -> None:
        super().__init__(message)
        self.findings = list(findings or [])


class EvalDatasetError(LlmopsError):
    """An eval suite or dataset is malformed; the message names the file, line and field."""

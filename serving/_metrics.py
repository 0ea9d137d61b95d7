"""Serving metrics: the backend's Prometheus ``/metrics``, parsed into numbers."""

from __future__ import annotations

import re
import urllib.request

from llmops._errors import BackendUnavailable

_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)")
# vLLM's names; llama.cpp's server (when it exposes metrics) uses llamacpp:*.
INTERESTING = ("vllm:", "llamacpp:", "process_")


def scrape(url: str, timeout: float = 5.0) -> dict[str, float]:
    """Sum each metric family over its labels: ``{"vllm:num_requests_running": 2.0, …}``.

    Raises:
        BackendUnavailable: The endpoint did not answer.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read().decode("utf-8", "replace")
    except OSError as exc:
        raise BackendUnavailable(f"metrics endpoint {url} unreachable: {exc}") from None
    return parse(text)


def parse(text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None or not match.group(1).startswith(INTERESTING):
            continue
        try:
            values[match.group(1)] = values.get(match.group(1), 0.0) + float(match.group(3))
        except ValueError:
            continue
    return values

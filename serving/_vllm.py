"""vLLM on GPUs: a config's ``serving`` block as a ``vllm serve`` command line, or a KServe
``InferenceService`` manifest for clusters.

Recognised ``serving.options`` (all optional): ``dtype``, ``max_model_len``,
``tensor_parallel_size``, ``gpu_memory_utilization``, ``lora_modules`` (name → path),
``chat_template``, ``image`` (the KServe container image), ``gpus`` (KServe GPU count),
``extra_args`` (more ``vllm serve`` flags, as a list).
"""

from __future__ import annotations

from typing import Any

from llmops._agentconfig import AgentConfig
from llmops._errors import ConfigError

DEFAULT_IMAGE = "vllm/vllm-openai:latest"
_FLAGS = {
    "dtype": "--dtype",
    "max_model_len": "--max-model-len",
    "tensor_parallel_size": "--tensor-parallel-size",
    "gpu_memory_utilization": "--gpu-memory-utilization",
    "chat_template": "--chat-template",
}
_KNOWN = {*_FLAGS, "lora_modules", "image", "gpus", "extra_args"}


def _options(config: AgentConfig) -> dict[str, Any]:
    options = dict(config.serving.options)
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise ConfigError(
            f"{config.ref}: serving.options: unknown option(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_KNOWN))})"
        )
    return options


def vllm_args(config: AgentConfig, *, host: str = "0.0.0.0", port: int = 8000) -> list[str]:
    """The arguments after ``vllm serve`` for ``config``."""
    options = _options(config)
    served = config.model.served_name or config.model.id
    args = [config.model.id, "--served-model-name", served, "--host", host, "--port", str(port)]
    for key, flag in _FLAGS.items():
        if options.get(key) is not None:
            args += [flag, str(options[key])]
    loras = options.get("lora_modules") or {}
    if not isinstance(loras, dict):
        raise ConfigError(f"{config.ref}: serving.options.lora_modules: expected name → path")
    if loras:
        args += ["--enable-lora", "--lora-modules", *(f"{k}={v}" for k, v in sorted(loras.items()))]
    # Usage on the last chunk of every stream, so streamed calls are counted and priced.
    args.append("--enable-force-include-usage")
    extra = options.get("extra_args") or []
    if not isinstance(extra, list) or not all(isinstance(a, str) for a in extra):
        raise ConfigError(f"{config.ref}: serving.options.extra_args: expected a list of strings")
    return args + list(extra)


def vllm_command(config: AgentConfig, *, host: str = "0.0.0.0", port: int = 8000) -> list[str]:
    """The full ``vllm serve …`` command line for ``config``."""
    return ["vllm", "serve", *vllm_args(config, host=host, port=port)]


def kserve_manifest(config: AgentConfig, *, namespace: str = "default") -> dict[str, Any]:
    """A KServe ``InferenceService`` (serving.kserve.io/v1beta1) running ``vllm serve``."""
    options = _options(config)
    gpus = str(options.get("gpus") or options.get("tensor_parallel_size") or 1)
    name = config.name.lower().replace("_", "-").replace(".", "-")[:50]
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"llmops.config.name": name},
            "annotations": {
                "llmops.config.version": config.version,
                "serving.kserve.io/deploymentMode": "RawDeployment",
            },
        },
        "spec": {
            "predictor": {
                "containers": [
                    {
                        "name": "kserve-container",
                        "image": options.get("image") or DEFAULT_IMAGE,
                        "command": ["vllm", "serve"],
                        "args": vllm_args(config, port=8080),
                        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}},
                        "resources": {
                            "limits": {"nvidia.com/gpu": gpus},
                            "requests": {"nvidia.com/gpu": gpus},
                        },
                    }
                ]
            }
        },
    }

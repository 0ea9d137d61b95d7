"""vLLM command lines, KServe manifests, the canary router and metrics parsing."""

from __future__ import annotations

from typing import Any

import pytest

import llmops
from llmops import AgentConfig
from llmops.serving import Router, kserve_manifest, vllm_command
from llmops.serving._metrics import parse
from llmops.testing import SpanRecorder


def vllm_config(**options: Any) -> AgentConfig:
    return AgentConfig(
        name="support-bot",
        model={"provider": "hosted_vllm", "id": "google/gemma-3-1b-it", "served_name": "gemma"},
        serving={"backend": "vllm", "options": options},
    )


def test_vllm_command_from_the_config() -> None:
    cmd = vllm_command(
        vllm_config(dtype="bfloat16", max_model_len=4096, tensor_parallel_size=2,
                    gpu_memory_utilization=0.85, lora_modules={"support": "/loras/support"}),
        port=9000,
    )  # fmt: skip
    assert cmd[:3] == ["vllm", "serve", "google/gemma-3-1b-it"]
    joined = " ".join(cmd)
    for expected in (
        "--served-model-name gemma",
        "--port 9000",
        "--dtype bfloat16",
        "--max-model-len 4096",
        "--tensor-parallel-size 2",
        "--gpu-memory-utilization 0.85",
        "--enable-lora --lora-modules support=/loras/support",
        "--enable-force-include-usage",
    ):
        assert expected in joined


def test_unknown_serving_option_is_named() -> None:
    with pytest.raises(llmops.ConfigError, match="unknown option\\(s\\) max_len"):
        vllm_command(vllm_config(max_len=10))


# The parts of KServe's InferenceService (serving.kserve.io/v1beta1) CRD schema that a
# manifest must satisfy to be accepted, transcribed from the CRD's openAPIV3Schema.
KSERVE_SUBSET = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "serving.kserve.io/v1beta1"},
        "kind": {"const": "InferenceService"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$",
                    "maxLength": 63,
                }
            },
        },
        "spec": {
            "type": "object",
            "required": ["predictor"],
            "properties": {
                "predictor": {
                    "type": "object",
                    "properties": {
                        "containers": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "image": {"type": "string"},
                                    "args": {"type": "array", "items": {"type": "string"}},
                                    "command": {"type": "array", "items": {"type": "string"}},
                                    "resources": {"type": "object"},
                                },
                            },
                        }
                    },
                }
            },
        },
    },
}


def test_kserve_manifest_matches_the_crd_schema() -> None:
    import jsonschema

    manifest = kserve_manifest(vllm_config(tensor_parallel_size=2))
    jsonschema.validate(manifest, KSERVE_SUBSET)
    container = manifest["spec"]["predictor"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert "--served-model-name" in container["args"]
    assert (
        manifest["metadata"]["annotations"]["llmops.config.version"]
        == vllm_config(tensor_parallel_size=2).version
    )


def test_router_is_sticky_and_changes_share_at_run_time(llmops_spans: SpanRecorder) -> None:
    stable, candidate = vllm_config(), vllm_config(dtype="half")
    router = Router(stable=stable, candidate=candidate, share=0.2)
    picks = {f"s{i}": router.pick(session_id=f"s{i}").version for i in range(2000)}
    share = sum(v == candidate.version for v in picks.values()) / len(picks)
    assert 0.15 < share < 0.25
    assert all(router.pick(session_id=s).version == v for s, v in list(picks.items())[:200])
    router.set_share(0.0)
    assert all(router.pick(session_id=f"s{i}") is stable for i in range(200))
    router.set_share(1.0)
    assert router.pick(session_id="anyone") is candidate
    with llmops.span("request"):
        router.pick(session_id="x")
    assert llmops_spans.attributes("request")["llmops.route.arm"] == "candidate"
    with pytest.raises(llmops.ConfigError):
        router.set_share(1.5)


def test_metrics_parsing_sums_label_sets() -> None:
    text = (
        "# HELP vllm:num_requests_running Number of requests running\n"
        'vllm:num_requests_running{model_name="gemma"} 2\n'
        'vllm:num_requests_running{model_name="other"} 1\n'
        'vllm:generation_tokens_total{model_name="gemma"} 1.5e3\n'
        "python_gc_objects_collected_total 10\n"
    )
    assert parse(text) == {
        "vllm:num_requests_running": 3.0,
        "vllm:generation_tokens_total": 1500.0,
    }

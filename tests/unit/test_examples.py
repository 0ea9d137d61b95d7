"""The example configs under examples/ load, and serve as their comments say."""

from __future__ import annotations

from pathlib import Path

from llmops import AgentConfig
from llmops.serving import kserve_manifest, vllm_command

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_vllm_example_turns_into_a_vllm_command_and_a_kserve_manifest() -> None:
    config = AgentConfig.from_file(EXAMPLES / "support-bot-vllm.yaml")
    assert config.serving.backend == "vllm"
    command = vllm_command(config, port=8000)
    assert command[:3] == ["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct"]
    flags = dict(zip(command[3::2], command[4::2], strict=False))
    assert flags["--served-model-name"] == "support-bot"
    assert flags["--dtype"] == "bfloat16"
    assert flags["--max-model-len"] == "8192"
    assert flags["--gpu-memory-utilization"] == "0.9"
    manifest = kserve_manifest(config)
    container = manifest["spec"]["predictor"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert manifest["metadata"]["annotations"]["llmops.config.version"] == config.version
    assert config.pricing.gpu_hour_usd == 2.5


def test_local_example_runs_the_cpu_backend() -> None:
    config = AgentConfig.from_file(EXAMPLES / "support-bot-local.yaml")
    assert config.serving.backend == "local"
    assert config.model.served_name == "gemma-3-270m"
    assert "{{docs}}" in config.prompts["user"].template

"""AgentConfig: validation, canonical content hash, rendering, YAML/TOML files and diffs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import llmops
from llmops import AgentConfig
from llmops.testing import SpanRecorder
from llmops.tracing import semconv


def base(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "support-bot",
        "model": {
            "provider": "openai",
            "id": "gemma-3-270m",
            "api_base": "http://127.0.0.1:8000/v1",
        },
        "prompts": {
            "system": {"template": "You answer from the docs."},
            "user": {
                "template": "Docs: {{docs}}\nQ: {{question}}",
                "variables": ["docs", "question"],
            },
        },
        "tools": [
            {
                "name": "search_docs",
                "description": "Search the docs.",
                "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
            }
        ],
        "sampling": {"temperature": 0.2, "max_tokens": 128, "seed": 7},
        "pricing": {"input_per_token": 1e-7, "output_per_token": 2e-7},
        "metadata": {"owner": "support", "ratio": 1.0},
    }
    data.update(changes)
    return data


def test_version_is_stable_across_key_order_number_format_and_unicode_form() -> None:
    a = AgentConfig.model_validate(base())
    reordered = dict(reversed(list(base().items())))
    b = AgentConfig.model_validate(reordered)
    assert a.version == b.version
    assert len(a.version) == 64
    assert a.short_version == a.version[:12]
    # 1.0 and 1 in free-form metadata, 0.20 and 0.2 in sampling: the same numbers.
    c = AgentConfig.model_validate(base(metadata={"owner": "support", "ratio": 1}))
    d = AgentConfig.model_validate(
        base(sampling={"temperature": 0.20, "max_tokens": 128, "seed": 7})
    )
    assert c.version == a.version == d.version
    # Composed and decomposed "é", CRLF and LF: the same text.
    nfc = AgentConfig.model_validate(base(description="caf\u00e9\r\nline"))
    nfd = AgentConfig.model_validate(base(description="cafe\u0301\nline"))
    assert nfc.version == nfd.version


def test_version_is_pinned_for_known_content() -> None:
    """Same content, same version on any machine: the canonical form is spelled out here."""
    import hashlib

    canonical = (
        '{"description":"","guardrails":{},"metadata":{},'
        '"model":{"api_base":null,"id":"m","provider":"openai","served_name":null},'
        '"name":"pinned",'
        '"pricing":{"currency":"USD","gpu_hour_usd":null,"input_per_token":null,"output_per_token":null},'
        '"prompts":{},'
        '"sampling":{"max_tokens":null,"seed":null,"stop":[],"temperature":null,"top_p":null},'
        '"serving":{"backend":"local","options":{}},"tools":[]}'
    )
    cfg = AgentConfig(name="pinned", model={"id": "m"})
    assert cfg.canonical_json().decode() == canonical
    assert cfg.version == hashlib.sha256(canonical.encode()).hexdigest()
    assert AgentConfig.model_validate_json(canonical).version == cfg.version


@pytest.mark.parametrize(
    "change",
    [
        {"sampling": {"temperature": 0.3, "max_tokens": 128, "seed": 7}},
        {"description": "new"},
        {"metadata": {"owner": "support", "ratio": 1.5}},
        {"model": {"provider": "hosted_vllm", "id": "gemma-3-270m"}},
    ],
)
def test_any_change_is_a_new_version(change: dict[str, Any]) -> None:
    assert (
        AgentConfig.model_validate(base(**change)).version
        != AgentConfig.model_validate(base()).version
    )


def test_config_is_immutable() -> None:
    cfg = AgentConfig.model_validate(base())
    with pytest.raises(Exception, match="frozen"):
        cfg.name = "other"  # type: ignore[misc]


def test_render_checks_variables() -> None:
    cfg = AgentConfig.model_validate(base())
    assert cfg.render("user", docs="D", question="Q?") == "Docs: D\nQ: Q?"
    with pytest.raises(llmops.ConfigError, match="missing variable"):
        cfg.render("user", docs="D")
    with pytest.raises(llmops.ConfigError, match="unknown variable"):
        cfg.render("user", docs="D", question="Q", extra=1)
    with pytest.raises(llmops.ConfigError, match="no prompt 'nope'"):
        cfg.render("nope")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prompts": {"user": {"template": "{{x}}"}}}, "undeclared variable"),
        ({"prompts": {"user": {"template": "hi", "variables": ["x"]}}}, "not in the template"),
        ({"tools": [{"name": "t", "parameters": {"type": "nonsense"}}]}, "not a valid JSON Schema"),
        ({"tools": [{"name": "t"}, {"name": "t"}]}, "duplicate tool"),
        ({"sampling": {"temperature": 5}}, "temperature"),
        ({"surprise": 1}, "surprise"),
        ({"name": "bad name!"}, "name"),
    ],
)
def test_bad_configs_name_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=message):
        AgentConfig.model_validate(base(**change))


@pytest.mark.parametrize("suffix", [".yaml", ".toml"])
def test_files_round_trip(tmp_path: Path, suffix: str) -> None:
    cfg = AgentConfig.model_validate(base())
    path = cfg.to_file(tmp_path / f"bot{suffix}")
    assert AgentConfig.from_file(path) == cfg
    assert AgentConfig.from_file(path).version == cfg.version


def test_yaml_errors_give_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(
        "name: support-bot\n"
        "model:\n"
        "  id: gemma\n"
        "sampling:\n"
        "  temperature: hot\n"
        "prompts:\n"
        "  user:\n"
        "    template: 'Q: {{question}}'\n"
    )
    with pytest.raises(llmops.ConfigError) as caught:
        AgentConfig.from_file(path)
    message = str(caught.value)
    assert f"{path}:5: sampling.temperature:" in message
    assert f"{path}:8: prompts.user:" in message or f"{path}:7: prompts.user" in message
    path.write_text("name: [unclosed\n")
    with pytest.raises(llmops.ConfigError, match=r"bot.yaml:2: invalid YAML"):
        AgentConfig.from_file(path)


def test_toml_errors_give_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text('name = "support-bot"\n\n[model]\nid = "m"\n\n[sampling]\ntop_p = 3\n')
    with pytest.raises(llmops.ConfigError, match=r"bot.toml:7: sampling.top_p"):
        AgentConfig.from_file(path)


def test_unreadable_or_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(llmops.ConfigError, match="cannot read"):
        AgentConfig.from_file(tmp_path / "missing.yaml")
    (tmp_path / "bot.ini").write_text("x")
    with pytest.raises(llmops.ConfigError, match="unknown config format"):
        AgentConfig.from_file(tmp_path / "bot.ini")


def test_diff_shows_params_and_prompt_text() -> None:
    a = AgentConfig.model_validate(base())
    prompts = dict(base()["prompts"])
    prompts["user"] = {
        "template": "Docs: {{docs}}\nQuestion: {{question}}",
        "variables": ["docs", "question"],
    }
    b = AgentConfig.model_validate(
        base(prompts=prompts, sampling={"temperature": 0.7, "max_tokens": 128, "seed": 7})
    )
    from llmops._configdiff import diff_configs

    diff = diff_configs(a, b)
    assert [str(c) for c in diff.changes] == ["sampling.temperature: 0.2 → 0.7"]
    assert "-Q: {{question}}" in diff.prompts["user"]
    assert "+Question: {{question}}" in diff.prompts["user"]
    assert diff_configs(a, a).identical


def test_use_config_stamps_spans_in_scope(llmops_spans: SpanRecorder) -> None:
    cfg = AgentConfig.model_validate(base())

    @llmops.tool
    def search_docs(query: str) -> list[str]:
        return []

    @llmops.agent(config=cfg)
    def decorated(q: str) -> None:
        search_docs(q)

    @llmops.agent(name="custom-name")
    def scoped(q: str) -> None:
        search_docs(q)

    decorated("a")
    with llmops.use_config(cfg):
        scoped("b")
    search_docs("outside")
    spans = llmops_spans.spans
    for span in spans[:4]:
        attrs = dict(span.attributes or {})
        assert attrs[semconv.LLMOPS_CONFIG_NAME] == "support-bot"
        assert attrs[semconv.LLMOPS_CONFIG_VERSION] == cfg.version
        assert attrs[semconv.GEN_AI_AGENT_VERSION] == cfg.short_version
    assert llmops_spans.names()[1] == "invoke_agent support-bot"
    # An agent's own name wins over the scope's.
    assert dict(spans[3].attributes or {})[semconv.GEN_AI_AGENT_NAME] == "custom-name"
    assert semconv.LLMOPS_CONFIG_VERSION not in dict(spans[4].attributes or {})


def test_a_copy_gets_its_own_version_even_after_the_original_was_hashed() -> None:
    from llmops import AgentConfig

    original = AgentConfig(name="bot", model={"provider": "openai", "id": "m"})
    first = original.version
    changed = original.model_copy(update={"metadata": {"k": 1}})
    assert changed.version != first
    assert changed.version == AgentConfig.model_validate(changed.model_dump()).version
    assert original.model_copy().version == first

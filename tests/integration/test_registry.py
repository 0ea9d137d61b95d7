"""The config registry against a real MLflow: the local SQLite store and an ``mlflow server``."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import llmops
from llmops import AgentConfig, ConfigRegistry

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)


def make_config(temperature: float = 0.2, template: str = "Q: {{question}}") -> AgentConfig:
    return AgentConfig(
        name="support-bot",
        model={"provider": "openai", "id": "gemma-3-270m"},
        prompts={"user": {"template": template, "variables": ["question"]}},
        sampling={"temperature": temperature, "max_tokens": 64},
    )


@pytest.fixture(scope="module")
def local_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("registry") / "home"


@pytest.fixture(params=["local", "server"])
def registry(request: pytest.FixtureRequest, local_home: Path, tmp_path: Path) -> ConfigRegistry:
    # One store per module (creating an MLflow database takes seconds): a fresh config name per
    # test keeps the tests apart.
    if request.param == "local":
        return ConfigRegistry(home=local_home)
    server: str = request.getfixturevalue("mlflow_server")
    return ConfigRegistry(server, home=tmp_path / "home")


def _named(config: AgentConfig, name: str) -> AgentConfig:
    return config.model_copy(update={"name": name})


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    return (
        "bot-"
        + request.node.name.split("[")[0].replace("_", "-")[-40:]
        + f"-{time.time_ns() % 10**8}"
    )


def test_register_is_idempotent_and_versions_are_content(
    registry: ConfigRegistry, name: str
) -> None:
    first = registry.register(_named(make_config(), name))
    again = registry.register(_named(make_config(), name))
    assert again == first
    assert first.mlflow_version == 1
    assert first.version == _named(make_config(), name).version
    second = registry.register(_named(make_config(temperature=0.7), name))
    assert second.mlflow_version == 2
    assert [v.mlflow_version for v in registry.versions(name)] == [2, 1]
    assert name in registry.names()


def test_get_by_alias_hash_prefix_latest_and_number(registry: ConfigRegistry, name: str) -> None:
    v1 = registry.register(_named(make_config(), name), aliases=("production",))
    v2 = registry.register(_named(make_config(temperature=0.7), name), aliases=("candidate",))
    assert registry.get(f"{name}@production").version == v1.version
    assert registry.get(f"{name}@candidate").sampling.temperature == 0.7
    assert registry.get(f"{name}@{v1.version[:8]}").version == v1.version
    assert registry.get(f"{name}@latest").version == v2.version
    assert registry.get(name).version == v2.version
    assert registry.get(f"{name}@v1").version == v1.version


def test_promote_moves_the_alias_and_reports_the_previous_holder(
    registry: ConfigRegistry, name: str
) -> None:
    v1 = registry.register(_named(make_config(), name), aliases=("production",))
    v2 = registry.register(_named(make_config(temperature=0.9), name))
    previous = registry.promote(f"{name}@{v2.short_version}", to="production")
    assert previous is not None
    assert previous.version == v1.version
    assert registry.resolve(f"{name}@production").version == v2.version
    assert registry.promote(f"{name}@{v1.short_version}", to="brand-new") is None


def test_diff_between_stored_versions(registry: ConfigRegistry, name: str) -> None:
    registry.register(_named(make_config(), name), aliases=("production",))
    registry.register(
        _named(make_config(0.5, "Question: {{question}}"), name), aliases=("candidate",)
    )
    diff = registry.diff(f"{name}@production", f"{name}@candidate")
    assert [str(c) for c in diff.changes] == ["sampling.temperature: 0.2 → 0.5"]
    assert "+Question: {{question}}" in diff.prompts["user"]


def test_bad_references_are_clear_errors(registry: ConfigRegistry, name: str) -> None:
    registry.register(_named(make_config(), name), aliases=("production",))
    with pytest.raises(llmops.ConfigError, match=r"no alias 'staging' \(aliases: production\)"):
        registry.get(f"{name}@staging")
    with pytest.raises(llmops.ConfigError, match="no config named 'nobody'"):
        registry.get("nobody@production")
    with pytest.raises(llmops.ConfigError, match="no such version"):
        registry.get(f"{name}@ffffffff")
    with pytest.raises(llmops.ConfigError, match="alias 'v2'"):
        registry.set_alias(name, "latest", "v2")


def test_versions_are_visible_in_mlflow(registry: ConfigRegistry, name: str) -> None:
    cfg = _named(make_config(), name)
    version = registry.register(cfg, aliases=("production",))
    client = registry.client
    model_version = client.get_model_version_by_alias(name, "production")
    assert model_version.tags["llmops.config.version"] == cfg.version
    run = client.get_run(model_version.run_id)
    assert run.data.params["model.id"] == "gemma-3-270m"
    assert run.data.params["sampling.temperature"] == "0.2"
    assert run.data.tags["llmops.config.version"] == cfg.version
    assert version.run_id == model_version.run_id


def test_tampered_artifact_is_refused(tmp_path: Path) -> None:
    registry = ConfigRegistry(home=tmp_path / "home")
    registry.register(make_config(), aliases=("production",))
    stored = next((tmp_path / "home" / "mlartifacts").rglob("agent_config/config.json"))
    stored.write_text(stored.read_text().replace('"temperature":0.2', '"temperature":1.9'))
    with pytest.raises(llmops.ConfigTampered, match="does not match its version"):
        registry.get("support-bot@production")


def test_failed_registration_leaves_no_orphans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = ConfigRegistry(home=tmp_path / "home")
    registry.register(make_config())  # the model and the experiment exist already

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("registry went away")

    monkeypatch.setattr(registry.client, "create_model_version", refuse)
    with pytest.raises(RuntimeError, match="registry went away"):
        registry.register(make_config(temperature=1.1))
    monkeypatch.undo()
    assert len(registry.versions("support-bot")) == 1
    experiment = registry.client.get_experiment_by_name("llmops-agent-configs")
    runs = registry.client.search_runs([experiment.experiment_id])
    assert len(runs) == 1  # the failed attempt's run was deleted


def test_unreachable_tracking_server_is_backend_unavailable(tmp_path: Path) -> None:
    from conftest import free_port

    registry = ConfigRegistry(f"http://127.0.0.1:{free_port()}", home=tmp_path)
    started = time.monotonic()
    with pytest.raises(llmops.BackendUnavailable, match="unreachable"):
        registry.register(make_config())
    assert time.monotonic() - started < 60


def test_two_processes_registering_at_once_make_one_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = make_config().to_file(tmp_path / "bot.yaml")
    code = (
        "import sys; from pathlib import Path; import llmops\n"
        "r = llmops.ConfigRegistry(home=Path(sys.argv[1]))\n"
        "print(r.register(llmops.AgentConfig.from_file(sys.argv[2])).mlflow_version)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(home), str(path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs == ["1", "1"]
    assert len(ConfigRegistry(home=home).versions("support-bot")) == 1

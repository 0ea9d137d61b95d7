"""``ConfigRegistry``: agent configs versioned in MLflow's model registry.

Each config version is an MLflow registered model version (named after the config) whose source
is a run in the ``llmops-agent-configs`` experiment holding the config as an artifact
(``agent_config/config.json``, the canonical form the version hashes; ``config.yaml`` to read),
its main fields as params, and its content hash as a tag. Aliases (``production``,
``candidate``…) are MLflow aliases, so MLflow's UI shows and edits the same thing.

The embedded default is an MLflow SQLite store under ``$LLMOPS_HOME``; a team points
``MLFLOW_TRACKING_URI`` (or ``ConfigRegistry(tracking_uri=...)``) at its server.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops._agentconfig import AgentConfig
from llmops._errors import BackendUnavailable, ConfigError

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

EXPERIMENT = "llmops-agent-configs"
ARTIFACT_DIR = "agent_config"
TAG_KIND = "llmops.kind"
TAG_NAME = "llmops.config.name"
TAG_VERSION = "llmops.config.version"
TAG_CANARY_SHARE = "llmops.canary.share"  # on the registered model: the candidate's traffic share
_HEX = re.compile(r"^[0-9a-f]{4,64}$")
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,255}$")


class ConfigTampered(ConfigError):
    """A stored config's content no longer matches the version it was registered under."""


@dataclass(frozen=True)
class ConfigVersion:
    """One registered version of a config."""

    name: str
    version: str
    mlflow_version: int
    aliases: tuple[str, ...]
    created_at: datetime
    run_id: str | None

    @property
    def short_version(self) -> str:
        return self.version[:12]

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.short_version}"


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``name@ref`` (ref: an alias, a version hash prefix, ``latest`` or ``v<N>``)."""
    name, _, version = ref.partition("@")
    if not name:
        raise ConfigError(f"{ref!r}: expected NAME@ALIAS or NAME@VERSION")
    return name, version or "latest"


class ConfigRegistry:
    """Register, look up, alias and diff agent configs in MLflow.

    Args:
        tracking_uri: An MLflow tracking URI; default ``MLFLOW_TRACKING_URI``, else a SQLite
            store at ``$LLMOPS_HOME/mlflow.db``.
        home: The llmops home for the local default store and its lock file.

    Example:
        >>> registry = ConfigRegistry()
        >>> version = registry.register(AgentConfig.from_file("support-bot.yaml"))
        >>> registry.set_alias("support-bot", version.version, "candidate")
        >>> registry.get("support-bot@candidate")
    """

    def __init__(self, tracking_uri: str | None = None, *, home: Path | None = None) -> None:
        if home is None:
            from llmops._configure import active_settings

            home = active_settings().home
        self.home = Path(home).expanduser().resolve()
        default = f"sqlite:///{self.home / 'mlflow.db'}"
        self.tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default
        self.is_local = not self.tracking_uri.startswith(("http://", "https://", "databricks"))
        self._client: MlflowClient | None = None

    # --- plumbing -----------------------------------------------------------------------------
    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            # Fail in seconds, not minutes, when a tracking server is down.
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
            os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
            # MLflow may import litellm, which otherwise fetches its price map from the network.
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            try:
                from mlflow import MlflowClient
            except ImportError:  # pragma: no cover - depends on the install
                raise ConfigError(
                    "the config registry needs MLflow: pip install 'llmops[registry]'"
                ) from None
            if self.is_local:
                self.home.mkdir(parents=True, exist_ok=True)
            self._client = MlflowClient(
                tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
            )
        return self._client

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """Turn MLflow's and the network's exceptions into llmops errors that name the cause."""
        from mlflow.exceptions import MlflowException

        try:
            yield
        except MlflowException as exc:
            text = str(exc)
            if any(s in text for s in ("Max retries", "Connection refused", "Failed to establish")):
                raise BackendUnavailable(
                    f"MLflow tracking server {self.tracking_uri} is unreachable ({what})"
                ) from None
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise ConfigError(f"{what}: not found in {self.tracking_uri}") from None
            raise ConfigError(f"{what}: MLflow said: {text.splitlines()[0]}") from None
        except OSError as exc:
            raise BackendUnavailable(
                f"MLflow tracking server {self.tracking_uri} is unreachable ({what}): {exc}"
            ) from None

    def _lock(self) -> Any:
        """An exclusive lock for local stores, so concurrent registrations stay idempotent."""
        if not self.is_local:
            return nullcontext()
        return _file_lock(self.home / "registry.lock")

    def _experiment_id(self) -> str:
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        if experiment is not None:
            return str(experiment.experiment_id)
        location = (self.home / "mlartifacts").as_uri() if self.is_local else None
        return str(self.client.create_experiment(EXPERIMENT, artifact_location=location))

    # --- writing ------------------------------------------------------------------------------
    def register(self, config: AgentConfig, *, aliases: tuple[str, ...] = ()) -> ConfigVersion:
        """Store ``config`` as a version; registering identical content returns the existing one.

        Raises:
            ConfigError: MLflow refused; nothing half-registered is left behind.
            BackendUnavailable: The tracking server is unreachable.
        """
        for alias in aliases:
            _check_alias(alias)
        with self._calling(f"register {config.ref}"), self._lock():
            found = self._find(config.name, config.version)
            if not found:
                self._create(config)
                found = self._converge(config)
            version = found[0]
            for alias in aliases:
                self.client.set_registered_model_alias(config.name, alias, str(version.version))
            return self._describe(self.client.get_model_version(config.name, str(version.version)))

    def _create(self, config: AgentConfig) -> None:
        from mlflow.entities import Param

        client = self.client
        if not client.search_registered_models(f"name = '{config.name}'"):
            try:
                client.create_registered_model(
                    config.name, tags={TAG_KIND: "agent-config"}, description=config.description
                )
            except Exception:
                if not client.search_registered_models(f"name = '{config.name}'"):
                    raise  # not a lost race with another process: a real failure
        tags = {TAG_KIND: "agent-config", TAG_NAME: config.name, TAG_VERSION: config.version}
        run_id: str | None = None
        model_version: ModelVersion | None = None
        try:
            run = client.create_run(self._experiment_id(), run_name=config.ref, tags=tags)
            run_id = run.info.run_id
            client.log_batch(run_id, params=[Param(k, v) for k, v in _params(config).items()])
            client.log_text(run_id, config.canonical_json().decode(), f"{ARTIFACT_DIR}/config.json")
            client.log_text(run_id, _yaml(config), f"{ARTIFACT_DIR}/config.yaml")
            client.set_terminated(run_id)
            model_version = client.create_model_version(
                config.name,
                source=f"runs:/{run_id}/{ARTIFACT_DIR}",
                run_id=run_id,
                tags=tags,
                description=config.description or None,
            )
        except BaseException:
            # No orphans: a failed registration removes what it made.
            if model_version is not None:
                _quietly(client.delete_model_version, config.name, model_version.version)
            if run_id is not None:
                _quietly(client.delete_run, run_id)
            raise

    def _converge(self, config: AgentConfig) -> list[ModelVersion]:
        """After a race between processes on a remote server, keep the oldest version only."""
        found = self._find(config.name, config.version)
        for duplicate in found[1:]:
            _quietly(self.client.delete_model_version, config.name, duplicate.version)
        return found[:1]

    def set_alias(self, name: str, version: str, alias: str) -> ConfigVersion | None:
        """Point ``name@alias`` at ``version`` (a hash, a prefix, or another ref).

        Returns:
            The version that held the alias before, if any.
        """
        _check_alias(alias)
        target = self.resolve(f"{name}@{version}")
        with self._calling(f"alias {name}@{alias}"):
            previous = self._by_alias(name, alias)
            self.client.set_registered_model_alias(name, alias, str(target.mlflow_version))
        return previous

    def promote(self, ref: str, *, to: str = "production") -> ConfigVersion | None:
        """``set_alias`` for a ``name@version`` reference; returns the previous holder."""
        name, version = parse_ref(ref)
        return self.set_alias(name, version, to)

    def set_canary_share(self, name: str, share: float) -> None:
        """Set the share of ``name``'s traffic that routers built with
        ``Router.from_registry`` send to its candidate (0 rolls a canary back)."""
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"canary share: {share} is not between 0 and 1")
        with self._calling(f"canary share of {name!r}"):
            self.client.set_registered_model_tag(name, TAG_CANARY_SHARE, repr(float(share)))

    def canary_share(self, name: str) -> float | None:
        """The share set by :meth:`set_canary_share`, or None if it was never set."""
        with self._calling(f"canary share of {name!r}"):
            tags = self.client.get_registered_model(name).tags or {}
        value = tags.get(TAG_CANARY_SHARE)
        return None if value is None else float(value)

    # --- reading ------------------------------------------------------------------------------
    def exists(self) -> bool:
        """False for a local store not made yet (nothing registered; reading would make it)."""
        uri = self.tracking_uri
        return not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).exists()

    def _find(self, name: str, version: str) -> list[ModelVersion]:
        found = self.client.search_model_versions(
            f"name = '{name}' and tags.`{TAG_VERSION}` = '{version}'"
        )
        return sorted(found, key=lambda mv: int(mv.version))

    def _by_alias(self, name: str, alias: str) -> ConfigVersion | None:
        from mlflow.exceptions import MlflowException

        try:
            return self._describe(self.client.get_model_version_by_alias(name, alias))
        except MlflowException:
            return None

    def _describe(self, mv: ModelVersion, aliases: dict[str, str] | None = None) -> ConfigVersion:
        if aliases is not None:  # search results carry no aliases; the model's map does
            held = tuple(sorted(a for a, v in aliases.items() if str(v) == str(mv.version)))
        else:
            held = tuple(sorted(mv.aliases or ()))
        return ConfigVersion(
            name=mv.name,
            version=(mv.tags or {}).get(TAG_VERSION, ""),
            mlflow_version=int(mv.version),
            aliases=held,
            created_at=datetime.fromtimestamp((mv.creation_timestamp or 0) / 1000, UTC),
            run_id=mv.run_id,
        )

    def names(self) -> list[str]:
        """Names of every config in the registry."""
        with self._calling("list configs"):
            models = self.client.search_registered_models(f"tags.`{TAG_KIND}` = 'agent-config'")
        return sorted(m.name for m in models)

    def versions(self, name: str) -> list[ConfigVersion]:
        """Every version of ``name``, newest first."""
        with self._calling(f"versions of {name!r}"):
            found = self.client.search_model_versions(f"name = '{name}'")
            if not found:
                return []
            aliases = dict(self.client.get_registered_model(name).aliases or {})
        described = [
            self._describe(mv, aliases) for mv in found if (mv.tags or {}).get(TAG_VERSION)
        ]
        return sorted(described, key=lambda v: -v.mlflow_version)

    def resolve(self, ref: str) -> ConfigVersion:
        """The registered version ``name@ref`` points at.

        Raises:
            ConfigError: No such config, alias or version (the message lists what exists).
        """
        name, selector = parse_ref(ref)
        versions = self.versions(name)
        if not versions:
            raise ConfigError(f"{ref}: no config named {name!r} in {self.tracking_uri}")
        if selector == "latest":
            return versions[0]
        if re.fullmatch(r"v\d+", selector):
            match = [v for v in versions if v.mlflow_version == int(selector[1:])]
        elif _HEX.match(selector):
            match = [v for v in versions if v.version.startswith(selector)]
        else:
            match = [v for v in versions if selector in v.aliases]
            if not match:
                aliases = sorted({a for v in versions for a in v.aliases}) or ["none"]
                raise ConfigError(f"{ref}: no alias {selector!r} (aliases: {', '.join(aliases)})")
        if len(match) != 1:
            what = "ambiguous" if match else "no such version"
            raise ConfigError(
                f"{ref}: {what} (versions: {', '.join(v.short_version for v in versions)})"
            )
        return match[0]

    def get(self, ref: str) -> AgentConfig:
        """Load the config ``name@ref`` points at, re-checking its content hash.

        Raises:
            ConfigTampered: The stored artifact no longer matches its version.
        """
        target = self.resolve(ref)
        with self._calling(f"load {target.ref}"), tempfile.TemporaryDirectory() as folder:
            path = self.client.download_artifacts(
                target.run_id or "", f"{ARTIFACT_DIR}/config.json", folder
            )
            data = Path(path).read_bytes()
        if hashlib.sha256(data).hexdigest() != target.version:
            raise ConfigTampered(
                f"{target.ref}: stored content does not match its version (tampered artifact?)"
            )
        config = AgentConfig.from_json(data)
        if config.version != target.version:
            raise ConfigTampered(f"{target.ref}: content re-hashes to {config.short_version}")
        return config

    def diff(self, a: str | AgentConfig, b: str | AgentConfig) -> Any:
        """A structured diff between two versions (refs or configs); see ``ConfigDiff``."""
        from llmops._configdiff import diff_configs

        left = a if isinstance(a, AgentConfig) else self.get(a)
        right = b if isinstance(b, AgentConfig) else self.get(b)
        return diff_configs(left, right)


def _check_alias(alias: str) -> None:
    if not _ALIAS.match(alias) or alias == "latest" or re.fullmatch(r"v\d+", alias):
        raise ConfigError(
            f"alias {alias!r}: use letters, digits, '_' or '-', not 'latest' or 'v<number>'"
        )


def _params(config: AgentConfig) -> dict[str, str]:
    sampling = config.sampling
    params = {
        "model.provider": config.model.provider,
        "model.id": config.model.id,
        "model.api_base": config.model.api_base or "",
        "serving.backend": config.serving.backend,
        "prompts": ",".join(sorted(config.prompts)),
        "tools": ",".join(t.name for t in config.tools),
        "sampling.temperature": "" if sampling.temperature is None else str(sampling.temperature),
        "sampling.top_p": "" if sampling.top_p is None else str(sampling.top_p),
        "sampling.max_tokens": "" if sampling.max_tokens is None else str(sampling.max_tokens),
        "sampling.seed": "" if sampling.seed is None else str(sampling.seed),
    }
    return {k: v[:6000] for k, v in params.items()}


def _yaml(config: AgentConfig) -> str:
    import yaml

    return str(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True))


def _quietly(func: Any, *args: Any) -> None:
    try:
        func(*args)
    except Exception:  # cleanup after a failure: the original error is what matters
        return


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_REGISTRIES: dict[tuple[str | None, str], ConfigRegistry] = {}


def configs(tracking_uri: str | None = None) -> ConfigRegistry:
    """The config registry for this process's settings (cached).

    Example:
        >>> cfg = llmops.configs().get("support-bot@production")
    """
    from llmops._configure import active_settings

    home = str(Path(active_settings().home).expanduser().resolve())
    key = (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI"), home)
    registry = _REGISTRIES.get(key)
    if registry is None:
        registry = _REGISTRIES[key] = ConfigRegistry(tracking_uri, home=Path(home))
    return registry

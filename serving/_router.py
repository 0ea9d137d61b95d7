"""Canary routing between config versions, sticky per session."""

from __future__ import annotations

import hashlib
import random
import threading
import time
from typing import TYPE_CHECKING

from llmops._agentconfig import AgentConfig
from llmops._errors import ConfigError
from llmops._internal import logger
from llmops.tracing import current_span

if TYPE_CHECKING:
    from llmops._registry import ConfigRegistry


class Router:
    """Send a share of traffic to a candidate version; the rest to the stable one.

    The choice is sticky per session id (the same session always gets the same version while
    the share is unchanged), is recorded on the current span (``llmops.route.*``), and the share
    can be changed at run time: by :meth:`set_share`, or, for a router made by
    :meth:`from_registry`, in the registry (``llmops monitor canary --apply``), which every such
    router reads again within ``refresh_s``.

    Example:
        >>> router = Router(stable=prod_cfg, candidate=cand_cfg, share=0.1)
        >>> config = router.pick(session_id="chat-42")
    """

    def __init__(
        self, *, stable: AgentConfig, candidate: AgentConfig | None = None, share: float = 0.0
    ) -> None:
        self._lock = threading.Lock()
        # from_registry: (registry, name, stable alias, candidate alias), and when last read.
        self._source: tuple[ConfigRegistry, str, str, str] | None = None
        self._refresh_s = 30.0
        self._read_at = 0.0
        self._default_share = 0.0
        self.stable = stable
        self.candidate = candidate
        self.share = 0.0
        self.set_share(share)

    def set_share(self, share: float) -> None:
        """Change the candidate's share of traffic (0 to 1)."""
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"router share: {share} is not between 0 and 1")
        if share > 0 and self.candidate is None:
            raise ConfigError("router share: no candidate version to send traffic to")
        with self._lock:
            self.share = share

    @classmethod
    def from_registry(
        cls,
        name: str,
        *,
        stable: str = "production",
        candidate: str = "candidate",
        share: float = 0.0,
        refresh_s: float = 30.0,
        registry: ConfigRegistry | None = None,
    ) -> Router:
        """A router over ``name@stable`` and ``name@candidate`` from the config registry.

        The candidate's share is the registry's (``ConfigRegistry.set_canary_share``) when set,
        else ``share``. Every ``refresh_s`` the aliases and the share are read again, so a
        promotion or a rollback made elsewhere reaches every process; a registry that cannot be
        read keeps the last versions and share (logged).

        Raises:
            ConfigError: ``name@stable`` does not exist.
        """
        from llmops._registry import configs

        registry = registry or configs()
        router = cls(stable=registry.get(f"{name}@{stable}"))
        router._source = (registry, name, stable, candidate)
        router._refresh_s = refresh_s
        router._default_share = share
        router._read()
        return router

    def _read(self) -> None:
        """Read the aliases and the share from the registry (``from_registry`` routers)."""
        if self._source is None:
            return
        registry, name, stable_alias, candidate_alias = self._source
        stable = registry.get(f"{name}@{stable_alias}")
        try:
            candidate: AgentConfig | None = registry.get(f"{name}@{candidate_alias}")
        except ConfigError:
            candidate = None
        found = registry.canary_share(name)
        share = self._default_share if found is None else found
        if candidate is None or candidate.version == stable.version:
            candidate, share = None, 0.0
        with self._lock:
            self.stable, self.candidate, self.share = stable, candidate, share
            self._read_at = time.monotonic()

    def _refresh(self) -> None:
        if self._source is None or time.monotonic() - self._read_at < self._refresh_s:
            return
        with self._lock:  # one reader; the others go on with what was read last
            if time.monotonic() - self._read_at < self._refresh_s:
                return
            self._read_at = time.monotonic()
        try:
            self._read()
        except Exception as exc:  # the registry is down: keep routing as before
            logger.warning("llmops router: registry not read, routing as before: %s", exc)

    def pick(self, session_id: str | None = None) -> AgentConfig:
        """The version for this request (sticky when a session id is given)."""
        self._refresh()
        with self._lock:
            share, candidate = self.share, self.candidate
        if session_id is not None:
            digest = hashlib.sha256(str(session_id).encode()).digest()
            draw = int.from_bytes(digest[:8], "big") / 2**64
        else:
            draw = random.random()
        chosen = candidate if candidate is not None and draw < share else self.stable
        route = "candidate" if chosen is candidate and candidate is not None else "stable"
        span = current_span()
        span.set_attribute("llmops.route.version", chosen.version)
        span.set_attribute("llmops.route.arm", route)
        span.set_attribute("llmops.route.share", share)
        return chosen

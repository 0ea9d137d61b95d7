"""Canary routing between config versions, sticky per session."""

from __future__ import annotations

import hashlib
import random
import threading

from llmops._agentconfig import AgentConfig
from llmops._errors import ConfigError
from llmops.tracing import current_span


class Router:
    """Send a share of traffic to a candidate version; the rest to the stable one.

    The choice is sticky per session id (the same session always gets the same version while
    the share is unchanged), is recorded on the current span (``llmops.route.*``), and the share
    can be changed at run time.

    Example:
        >>> router = Router(stable=prod_cfg, candidate=cand_cfg, share=0.1)
        >>> config = router.pick(session_id="chat-42")
    """

    def __init__(
        self, *, stable: AgentConfig, candidate: AgentConfig | None = None, share: float = 0.0
    ) -> None:
        self._lock = threading.Lock()
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

    def pick(self, session_id: str | None = None) -> AgentConfig:
        """The version for this request (sticky when a session id is given)."""
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

"""llmops.serving: configs served through vLLM (GPU) or llama.cpp (CPU), reached through litellm.

Model calls go through one litellm adapter; each is a traced GenAI ``chat`` span with usage,
cost and its provenance, time to first token for streams, and the config's version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._internal import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from llmops.serving._gateway import (
        ChatResult,
        achat,
        achat_stream,
        chat,
        chat_stream,
        target_for,
    )
    from llmops.serving._local import LocalServer, model_path
    from llmops.serving._metrics import scrape
    from llmops.serving._pricing import price
    from llmops.serving._router import Router
    from llmops.serving._vllm import kserve_manifest, vllm_command

_LAZY = {
    "ChatResult": "llmops.serving._gateway",
    "LocalServer": "llmops.serving._local",
    "Router": "llmops.serving._router",
    "achat": "llmops.serving._gateway",
    "achat_stream": "llmops.serving._gateway",
    "chat": "llmops.serving._gateway",
    "chat_stream": "llmops.serving._gateway",
    "kserve_manifest": "llmops.serving._vllm",
    "model_path": "llmops.serving._local",
    "price": "llmops.serving._pricing",
    "scrape": "llmops.serving._metrics",
    "target_for": "llmops.serving._gateway",
    "vllm_command": "llmops.serving._vllm",
}

__all__ = [
    "ChatResult",
    "LocalServer",
    "Router",
    "achat",
    "achat_stream",
    "chat",
    "chat_stream",
    "kserve_manifest",
    "model_path",
    "price",
    "scrape",
    "target_for",
    "vllm_command",
]


__getattr__ = _lazy_attributes("llmops.serving", _LAZY, globals())

"""What a model call cost, and where the price came from."""

from __future__ import annotations

from llmops._agentconfig import AgentConfig


def price(
    config: AgentConfig, model: str, input_tokens: int, output_tokens: int, duration_s: float
) -> tuple[float | None, str]:
    """Cost in USD and its provenance.

    Self-hosted models are priced from the config: per token, or the serving machine's hourly
    price times the time the call held it. Hosted models come from litellm's bundled price map
    (offline), named with litellm's version. Models priced nowhere cost ``None`` ("unpriced").
    """
    pricing = config.pricing
    if pricing.input_per_token is not None or pricing.output_per_token is not None:
        cost = input_tokens * (pricing.input_per_token or 0.0)
        cost += output_tokens * (pricing.output_per_token or 0.0)
        return cost, "config:per_token"
    if pricing.gpu_hour_usd is not None:
        return pricing.gpu_hour_usd * duration_s / 3600.0, "config:gpu_hour"
    from llmops.serving import _litellm

    mapped = _litellm.price_from_map(model, input_tokens, output_tokens)
    if mapped is None:
        return None, "unpriced"
    return mapped, f"litellm-price-map:{_litellm.litellm_version()}"

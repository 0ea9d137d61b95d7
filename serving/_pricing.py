"""What a model call cost, and where the price came from."""

from __future__ import annotations

import functools
import time

from llmops._agentconfig import AgentConfig, Pricing


def price(
    config: AgentConfig, model: str, input_tokens: int, output_tokens: int, duration_s: float
) -> tuple[float | None, str]:
    """Cost in USD and its provenance.

    Self-hosted models are priced from the config: per token, or the serving machine's hourly
    price times the time the call held it. Hosted models come from litellm's bundled price map
    (offline), named with litellm's version. Models priced nowhere cost ``None`` ("unpriced").
    """
    priced = _config_price(config.pricing, input_tokens, output_tokens, duration_s)
    if priced is not None:
        return priced
    from llmops.serving import _litellm

    mapped = _litellm.price_from_map(model, input_tokens, output_tokens)
    if mapped is None:
        return None, "unpriced"
    return mapped, f"litellm-price-map:{_litellm.litellm_version()}"


def _config_price(
    pricing: Pricing, input_tokens: int, output_tokens: int, duration_s: float
) -> tuple[float, str] | None:
    """The config's own price of a call, and its source; None when the config sets none."""
    if pricing.input_per_token is not None or pricing.output_per_token is not None:
        cost = input_tokens * (pricing.input_per_token or 0.0)
        cost += output_tokens * (pricing.output_per_token or 0.0)
        return cost, "config:per_token"
    if pricing.gpu_hour_usd is not None:
        return pricing.gpu_hour_usd * duration_s / 3600.0, "config:gpu_hour"
    return None


def price_parts(
    config: AgentConfig, model: str, input_tokens: int, output_tokens: int
) -> tuple[float, float] | None:
    """The input and output tokens' shares of :func:`price`'s cost; None where the price has
    no such shares (by the hour) or none is known."""
    pricing = config.pricing
    if pricing.input_per_token is not None or pricing.output_per_token is not None:
        return (
            input_tokens * (pricing.input_per_token or 0.0),
            output_tokens * (pricing.output_per_token or 0.0),
        )
    if pricing.gpu_hour_usd is not None or input_tokens + output_tokens > _TIERED_TOKENS:
        return None
    rates = _rates(model)
    return None if rates is None else (input_tokens * rates[0], output_tokens * rates[1])


# Per-token rates (input, output) of each model name in litellm's map, None for one it lacks.
_RATES: dict[str, tuple[float, float] | None] = {}
_RATE_SAMPLE = 1000  # tokens priced once per model to find its rates
# Above this many tokens a call may fall in a long-context price tier: priced exactly, uncached.
_TIERED_TOKENS = 100_000


def _rates(model: str) -> tuple[float, float] | None:
    if model not in _RATES:
        from llmops.serving import _litellm

        prompt = _litellm.price_from_map(model, _RATE_SAMPLE, 0)
        completion = _litellm.price_from_map(model, 0, _RATE_SAMPLE)
        rates = None
        if prompt is not None and completion is not None:
            rates = (prompt / _RATE_SAMPLE, completion / _RATE_SAMPLE)
        if len(_RATES) > 4096:
            _RATES.clear()
        _RATES[model] = rates
    return _RATES[model]


def price_tokens(
    model: str,
    provider: str | None,
    input_tokens: int,
    output_tokens: int,
    *,
    config: tuple[str, str] | None = None,
    duration_s: float = 0.0,
) -> tuple[float | None, str] | None:
    """Cost in USD of a span that carries tokens and no cost, and its source (the store's
    ``price`` hook: spans received over OTLP, or made in-process by other instrumentations).

    A span that names a config (``config``: its name and version) registered in this
    process's config registry is priced from that config's prices, as the gateway prices a
    call (source ``config:per_token`` or ``config:gpu_hour``, by ``duration_s``). Otherwise, or
    when the config sets no price, from litellm's bundled map, by the model's name alone or
    prefixed with the provider. Returns ``(None, "unpriced")`` for a model in neither, and
    None when litellm is not installed (nothing to say about the price). Configs and rates are
    looked up once each.
    """
    from llmops.serving import _litellm

    if config is not None:
        known = _registered_config(*config)
        priced = known and _config_price(known.pricing, input_tokens, output_tokens, duration_s)
        if priced:
            return priced
    source = _price_source()
    if source is None:
        return None
    names = [model] if not provider or model.startswith(f"{provider}/") else [
        model, f"{provider}/{model}"
    ]  # fmt: skip
    for name in names:
        if input_tokens + output_tokens > _TIERED_TOKENS:
            cost = _litellm.price_from_map(name, input_tokens, output_tokens)
            if cost is not None:
                return cost, source
        elif (rates := _rates(name)) is not None:
            return input_tokens * rates[0] + output_tokens * rates[1], source
    return None, "unpriced"


@functools.cache
def _price_source() -> str | None:
    """litellm's price map, named with its version; None when litellm is not installed."""
    from llmops._errors import ModelCallError
    from llmops.serving import _litellm

    try:
        _litellm._litellm()
    except ModelCallError:
        return None
    return f"litellm-price-map:{_litellm.litellm_version()}"


# Configs seen on spans: a registered one for good (its version is its content), an unknown
# one (or a registry that could not be read) until this many seconds later.
_CONFIGS: dict[tuple[str, str], tuple[float, AgentConfig | None]] = {}
_UNKNOWN_RETRY_S = 300.0


def _registered_config(name: str, version: str) -> AgentConfig | None:
    """Config ``name`` at ``version`` from this process's registry; None when it is not there."""
    cached = _CONFIGS.get((name, version))
    if cached is not None:
        retry_at, known = cached
        if known is not None or time.monotonic() < retry_at:
            return known
    from llmops._errors import LlmopsError
    from llmops._registry import configs

    found = None
    registry = configs()
    if registry.exists():  # a local registry is created on first use: never for a lookup
        try:
            found = registry.get(f"{name}@{version}")
        except LlmopsError:
            found = None
        if found is not None and not found.version.startswith(version):
            found = None  # an alias, not a version (spans name versions by their hash)
    if len(_CONFIGS) > 4096:
        _CONFIGS.clear()
    _CONFIGS[(name, version)] = (time.monotonic() + _UNKNOWN_RETRY_S, found)
    return found

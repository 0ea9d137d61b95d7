"""Attribute names: the OpenTelemetry GenAI semantic conventions, and llmops' own.

The upstream Python constants for GenAI are marked deprecated while the conventions evolve, so
llmops keeps the names it writes in this one module. ``LEGACY_ATTRIBUTES`` maps names older
instrumentations still emit to today's names; the store applies it on ingest.
"""

from __future__ import annotations

# --- gen_ai.* (OpenTelemetry GenAI semantic conventions) -------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_VERSION = "gen_ai.agent.version"
GEN_AI_AGENT_DESCRIPTION = "gen_ai.agent.description"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_DESCRIPTION = "gen_ai.tool.description"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
# The messages of a model call, JSON text in the conventions' form:
# [{"role": "user", "parts": [{"type": "text", "content": "..."}]}]
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"  # each message also has its finish_reason
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"  # parts given apart from the messages
ERROR_TYPE = "error.type"
SESSION_ID = "session.id"
USER_ID = "user.id"

# gen_ai.operation.name values
OPERATION_INVOKE_AGENT = "invoke_agent"
OPERATION_EXECUTE_TOOL = "execute_tool"
OPERATION_CHAT = "chat"
OPERATION_TEXT_COMPLETION = "text_completion"
OPERATION_EMBEDDINGS = "embeddings"

# --- captured payloads (OpenInference names, which Phoenix and Langfuse display) --------------
INPUT_VALUE = "input.value"  # JSON text
OUTPUT_VALUE = "output.value"  # JSON text

# --- llmops.* ---------------------------------------------------------------------------------
LLMOPS_TAGS = "llmops.tags"
LLMOPS_CONFIG_NAME = "llmops.config.name"
LLMOPS_CONFIG_VERSION = "llmops.config.version"
LLMOPS_COST_USD = "llmops.cost.usd"
LLMOPS_COST_SOURCE = "llmops.cost.source"
LLMOPS_COST_INPUT_USD = "llmops.cost.input_usd"  # the input tokens' share, where it is known
LLMOPS_COST_OUTPUT_USD = "llmops.cost.output_usd"
LLMOPS_GUARDRAIL_FINDINGS = "llmops.guardrail.findings"
LLMOPS_TRUNCATED = "llmops.truncated"  # names of attributes that hit the size cap
LLMOPS_GENERATOR_COMPLETED = "llmops.generator.completed"
LLMOPS_CANCELLED = "llmops.cancelled"  # the call was cancelled (asyncio): not an error
LLMOPS_GENERATOR_ITEMS = "llmops.generator.items"
LLMOPS_TIME_TO_FIRST_ITEM_MS = "llmops.stream.time_to_first_item_ms"

LEGACY_ATTRIBUTES: dict[str, str] = {
    "gen_ai.system": GEN_AI_PROVIDER_NAME,
    "gen_ai.usage.prompt_tokens": GEN_AI_USAGE_INPUT_TOKENS,
    "gen_ai.usage.completion_tokens": GEN_AI_USAGE_OUTPUT_TOKENS,
    "llm.token_count.prompt": GEN_AI_USAGE_INPUT_TOKENS,
    "llm.token_count.completion": GEN_AI_USAGE_OUTPUT_TOKENS,
    "llm.model_name": GEN_AI_REQUEST_MODEL,
    "enduser.id": USER_ID,
}


# Attributes the store copies out of each span as they are; DuckDB types them on compaction.
STORE_TYPED_ATTRIBUTES: tuple[str, ...] = (
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    LLMOPS_COST_USD,
    LLMOPS_CONFIG_NAME,
    LLMOPS_CONFIG_VERSION,
    GEN_AI_AGENT_NAME,
    SESSION_ID,
    GEN_AI_CONVERSATION_ID,
    USER_ID,
    ERROR_TYPE,
)

# Span types shown in the store and the CLI, from gen_ai.operation.name (default: "span").
SPAN_TYPES: dict[str, str] = {
    "invoke_agent": "agent",
    "create_agent": "agent",
    OPERATION_EXECUTE_TOOL: "tool",
    OPERATION_CHAT: "llm",
    OPERATION_TEXT_COMPLETION: "llm",
    OPERATION_EMBEDDINGS: "llm",
    "generate_content": "llm",
}


_LEGACY_KEYS = frozenset(LEGACY_ATTRIBUTES)


def normalize_attributes(attributes: dict[str, object]) -> dict[str, object]:
    """Return ``attributes`` with legacy names mapped to today's (today's names win)."""
    if _LEGACY_KEYS.isdisjoint(attributes):
        return attributes
    normalized = dict(attributes)
    for old, new in LEGACY_ATTRIBUTES.items():
        if old in normalized:
            value = normalized.pop(old)
            normalized.setdefault(new, value)
    return normalized

"""llmops.eval: not built yet (see the open issues); the namespace is reserved."""

__all__: list[str] = []

"""Prompt-injection detection, behind :mod:`llmops.guardrails`'s public names.

The modules:

* ``_detect``: :func:`~llmops.guardrails.detect_injection`, which combines the layers below;
* ``_normalize``: one canonical form (look-alikes, invisible characters, leetspeak);
* ``_decode``: base64 and hex runs read as the text they hold, or dropped as data;
* ``_rules``: named patterns for known attacks; ``_model``: the shipped n-gram classifier;
* ``_code``: the prose of text that looks like code (comments, docstrings, wordy strings);
* ``_canary``: canary tokens for system-prompt leaks;
* ``_judge``: the optional LLM judge for uncertain scores, which chats through the ``chat``
  hook (registered by :mod:`llmops.serving`).

Everything here is private; import the public names from :mod:`llmops.guardrails`.
"""

__all__: list[str] = []

"""PII detection and redaction, behind :mod:`llmops.guardrails`'s public names.

The modules, in the order a value goes through them:

* ``_normalize``: NFKC and invisible characters, with a map back to the original offsets;
* ``_engine``: the presidio analyzer per tier (``pattern`` or ``ner``), with the recognizers of
  ``_recognizers`` (phones, cards), ``_names`` and ``_gazetteer`` (people);
* ``_scan``: :func:`~llmops.guardrails.scan_text` and :func:`~llmops.guardrails.scan_pii`,
  chunking and size caps, with credentials from :mod:`llmops._credentials`;
* ``_post``: clean-up of raw hits (names, repetition, overlaps);
* ``_policy``: :class:`~llmops.guardrails.RedactionPolicy` and its operators;
* ``_redact``: the structure walker; ``_hook``: the ``configure(redact=...)`` hook.

Everything here is private; import the public names from :mod:`llmops.guardrails`.
"""

__all__: list[str] = []

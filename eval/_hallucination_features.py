"""Per-claim signals of the offline hallucination detector (see :mod:`._hallucination`).

Each claim gets five shares or averages, never counts (in the QA training data the hallucinated
answer is nearly always the longer one, and a detector that learns length fails on other data):

- ``word_support_mean``: for each content word of the claim, its best cosine similarity to a
  context word (all-MiniLM-L6-v2 contextual word vectors, as in BERTScore precision), averaged;
- ``soft_coverage``: the share of the claim's content words that the context covers, where a
  word is covered when the context has it, an inflection of it (:func:`lemma_key`), or a word
  whose contextual vector is at least :data:`SOFT_MATCH` similar (paraphrase: "runs" for
  "flows", "roughly" for "about");
- ``unseen_numbers`` / ``unseen_entities``: the share of its numbers and capitalised names that
  the contexts never mention (exact: a paraphrase keeps names and numbers);
- ``negation_mismatch``: the claim negates and its closest context sentence (by sentence
  embedding, also reported as the claim's evidence) does not, or the reverse.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmops.eval._claims import CHAT_WORDS, STOPWORDS, extract_facts, split_sentences, stem, words

if TYPE_CHECKING:
    import numpy as np

    from llmops.eval._embeddings import Encoding, MiniLMEncoder

FEATURES = (
    "word_support_mean",
    "soft_coverage",
    "unseen_numbers",
    "unseen_entities",
    "negation_mismatch",
)
# Cosine between contextual MiniLM word vectors above which a claim word counts as covered by a
# context word; chosen on the QA train part and its paraphrase set (scripts/train_hallucination).
SOFT_MATCH = 0.6
# A context with more sentences than this is not encoded whole: each claim gets its PER_CLAIM
# lexically closest sentences (a long document otherwise costs ~0.5 s per answer on one core).
ENCODE_ALL_UP_TO = 12
PER_CLAIM = 3
_NEGATIONS = frozenset({"not", "no", "never", "neither", "nor", "none", "cannot", "without"})
_SUFFIXES = ("ations", "ation", "ments", "ment", "ingly", "edly", "ness", "ings", "ing", "ers",
             "ies", "ied", "est", "ed", "er", "es", "ly", "s")  # fmt: skip


def lemma_key(word: str) -> str:
    """A Porter-like key so inflections compare equal ("flows"/"flowed", "produces"/"producing").

    Args:
        word: A lowercased word.

    Returns:
        The word without its inflectional suffix and final "e"; short words stay as they are.
    """
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "stopped" -> "stopp" -> "stop"
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


@dataclass(frozen=True)
class ClaimContext:
    """The context passages, split into sentences, encoded and indexed for the checks."""

    sentences: list[str]
    encodings: list[Encoding]
    stems: frozenset[str]
    lemmas: frozenset[str]
    numbers: frozenset[str]
    word_matrix: np.ndarray
    all_word_matrix: np.ndarray


@dataclass(frozen=True)
class ClaimSignals:
    """What :func:`claim_features` measured for one claim.

    Attributes:
        values: The :data:`FEATURES`, in order.
        best: Index of the most similar context sentence (the evidence).
        similarity: Cosine similarity of the claim to that sentence.
        uncovered: The claim's content words the context does not cover, even softly.
    """

    values: list[float]
    best: int
    similarity: float
    uncovered: tuple[str, ...] = ()


def is_content_word(word: str) -> bool:
    """Whether a tokenizer word is checked: alphanumeric, not a number, not a stopword, not a
    word of conversation (``CHAT_WORDS``: "great", "hope")."""
    return (
        word.isalnum()
        and not word.isdigit()
        and word not in STOPWORDS
        and stem(word) not in CHAT_WORDS
    )


def _content_index(encoding: Encoding) -> list[int]:
    return [i for i, w in enumerate(encoding.words) if is_content_word(w)]


def content_keys(text: str) -> set[str]:
    return {lemma_key(w) for w in (w.lower() for w in words(text)) if is_content_word(w)}


def closest_sentences(claims: list[str], sentences: list[str]) -> list[str]:
    """The context sentences worth encoding: all of a short context; of a long one, each claim's
    :data:`PER_CLAIM` sentences sharing the most content words with it (in context order).

    Names, numbers and words are still looked up in every sentence; only the embedding work
    (the costly part on a long document) is bounded by the answer's size, not the context's.
    """
    if len(sentences) <= ENCODE_ALL_UP_TO:
        return sentences
    keys = [content_keys(s) for s in sentences]
    chosen: set[int] = set()
    for claim in claims:
        wanted = content_keys(claim)
        ranked = sorted(range(len(sentences)), key=lambda i: (-len(wanted & keys[i]), i))
        chosen.update(ranked[:PER_CLAIM])
    return [sentences[i] for i in sorted(chosen)]


def prepare(
    encoder: MiniLMEncoder, claims: list[str], contexts: list[str]
) -> tuple[list[Encoding], ClaimContext]:
    """Encode the claims and the context sentences in one batch; index the context's facts."""
    import numpy as np

    every_sentence = list(dict.fromkeys(s for c in contexts for s in split_sentences(c)))
    sentences = closest_sentences(claims, every_sentence)
    encoded = encoder.encode(claims + sentences)
    ctx_encodings = encoded[len(claims) :]
    stems: set[str] = set()
    lemmas: set[str] = set()
    numbers: set[str] = set()
    for sentence in every_sentence:
        facts = extract_facts(sentence)
        lowered = [w.lower() for w in words(sentence)]
        stems |= set(facts.content) | {stem(w) for w in lowered}
        lemmas |= {lemma_key(w) for w in lowered}
        numbers |= facts.numbers
    matrix = np.concatenate([e.word_vectors[_content_index(e)] for e in ctx_encodings])
    # Soft coverage also matches function words: "roughly" paraphrases the stopword "about".
    every_word = np.concatenate(
        [e.word_vectors[[i for i, w in enumerate(e.words) if w.isalpha()]] for e in ctx_encodings]
    )
    context = ClaimContext(
        sentences,
        ctx_encodings,
        frozenset(stems),
        frozenset(lemmas),
        frozenset(numbers),
        matrix,
        every_word,
    )
    return encoded[: len(claims)], context


def claim_features(
    claim: str, encoding: Encoding, context: ClaimContext, soft_match: float = SOFT_MATCH
) -> ClaimSignals:
    """The :data:`FEATURES` of one claim and its closest context sentence.

    Args:
        claim: The claim's text.
        encoding: Its MiniLM encoding.
        context: The prepared contexts.
        soft_match: Word-vector cosine that counts as coverage (experiments; default
            :data:`SOFT_MATCH`).
    """
    import numpy as np

    sims = np.array([float(encoding.sentence @ c.sentence) for c in context.encodings])
    best = int(sims.argmax())
    index = _content_index(encoding)
    best_word = np.ones(len(index))
    if index and len(context.word_matrix):
        best_word = (encoding.word_vectors[index] @ context.word_matrix.T).max(axis=1)
    word_mean = float(best_word.mean()) if index else 1.0
    best_any = np.zeros(len(index))
    if index and len(context.all_word_matrix):
        best_any = (encoding.word_vectors[index] @ context.all_word_matrix.T).max(axis=1)
    uncovered = tuple(
        word
        for word, similarity in zip((encoding.words[i] for i in index), best_any, strict=True)
        if not _lexically_covered(word, context) and similarity < soft_match
    )
    coverage = 1.0 - len(uncovered) / len(index) if index else 1.0
    facts = extract_facts(claim)
    unseen_numbers = _unseen_share(facts.numbers, context.numbers)
    unseen_entities = _unseen_share({stem(e) for e in facts.entities}, context.stems)
    negated = negates(claim) != negates(context.sentences[best])
    values = [word_mean, coverage, unseen_numbers, unseen_entities, float(negated)]
    return ClaimSignals(values, best, float(sims[best]), uncovered)


def unseen_reasons(claim: str, numbers: Set[str], stems: Set[str]) -> list[str]:
    """The claim's numbers and names that the context (its ``numbers`` and word ``stems``) lacks."""
    facts = extract_facts(claim)
    reasons = [f"number {n} not in context" for n in sorted(facts.numbers - numbers)]
    reasons += [
        f"name {e!r} not in context" for e in sorted(facts.entities) if stem(e) not in stems
    ]
    return reasons


def _lexically_covered(word: str, context: ClaimContext) -> bool:
    return stem(word) in context.stems or lemma_key(word) in context.lemmas


def _unseen_share(items: frozenset[str] | set[str], known: frozenset[str]) -> float:
    return sum(i not in known for i in items) / len(items) if items else 0.0


def negates(text: str) -> bool:
    """Whether ``text`` contains a negation ("not", "never", "n't" …)."""
    lowered = text.lower()
    return "n't" in lowered or any(w.lower() in _NEGATIONS for w in words(text))

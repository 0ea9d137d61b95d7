"""A paraphrase set for the hallucination detector, built from HaluEval QA knowledge passages.

Each knowledge sentence is reworded the way summaries and dialogue turns reword their sources:
ordinary words swapped for synonyms ("about" -> "roughly", "flows" -> "runs"), a time phrase
moved ("... in 1990." -> "In 1990, ..."), an adverb dropped. The rewording keeps every name,
number and negation, so it is labelled supported (0). A copy with one fact changed on top of the
rewording (a number or name taken from another passage, or an inserted "not") is labelled
hallucinated (1). The training script builds it from TRAIN knowledge to fit on; the benchmark
builds it from DEV knowledge to report the false-positive rate on rewordings and the recall on
swaps.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Protocol

from llmops.eval._claims import STOPWORDS

_PAIRS = """about:roughly approximately:about around:about roughly:about nearly:almost
almost:nearly flows:runs flowed:ran began:started started:began begins:starts starts:begins
located:situated situated:located famous:well-known well-known:famous large:big big:large
largest:biggest biggest:largest small:little built:constructed constructed:built film:movie
movie:film company:firm founded:established established:founded created:made wrote:penned
written:authored received:got won:earned award:prize awards:prizes prize:award best:top
released:issued published:issued following:after later:subsequently became:turned_into
served:worked major:significant popular:well-liked including:such_as several:a_number_of
many:numerous currently:presently often:frequently usually:typically main:principal
area:region region:area country:nation nation:country team:squad player:athlete role:part
starred:appeared appeared:featured directed:helmed produced:made based:headquartered
headquartered:based operates:runs owned:held near:close_to named:called called:named
contains:includes includes:contains show:programme series:show novel:book book:volume
story:tale children:kids wife:spouse husband:spouse married:wed worked:was_employed
important:significant significant:important ended:finished finished:completed
completed:finished designed:created developed:created original:initial originally:at_first
initially:at_first primarily:mainly mainly:mostly mostly:largely former:previous
previous:earlier previously:formerly used:employed uses:employs known:recognised
features:includes album:record song:track songs:tracks singer:vocalist musician:artist
town:city city:town village:settlement river:waterway building:structure church:chapel
school:institution university:college sold:marketed died:passed_away born:born
population:number_of_residents located:found covers:spans covering:spanning
describes:depicts depicted:portrayed portrayed:played tells:recounts began:commenced
american:US-based british:UK-based modern:contemporary ancient:old old:ancient
new:recent recent:new high:tall tall:high long:lengthy short:brief""".split()
SYNONYMS = {k: v.replace("_", " ") for k, v in (p.split(":", 1) for p in _PAIRS) if k != v}
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
_TRAILING_TIME = re.compile(r"^(?P<head>[A-Z].{12,}?),? (?P<time>in (?:\d{4}|the \d{4}s))\.$")
_ADVERB = re.compile(r"\s(?:also|later|then|still|currently|originally|mainly)\b")
_SWAPPABLE = re.compile(r"(?<=\s)(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*|\d[\d,.]*\d|\d)(?=[\s,.;)])")
_AUXILIARY = re.compile(r"\b(is|was|are|were|has|had|can|will|could)\b")
_NEGATION = re.compile(r"\b(?:not|no|never|n't|none|without)\b", re.IGNORECASE)


class _Pair(Protocol):
    knowledge: str


def _swap_synonyms(sentence: str, rng: random.Random, most: int) -> tuple[str, int]:
    matches = [  # capitalised words inside a sentence are names: "Teen Choice Award" stays
        m
        for m in _WORD.finditer(sentence)
        if m.group(0).lower() in SYNONYMS and (m.start() == 0 or m.group(0).islower())
    ]
    chosen = sorted(rng.sample(matches, min(most, len(matches))), key=lambda m: m.start())
    out, last = [], 0
    for match in chosen:
        word = match.group(0)
        new = SYNONYMS[word.lower()]
        new = new[:1].upper() + new[1:] if word[:1].isupper() else new
        out += [sentence[last : match.start()], new]
        last = match.end()
    return "".join(out) + sentence[last:], len(chosen)


def reword(sentence: str, rng: random.Random) -> str | None:
    """A harder, meaning-preserving rewording of ``sentence``, or None when none applies."""
    text, changes = _swap_synonyms(sentence, rng, most=3)
    timed = _TRAILING_TIME.match(text)
    if timed and rng.random() < 0.7:
        head = timed.group("head")
        # Only a function word loses its capital ("The film ..." -> "the film"); a name keeps it.
        if head.split()[0].lower() in STOPWORDS:
            head = head[0].lower() + head[1:]
        text, changes = f"{timed.group('time').capitalize()}, {head}.", changes + 1
    adverb = _ADVERB.search(text)
    if adverb and rng.random() < 0.5:
        text, changes = text[: adverb.start()] + text[adverb.end() :], changes + 1
    return text if changes else None


def swap_fact(text: str, knowledge: str, pool: Sequence[str], rng: random.Random) -> str | None:
    """``text`` with one number or name replaced from ``pool``, or negated; None if impossible."""
    spans = list(_SWAPPABLE.finditer(text))
    known = knowledge.lower()
    if spans and rng.random() < 0.75:
        span = rng.choice(spans)
        same_kind = [x for x in pool if x[0].isdigit() == span.group(0)[0].isdigit()]
        for _ in range(10):
            other = rng.choice(same_kind)
            if other.lower() not in known:
                return text[: span.start()] + other + text[span.end() :]
    auxiliary = _AUXILIARY.search(text)
    if auxiliary and not _NEGATION.search(text):
        return text[: auxiliary.end()] + " not" + text[auxiliary.end() :]
    return None


def paraphrase_set(pairs: Sequence[_Pair], rng: random.Random) -> list[tuple[str, str, int]]:
    """(claim, knowledge, label) cases: rewordings (0) and reworded one-fact swaps (1)."""
    from llmops.eval._claims import split_sentences

    pool = [m.group(0) for p in pairs for m in _SWAPPABLE.finditer(p.knowledge)]
    out: list[tuple[str, str, int]] = []
    for pair in pairs:
        sentences = [s for s in split_sentences(pair.knowledge) if 6 <= len(s.split()) <= 40]
        rng.shuffle(sentences)
        for sentence in sentences[:3]:
            reworded = reword(sentence, rng)
            if reworded is None:
                continue
            out.append((reworded, pair.knowledge, 0))
            swapped = swap_fact(reworded, pair.knowledge, pool, rng)
            if swapped is not None:
                out.append((swapped, pair.knowledge, 1))
            break
    return out

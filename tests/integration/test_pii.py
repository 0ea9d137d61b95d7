"""PII detection and redaction on the real thing: presidio, spaCy's small English model, the
sentences presidio-evaluator generates, and the span pipeline's redaction hook."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import pytest

import llmops
from llmops.guardrails.pii import _engine
from llmops.guardrails.pii._engine import best_tier, get_engine
from llmops.guardrails.pii._hook import redaction_hook
from llmops.guardrails.pii._policy import REDACTED, SECRET_MARK, RedactionPolicy
from llmops.guardrails.pii._redact import redact
from llmops.guardrails.pii._redact import redact_report as report_of
from llmops.guardrails.pii._scan import scan_pii, scan_text
from llmops.testing import capture_spans

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

PATTERN = RedactionPolicy(tier="pattern")


def _types(text: str, **options: Any) -> dict[str, list[str]]:
    """Entity type -> the original substrings found."""
    found: dict[str, list[str]] = {}
    for finding in scan_text(text, **options).findings:
        found.setdefault(finding.entity_type, []).append(text[finding.start : finding.end])
    return found


def test_the_best_installed_tier_is_ner_with_the_small_model() -> None:
    assert best_tier() == "ner"
    assert get_engine().model is not None
    assert get_engine() is get_engine("ner")  # built once


@pytest.mark.parametrize("tier", ["pattern", "ner"])
def test_pattern_entities(tier: str) -> None:
    text = (
        "Write to jane.roe@example.com, call +44 20 7946 0958 or (212) 555-0147, card "
        "5555-5555-5555-4444, SSN 219-09-9999, from 192.168.10.23, "
        "IBAN GB82 WEST 1234 5698 7654 32."
    )
    found = _types(text, tier=tier)
    assert found["EMAIL_ADDRESS"] == ["jane.roe@example.com"]
    assert found["PHONE_NUMBER"] == ["+44 20 7946 0958", "(212) 555-0147"]
    assert found["CREDIT_CARD"] == ["5555-5555-5555-4444"]
    assert found["US_SSN"] == ["219-09-9999"]
    assert found["IP_ADDRESS"] == ["192.168.10.23"]
    assert found["IBAN_CODE"] == ["GB82 WEST 1234 5698 7654 32"]


def test_names_and_places_and_no_organisations() -> None:
    found = _types("Yesterday Dr. Amelia Hartmann flew from Lisbon to meet the Acme Corp board.")
    assert found["PERSON"] == ["Amelia Hartmann"]
    assert found["LOCATION"] == ["Lisbon"]
    assert "ORGANIZATION" not in found


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Harold is very reliable.", ["Harold"]),  # a lone first name opening a sentence
        ("Wiktor is from FUJIX Ltd.", ["Wiktor"]),  # one the model calls a place
        ("As promised, here's Marta's address.", ["Marta"]),  # possessive left out
        ("Ms. Dana Sullivan Apt. 275, 996 Main Road", ["Dana Sullivan"]),  # flat number after
        ("Please thank Professor Krisztián Bodnár.", ["Krisztián Bodnár"]),
        ("They had 3: Tuva, Cameron and Joshua.", ["Tuva", "Cameron", "Joshua"]),
        ("Sean O'Brien and John A. Smith signed.", ["Sean O'Brien", "John A. Smith"]),
        ("I told Grace about it.", ["Grace"]),  # a word, but capitalised mid-sentence
        ("Grace Kelly arrived.", ["Grace Kelly"]),  # a word, beside a known name
    ],
)  # fmt: skip
def test_first_names_are_found(text: str, names: list[str]) -> None:
    assert _types(text).get("PERSON") == names


@pytest.mark.parametrize(
    "text",
    [
        "Will you come to the meeting?",  # a name that is also a word, opening a sentence
        "The Princess Royal arrived at Madrid this morning.",  # a title
        "There's this nice new Danish place downtown.",  # a nationality
        "I work for Merrill Lynch & Co.",  # a firm named after people
        "My new address is Tyler and 76 College Avenue.",  # a street corner
        "We moved here from San Felice last May.",  # a place
    ],
)
def test_first_names_in_other_roles_are_not_people(text: str) -> None:
    assert "PERSON" not in _types(text)


def test_the_pattern_tier_finds_first_names_without_a_model() -> None:
    assert _types("Harold is very reliable; ask Krisztián.", tier="pattern")["PERSON"] == [
        "Harold",
        "Krisztián",
    ]


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("Our supplier ships from JÄRVENPÄÄ every Tuesday.", ["JÄRVENPÄÄ"]),  # capitals, accents
        ("We spent a week in Florence and then drove to Pisa.", ["Florence", "Pisa"]),
        ("The invoice goes to our branch in Tartu, Estonia.", ["Tartu", "Estonia"]),
        ("They moved here from Upper Snodsbury last year.", ["Upper Snodsbury"]),  # verb cue only
    ],
)  # fmt: skip
def test_places_are_found(text: str, places: list[str]) -> None:
    assert _types(text).get("LOCATION") == places


@pytest.mark.parametrize(
    "text",
    [
        "Florence approved the budget.",  # a first name with no place cue
        "I work for Brookfield Asset Management Inc.",  # a town opening a firm's name
        "Send it to 12 Baker Street, please.",  # a street, not a place name
        "Can I withdraw money from an ATM abroad?",  # an abbreviation that is also a town
    ],
)
def test_words_that_only_look_like_places_are_not_locations(text: str) -> None:
    assert "LOCATION" not in _types(text)


def test_a_person_who_shares_a_towns_name_stays_a_person() -> None:
    found = _types("Austin Reed signed the contract in Dayton, Ohio.")
    assert found["PERSON"] == ["Austin Reed"]
    assert found["LOCATION"] == ["Dayton", "Ohio"]


def test_the_place_list_is_shipped() -> None:
    from llmops.guardrails.pii._places import is_place, place_lists

    regions, towns, ambiguous = place_lists()
    assert len(regions) > 250
    assert len(towns) > 100_000
    assert all(map(is_place, ("Järvenpää", "JARVENPAA", "Czech Republic")))
    assert {"reading", "florence"} <= ambiguous
    assert not is_place("Xqzville")


def test_the_name_list_is_shipped() -> None:
    from llmops.guardrails.pii._gazetteer import is_first_name, is_last_name, name_lists

    first, last, ambiguous = name_lists()
    assert min(len(first), len(last)) > 10_000
    assert is_first_name("Krisztián")
    assert is_last_name("Nowak")
    assert not any(map(is_first_name, ("May", "Princess", "India")))  # month, title, country
    assert "Grace" in ambiguous


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("mail j\u200bohn@example.com now", "EMAIL_ADDRESS", "j\u200bohn@example.com"),
        ("card \uff14\uff11\uff11\uff11 1111 1111 1111", "CREDIT_CARD",
         "\uff14\uff11\uff11\uff11 1111 1111 1111"),
        ("card 4111\u00ad1111\u00ad1111\u00ad1111 ok", "CREDIT_CARD",
         "4111\u00ad1111\u00ad1111\u00ad1111"),
        ("call +1\u00a0212\u00a0555\u00a00147", "PHONE_NUMBER", "+1\u00a0212\u00a0555\u00a00147"),
        ("ssn 219\u200d-09-9999", "US_SSN", "219\u200d-09-9999"),
        ("key s\u200bk-proj-abcdefghijklmnop1234", "SECRET", "s\u200bk-proj-abcdefghijklmnop1234"),
    ],
)  # fmt: skip
def test_obfuscated_pii_is_found_at_its_original_offsets(
    text: str, entity: str, value: str
) -> None:
    assert _types(text)[entity] == [value]


@pytest.mark.parametrize("shift", [-40, -13, -5, -1, 0, 3, 60])
def test_findings_across_chunk_borders_are_found_once(shift: int) -> None:
    planted = "jane.roe@example.com 4111 1111 1111 1111 +41 44 668 18 00"
    filler = "The weather report said nothing new about the rain today. "
    text = filler * 34
    cut = 2_000 - 128 + shift  # near the first chunk's end and the second's owned start
    text = text[:cut] + " " + planted + " " + text[cut:] + filler * 60
    found = _types(text, tier="pattern")
    assert found["EMAIL_ADDRESS"] == ["jane.roe@example.com"]
    assert found["CREDIT_CARD"] == ["4111 1111 1111 1111"]
    assert found["PHONE_NUMBER"] == ["+41 44 668 18 00"]


# presidio-evaluator renames a column of its fake-person table with pandas' inplace= keyword
# and leaves one of its data files open.
@pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.rename is deprecated:pandas.errors.Pandas4Warning",
    "ignore:Exception ignored in.*us_driver_license_format:pytest.PytestUnraisableExceptionWarning",
)
def test_recall_on_generated_sentences() -> None:
    from presidio_evaluator.data_generator import (
        PresidioSentenceFaker,
        presidio_additional_entity_providers,
    )

    providers = [p for p in presidio_additional_entity_providers if "Hospital" not in p.__name__]
    faker = PresidioSentenceFaker(
        "en_US", lower_case_ratio=0.05, entity_providers=providers, random_seed=7
    )
    hits: dict[str, list[bool]] = {}
    for sample in faker.generate_new_fake_sentences(250):
        findings = scan_text(sample.full_text).findings
        for span in sample.spans:
            kind = span.entity_type
            start, end = span.start_position, span.end_position
            hits.setdefault(kind, []).append(
                any(f.entity_type == kind and f.start < end and f.end > start for f in findings)
            )
    recall = {kind: sum(found) / len(found) for kind, found in hits.items()}
    assert recall["PERSON"] >= 0.85
    for kind in ("PHONE_NUMBER", "CREDIT_CARD", "EMAIL_ADDRESS"):
        assert recall[kind] >= 0.95, (kind, recall[kind])


def test_structured_values_are_walked() -> None:
    tool_args = json.dumps({"to": ["jane.roe@example.com"], "body": "Call me on +1 212 555 0147"})
    value = {
        "messages": [{"role": "user", "content": "I am Dr. Amelia Hartmann"}],
        "tool_args": tool_args,
        "pair": ("jane.roe@example.com", 3),
        "headers": {"Authorization": "Bearer abc.def.ghi"},
    }
    out = redact(value)
    assert out["messages"] == [{"role": "user", "content": "I am Dr. <PERSON>"}]
    assert json.loads(out["tool_args"]) == {
        "to": ["<EMAIL_ADDRESS>"],
        "body": "Call me on <PHONE_NUMBER>",
    }
    assert out["pair"] == ("<EMAIL_ADDRESS>", 3)
    assert out["headers"] == {"Authorization": SECRET_MARK}


def test_hash_links_one_value_across_calls_and_spellings() -> None:
    policy = RedactionPolicy(default_operator="hash", salt="tenant-1", tier="pattern")
    first = redact("from jane.roe@example.com", policy)
    assert first == redact("to JANE.ROE@example.com", policy).replace("to", "from")
    assert first != redact("from jane.roe@example.com", RedactionPolicy(
        default_operator="hash", salt="tenant-2", tier="pattern"
    ))  # fmt: skip
    mixed = RedactionPolicy(operators={"PHONE_NUMBER": "mask", "EMAIL_ADDRESS": "drop"},
                            tier="pattern")  # fmt: skip
    assert redact("a@example.com or +1 212 555 0147", mixed) == " or " + "*" * 15


def test_credentials_go_whatever_the_policy() -> None:
    text = "use sk-proj-abcdefghijklmnop1234, AKIAABCDEFGHIJKLMNOP and api_key=zz9yy8xx7"
    out = redact(text, RedactionPolicy(entities=("PERSON",), tier="pattern"))
    assert out == f"use {SECRET_MARK}, {SECRET_MARK} and api_key={SECRET_MARK}"


def test_the_hook_screens_every_span_attribute_and_event() -> None:
    hook = redaction_hook(RedactionPolicy(operators={"PERSON": "hash"}, salt="s"))

    @llmops.trace(name="lookup")
    def lookup(customer: str, card: int) -> dict[str, str]:
        llmops.current_span().add_event("note", {"text": "Paid by Dr. Amelia Hartmann"})
        llmops.current_span().set_attribute("http.request.header.authorization", "Bearer x")
        return {"reply": f"Dear {customer}, your card {card} is blocked"}

    with capture_spans(redact=hook) as spans:
        lookup("Amelia Hartmann", 4111111111111111)
    span = spans.by_name("lookup")
    dumped = json.dumps(
        {**dict(span.attributes or {}), "events": [dict(e.attributes or {}) for e in span.events]}
    )
    for planted in ("Amelia", "Hartmann", "4111111111111111"):
        assert planted not in dumped
    assert "<PERSON:" in dumped
    assert dict(span.attributes or {})["http.request.header.authorization"] == SECRET_MARK


class NativeCrash(BaseException):
    """Stands for a failure in native code that is not an Exception."""


def test_a_failing_detector_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self: Any, text: str, entities: list[str]) -> list[Any]:
        raise NativeCrash("boom")

    monkeypatch.setattr(_engine.Engine, "analyze", crash)
    result = scan_text("jane.roe@example.com and sk-proj-abcdefghijklmnop1234")
    assert result.errors == ("detector: NativeCrash in chars 0-53",)
    assert [f.entity_type for f in result.findings] == ["SECRET"]  # patterns still ran
    value = {"note": "mail jane.roe@example.com", "n": 2}
    assert redact(value, RedactionPolicy(fail_closed=True)) == {"note": REDACTED, "n": 2}
    report = report_of(value, RedactionPolicy())
    assert report.value == value
    assert report.errors


def test_keyboard_interrupt_is_not_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(self: Any, text: str, entities: list[str]) -> list[Any]:
        raise KeyboardInterrupt

    monkeypatch.setattr(_engine.Engine, "analyze", interrupt)
    with pytest.raises(KeyboardInterrupt):
        scan_pii("jane.roe@example.com")


@pytest.mark.parametrize(
    "value",
    [
        None, b"mail jane.roe@example.com \xff\xfe", 12, 4111111111111111, 3.25, True,
        object(), "x\ud800y jane.roe@example.com \udfff",
        "\x00\x01\x1b[31mjane.roe@example.com\x7f",
        [[[[[[[[[[["deep jane.roe@example.com"]]]]]]]]]]],
    ],
)  # fmt: skip
def test_bad_input_never_crashes(value: Any) -> None:
    result = scan_text(value)
    report = report_of(value)
    assert "jane.roe@example.com" not in str(report.value)
    if value is None:
        assert result.errors
    json.dumps(report.value, default=str).encode("utf-8")  # exportable: no lone surrogates


def test_cycles_and_depth_are_recorded() -> None:
    cyclic: list[Any] = ["jane.roe@example.com"]
    cyclic.append(cyclic)
    report = report_of(cyclic, PATTERN)
    assert report.value == ["<EMAIL_ADDRESS>", REDACTED]
    assert report.errors == ("structure: cycle, cut",)


def test_ten_megabytes_is_capped_and_says_so() -> None:
    text = "jane.roe@example.com " + "lorem ipsum dolor sit amet " * 400_000
    result = scan_text(text, tier="pattern")
    assert result.truncated
    assert result.scanned_chars == 200_000
    assert result.findings[0].entity_type == "EMAIL_ADDRESS"
    report = report_of(text, PATTERN)
    assert report.truncated
    assert report.value.startswith("<EMAIL_ADDRESS> ")
    assert len(report.value) < 250_000


def test_concurrent_scans_agree() -> None:
    text = "Dr. Amelia Hartmann, jane.roe@example.com, +1 212 555 0147, 4111 1111 1111 1111"
    expected = scan_pii(text)
    results: list[Any] = []

    def work() -> None:
        results.extend(scan_pii(text) == expected for _ in range(5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 20

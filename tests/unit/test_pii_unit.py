"""The pure parts of PII redaction: normalisation, chunks, hit post-processing, credentials,
operators and the structure walker (with a stand-in scanner, so no presidio or spaCy here)."""

from __future__ import annotations

import itertools
import json
import re
from collections import namedtuple
from typing import Any

import pytest

from llmops._credentials import find_secrets, is_secret_key
from llmops.guardrails.pii import _redact
from llmops.guardrails.pii._hook import redaction_hook
from llmops.guardrails.pii._normalize import normalize_text
from llmops.guardrails.pii._policy import (
    REDACTED,
    SECRET_MARK,
    RedactionPolicy,
    apply_findings,
    fully_masked,
    hash_token,
)
from llmops.guardrails.pii._post import clean_person, repeat_names, resolve_overlaps
from llmops.guardrails.pii._redact import redact, redact_report
from llmops.guardrails.pii._scan import CHUNK_OVERLAP, Finding, ScanResult, chunk_spans, coerce_text

# --- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "normalized"),
    [
        ("j\u200bohn@example.com", "john@example.com"),  # zero-width space
        ("\uff10\uff11\uff12-\uff13\uff14\uff15", "012-345"),  # full-width digits
        ("4111\u00ad1111", "41111111"),  # soft hyphen
        ("\u202ejohn\u202c", "john"),  # bidi override
        ("a\u2060b\ufeffc", "abc"),  # word joiner, BOM
        ("x\x00y\x07z", "xyz"),  # control characters
        ("e\u0301t\u00e9", "\u00e9t\u00e9"),  # combining accent composes
        ("\ufb01ne", "fine"),  # ligature expands
        ("a\u2028b", "a\nb"),  # line separator
        ("x\ud800y", "x\ufffdy"),  # lone surrogate
        ("a\u00a0b", "a b"),  # no-break space
    ],
)
def test_normalize_text(original: str, normalized: str) -> None:
    assert normalize_text(original).text == normalized


def test_offsets_map_back_to_the_original() -> None:
    original = "Mail: j\u200bohn@ex\uff41mple.com!"
    norm = normalize_text(original)
    start = norm.text.index("john")
    begin, end = norm.to_original(start, start + len("john@example.com"))
    assert original[begin:end] == "j\u200bohn@ex\uff41mple.com"


def test_expansions_and_removed_characters_map_to_whole_clusters() -> None:
    norm = normalize_text("\ufb01x")
    assert norm.text == "fix"
    assert norm.to_original(0, 2) == (0, 1)  # "fi" is the ligature
    assert norm.to_original(0, 3) == (0, 2)
    assert normalize_text("\u200b").to_original(0, 0) == (1, 1)


def test_plain_ascii_keeps_offsets_and_escapes_keep_length() -> None:
    norm = normalize_text("line one\\nline two")
    assert norm.starts is None
    assert norm.text == "line one \nline two"
    assert norm.to_original(3, 7) == (3, 7)


def test_to_original_clamps_out_of_range_spans() -> None:
    norm = normalize_text("\u00e9t\u00e9 x")
    assert norm.to_original(-5, 99) == (0, 5)


# --- input and chunks ---------------------------------------------------------------------


def test_coerce_text() -> None:
    assert coerce_text("x") == ("x", None)
    assert coerce_text(b"a\xffb") == ("a\ufffdb", None)
    assert coerce_text(12) == ("12", None)
    text, error = coerce_text(None)
    assert text is None
    assert error is not None


@pytest.mark.parametrize("text", ["word " * 2000, "x" * 9000, "short"])
def test_chunks_cover_the_text_and_owned_ranges_partition_it(text: str) -> None:
    spans = list(chunk_spans(len(text), text))
    assert spans[0][0] == 0
    assert spans[-1][1] == len(text)
    owned = [(owned_start, owned_end) for _, _, owned_start, owned_end in spans]
    assert owned[0][0] == 0
    assert owned[-1][1] == len(text)
    for (_, previous_end), (next_start, _) in itertools.pairwise(owned):
        assert previous_end == next_start
    for start, end, owned_start, owned_end in spans[:-1]:
        # Each chunk sees half the overlap beyond what it owns.
        assert start <= owned_start < owned_end <= end - CHUNK_OVERLAP // 2


# --- post-processing ----------------------------------------------------------------------


def test_same_type_overlaps_merge_and_the_higher_score_wins_between_types() -> None:
    hits = [
        ("PHONE_NUMBER", 0, 10, 0.5, "a"),
        ("PHONE_NUMBER", 5, 14, 0.8, "b"),
        ("US_SSN", 2, 12, 0.9, "c"),
        ("PERSON", 20, 30, 0.6, "d"),
        ("LOCATION", 28, 40, 0.85, "e"),
    ]
    # The two phone hits merge into 0-14; the SSN outscores it and covers most of it.
    # PERSON and LOCATION share 2 characters only: both stay.
    assert resolve_overlaps(hits) == [
        ("US_SSN", 2, 12, 0.9, "c"),
        ("PERSON", 20, 30, 0.6, "d"),
        ("LOCATION", 28, 40, 0.85, "e"),
    ]


def test_cross_type_resolution_keeps_the_stronger_hit() -> None:
    resolved = resolve_overlaps(
        [("DATE_TIME", 0, 11, 0.6, "spacy"), ("PHONE_NUMBER", 0, 11, 0.8, "phone")]
    )
    assert resolved == [("PHONE_NUMBER", 0, 11, 0.8, "phone")]


def test_clean_person() -> None:
    text = "Jane Doe\nStreet 12 and Box 99 and Mary"
    assert clean_person(text, ("PERSON", 0, 15, 0.85, "s")) == ("PERSON", 0, 8, 0.85, "s")
    assert clean_person(text, ("PERSON", 9, 18, 0.85, "s")) is None  # digits
    assert clean_person(text, ("PERSON", 23, 26, 0.85, "s")) is None  # address word


def _guess(text: str, name: str, detector: str = "SpacyRecognizer") -> bool:
    """True when a model's PERSON guess for ``name`` in ``text`` survives clean-up."""
    start = text.index(name)
    return clean_person(text, ("PERSON", start, start + len(name), 0.9, detector)) is not None


@pytest.mark.parametrize(
    ("text", "name", "kept"),
    [
        ("I work for Merrill Lynch & Co now.", "Merrill Lynch", False),  # a firm's name
        ("Visit Gerard Perrier SA today.", "Gerard Perrier", False),
        ("He met Gerard Perrier at SA's office.", "Gerard Perrier", True),
        ("12 Main Road\nApt. 3\nKimberley\nSouth Africa", "Kimberley", False),  # town line
        ("Dear all,\nKimberley\nwill call you.", "Kimberley", True),  # no address above
        ("Ask for Kimberley Jones\n12 Main Road", "Kimberley", True),
        ("My address is Tyler and 76 College Avenue.", "Tyler", False),  # a street corner
        ("Meet Tyler and Anna at noon.", "Tyler", True),
        ("The Quincy Country Club is open.", "Quincy Country Club", False),
    ],
)
def test_clean_person_drops_firms_towns_and_street_corners(
    text: str, name: str, kept: bool
) -> None:
    assert _guess(text, name) is kept
    assert _guess(text, name, "FirstNameRecognizer") is kept


def test_repeat_names_finds_further_occurrences() -> None:
    text = "Ella Mikkelsen called. Later Ella wrote, and Mikkelsen signed."
    found = {(s, e) for _, s, e, _, _ in repeat_names(text, [("PERSON", 0, 14, 0.85, "s")])}
    assert (29, 33) in found
    assert (45, 54) in found


# --- credentials --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("key sk-proj-abcdefghijklmnop1234 here", "sk-proj-abcdefghijklmnop1234"),
        ("Authorization: Bearer eyJhbGciOi.payload123", "eyJhbGciOi.payload123"),
        ("id AKIAABCDEFGHIJKLMNOP ok", "AKIAABCDEFGHIJKLMNOP"),
        ("api_key=zz9yy8xx7 then", "zz9yy8xx7"),
        ('{"password": "hunter22"}', "hunter22"),
        ("token ghp_" + "a" * 36, "ghp_" + "a" * 36),
        ("postgres://bob:s3cret@db/x", "s3cret"),
    ],
)
def test_credentials_are_found(text: str, secret: str) -> None:
    spans = [text[start:end] for _, start, end, _, _ in find_secrets(text)]
    assert secret in spans


@pytest.mark.parametrize(
    "text", ["the bearer instrument was signed", "raise the token limit", "a basic understanding"]
)
def test_prose_is_not_a_credential(text: str) -> None:
    assert find_secrets(text) == []


def test_secret_keys() -> None:
    assert is_secret_key("http.request.header.authorization")
    assert is_secret_key("OPENAI_API_KEY")
    assert is_secret_key("apiKey")
    assert not is_secret_key("gen_ai.usage.input_tokens")
    assert not is_secret_key(3)


# --- operators ----------------------------------------------------------------------------


def test_operators() -> None:
    text = "mail jane@example.com now"
    finding = [Finding("EMAIL_ADDRESS", 5, 21, 1.0, "t")]
    assert apply_findings(text, finding, RedactionPolicy()) == "mail <EMAIL_ADDRESS> now"
    masked = apply_findings(text, finding, RedactionPolicy(default_operator="mask"))
    assert masked == "mail " + "*" * 16 + " now"
    assert apply_findings(text, finding, RedactionPolicy(default_operator="drop")) == "mail  now"
    hashed = apply_findings(text, finding, RedactionPolicy(default_operator="hash", salt="s"))
    assert re.fullmatch(r"mail <EMAIL_ADDRESS:[0-9a-f]{12}> now", hashed)


def test_overlapping_findings_are_replaced_once() -> None:
    findings = [Finding("PERSON", 0, 8, 0.9, "a"), Finding("LOCATION", 5, 12, 0.8, "b")]
    assert apply_findings("Jane Doe, Paris", findings, RedactionPolicy()) == "<PERSON><LOCATION>ris"


def test_hash_is_stable_keyed_and_normalised() -> None:
    policy = RedactionPolicy(salt="k1")
    token = hash_token("john@example.com", "EMAIL_ADDRESS", policy)
    assert token == hash_token("JOHN@example.com", "EMAIL_ADDRESS", policy)
    assert token == hash_token("j\u200bohn@example.com", "EMAIL_ADDRESS", policy)
    assert token != hash_token("john@example.com", "EMAIL_ADDRESS", RedactionPolicy(salt="k2"))
    assert token != hash_token("jane@example.com", "EMAIL_ADDRESS", policy)


def test_fully_masked_keeps_keys_and_harmless_scalars() -> None:
    value = {"a": ["x", 2, 12345678901], "b": (None, True, 1.5), "c": b"raw"}
    assert fully_masked(value) == {
        "a": [REDACTED, 2, REDACTED],
        "b": (None, True, 1.5),
        "c": REDACTED,
    }


# --- the structure walker, with a stand-in scanner ----------------------------------------

_EMAIL = re.compile(r"\S+@\S+\.\w+")


def _fake_scan(text: object, entities: Any = None, **options: Any) -> ScanResult:
    assert isinstance(text, str)
    limit = options.get("max_chars", len(text))
    scanned = text[:limit]
    findings = [Finding("EMAIL_ADDRESS", m.start(), m.end(), 1.0, "fake") for m in
                _EMAIL.finditer(scanned)]  # fmt: skip
    findings += [Finding("SECRET", s, e, 1.0, d) for _, s, e, _, d in find_secrets(scanned)]
    errors = ("detector: Boom in chars 0-1",) if "BOOM" in scanned else ()
    return ScanResult(tuple(findings), len(text) > limit, 0.0, errors, "fake", len(scanned))


@pytest.fixture
def fake_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_redact, "scan_text", _fake_scan)


@pytest.mark.usefixtures("fake_scanner")
def test_walker_keeps_structure_and_keys() -> None:
    Pair = namedtuple("Pair", "left right")
    value = {
        "jane@example.com": "to jane@example.com",
        "items": [{"email": "a@b.co", "n": 3}, ("x", "c@d.io")],
        "pair": Pair("e@f.io", 1.5),
        "api_key": "anything at all",
        "set": frozenset({"g@h.io"}),
    }
    out = redact(value)
    assert list(out) == list(value)  # keys kept, even one holding PII
    assert out["jane@example.com"] == "to <EMAIL_ADDRESS>"
    assert out["items"] == [{"email": "<EMAIL_ADDRESS>", "n": 3}, ("x", "<EMAIL_ADDRESS>")]
    assert out["pair"] == Pair("<EMAIL_ADDRESS>", 1.5)
    assert out["api_key"] == SECRET_MARK
    assert out["set"] == frozenset({"<EMAIL_ADDRESS>"})


@pytest.mark.usefixtures("fake_scanner")
def test_json_text_is_parsed_walked_and_serialised() -> None:
    payload = json.dumps({"args": [{"to": "jane@example.com", "note": "ok"}], "token": "t0k3n"})
    out = json.loads(redact(payload))
    assert out == {"args": [{"to": "<EMAIL_ADDRESS>", "note": "ok"}], "token": SECRET_MARK}
    assert redact('["jane@example.com", 1]') == '["<EMAIL_ADDRESS>", 1]'
    assert redact("{not json jane@example.com") == "{not json <EMAIL_ADDRESS>"


@pytest.mark.usefixtures("fake_scanner")
def test_walker_survives_bad_structures() -> None:
    cyclic: dict[str, Any] = {"to": "jane@example.com"}
    cyclic["self"] = cyclic
    report = redact_report(cyclic)
    assert report.value == {"to": "<EMAIL_ADDRESS>", "self": REDACTED}
    assert any("cycle" in error for error in report.errors)

    deep: list[Any] = []
    node = deep
    for _ in range(5000):
        node.append([])
        node = node[0]
    report = redact_report(deep)
    assert any("deeper" in error for error in report.errors)

    assert redact(None) is None
    assert redact(b"jane@example.com \xff") == "<EMAIL_ADDRESS> \ufffd"
    assert redact(3.5) == 3.5
    assert redact(True) is True


@pytest.mark.usefixtures("fake_scanner")
def test_fail_closed_masks_everything_and_fail_open_keeps_what_it_could() -> None:
    value = {"a": "BOOM jane@example.com", "b": "fine", "n": 1}
    assert redact(value, RedactionPolicy(fail_closed=True)) == {
        "a": REDACTED, "b": REDACTED, "n": 1,
    }  # fmt: skip
    report = redact_report(value, RedactionPolicy())
    assert report.value == {"a": "BOOM <EMAIL_ADDRESS>", "b": "fine", "n": 1}
    assert report.errors


@pytest.mark.usefixtures("fake_scanner")
def test_unscanned_tail_is_cut_and_reported() -> None:
    report = redact_report("jane@example.com " + "x" * 100, RedactionPolicy(max_chars=20))
    assert report.truncated
    assert report.value.startswith("<EMAIL_ADDRESS> ")
    assert report.value.endswith("<UNSCANNED:97>")


@pytest.mark.usefixtures("fake_scanner")
def test_hook_on_attribute_values() -> None:
    hook = redaction_hook()
    assert hook("http.request.header.authorization", "Basic abc") == SECRET_MARK
    assert hook("input.value", '{"q": "jane@example.com"}') == '{"q": "<EMAIL_ADDRESS>"}'
    assert hook("llmops.tags", ("a", "jane@example.com")) == ("a", "<EMAIL_ADDRESS>")
    assert hook("gen_ai.usage.input_tokens", 12) == 12
    assert hook("flag", True) is True
    assert hook("gone", None) is None
    # The second call is served from the cache and says the same.
    assert hook("x", "mail jane@example.com") == hook("y", "mail jane@example.com")


@pytest.mark.usefixtures("fake_scanner")
def test_a_name_under_a_name_key_is_a_name() -> None:
    out = redact({"customer": "Amelia Hartmann", "tool_name": "search_web", "note": "Hi"})
    assert out == {"customer": "<PERSON>", "tool_name": "search_web", "note": "Hi"}
    kept = redact({"customer": "Amelia Hartmann"}, RedactionPolicy(entities=("EMAIL_ADDRESS",)))
    assert kept == {"customer": "Amelia Hartmann"}

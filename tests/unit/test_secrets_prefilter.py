"""The credential scrub's prefilter never hides a match: gated and ungated search agree.

Every test here runs twice: with the prefilter in Python, and with the one-pass Hyperscan
prefilter (the ``speedups`` extra) on text of any length.
"""

from __future__ import annotations

import random
import sys
import threading
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from llmops import _credentials
from llmops._credentials import Hit, find_secrets

SECRETS = [
    "sk-proj-abcdefghijklmnop1234",
    "AKIAABCDEFGHIJKLMNOP",
    "ghp_" + "a" * 36,
    "github_pat_" + "b" * 40,
    "xoxb-1234567890-abc",
    "AIza" + "b" * 35,
    "sk_live_abcdefghijklmnop12",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlF",
    "https://user:hunter22@host/x",
    "Authorization: Bearer abcdef1234567890abcdef",
    "bearer abcdefghij1234567890",
    "api_key = 'zzzzyyyy'",
    "PASSWORD:   s3cretvalue",
    'password"  : "abcd1234"',
    "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
    "client_secret=abcd",
    "X-Token=abcdefgh",
    "credentials: foo1234",
    "my pwd=hello123",
    "access-token: 'qwerty12'",
    "token" + " " * 60 + "= abcdefg",
]
# What ``(?i)`` and ``\\s`` accept beyond ASCII: dotless and dotted i, long s, the Kelvin sign,
# no-break and em spaces.
UNICODE_SECRETS = [
    "Authorızation: Bearer abcdef1234567890abcdef",
    "AUTHORİZATION=abcdefghijk",
    "paſſword: hunter22",
    "api_\u212aey=abcdefgh",
    "password\u2003= hunter22",
    "PASSWORD:\u00a0s3cretvalue",
    "credentıals: foo1234",
    "credentialſ: foo1234",
    "bearer\u00a0abcdefghij1234567890",
]
NOISE = ["hello", "world", "the", "key", "token:", "=", ":", "A", "_", "-", "J", "@", "://",
         "z", "1", "'", '"', "\n", "  ", "Bearer", "eyJ", "AKIA", "gh", "xox", "k-",
         "authorization", "Authorization:", "api_key", "secret=", "\u00a0", "—", "“key”:", "é",
         "paſſword", "ı", "\u212a"]  # fmt: skip


@pytest.fixture(autouse=True, params=["python", "one_pass"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the Python prefilter, then with Hyperscan's on text of any length."""
    if request.param == "python":
        monkeypatch.setattr(_credentials, "_scanner", _credentials._NO_SCANNER)
    else:
        monkeypatch.setattr(_credentials, "_scanner", _credentials._OnePass())
        monkeypatch.setattr(_credentials, "_ONE_PASS_MIN_CHARS", 0)
    return str(request.param)


def _ungated(text: str) -> list[Hit]:
    hits: list[Hit] = []
    for name, pattern in _credentials._PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span(1) if match.re.groups else match.span()
            if end > start:
                hits.append(("SECRET", start, end, 1.0, f"Secret:{name}"))
    return hits


def test_every_secret_is_found_alone() -> None:
    for secret in SECRETS:
        assert find_secrets(secret) == _ungated(secret) != [], secret


def test_letters_and_spaces_beyond_ascii_do_not_hide_a_secret() -> None:
    for secret in UNICODE_SECRETS:
        assert find_secrets(secret) == _ungated(secret) != [], secret
        padded = "Bonjour — « voilà » " * 10 + secret + " … fin"
        assert find_secrets(padded) == _ungated(padded) != [], secret


def test_every_pattern_has_a_prefilter_branch() -> None:
    """A pattern added to ``_PATTERNS`` without a test in ``_candidates`` would never run."""
    found = {hit[4].removeprefix("Secret:") for secret in SECRETS for hit in find_secrets(secret)}
    assert found == {name for name, _ in _credentials._PATTERNS}


def test_prefilter_agrees_with_running_every_pattern() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        parts = [rng.choice(NOISE) for _ in range(rng.randint(0, 30))]
        if rng.random() < 0.5:
            parts.insert(rng.randint(0, len(parts)), rng.choice(SECRETS))
        text = rng.choice([" ", "", "\n", ", "]).join(parts)
        assert find_secrets(text) == _ungated(text), text


def test_many_colons_fall_back_to_word_search() -> None:
    text = "a: b, " * 100 + "password: hunter22"
    assert find_secrets(text) == _ungated(text) != []
    assert find_secrets("a: b, " * 100) == []
    # A long prompt that names keys and tokens often, with many signs: the per-word search.
    prose = "Rotate the API key at 02:00, the token too; keyboard: ok. " * 50
    assert find_secrets(prose) == []
    leaked = prose + "config: api_key = 'abcd1234'"
    assert find_secrets(leaked) == _ungated(leaked) != []


def test_scans_from_many_threads_at_once(engine: str) -> None:
    """Hyperscan needs a scratch space per concurrent scan: each thread gets its own."""
    texts = [secret + " and some words: " * 20 for secret in SECRETS + UNICODE_SECRETS]
    expected = [_ungated(text) for text in texts]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                assert [find_secrets(text) for text in texts] == expected
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_failing_scan_falls_back_to_the_python_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmops._internal import STATS

    class Broken:
        def candidates(self, text: str) -> Any:
            raise RuntimeError("scratch in use")

    monkeypatch.setattr(_credentials, "_scanner", Broken())
    monkeypatch.setattr(_credentials, "_ONE_PASS_MIN_CHARS", 0)
    monkeypatch.delenv("LLMOPS_RAISE_INTERNAL_ERRORS")  # as in production: counted, not raised
    before = STATS.snapshot()["internal_errors"]
    for secret in SECRETS:
        assert find_secrets(secret) == _ungated(secret) != [], secret
    assert STATS.snapshot()["internal_errors"] == before + len(SECRETS)


def test_the_python_prefilter_can_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_credentials, "_scanner", None)
    monkeypatch.setenv("LLMOPS_SECRET_SCAN", "python")
    assert _credentials._load_scanner() is _credentials._NO_SCANNER
    monkeypatch.setattr(_credentials, "_scanner", None)
    monkeypatch.delenv("LLMOPS_SECRET_SCAN")
    assert isinstance(_credentials._load_scanner(), _credentials._OnePass)


def test_without_the_speedups_extra_the_python_prefilter_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_credentials, "_scanner", None)
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # import hyperscan raises ImportError
    assert _credentials._load_scanner() is _credentials._NO_SCANNER
    for secret in SECRETS:
        assert find_secrets(secret) == _ungated(secret) != [], secret


def _span(attributes: dict[str, Any], events: list[Any] | None = None, status: str | None = None):  # type: ignore[no-untyped-def]
    from opentelemetry.attributes import BoundedAttributes
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.trace import SpanContext, Status, StatusCode

    return ReadableSpan(
        name="s",
        context=SpanContext(1, 2, is_remote=False),
        attributes=BoundedAttributes(128, attributes, immutable=True),
        events=events or [],
        status=Status(StatusCode.ERROR, status) if status else Status(StatusCode.UNSET),
    )


class _Keep:
    """An exporter that keeps the last batch it was given."""

    def __init__(self) -> None:
        self.spans: list[Any] = []

    def export(self, spans: Any) -> SpanExportResult:
        self.spans = list(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None: ...


def test_redacting_exporter_skips_clean_spans_and_scrubs_every_place_a_secret_hides() -> None:
    from opentelemetry.sdk.trace import Event

    from llmops.tracing._exporters import RedactingExporter
    from llmops.tracing._secrets import scrub_secrets

    key = "sk-proj-abcdefghijklmnop1234"
    clean = _span({"input.value": '{"q": "what is: 2+2"}', "n": 3, "tags": ("a", "b")})
    dirty = [
        _span({"input.value": f'{{"q": "use {key}"}}'}),
        _span({"tags": ("x", f"token={key}")}),
        _span({"http.request.header.authorization": 12}),
        _span({}, events=[Event("exception", {"exception.message": f"bad key {key}"})]),
        _span({}, status=f"401 for {key}"),
    ]
    sink = _Keep()
    RedactingExporter(sink, [scrub_secrets]).export([clean, *dirty])  # type: ignore[arg-type]
    assert sink.spans[0] is clean  # nothing to hide: no copy
    for span in sink.spans[1:]:
        text = repr(dict(span.attributes)) + repr([dict(e.attributes) for e in span.events])
        text += str(span.status.description)
        assert key not in text
        assert "12" not in repr(dict(span.attributes))


def test_spans_searched_in_groups_each_get_what_they_hold() -> None:
    """Clean spans pass through as they are; each dirty one is scrubbed, wherever it sits among
    many (groups of spans are searched together, and several groups make up this batch)."""
    from llmops.tracing._exporters import RedactingExporter
    from llmops.tracing._secrets import SECRET_MARK, scrub_secrets

    key = "sk-proj-abcdefghijklmnop1234"
    prose = "Rotate the API key at 02:00; doc-12 says the old key works. " * 40  # ~2.4 KB
    dirty_at = {0, 7, 8, 31, 63}
    spans = []
    for i in range(64):  # ~150 KB of text: several groups
        leak = f" use {key}" if i in dirty_at else ""
        attributes: dict[str, Any] = {"input.value": f'{{"q": "{prose}{leak}", "n": {i}}}'}
        if i == 40:
            attributes["api_key"] = "hunter22"  # a credential's name: its value goes
        spans.append(_span(attributes))
    sink = _Keep()
    RedactingExporter(sink, [scrub_secrets]).export(spans)  # type: ignore[arg-type]
    assert len(sink.spans) == len(spans)
    for i, (before, after) in enumerate(zip(spans, sink.spans, strict=True)):
        text = repr(dict(after.attributes))
        if i in dirty_at:
            assert key not in text, i
            assert SECRET_MARK in text, i
        elif i == 40:
            assert after.attributes["api_key"] == SECRET_MARK
        else:
            assert after is before, i  # nothing to hide: no copy

    # A user's hook after the scrub still sees every span, clean or not.
    seen: list[int] = []

    def count(key: str, value: Any) -> Any:
        if key == "input.value":
            seen.append(1)
        return value

    RedactingExporter(_Keep(), [scrub_secrets, count]).export(spans)  # type: ignore[arg-type]
    assert len(seen) == len(spans)

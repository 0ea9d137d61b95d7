"""With redaction on, no planted PII or credential reaches the DuckDB store or an OTLP backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

import llmops
from llmops.guardrails import redaction_hook

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::ResourceWarning", "ignore::FutureWarning"
)

PLANTED = {
    "email": "jane.doe@example.org",
    "phone": "+1 415-555-0199",
    "card": "4111 1111 1111 1111",
    "ssn": "219-09-9999",
    "iban": "DE89370400440532013000",
    "ip": "203.0.113.77",
    "api_key": "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
    "bearer": "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
}


class _Sink(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def otlp_sink() -> Iterator[str]:
    _Sink.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@llmops.tool
def lookup_customer(email: str, card: str) -> dict[str, str]:
    return {"phone": PLANTED["phone"], "ssn": PLANTED["ssn"], "iban": PLANTED["iban"]}


@llmops.llm(model="m")
def call_model(prompt: str, api_key: str) -> str:
    llmops.current_span().set_attribute("http.request.header.authorization", PLANTED["bearer"])
    llmops.current_span().set_attribute("client.address", PLANTED["ip"])
    return f"Sure, I emailed {PLANTED['email']}."


@llmops.agent(name="leaky")
def agent(question: str) -> str:
    customer = lookup_customer(PLANTED["email"], card=PLANTED["card"])
    answer = call_model(f"{question} {customer}", api_key=PLANTED["api_key"])
    raise ValueError(f"could not charge card {PLANTED['card']} for {PLANTED['email']}: {answer}")


def test_no_planted_value_reaches_the_store_or_otlp(home: Path, otlp_sink: str) -> None:
    llmops.configure(redact=redaction_hook(), otlp_endpoint=otlp_sink)
    with pytest.raises(ValueError, match="could not charge"):
        agent(f"My card is {PLANTED['card']}, call me at {PLANTED['phone']}")
    llmops.flush()
    otlp_bytes = b"".join(_Sink.bodies)
    assert otlp_bytes
    # Everything the store holds, as text (the raw files may be compressed Parquet).
    rows = llmops.query("SELECT * FROM span_rows")
    assert len(rows) == 3
    store_bytes = repr(rows).encode() + b"".join(
        p.read_bytes() for p in (home / "store").rglob("*.json")
    )
    leaked = {
        (name, where): _context(data, needle)
        for name, value in PLANTED.items()
        for needle in _needles(value)
        for where, data in (("store", store_bytes), ("otlp", otlp_bytes))
        if needle in data
    }
    assert leaked == {}


def _needles(value: str) -> list[bytes]:
    """The planted value, its last word and its digits run together: each long enough that
    finding it by chance (in a timestamp, an id or a duration) is not a leak."""
    last, joined = value.split()[-1], value.replace(" ", "").replace("-", "")
    return [v.encode() for v in {value, last, joined} if len(v) >= 8]


def _context(data: bytes, needle: bytes) -> str:
    at = data.index(needle)
    return data[max(0, at - 60) : at + len(needle) + 60].decode("utf-8", "replace")


def test_credentials_are_scrubbed_even_without_a_redaction_hook(home: Path) -> None:
    with llmops.span("call") as span:
        span.set_attribute("api_key", "whatever-value")
        span.set_attribute("note", f"curl -H 'Authorization: {PLANTED['bearer']}'")
        span.set_attribute("config", f"OPENAI_API_KEY={PLANTED['api_key']}")
    llmops.flush()
    store_bytes = b"".join(p.read_bytes() for p in (home / "store").rglob("*") if p.is_file())
    assert b"whatever-value" not in store_bytes
    assert PLANTED["bearer"].split()[-1].encode() not in store_bytes
    assert PLANTED["api_key"].encode() not in store_bytes
    assert b"<SECRET>" in store_bytes

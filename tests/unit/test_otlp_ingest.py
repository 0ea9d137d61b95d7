"""OTLP ingest without a process: decoding, bodies, the ASGI app's answers, dialects, pricing.

The end-to-end tests (a real ``llmops server``, the stock exporters) are in
``tests/integration/test_server.py``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import threading
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from google.protobuf.json_format import MessageToJson
from google.rpc.status_pb2 import Status
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, StatusCode
from opentelemetry.trace import Status as SpanStatus

from llmops import _hooks
from llmops._server import _body, _otlp, check_exposure, is_loopback
from llmops._server._app import Limits, ServerApp
from llmops._spansink import DuckDBSpanSink
from llmops._spanstore import records_to_rows
from llmops.tracing import semconv
from llmops.tracing._dialects import canonical_attributes
from llmops.tracing._records import SpanRecord

PROTOBUF = {"content-type": "application/x-protobuf"}
JSON = {"content-type": "application/json"}


# --- spans made by the OpenTelemetry SDK, encoded as its exporter encodes them -----------------


def _sdk_spans() -> tuple[ReadableSpan, ...]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "remote-app"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("my.instrumentation", "1.2.3")
    with tracer.start_as_current_span("agent", kind=SpanKind.SERVER) as root:
        root.set_attribute("openinference.span.kind", "AGENT")
        with tracer.start_as_current_span(
            "chat", kind=SpanKind.CLIENT, links=[Link(root.get_span_context())]
        ) as chat:
            chat.set_attributes(
                {
                    "gen_ai.system": "openai",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.prompt_tokens": 100,
                    "llm.token_count.completion": 20,
                    "temperature": 0.5,
                    "stream": False,
                    "stop": ["a", "b"],
                    "seeds": [1, 2],
                }
            )
            chat.add_event("chunk", {"index": 3})
            chat.set_status(SpanStatus(StatusCode.ERROR, "timeout"))
    provider.shutdown()
    return memory.get_finished_spans()


def _request(spans: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
    return encode_spans(spans)


def test_protobuf_from_the_sdk_exporter_becomes_records() -> None:
    spans = _sdk_spans()
    decoded = _otlp.decode_protobuf(_request(spans).SerializeToString())
    assert (decoded.rejected, decoded.links_dropped) == (0, 1)
    by_name = {r.name: r for r in decoded.records}
    chat, agent = by_name["chat"], by_name["agent"]
    sdk_chat = next(s for s in spans if s.name == "chat")
    assert chat.trace_id == format(sdk_chat.context.trace_id, "032x")
    assert chat.span_id == format(sdk_chat.context.span_id, "016x")
    assert chat.parent_span_id == agent.span_id
    assert agent.parent_span_id is None
    assert (chat.kind, agent.kind) == ("CLIENT", "SERVER")
    assert (chat.status_code, chat.status_message) == ("ERROR", "timeout")
    assert (chat.start_ns, chat.end_ns) == (sdk_chat.start_time, sdk_chat.end_time)
    sent = {
        k: list(v) if isinstance(v, tuple) else v for k, v in (sdk_chat.attributes or {}).items()
    }
    assert chat.attributes == sent  # arrays arrive as lists (JSON arrays in the store either way)
    assert chat.events[0].name == "chunk"
    assert chat.events[0].attributes == {"index": 3}
    assert chat.resource["service.name"] == "remote-app"
    assert (chat.scope_name, chat.scope_version) == ("my.instrumentation", "1.2.3")


def test_json_mapping_reads_as_the_same_records() -> None:
    request = _request(_sdk_spans())
    from_protobuf = _otlp.decode_protobuf(request.SerializeToString())
    # protobuf's own JSON mapping: base64 ids, enum names, int64 as strings.
    as_json = MessageToJson(request).encode()
    assert _otlp.decode_json(as_json).records == from_protobuf.records
    # The OTLP JSON mapping (what the SDK exporters send): hex ids, enums as numbers.
    document = orjson.loads(as_json)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = _otlp.base64.b64decode(span[key]).hex()
                span["kind"] = {"SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3}[span["kind"]]
                span["startTimeUnixNano"] = int(span["startTimeUnixNano"])
    assert _otlp.decode_json(orjson.dumps(document)).records == from_protobuf.records


def _json_span(**changes: Any) -> dict[str, Any]:
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "llm",
        "kind": 3,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000500000000",
        "attributes": [
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}},
            {"key": "ratio", "value": {"doubleValue": 0.25}},
            {"key": "flags", "value": {"arrayValue": {"values": [{"boolValue": True}]}}},
            {
                "key": "meta",
                "value": {"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "v"}}]}},
            },
            {"key": "raw", "value": {"bytesValue": "AAE="}},
            {"key": "empty", "value": {}},
        ],
        "status": {"code": "STATUS_CODE_OK"},
    }
    span.update(changes)
    return span


def _json_body(*spans: dict[str, Any], service: str = "js-app") -> bytes:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    scope = {"scope": {"name": "js"}, "spans": list(spans)}
    # The standard library's encoder: it writes integers past 64 bits, as a fuzzer would send.
    document = {"resourceSpans": [{"resource": resource, "scopeSpans": [scope]}]}
    return json.dumps(document).encode()


def test_json_values_of_every_kind() -> None:
    (record,) = _otlp.decode_json(_json_body(_json_span())).records
    assert record.attributes == {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 12,
        "ratio": 0.25,
        "flags": [True],
        "meta": {"k": "v"},
        "raw": "AAE=",
    }
    assert (record.kind, record.status_code, record.start_ns) == (
        "CLIENT",
        "OK",
        1_700_000_000_000_000_000,
    )
    assert record.resource == {"service.name": "js-app"}
    assert record.scope_name == "js"


def test_bad_ids_are_rejected_as_partial_success() -> None:
    body = _json_body(
        _json_span(),
        _json_span(traceId="00" * 16),
        _json_span(spanId="abc"),
        _json_span(parentSpanId="zz" * 8),
    )
    decoded = _otlp.decode_json(body)
    assert (len(decoded.records), decoded.rejected) == (1, 3)
    reply = orjson.loads(_otlp.json_response(decoded))
    assert reply["partialSuccess"]["rejectedSpans"] == "3"
    assert "spans[1]" in reply["partialSuccess"]["errorMessage"]
    response = ExportTraceServiceResponse()
    response.ParseFromString(_otlp.protobuf_response(decoded))
    assert response.partial_success.rejected_spans == 3


def test_a_project_header_replaces_the_service_name() -> None:
    (record,) = _otlp.decode_json(_json_body(_json_span(), service="billing"), "team-a").records
    assert record.resource == {
        "service.name": "team-a",
        _otlp.ORIGINAL_SERVICE_NAME: "billing",
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[]", "the request: expected an object"),
        (b'{"resourceSpans": {}}', "request.resourceSpans: expected an array"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [7]}]}]}', "spans[0]: expected an object"),
        (_json_body(_json_span(name=5)), "spans[0].name: expected a string"),
        (_json_body(_json_span(kind="SIDEWAYS")), "spans[0].kind: expected one of"),
        (_json_body(_json_span(startTimeUnixNano="-1")), "expected a 64-bit integer"),
        (_json_body(_json_span(endTimeUnixNano=2**64)), "expected a 64-bit integer"),
        (
            _json_body(_json_span(attributes=[{"key": "n", "value": {"intValue": str(2**63)}}])),
            "attributes[0].value.intValue: expected a 64-bit integer",
        ),
        (_json_body(_json_span(attributes=[{"value": {}}])), "attributes[0].key: expected"),
        (_json_body(_json_span(traceId=123)), "traceId: expected a hex string"),
    ],
)
def test_malformed_json_names_the_field(body: bytes, reason: str) -> None:
    with pytest.raises(_otlp.Malformed, match=reason.replace("[", r"\[").replace("]", r"\]")):
        _otlp.decode_json(body)


def test_nesting_is_bounded() -> None:
    value: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(_otlp.MAX_DEPTH + 2):
        value = {"arrayValue": {"values": [value]}}
    body = _json_body(_json_span(attributes=[{"key": "deep", "value": value}]))
    with pytest.raises(_otlp.Malformed, match="nests deeper"):
        _otlp.decode_json(body)


def test_corrupt_protobuf_is_malformed() -> None:
    good = _request(_sdk_spans()).SerializeToString()
    with pytest.raises(_otlp.Malformed, match="not an OTLP protobuf"):
        _otlp.decode_protobuf(good[: len(good) // 2])


# --- bodies --------------------------------------------------------------------------------------


def test_gzip_and_deflate_bodies_inflate() -> None:
    data = b"x" * 10_000
    assert _body.decompress(gzip.compress(data), "gzip", 10_000) == data
    assert _body.decompress(zlib.compress(data), "deflate", 10_000) == data
    two_members = gzip.compress(b"ab") + gzip.compress(b"cd")
    assert _body.decompress(two_members, "gzip", 100) == b"abcd"


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB in about 64 KiB
    assert len(bomb) < 100_000
    with pytest.raises(_body.TooLarge):
        _body.decompress(bomb, "gzip", 1024 * 1024)


@pytest.mark.parametrize("data", [b"", b"not gzip", gzip.compress(b"abc" * 100)[:-12]])
def test_bad_gzip_is_refused(data: bytes) -> None:
    with pytest.raises(_body.BadEncoding):
        _body.decompress(data, "gzip", 1000)


# --- the ASGI app ------------------------------------------------------------------------------


class MemorySink:
    """Keeps records in memory; optionally blocks, or fails like a full disk."""

    def __init__(self, error: Exception | None = None) -> None:
        self.records: list[SpanRecord] = []
        self.error = error
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    def write(self, records: Sequence[SpanRecord]) -> None:
        self.entered.set()
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        self.records.extend(records)

    def shutdown(self, timeout_millis: float) -> None:
        pass


def _client(app: ServerApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def app(sink: MemorySink, tmp_path: Path) -> Iterator[ServerApp]:
    server = ServerApp(sink, tmp_path / "store")
    yield server
    server.close()


async def test_protobuf_gzip_and_json_are_acknowledged(app: ServerApp, sink: MemorySink) -> None:
    protobuf = _request(_sdk_spans()).SerializeToString()
    async with _client(app) as client:
        plain = await client.post("/v1/traces", content=protobuf, headers=PROTOBUF)
        zipped = await client.post(
            "/v1/traces",
            content=gzip.compress(protobuf),
            headers={**PROTOBUF, "content-encoding": "gzip"},
        )
        as_json = await client.post("/v1/traces", content=_json_body(_json_span()), headers=JSON)
    assert [r.status_code for r in (plain, zipped, as_json)] == [200, 200, 200]
    assert plain.headers["content-type"] == "application/x-protobuf"
    assert plain.content == b""
    assert as_json.json() == {}
    assert len(sink.records) == 5
    metrics = app.metrics
    assert (metrics.spans_written, metrics.requests["200"]) == (5, 3)


async def test_refusals_say_why(app: ServerApp, sink: MemorySink) -> None:
    async with _client(app) as client:
        bad_json = await client.post("/v1/traces", content=b'{"resourceSpans": 1}', headers=JSON)
        bad_pb = await client.post("/v1/traces", content=b"\x0a\xff", headers=PROTOBUF)
        bad_gzip = await client.post(
            "/v1/traces", content=b"nope", headers={**JSON, "content-encoding": "gzip"}
        )
        text = await client.post("/v1/traces", content=b"hi", headers={"content-type": "text/x"})
        brotli = await client.post(
            "/v1/traces", content=b"hi", headers={**JSON, "content-encoding": "br"}
        )
        get = await client.get("/v1/traces")
    assert bad_json.status_code == 400
    assert "resourceSpans" in bad_json.json()["message"]
    status = Status()
    status.ParseFromString(bad_pb.content)
    assert bad_pb.status_code == 400
    assert "not an OTLP protobuf" in status.message
    assert bad_gzip.status_code == 400
    assert "gzip" in bad_gzip.json()["message"]
    assert (text.status_code, brotli.status_code) == (415, 415)
    assert get.status_code == 405
    assert get.headers["allow"] == "POST"
    assert app.metrics.malformed == {"json": 1, "protobuf": 1, "gzip": 1}
    assert not sink.records


async def test_bodies_over_the_limit_get_413(sink: MemorySink, tmp_path: Path) -> None:
    app = ServerApp(sink, tmp_path, limits=Limits(max_body_bytes=1000))
    bomb = gzip.compress(_json_body(_json_span(name="x" * 5000)))
    async with _client(app) as client:
        big = await client.post("/v1/traces", content=b"{" + b" " * 2000 + b"}", headers=JSON)
        inflated = await client.post(
            "/v1/traces", content=bomb, headers={**JSON, "content-encoding": "gzip"}
        )
    assert len(bomb) < 1000
    assert (big.status_code, inflated.status_code) == (413, 413)
    app.close()


async def test_a_store_that_cannot_write_answers_503(tmp_path: Path) -> None:
    app = ServerApp(MemorySink(OSError(28, "No space left on device")), tmp_path)
    async with _client(app) as client:
        reply = await client.post("/v1/traces", content=_json_body(_json_span()), headers=JSON)
    assert reply.status_code == 503
    assert reply.headers["retry-after"] == "5"
    assert "No space left" in reply.json()["message"]
    app.close()


async def test_a_full_queue_answers_429(tmp_path: Path) -> None:
    sink = MemorySink()
    sink.release.clear()  # the first request holds the only slot until released
    app = ServerApp(sink, tmp_path, limits=Limits(slots=1, queue_wait_s=0.05))
    body = _json_body(_json_span())
    async with _client(app) as client:
        first = asyncio.create_task(client.post("/v1/traces", content=body, headers=JSON))
        await asyncio.get_running_loop().run_in_executor(None, sink.entered.wait, 5)
        second = await client.post("/v1/traces", content=body, headers=JSON)
        sink.release.set()
        assert (await first).status_code == 200
    assert second.status_code == 429
    assert second.headers["retry-after"] == "1"
    app.close()


async def test_a_token_guards_every_path(sink: MemorySink, tmp_path: Path) -> None:
    app = ServerApp(sink, tmp_path, token="s3cret")
    body = _json_body(_json_span())
    async with _client(app) as client:
        anonymous = await client.post("/v1/traces", content=body, headers=JSON)
        wrong = await client.post(
            "/v1/traces", content=body, headers={**JSON, "authorization": "Bearer nope"}
        )
        bearer = await client.post(
            "/v1/traces", content=body, headers={**JSON, "authorization": "Bearer s3cret"}
        )
        header = await client.post(
            "/v1/traces", content=body, headers={**JSON, "x-llmops-token": "s3cret"}
        )
        metrics = await client.get("/metrics")
        metrics_ok = await client.get("/metrics", headers={"authorization": "bearer s3cret"})
        browser = await client.get("/?token=s3cret&page=2")
    assert (anonymous.status_code, wrong.status_code, metrics.status_code) == (401, 401, 401)
    assert (bearer.status_code, header.status_code, metrics_ok.status_code) == (200, 200, 200)
    assert "llmops_server_spans_written_total 2" in metrics_ok.text
    # A browser opening the UI with ?token= gets a cookie, and the token leaves the address.
    assert browser.status_code == 303
    assert browser.headers["location"] == "/?page=2"
    assert "HttpOnly" in browser.headers["set-cookie"]
    app.close()


async def test_grpc_calls_take_the_same_road_and_codes(tmp_path: Path) -> None:
    """OTLP/gRPC in process: acknowledged into the sink, and a full disk is UNAVAILABLE with the
    RetryInfo the exporters wait out."""
    import grpc
    import grpc.aio
    from google.rpc.error_details_pb2 import RetryInfo

    from llmops._server._grpc import GrpcReceiver

    body = _request(_sdk_spans()).SerializeToString()
    results = []
    for sink in (MemorySink(), MemorySink(OSError(28, "No space left on device"))):
        app = ServerApp(sink, tmp_path, token="s3cret")
        receiver = GrpcReceiver(app)
        port = await receiver.start("127.0.0.1", 0)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            export = channel.unary_unary(
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
            )
            try:
                reply = await export(body, metadata=(("x-llmops-token", "s3cret"),))
                results.append((grpc.StatusCode.OK, reply, ()))
            except grpc.aio.AioRpcError as error:
                results.append((error.code(), error.details(), error.trailing_metadata()))
        await receiver.stop()
        app.close()
        if sink.error is None:
            assert [r.name for r in sink.records] == [s.name for s in _sdk_spans()]
    (ok, ok_reply, _), (full, why, trailing) = results
    assert (ok, ok_reply) == (grpc.StatusCode.OK, b"")  # an empty ExportTraceServiceResponse
    assert full == grpc.StatusCode.UNAVAILABLE
    assert "No space left" in why
    info = RetryInfo()
    info.ParseFromString(dict(trailing)["google.rpc.retryinfo-bin"])
    assert info.retry_delay.seconds == 5


def test_grpc_without_grpcio_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from llmops._errors import ConfigError
    from llmops._server._grpc import check_grpc_installed, grpc_address

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "grpc" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"llmops\[grpc\]"):
        check_grpc_installed()
    assert (grpc_address("::1", 4317), grpc_address("[::1]", 1)) == ("[::1]:4317", "[::1]:1")
    assert grpc_address("127.0.0.1", 0) == "127.0.0.1:0"


def test_loopback_only_without_a_token() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("example.com")
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", "token")
    from llmops import ConfigError

    with pytest.raises(ConfigError, match="without a token"):
        check_exposure("0.0.0.0", None)


# --- fuzz: a seeded corpus of garbage never gets a 500, nor stops the server ------------------


def _mutations(rng: random.Random, seeds: list[bytes]) -> Iterator[tuple[bytes, dict[str, str]]]:
    shapes: list[Any] = [None, 0, -1, 2**64, 1e308, "", "x" * 40, [], {}, [[]], {"a": {}}, True]
    for _ in range(400):
        seed = rng.choice(seeds)
        choice = rng.randrange(7)
        if choice == 0:  # truncated
            data = seed[: rng.randrange(len(seed))]
        elif choice == 1:  # flipped bytes
            mutable = bytearray(seed)
            for _ in range(rng.randrange(1, 8)):
                mutable[rng.randrange(len(mutable))] = rng.randrange(256)
            data = bytes(mutable)
        elif choice == 2:  # random bytes
            data = rng.randbytes(rng.randrange(1, 300))
        elif choice == 3:  # JSON of a wrong shape somewhere
            document = orjson.loads(_json_body(_json_span()))
            target = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
            key = rng.choice([*target, "attributes", "events", "links", "status"])
            target[key] = rng.choice(shapes)
            data = json.dumps(document).encode()
        elif choice == 4:  # bad UTF-8 inside JSON
            data = _json_body(_json_span()).replace(b"gpt-4o-mini", b"gpt\xff\xfe")
        elif choice == 5:  # huge ids and numbers
            data = _json_body(
                _json_span(
                    traceId="f" * rng.choice([31, 32, 33, 1000]),
                    startTimeUnixNano=rng.choice(["9" * 30, 2**63, -5, "1e3"]),
                )
            )
        else:
            data = seed
        yield from _encodings(rng, data)


def _encodings(rng: random.Random, data: bytes) -> Iterator[tuple[bytes, dict[str, str]]]:
    content_type = rng.choice(["application/json", "application/x-protobuf"])
    headers = {"content-type": content_type}
    if rng.random() < 0.3:
        headers["content-encoding"] = "gzip"
        zipped = gzip.compress(data)
        data = zipped if rng.random() < 0.7 else zipped[: rng.randrange(len(zipped) + 1)]
    yield data, headers


async def test_fuzzed_bodies_never_get_a_500(
    tmp_path: Path, fake_prices: list[tuple[Any, ...]]
) -> None:
    store = tmp_path / "store"
    app = ServerApp(DuckDBSpanSink(store), store)
    rng = random.Random(20260207)
    seeds = [_request(_sdk_spans()).SerializeToString(), _json_body(_json_span())]
    statuses: dict[int, int] = {}
    async with _client(app) as client:
        for body, headers in _mutations(rng, seeds):
            reply = await client.post("/v1/traces", content=body, headers=headers)
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
        healthy = await client.post("/v1/traces", content=seeds[1], headers=JSON)
    app.close()
    assert set(statuses) <= {200, 400}, statuses
    assert statuses.get(400, 0) > 100
    assert statuses.get(200, 0) > 10
    assert healthy.status_code == 200
    assert app.metrics.requests["400"] == sum(app.metrics.malformed.values())


# --- dialects and pricing on ingest --------------------------------------------------------------


def test_openinference_maps_to_the_store_columns() -> None:
    mapped = canonical_attributes(
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.system": "openai",
            "llm.token_count.prompt": 10,
            "llm.token_count.completion": 2,
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "hi",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "hello",
        }
    )
    assert mapped[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert mapped[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert mapped[semconv.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert (
        mapped[semconv.GEN_AI_USAGE_INPUT_TOKENS],
        mapped[semconv.GEN_AI_USAGE_OUTPUT_TOKENS],
    ) == (
        10,
        2,
    )
    assert orjson.loads(mapped["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
    ]
    assert mapped["llm.system"] == "openai"  # kept as sent


def test_openllmetry_maps_to_the_store_columns() -> None:
    mapped = canonical_attributes(
        {
            "llm.request.type": "chat",
            "gen_ai.system": "Anthropic",
            "gen_ai.request.model": "claude",
            "llm.usage.prompt_tokens": 7,
            "llm.usage.completion_tokens": 3,
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": "q",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "a",
            "gen_ai.completion.0.finish_reason": "stop",
        }
    )
    assert mapped[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert mapped[semconv.GEN_AI_PROVIDER_NAME] == "Anthropic"
    assert (
        mapped[semconv.GEN_AI_USAGE_INPUT_TOKENS],
        mapped[semconv.GEN_AI_USAGE_OUTPUT_TOKENS],
    ) == (
        7,
        3,
    )
    (output,) = orjson.loads(mapped["gen_ai.output.messages"])
    assert output["finish_reason"] == "stop"
    assert output["parts"][0]["content"] == "a"
    assert mapped[semconv.INPUT_VALUE] == mapped["gen_ai.input.messages"]
    tool = canonical_attributes({"traceloop.span.kind": "tool", "traceloop.entity.name": "grep"})
    assert tool[semconv.GEN_AI_OPERATION_NAME] == "execute_tool"
    assert tool[semconv.GEN_AI_TOOL_NAME] == "grep"


def test_todays_names_are_never_overwritten() -> None:
    attributes = {
        "gen_ai.operation.name": "embeddings",
        "openinference.span.kind": "LLM",
        "gen_ai.provider.name": "azure",
        "llm.provider": "openai",
    }
    assert canonical_attributes(attributes) is attributes
    spans_own = {"gen_ai.operation.name": "chat", "input.value": "x"}
    assert canonical_attributes(spans_own) is spans_own


def _record(attributes: dict[str, Any]) -> SpanRecord:
    return SpanRecord(
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        None,
        "llm",
        "CLIENT",
        1,
        2,
        "UNSET",
        None,
        attributes,
        (),
        {"service.name": "x"},
    )


@pytest.fixture
def fake_prices() -> Iterator[list[tuple[Any, ...]]]:
    calls: list[tuple[Any, ...]] = []

    def price(
        model: str,
        provider: str | None,
        inputs: int,
        outputs: int,
        *,
        config: tuple[str, str] | None,
        duration_s: float,
    ) -> tuple[float, str]:
        calls.append((model, provider, inputs, outputs, config, duration_s))
        return inputs * 0.01 + outputs * 0.02, "test-prices"

    _hooks.register("price", price)
    yield calls
    _hooks.register("price", "llmops.serving._pricing:price_tokens")


def test_the_row_mapper_prices_spans_without_a_cost(fake_prices: list[tuple[Any, ...]]) -> None:
    unpriced = {"llm.model_name": "m", "llm.provider": "p", "llm.token_count.prompt": 10}
    priced = {**unpriced, semconv.LLMOPS_COST_USD: 1.5}
    no_model = {"gen_ai.usage.input_tokens": 3}
    rows = records_to_rows([_record(unpriced), _record(priced), _record(no_model)])
    assert rows[0]["attributes"][semconv.LLMOPS_COST_USD] == pytest.approx(0.1)
    assert rows[0]["attributes"][semconv.LLMOPS_COST_SOURCE] == "test-prices"
    assert rows[1]["attributes"][semconv.LLMOPS_COST_USD] == 1.5
    assert semconv.LLMOPS_COST_USD not in rows[2]["attributes"]
    assert fake_prices == [("m", "p", 10, 0, None, 1e-9)]
    assert "llmops.cost.usd" not in unpriced  # the record's own mapping is never changed


def test_a_span_naming_a_config_is_priced_with_it(fake_prices: list[tuple[Any, ...]]) -> None:
    named = {
        "gen_ai.request.model": "m",
        "gen_ai.usage.output_tokens": 4,
        semconv.LLMOPS_CONFIG_NAME: "bot",
        semconv.LLMOPS_CONFIG_VERSION: "ab12",
    }
    half = dict(named)  # a version alone names no config
    del half[semconv.LLMOPS_CONFIG_NAME]
    records = [_record(named)._replace(end_ns=2_000_000_001), _record(half)]
    records_to_rows(records)
    assert fake_prices == [
        ("m", None, 0, 4, ("bot", "ab12"), pytest.approx(2.0)),
        ("m", None, 0, 4, None, 1e-9),
    ]


def test_llmops_own_spans_are_priced_where_the_call_is_made(
    fake_prices: list[tuple[Any, ...]],
) -> None:
    own = _record({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 3})
    (row,) = records_to_rows([own._replace(scope_name="llmops")])
    assert semconv.LLMOPS_COST_SOURCE not in row["attributes"]
    assert fake_prices == []


@pytest.mark.litellm
def test_litellm_prices_a_known_model_and_names_its_source() -> None:
    from llmops.serving._pricing import price_tokens

    cost, source = price_tokens("gpt-4o-mini", "openai", 1000, 100) or (None, "")
    assert cost is not None
    assert cost > 0
    assert source.startswith("litellm-price-map:")
    assert price_tokens("no-such-model-anywhere", None, 10, 1) == (None, "unpriced")

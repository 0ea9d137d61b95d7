"""An app traced by someone else's instrumentation, sending OTLP to ``llmops server``.

Usage: python instrumented_app.py DIALECT ENDPOINT
  openinference  OpenInference's OpenAI instrumentation
  otel-genai     the official OpenTelemetry one (opentelemetry-instrumentation-openai-v2)
  traceloop      OpenLLMetry's (opentelemetry-instrumentation-openai)

The real ``openai`` client, instrumented by the real package, calls a stub OpenAI server here;
the stock ``OTLPSpanExporter`` (protobuf) sends the spans to ENDPOINT. No llmops import: this is
an app that knows nothing of llmops.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "gpt-4o-mini"
USAGE = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}


class Stub(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        data = json.dumps({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "Hello!"}}],
            "usage": USAGE,
        }).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def instrumentor(dialect: str) -> object:
    if dialect == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor
    elif dialect == "otel-genai":
        # Messages on the span, in the latest GenAI conventions (opt-in upstream).
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY"
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    else:
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    return OpenAIInstrumentor()


def main() -> None:
    dialect, endpoint = sys.argv[1], sys.argv[2]
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"app-{dialect}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    instrumentor(dialect).instrument(tracer_provider=provider)  # type: ignore[attr-defined]

    stub = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    import openai

    client = openai.OpenAI(base_url=f"http://127.0.0.1:{stub.server_address[1]}/v1", api_key="x")
    reply = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Say hi"}]
    )
    print(reply.choices[0].message.content)
    provider.shutdown()  # flushes: the exporter has its 200 before the process exits
    stub.shutdown()


if __name__ == "__main__":
    main()

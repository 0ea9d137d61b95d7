// Usage: node send.mjs ENDPOINT COMPRESSION [http|grpc]
// Sends one GenAI span (a chat call with tokens and messages) under an agent span to ENDPOINT
// with a stock exporter: OTLP/HTTP JSON to http://host:port/v1/traces (the default), or
// OTLP/gRPC protobuf to http://host:port; gzip if COMPRESSION is "gzip". Exits non-zero if the
// export failed.
import { OTLPTraceExporter as HttpExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as GrpcExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";

const [endpoint, compression, protocol = "http"] = process.argv.slice(2);
const Exporter = protocol === "grpc" ? GrpcExporter : HttpExporter;
const exporter = new Exporter({ url: endpoint, compression: compression === "gzip" ? "gzip" : "none" });
let failed = null;
const original = exporter.export.bind(exporter);
exporter.export = (spans, done) =>
  original(spans, (result) => {
    if (result.code !== 0) failed = result.error ?? new Error("export failed");
    done(result);
  });
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ "service.name": "js-app" }),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
provider.register(); // the async-hooks context: the chat span nests under the agent span
const tracer = provider.getTracer("llmops-js-test", "1.0.0");

tracer.startActiveSpan("invoke_agent js-agent", { kind: SpanKind.INTERNAL }, (agent) => {
  agent.setAttribute("gen_ai.operation.name", "invoke_agent");
  agent.setAttribute("gen_ai.agent.name", "js-agent");
  const chat = tracer.startSpan("chat gpt-4o-mini", { kind: SpanKind.CLIENT });
  chat.setAttributes({
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.output_tokens": 20,
    "gen_ai.input.messages": JSON.stringify([{ role: "user", parts: [{ type: "text", content: "hi from node" }] }]),
  });
  chat.setStatus({ code: SpanStatusCode.OK });
  chat.end();
  agent.end();
});

await provider.shutdown();
if (failed) {
  console.error(`export failed: ${failed.message ?? failed}`);
  process.exit(1);
}
console.log("sent");

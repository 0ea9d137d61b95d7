"""Store throughput: spans per second through ``DuckDBSpanExporter``, compactions included.

N realistic spans (GenAI usage, model, cost, config version, a 500-byte ``input.value``…) are
built in memory first, untimed, shaped as the SDK hands them over. Then
``DuckDBSpanExporter.export`` gets them in batches of 512, as the batch processor would,
including the compactions the exporter triggers itself (on its background thread), and a final
forced compaction leaves every row in Parquet. The same run with compactions inline on the
exporting thread is the design comparison. The baseline is the
serialization floor: the same rows (already converted) through ``orjson.dumps`` to /dev/null.
The credential scrub that ``configure()`` puts in front of every exporter is measured alone and
in the chain, as information rows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import BenchResult, Row

BATCH = 512
MODELS = ("gpt-4o-mini", "claude-3-5-haiku", "gemma-3-270m", "llama-3.1-8b")
_PROMPT = (
    "You are a support assistant for ACME Cloud. Answer using only the retrieved documents and "
    "cite them. If the answer is not in the documents, say so. Question from user {user}: how "
    "do I rotate the API key of project {project} without downtime, and will the old key keep "
    "working for the scheduled jobs that run every night at 02:00 UTC? Retrieved: doc-{doc} "
    "'Rotating credentials', doc-{doc2} 'Scheduled jobs and service accounts'. Request {i}."
)


def make_spans(n: int, turns: int = 1) -> list[Any]:
    """``n`` finished spans shaped like llmops' own: traces of one agent span and three LLM spans.

    Every span carries ~17 attributes, among them a JSON ``input.value`` of ``turns`` ~450-byte
    user messages.
    """
    from opentelemetry.attributes import BoundedAttributes
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

    resource = Resource.create({"service.name": "support-bot", "service.version": "1.4.2"})
    scope = InstrumentationScope("llmops", "0.1.0")
    ok, error = Status(StatusCode.OK), Status(StatusCode.ERROR, "RateLimitError: 429")
    flags = TraceFlags(TraceFlags.SAMPLED)
    t0 = time.time_ns()
    spans: list[Any] = []
    root: Any = None
    for i in range(n):
        trace_id = 0x5EED0000000000000000000000000000 + i // 4
        context = SpanContext(trace_id, 0x1000000000000000 + i, is_remote=False, trace_flags=flags)
        is_root = i % 4 == 0
        if is_root:
            root = context
        input_tokens, output_tokens = 200 + (i * 37) % 1800, 20 + (i * 13) % 400
        messages = ", ".join(
            '{"role": "user", "content": "'
            + _PROMPT.format(user=i % 997, project=i % 89, doc=(i + k) % 113, doc2=i % 71, i=i)
            + '"}'
            for k in range(turns)
        )
        attributes = {
            "llmops.span.type": "agent" if is_root else "llm",
            "gen_ai.operation.name": "invoke_agent" if is_root else "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": MODELS[i % 4],
            "gen_ai.response.model": MODELS[i % 4] + "-2024-07-18",
            "gen_ai.response.id": f"chatcmpl-{i:012d}",
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.request.temperature": 0.2,
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": output_tokens,
            "llmops.cost.usd": input_tokens * 1.5e-7 + output_tokens * 6e-7,
            "llmops.config.name": "support-bot",
            "llmops.config.version": f"v{(i // 4) % 20}",
            "session.id": f"session-{i // 40}",
            "user.id": f"user-{i % 997}",
            "input.value": '{"messages": [' + messages + "]}",
            "input.mime_type": "application/json",
        }
        start = t0 + i * 1_000_000
        spans.append(
            ReadableSpan(
                name="invoke_agent support-bot" if is_root else f"chat {MODELS[i % 4]}",
                context=context,
                parent=None if is_root else root,
                resource=resource,
                # As the SDK hands finished spans over: bounded, immutable attributes.
                attributes=BoundedAttributes(128, attributes, immutable=True),
                kind=SpanKind.INTERNAL if is_root else SpanKind.CLIENT,
                status=error if i % 97 == 0 else ok,
                start_time=start,
                end_time=start + 250_000_000 + (i * 7919) % 900_000_000,
                instrumentation_scope=scope,
            )
        )
    return spans


def serialization_floor(spans: list[Any]) -> tuple[float, float]:
    """Seconds to convert spans to rows, and to ``orjson.dumps`` those rows to /dev/null."""
    import orjson

    from llmops._spanstore import records_to_rows
    from llmops.tracing import span_records

    convert_s = dump_s = 0.0
    with open(os.devnull, "wb") as sink:
        for start in range(0, len(spans), BATCH):
            t0 = time.perf_counter()
            rows = records_to_rows(span_records(spans[start : start + BATCH]))
            t1 = time.perf_counter()
            sink.write(orjson.dumps(rows))
            dump_s += time.perf_counter() - t1
            convert_s += t1 - t0
    return convert_s, dump_s


def export_all(
    spans: list[Any], store_dir: str, *, inline: bool = False, scrub: bool = False
) -> dict[str, float]:
    """Export ``spans`` in batches through ``DuckDBSpanExporter``, then force a compaction.

    With ``scrub`` the spans go through the chain ``configure()`` builds: the always-on
    credential scrub and the counting wrapper in front of the store. With ``inline`` the
    compactions run on the exporting thread, between batches (the design before the background
    compactor), as the same-run comparison.
    """
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    from llmops import DuckDBSpanExporter
    from llmops._spanstore import open_store
    from llmops.tracing._exporters import CountingExporter, RedactingExporter
    from llmops.tracing._secrets import scrub_secrets

    table = open_store(Path(store_dir)).table("spans")
    exporter: SpanExporter = DuckDBSpanExporter(
        Path(store_dir), compact_threshold=10**9 if inline else 64
    )
    if scrub:
        exporter = RedactingExporter(CountingExporter(exporter, "duckdb"), [scrub_secrets])
    c0, t0 = time.process_time(), time.perf_counter()
    for number, start in enumerate(range(0, len(spans), BATCH), 1):
        if exporter.export(spans[start : start + BATCH]) is not SpanExportResult.SUCCESS:
            raise RuntimeError("DuckDBSpanExporter.export failed")
        if inline and number % 4 == 0 and table.pending() >= 64:
            table.compact()
    t1 = time.perf_counter()
    exporter.shutdown()  # lets a background compaction in progress finish
    table.compact(force=True, blocking=True)
    t2, c2 = time.perf_counter(), time.process_time()
    return {"export_s": t1 - t0, "final_compact_s": t2 - t1, "total_s": t2 - t0, "cpu_s": c2 - c0}


def scrub_only(spans: list[Any], prefilter: str = "auto") -> float:
    """Seconds for the credential scrub alone (``RedactingExporter`` into a sink).

    ``prefilter="python"`` runs the scrub's prefilter in Python (as without the ``speedups``
    extra) instead of Hyperscan's one pass.
    """
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    from llmops import _credentials
    from llmops.tracing._exporters import RedactingExporter
    from llmops.tracing._secrets import scrub_secrets

    class Sink(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    exporter = RedactingExporter(Sink(), [scrub_secrets])
    scanner = _credentials._load_scanner()
    if prefilter == "python":
        _credentials._scanner = _credentials._NO_SCANNER
    try:
        t0 = time.perf_counter()
        for start in range(0, len(spans), BATCH):
            exporter.export(spans[start : start + BATCH])
        return time.perf_counter() - t0
    finally:
        _credentials._scanner = scanner


def stored_rows(store_dir: str) -> tuple[int, int, int]:
    """Rows in the store's Parquet segments, segment count, and batch files left uncompacted."""
    from llmops._spanstore import open_store
    from llmops._store import connect

    table = open_store(Path(store_dir)).table("spans")
    with table.snapshot() as snap:
        con = connect()
        files = [str(p) for p in snap.parquet]
        count = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()
        con.close()
    return int(count[0]) if count else 0, len(snap.parquet), len(snap.wal)


def run(quick: bool = False) -> BenchResult:
    """Export N spans into a fresh store; compare with the orjson floor."""
    n = 20_000 if quick else 200_000
    result = BenchResult(
        "store", f"DuckDBSpanExporter throughput, {n:,} spans in batches of {BATCH}"
    )
    t0 = time.perf_counter()
    spans = make_spans(n)
    build_s = time.perf_counter() - t0
    convert_s, dump_s = serialization_floor(spans)
    folder = tempfile.mkdtemp(prefix="bench-store-")
    try:
        inline = export_all(spans, os.path.join(folder, "inline"), inline=True)
        timing = export_all(spans, os.path.join(folder, "store"))
        chain = export_all(spans, os.path.join(folder, "chain"), scrub=True)
        scrub_s = scrub_only(spans)
        scrub_python_s = scrub_only(spans, prefilter="python")
        long_spans = make_spans(2000, turns=40)
        long_export = export_all(long_spans, os.path.join(folder, "long"))
        long_scrub_s = scrub_only(long_spans)
        long_scrub_python_s = scrub_only(long_spans, prefilter="python")
        rows, segments, leftover = stored_rows(os.path.join(folder, "store"))
        store_bytes = sum(
            f.stat().st_size for f in os.scandir(os.path.join(folder, "store", "spans", "parquet"))
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rate = n / timing["total_s"]
    floor = n / dump_s
    result.rows = [
        Row("export + compactions (background compactor)", rate, "spans/s", floor,
            "orjson to /dev/null", 50_000.0, ">="),
        Row("the same, compactions inline on the exporting thread", n / inline["total_s"],
            "spans/s", rate, "background compactor"),
        Row("with the credential scrub in front (configure()'s chain)", n / chain["total_s"],
            "spans/s", rate, "store alone"),
        Row("credential scrub alone", n / scrub_s, "spans/s", n / scrub_python_s,
            "prefilter in Python", note="Hyperscan's one pass (the speedups extra)"),
        Row("credential scrub alone, 18 KB prompts", len(long_spans) / long_scrub_s, "spans/s",
            len(long_spans) / long_scrub_python_s, "prefilter in Python",
            note="2,000 spans whose input.value is 40 of the prompts: 'key', digits, colons"),
        Row("CPU time per span (all threads)", timing["cpu_s"] / n * 1e6, "µs",
            inline["cpu_s"] / n * 1e6, "inline"),
        Row("export + compactions, 18 KB prompts", len(long_spans) / long_export["total_s"],
            "spans/s", rate, "500-byte prompts",
            note=f"CPU {long_export['cpu_s'] / len(long_spans) * 1e6:.0f} µs a span, all "
            "threads: writing the batch file and parsing it again at compaction"),
        Row("export only (no final compaction)", n / timing["export_s"], "spans/s", floor,
            "orjson to /dev/null"),
        Row("span records + row mapper alone", n / convert_s, "spans/s", floor,
            "orjson to /dev/null"),
        Row("final forced compaction", timing["final_compact_s"], "s"),
        Row("rows in Parquet after compaction", float(rows), "rows", float(n), "spans exported",
            1.0, ">=", "ratio", note=f"{segments} segments, {leftover} batch files left"),
    ]  # fmt: skip
    result.details = {
        "spans": n,
        "batch": BATCH,
        "build_s": build_s,
        "convert_s": convert_s,
        "orjson_dump_s": dump_s,
        **timing,
        "inline": inline,
        "long_prompts": long_export,
        "chain": chain,
        "scrub_s": scrub_s,
        "scrub_python_prefilter_s": scrub_python_s,
        "long_prompt_scrub_s": long_scrub_s,
        "long_prompt_scrub_python_prefilter_s": long_scrub_python_s,
        "segments": segments,
        "parquet_bytes": store_bytes,
    }
    return result

"""A tiny OpenAI-compatible HTTP server for fast gateway tests: canned answers and faults.

The real local model server (llama.cpp) is exercised in tests/integration/test_serving.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


class StubHandler(BaseHTTPRequestHandler):
    mode: ClassVar[str] = "ok"  # ok | error500 | unknown_model | too_long | die_mid_stream
    calls: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(body)
        mode = type(self).mode
        if mode == "error500":
            return self._json(500, {"error": {"message": "boom", "type": "server_error"}})
        if mode == "unknown_model":
            return self._json(
                404, {"error": {"message": "model not found", "code": "model_not_found"}}
            )
        if mode == "too_long":
            return self._json(
                400,
                {
                    "error": {
                        "message": "This model's maximum context length is 2048 tokens",
                        "code": "context_length_exceeded",
                    }
                },
            )
        if body.get("stream"):
            return self._stream(mode == "die_mid_stream")
        self._json(200, {
            "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "Hello from the stub."}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        })  # fmt: skip

    def _stream(self, die: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = ["Hel", "lo", " there"]
        for i, piece in enumerate(pieces):
            if die and i == 1:
                self.wfile.flush()
                self.connection.close()
                return
            chunk = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0,
                     "model": "stub", "choices": [{"index": 0, "delta": {"content": piece},
                     "finish_reason": "stop" if i == len(pieces) - 1 else None}]}  # fmt: skip
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        totals = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}
        usage = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0,
                 "model": "stub", "choices": [], "usage": totals}  # fmt: skip
        self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())


@contextmanager
def stub_server(mode: str = "ok") -> Iterator[str]:
    """Serve the stub on a free port; yields its ``/v1`` base URL."""
    StubHandler.mode = mode
    StubHandler.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


class ScriptedServer:
    """An OpenAI-compatible server whose replies come from ``reply(last user message)``.

    For judges: the reply can follow from the request (a judge of its own), and the requests are
    kept, so cache hits show as calls that never happened.
    """

    def __init__(self, reply: Callable[[str], str], delay_s: float = 0.0) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.requests.append(body)
                if delay_s:
                    time.sleep(delay_s)  # lets concurrent callers overlap
                data = json.dumps({
                    "id": "chatcmpl-judge", "object": "chat.completion", "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {
                        "role": "assistant",
                        "content": outer.reply(body["messages"][-1]["content"])}}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                }).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_base = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@contextmanager
def scripted_server(reply: Callable[[str], str], delay_s: float = 0.0) -> Iterator[ScriptedServer]:
    """Serve a :class:`ScriptedServer` on a free port for the block."""
    scripted = ScriptedServer(reply, delay_s)
    thread = threading.Thread(target=scripted.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        scripted.server.shutdown()
        scripted.server.server_close()

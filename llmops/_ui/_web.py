"""The UI's web plumbing: templates and their filters, error pages, static files, headers."""

from __future__ import annotations

import functools
from collections.abc import Callable, MutableMapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from llmops._ui._data import BadRequest, NotFound

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

HERE = Path(__file__).parent
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
# No inline script or style anywhere: the waterfall's bars are SVG attributes, not style="".
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def fmt_ms(value: float | None) -> str:
    """A duration for people: ``850 µs``, ``12.4 ms``, ``3.21 s``, ``2m 05s``."""
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.0f} µs"
    if value < 1000:
        return f"{value:.1f} ms"
    if value < 60_000:
        return f"{value / 1000:.2f} s"
    minutes, seconds = divmod(int(value / 1000), 60)
    return f"{minutes}m {seconds:02d}s"


def fmt_usd(value: float | None) -> str:
    """A cost with enough digits for fractions of a cent."""
    if value is None:
        return "–"
    return f"${value:.2f}" if abs(value) >= 1 else f"${value:.6f}".rstrip("0").rstrip(".")


def fmt_num(value: float | None, digits: int = 4) -> str:
    """A number: integers with thousands separators, others to ``digits`` significant digits."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.{digits}g}"


def fmt_time(value: datetime | None) -> str:
    """A stored (UTC) timestamp to the second."""
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


class Renderer:
    """Jinja2 templates from the package folder, autoescaped, undefined names an error."""

    def __init__(self) -> None:
        import jinja2

        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(ms=fmt_ms, usd=fmt_usd, num=fmt_num, time=fmt_time)

    def page(self, name: str, *, status: int = 200, **context: Any) -> Response:
        """Render template ``name`` as an HTML response."""
        from starlette.responses import HTMLResponse

        return HTMLResponse(self.env.get_template(name).render(**context), status_code=status)

    def error(self, status: int, message: str) -> Response:
        """An error page: the status and what went wrong."""
        titles = {400: "Bad request", 404: "Not found", 503: "Store unavailable"}
        title = titles.get(status, "Error")
        return self.page("error.html", status=status, title=title, code=status, message=message)


def json_response(data: Any, status: int = 200) -> Response:
    """JSON via orjson (timestamps as ISO 8601, anything else unknown as text)."""
    from starlette.responses import Response

    body = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS)
    return Response(body, status_code=status, media_type="application/json")


Handler = Callable[["Request"], "Response"]


def _failure(exc: Exception) -> tuple[int, str] | None:
    """The status and message for an expected failure; ``None`` for a bug."""
    import duckdb

    from llmops._errors import StoreError

    if isinstance(exc, BadRequest):
        return 400, str(exc)
    if isinstance(exc, NotFound):
        return 404, str(exc)
    if isinstance(exc, OSError | duckdb.Error | StoreError):
        return 503, f"cannot read the store: {exc}"
    return None


def html_page(renderer: Renderer) -> Callable[[Handler], Handler]:
    """Turn ``BadRequest``/``NotFound``/store failures of a page handler into error pages."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def page(request: Request) -> Response:
            try:
                return handler(request)
            except Exception as exc:
                failure = _failure(exc)
                if failure is None:
                    raise
                return renderer.error(*failure)

        return page

    return wrap


def json_api(handler: Handler) -> Handler:
    """Like ``html_page``, with errors as ``{"error": message}``."""

    @functools.wraps(handler)
    def endpoint(request: Request) -> Response:
        try:
            return handler(request)
        except Exception as exc:
            failure = _failure(exc)
            if failure is None:
                raise
            return json_response({"error": failure[1]}, status=failure[0])

    return endpoint


def static_files() -> dict[str, tuple[bytes, str]]:
    """The static folder's files (a few KB), read once: name → (content, media type)."""
    files = {}
    for path in sorted((HERE / "static").iterdir()):
        if path.suffix in STATIC_TYPES:
            files[path.name] = (path.read_bytes(), STATIC_TYPES[path.suffix])
    return files


class SecurityHeaders:
    """ASGI middleware adding a strict Content-Security-Policy and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

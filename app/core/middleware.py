"""ASGI middleware every response passes through: the request id and access log, the body
size limit, the security headers and the queue of requests waiting for a turn. All plain
ASGI (no BaseHTTPMiddleware), so streamed bodies stay streamed."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import context
from app.core.errors import problem

REQUEST_ID_HEADER = "X-Request-ID"
access_log = logging.getLogger("articula.access")

# Pages load scripts and styles from /static only; htmx adds its indicator <style>, so
# inline styles are allowed (inline scripts are not). Swagger UI starts with one inline script.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = PAGE_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def too_large_detail(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"El cuerpo de la solicitud supera el límite de {size}."


class BodyLimit:
    """413 problem+json for a body over the limit: at once when Content-Length says so
    (nothing is read), else as soon as the streamed bytes pass it. Multipart uploads get
    their own, larger limit."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.max_upload if multipart else self.max_body
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status = 413 if declared.isdigit() else 400
            detail = too_large_detail(limit) if status == 413 else "Content-Length no válido."
            # The body stays unread, so this connection cannot carry another request.
            response = problem(
                status,
                detail,
                slug="too-large" if status == 413 else None,
                instance=scope["path"],
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, too_large_detail(limit), {"Connection": "close"})
            return message

        await self.app(scope, limited, send)


class Admission:
    """At most `limit` requests run at once; the others wait for a turn, first come first
    served, for up to `timeout_s` (then 503 problem+json with Retry-After).

    The requests of one process share one interpreter lock, so a hundred running at once
    share one core in slices: a cheap request and a costly one finish in proportion to their
    work, and a writer holding SQLite's lock gets a slice of the core while every other
    writer waits for it. In one line, each waits for those before it and then runs with the
    core to itself and a few others. A request with a declared body is received in full
    before it waits (the limits above have checked its size), so a slow client holds no
    turn. Event streams (`GET …/events`) are long and mostly idle: they do not queue."""

    def __init__(self, app: ASGIApp, *, limit: int, timeout_s: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout_s = timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._turns = asyncio.Semaphore(limit)

    def _line(self) -> asyncio.Semaphore:
        """The line of the running event loop: a server has one loop; an app called from one
        loop after another (as tests do) starts a new line in each."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._turns = loop, asyncio.Semaphore(self.limit)
        return self._turns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            scope["method"] == "GET" and scope["path"].endswith("/events")
        ):
            await self.app(scope, receive, send)
            return
        if Headers(scope=scope).get("content-length", "0") != "0":
            receive = await _received(receive)
        turns = self._line()
        try:
            await asyncio.wait_for(turns.acquire(), self.timeout_s)
        except TimeoutError:
            response = problem(
                503,
                "El servicio está atendiendo muchas solicitudes; vuelva a intentarlo en unos "
                "segundos.",
                slug="busy",
                instance=scope["path"],
                headers={"Retry-After": "5"},
                retryable=True,
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            turns.release()


async def _received(receive: Receive) -> Receive:
    """Receive the whole body now; the returned `receive` hands it over, then waits for
    the client to disconnect as the original would."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


class SecurityHeaders:
    """nosniff and a Referrer-Policy on every response; `Cache-Control: no-store` on
    everything but the static assets (API answers and pages carry personal data); a
    Content-Security-Policy and no framing for HTML."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not path.startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
                if headers.get("content-type", "").startswith("text/html"):
                    csp = DOCS_CSP if path == "/docs" else PAGE_CSP
                    headers.setdefault("Content-Security-Policy", csp)
                    headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestContext:
    """Opens the request's context (its id: the client's `X-Request-ID` when sane, else a
    new one), answers with the id in `X-Request-ID`, and logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = context.request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER))
        token = context.begin(request_id)
        ctx = context.current()
        started = time.perf_counter()
        status = 500

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        except BaseException:
            # The context stays open: the 500 handler, outside every middleware, puts the
            # id in its answer (the context dies with the request's task).
            self._log(scope, request_id, ctx, 500, started)
            raise
        self._log(scope, request_id, ctx, status, started)
        context.end(token)

    @staticmethod
    def _log(
        scope: Scope,
        request_id: str,
        ctx: context.RequestContext | None,
        status: int,
        started: float,
    ) -> None:
        actor = ctx.actor if ctx else None
        access_log.info(
            "%s %s %s",
            scope["method"],
            scope["path"],
            status,
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "actor": f"{actor.kind.value}:{actor.label}" if actor else None,
            },
        )

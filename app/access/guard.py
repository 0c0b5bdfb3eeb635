"""Authentication before the body: FastAPI reads and parses a request's body before it
resolves dependencies, so an API write from a client without a valid key would be read in
full before its 401. This middleware checks the key of every /api request that carries a
body first, and answers 401 (or 429) without reading any of it."""

from __future__ import annotations

import time

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.access.principal import Principal
from app.access.throttle import authenticate_key
from app.core.errors import DomainError, problem


def _has_body(headers: Headers) -> bool:
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


def _bearer(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class AuthenticateFirst:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _has_body(headers):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        client = scope.get("client")

        def check() -> Principal:
            with Session(state.engine) as session:
                return authenticate_key(
                    session=session,
                    token=_bearer(headers),
                    address=client[0] if client else "unknown",
                    failures=state.auth_failures,
                    now=time.monotonic(),
                )

        try:
            await run_in_threadpool(check)
        except DomainError as exc:
            # The body stays unread, so this connection cannot carry another request.
            response = problem(
                exc.status,
                exc.detail,
                slug=exc.slug,
                instance=scope["path"],
                headers=(exc.headers or {}) | {"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

"""Errors on pages are HTML: a 404 page, a 403 page, the explanation of a stale state (409)
with a link back, the login throttle's page (429); never a JSON body nor a stack trace.

The problem+json handlers of `app.core.errors` stay in charge of the API: each one is
wrapped, and a request outside the API paths gets the page instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import DomainError
from app.web.templating import is_htmx, render_page

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/docs", "/openapi.json", "/health", "/static/")
Handler = Callable[[Request, Exception], Awaitable[Response]]

_TEMPLATES = {
    403: "pages/errors/403.html",
    404: "pages/errors/404.html",
    409: "pages/errors/409.html",
    429: "pages/errors/429.html",
}
_GENERIC = {
    404: "La página solicitada no existe.",
    405: "Esta dirección no admite esa operación.",
    422: "Los datos enviados no son válidos; vuelva a la página y revise el formulario.",
    500: "Ocurrió un error inesperado; no se guardó ningún cambio.",
}


def is_page(request: Request) -> bool:
    path = request.url.path
    return path != "/api" and not path.startswith(API_PREFIXES)


def _back_link(request: Request) -> str:
    """The page the user came from (same site only), else the editions list."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/editions"


def error_page(request: Request, status: int, detail: str) -> Response:
    """The HTML page of an error (a redirect to the login page for a missing session)."""
    if status == 401:
        target = "/?next=" + quote(request.url.path)
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    response = render_page(
        request,
        _TEMPLATES.get(status, "pages/errors/error.html"),
        status_code=status,
        partial=is_htmx(request),  # an HTMX request gets the page's main area only
        title={403: "Prohibido", 404: "Página no encontrada", 409: "Acción no disponible"}.get(
            status, "Error"
        ),
        status=status,
        detail=detail,
        back=_back_link(request),
    )
    if is_htmx(request):  # whatever the request aimed at, the explanation replaces the page
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _page_or(original: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await original(request, exc)
        if isinstance(exc, DomainError):
            response = error_page(request, exc.status, exc.detail)
            response.headers.update(exc.headers or {})
            return response
        if isinstance(exc, StarletteHTTPException):
            detail = exc.detail if isinstance(exc.detail, str) else ""
            return error_page(
                request,
                exc.status_code,
                _GENERIC.get(exc.status_code, detail) if detail in ("", "Not Found") else detail,
            )
        if isinstance(exc, RequestValidationError):
            if request.method in ("GET", "HEAD"):  # a malformed page address
                return error_page(request, 404, _GENERIC[404])
            return error_page(request, 422, _GENERIC[422])
        if isinstance(exc, IntegrityError):
            return error_page(
                request, 409, "La operación entra en conflicto con datos ya registrados."
            )
        log.exception("unexpected error on page %s", request.url.path)
        return error_page(request, 500, _GENERIC[500])

    return handler


def install_page_errors(app: FastAPI) -> None:
    """Wrap the API's handlers (installed first) so pages get HTML."""
    for exc_class in (
        DomainError,
        RequestValidationError,
        StarletteHTTPException,
        IntegrityError,
        Exception,
    ):
        original = app.exception_handlers[exc_class]
        app.add_exception_handler(exc_class, _page_or(original))

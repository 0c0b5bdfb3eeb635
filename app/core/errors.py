"""Domain errors carry their HTTP status; one set of handlers renders every error as
RFC 9457 problem+json. Titles and details are Spanish: regions and ministries read them."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import context
from app.core.conflicts import RETRY_AFTER_S, describe, is_transient

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Solicitud incorrecta",
    401: "No autenticado",
    403: "Prohibido",
    404: "No encontrado",
    405: "Método no permitido",
    409: "Conflicto",
    413: "Contenido demasiado grande",
    415: "Tipo de contenido no admitido",
    422: "Datos no válidos",
    429: "Demasiadas solicitudes",
    500: "Error interno",
}


# The errors any route under /api can answer (the OpenAPI document lists them all).
API_PROBLEMS = {
    401: "Missing, invalid or revoked API key",
    404: "Not found, or not the caller's to see (both answer the same)",
    409: "Conflicts with the current state (status, window, an earlier request); `retryable` "
    "says whether the same request may succeed later (then also `Retry-After`)",
    413: "The request body exceeds the size limit (nothing was read past it)",
    422: "Malformed or semantically invalid input (`errors` lists the fields)",
    429: "Too many failed authentications from this address: wait `Retry-After` seconds",
    500: "Unexpected error: nothing was stored",
}


class FieldError(BaseModel):
    loc: list[str]
    msg: str
    type: str


class RowError(BaseModel):
    """A rejected row of an uploaded spreadsheet (row 0: the file itself)."""

    row: int
    column: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem (application/problem+json); the extensions depend on the error."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="https://articula.pe/problems/<slug> or about:blank")
    title: str
    status: int
    detail: str = Field(description="What went wrong, in Spanish")
    instance: str | None = Field(
        default=None,
        description="The request's path and its id (`/api/x#request=<X-Request-ID>`)",
    )
    errors: list[FieldError | RowError] | None = Field(
        default=None, description="422: the invalid fields, or an upload's rejected rows"
    )


class DomainError(Exception):
    """Base of every expected error; subclasses fix the status and a problem type slug."""

    status: int = 400
    slug: str = "bad-request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    status, slug = 404, "not-found"


class Conflict(DomainError):
    """A conflict with the current state; `retryable` (a problem member) says whether the same
    request may succeed later without anything else changing first."""

    status, slug = 409, "conflict"

    def __init__(self, detail: str, *, retryable: bool = False, **extensions: Any) -> None:
        super().__init__(detail, retryable=retryable, **extensions)


class Unauthorized(DomainError):
    status, slug = 401, "unauthorized"


class TooManyRequests(DomainError):
    """Too many failed attempts: the client waits `retry_after` seconds (Retry-After)."""

    status, slug = 429, "too-many-attempts"

    def __init__(self, detail: str, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.retry_after = max(1, retry_after)
        self.headers = {"Retry-After": str(self.retry_after)}


class Invalid(DomainError):
    """Semantically invalid input that passed schema validation (still a 422)."""

    status, slug = 422, "invalid"


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **ext: Any,
) -> JSONResponse:
    """A problem+json answer; in a request, `instance` is the path with `#request=<id>` and
    the id is also in the `X-Request-ID` header."""
    body: dict[str, Any] = {
        "type": f"https://articula.pe/problems/{slug}" if slug else "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    request_id = context.request_id()
    if instance:
        body["instance"] = f"{instance}#request={request_id}" if request_id else instance
    body.update(ext)
    headers = dict(headers or {})
    if request_id:
        headers.setdefault("X-Request-ID", request_id)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        out.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(
            exc.status,
            exc.detail,
            slug=exc.slug,
            instance=request.url.path,
            headers=exc.headers,
            **exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(
            422,
            "La solicitud no es válida: revise los campos indicados en 'errors'.",
            slug="validation",
            instance=request.url.path,
            errors=_jsonable_errors(exc.errors()),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "El recurso solicitado no existe."
        if exc.status_code == 405:
            detail = "Método no permitido para este recurso."
        return problem(exc.status_code, detail, instance=request.url.path, headers=exc.headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error on %s: %s", request.url.path, exc.orig)
        return _db_conflict(request, exc)

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        if is_transient(exc):
            log.info("lost race on %s: %s", request.url.path, exc.orig)
            return _db_conflict(request, exc)
        return _unexpected_error(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _unexpected_error(request)


def _db_conflict(request: Request, exc: IntegrityError | OperationalError) -> JSONResponse:
    """A 409 naming what conflicted, with `retryable` (and `Retry-After` when it is true)."""
    conflict = describe(exc)
    return problem(
        409,
        conflict.detail,
        slug="conflict",
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_S)} if conflict.retryable else None,
        retryable=conflict.retryable,
    )


def _unexpected_error(request: Request) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path)
    # The server closes the connection after an unhandled error: say so, so a keep-alive
    # client opens a new one instead of having its next request reset.
    return problem(
        500,
        "Ocurrió un error inesperado; no se guardó ningún cambio.",
        instance=request.url.path,
        headers={"Connection": "close", "X-Content-Type-Options": "nosniff"},
    )


LOCAL_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"


def _declare_local_times(node: Any) -> None:
    """Times of day are local to the edition's time zone and carry no offset: declare them
    as RFC 3339 `partial-time` with its pattern (JSON Schema's `time` requires an offset)."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            node["format"] = "partial-time"
            node["pattern"] = LOCAL_TIME_PATTERN
        for value in node.values():
            _declare_local_times(value)
    elif isinstance(node, list):
        for value in node:
            _declare_local_times(value)


def install_problem_docs(app: FastAPI) -> None:
    """Document the problem responses in the OpenAPI schema: every /api operation lists
    API_PROBLEMS (and keeps the ones its route declares) as application/problem+json, in
    place of FastAPI's default 422 shape, which this service never sends."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["Problem"] = problem_schema
        content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                wanted = dict(API_PROBLEMS) if path.startswith("/api") else {}
                for status, response in responses.items():
                    if status.isdigit() and int(status) >= 400:
                        wanted[int(status)] = response.get("description", "")
                for status, description in wanted.items():
                    responses[str(status)] = {"description": description, "content": content}
        _declare_local_times(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

"""FastAPI dependencies: the `Authorization: Bearer <token>` header resolved to a Principal."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from app.access.idempotency import REPLAYED_HEADER, Outcome
from app.access.principal import Principal
from app.access.throttle import authenticate_key
from app.core import context
from app.core.context import Actor, ActorKind
from app.core.db import SessionDep
from app.core.errors import NotFound

_bearer = HTTPBearer(auto_error=False, description="API key issued by the SD team")


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: see the README)."""
    return request.client.host if request.client else "unknown"


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """401 unless the request carries a valid, unrevoked API key; 429 while the client's
    address is throttled for failed keys. The key is the request's actor (audit, logs)."""
    principal = authenticate_key(
        session=session,
        token=credentials.credentials if credentials else None,
        address=client_address(request),
        failures=request.app.state.auth_failures,
        now=time.monotonic(),
    )
    context.set_actor(
        Actor(ActorKind.api_key, principal.key_id, principal.name, principal.role.value)
    )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_sd(principal: CurrentPrincipal) -> Principal:
    """SD-only routes look like routes that do not exist to every other role."""
    if not principal.is_sd:
        raise NotFound("El recurso solicitado no existe.")
    return principal


SdAdmin = Annotated[Principal, Depends(require_sd)]


# --------------------------------------------------------------------------- idempotent writes

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Makes the write safe to retry: a repeat with the same key and body "
        "replays the first answer (200, Idempotency-Replayed: true)",
    ),
]


def idempotent_responses(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of a replay (200), beside the route's own 201."""
    return {
        200: {
            "model": model,
            "description": "Replay of an Idempotency-Key: the stored answer; nothing is written",
            "headers": {
                REPLAYED_HEADER: {
                    "description": "Always `true`: this answer is a replay",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
        }
    }


def idempotent_response(outcome: Outcome, *, status_code: int = 201) -> JSONResponse:
    """A write's answer: `status_code` when it wrote, 200 and the replay header when not."""
    if outcome.replayed:
        return JSONResponse(outcome.body, status_code=200, headers={REPLAYED_HEADER: "true"})
    return JSONResponse(outcome.body, status_code=status_code)

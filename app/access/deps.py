"""Who is calling: the `Authorization: Bearer <token>` header resolved to a Principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.access.models import Role
from app.access.service import find_active_key
from app.core.db import SessionDep
from app.core.errors import NotFound, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="API key issued by the SD team")


@dataclass(frozen=True)
class Principal:
    key_id: int
    role: Role
    name: str
    delegation_id: int | None = None
    sector_id: int | None = None

    @property
    def is_sd(self) -> bool:
        return self.role == Role.sd_admin

    @property
    def is_delegation(self) -> bool:
        return self.role == Role.delegation

    @property
    def is_sector(self) -> bool:
        return self.role == Role.sector

    @property
    def is_rapporteur(self) -> bool:
        return self.role == Role.rapporteur


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """401 unless the request carries a valid, unrevoked API key."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("Falta la clave de acceso (cabecera Authorization: Bearer <clave>).")
    key = find_active_key(session=session, token=credentials.credentials)
    if key is None or key.id is None:
        raise Unauthorized("La clave de acceso no es válida o fue revocada.")
    return Principal(
        key_id=key.id,
        role=Role(key.role),
        name=key.name,
        delegation_id=key.delegation_id,
        sector_id=key.sector_id,
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_sd(principal: CurrentPrincipal) -> Principal:
    """SD-only routes look like routes that do not exist to every other role."""
    if not principal.is_sd:
        raise NotFound("El recurso solicitado no existe.")
    return principal


SdAdmin = Annotated[Principal, Depends(require_sd)]

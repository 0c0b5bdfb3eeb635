"""/api/keys (SD only) and /api/me."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.access import service
from app.access.deps import CurrentPrincipal, SdAdmin
from app.access.models import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, PrincipalPublic
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.core.types import DbId

router = APIRouter(prefix="/api", tags=["access"])


@router.get("/me", response_model=PrincipalPublic)
def read_me(principal: CurrentPrincipal) -> PrincipalPublic:
    """The caller's own identity and role, with the code of its delegation or sector."""
    return PrincipalPublic.model_validate(principal, from_attributes=True)


@router.post("/keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_key(key_in: ApiKeyCreate, session: SessionDep, _: SdAdmin) -> ApiKeyCreated:
    """Issue a key; the token is in this response only."""
    return service.issue_key(session=session, key_in=key_in)


@router.get("/keys", response_model=Page[ApiKeyPublic])
def list_keys(session: SessionDep, page: PaginationDep, _: SdAdmin) -> Page:
    """Every key (without hashes), newest first."""
    return service.list_keys(session=session, page=page)


@router.post("/keys/{key_id}/revoke", response_model=ApiKeyPublic)
def revoke_key(key_id: DbId, session: SessionDep, _: SdAdmin) -> object:
    """Revoke a key at once."""
    return service.revoke_key(session=session, key_id=key_id)

"""API key service: keys are random tokens of which only the SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlmodel import Session, func, select

from app.access.models import ApiKey, ApiKeyCreate, ApiKeyCreated, Role
from app.access.principal import Principal
from app.core import clock
from app.core.errors import Invalid, NotFound
from app.core.pagination import Page, Pagination

PREFIX_LENGTH = 8

# The catalogue tables a key belongs to, named as the keys' foreign keys name them: access
# sits below the editions package and reads only their ids and codes.
DELEGATION = sa.table("delegation", sa.column("id"), sa.column("code"))
SECTOR = sa.table("sector", sa.column("id"), sa.column("code"))


def _code(session: Session, table: sa.TableClause, row_id: int) -> str | None:
    """The code of a delegation or sector (None if there is no such row)."""
    return session.execute(sa.select(table.c.code).where(table.c.id == row_id)).scalar()


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (tokens are 256-bit random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(
    *,
    session: Session,
    role: Role | str,
    name: str,
    delegation_id: int | None = None,
    sector_id: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext token (the only time it is visible)."""
    key_in = ApiKeyCreate(
        role=Role(role), name=name, delegation_id=delegation_id, sector_id=sector_id
    )
    if delegation_id is not None and _code(session, DELEGATION, delegation_id) is None:
        raise Invalid(f"No existe la delegación {delegation_id}.")
    if sector_id is not None and _code(session, SECTOR, sector_id) is None:
        raise Invalid(f"No existe el sector {sector_id}.")
    token = secrets.token_urlsafe(32)
    key = ApiKey.model_validate(
        key_in, update={"key_prefix": token[:PREFIX_LENGTH], "key_hash": hash_token(token)}
    )
    session.add(key)
    session.flush()
    return key, token


def issue_key(*, session: Session, key_in: ApiKeyCreate) -> ApiKeyCreated:
    """Create a key from the API's request; the answer carries the token, shown only once."""
    key, token = create_key(session=session, **key_in.model_dump())
    return ApiKeyCreated.model_validate(key, update={"token": token})


def find_principal(*, session: Session, token: str) -> Principal | None:
    """Who holds this token (an unrevoked key), with the codes of its delegation or sector."""
    row = session.execute(
        sa.select(ApiKey, DELEGATION.c.code, SECTOR.c.code)
        .outerjoin(DELEGATION, DELEGATION.c.id == ApiKey.delegation_id)
        .outerjoin(SECTOR, SECTOR.c.id == ApiKey.sector_id)
        .where(ApiKey.key_hash == hash_token(token), ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
    ).first()
    if row is None:
        return None
    key, delegation_code, sector_code = row
    return Principal(
        key_id=key.id,
        role=Role(key.role),
        name=key.name,
        delegation_id=key.delegation_id,
        sector_id=key.sector_id,
        delegation_code=delegation_code,
        sector_code=sector_code,
    )


def list_keys(*, session: Session, page: Pagination, include_revoked: bool = True) -> Page[ApiKey]:
    """Keys, newest first (never their hashes)."""
    query = select(ApiKey)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(
        query.order_by(ApiKey.id.desc()).limit(page.limit).offset(page.offset)  # type: ignore[union-attr]
    ).all()
    return Page(items=list(items), total=total, limit=page.limit, offset=page.offset)


def revoke_key(*, session: Session, key_id: int) -> ApiKey:
    """Revoke a key (idempotent: revoking twice keeps the first date)."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No existe la clave {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        session.add(key)
        session.flush()
    return key

"""API keys: who may call the service, and in which role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import ConfigDict, model_validator
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.types import INT32_MAX, UTCDateTime, utcnow


class Role(StrEnum):
    sd_admin = "sd_admin"  # the SD articulation team (PCM)
    delegation = "delegation"  # a regional government or municipality
    sector = "sector"  # a ministry or autonomous body
    rapporteur = "rapporteur"  # relator: writes down the agreements of each bilateral


class ApiKeyBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    role: Role = Field(sa_type=String(20))
    delegation_id: int | None = Field(
        default=None, foreign_key="delegation.id", index=True, ge=1, le=INT32_MAX
    )
    sector_id: int | None = Field(
        default=None, foreign_key="sector.id", index=True, ge=1, le=INT32_MAX
    )


class ApiKey(ApiKeyBase, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    key_prefix: str = Field(max_length=12, index=True)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IdempotencyRecord(SQLModel, table=True):
    """A stored response for an `Idempotency-Key`, per principal (API key)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("principal_key", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal_key: str = Field(max_length=64)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    response_status: int
    response_body: dict[str, Any] = Field(sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ApiKeyCreate(ApiKeyBase):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _owner_matches_role(self) -> ApiKeyCreate:
        if self.role == Role.delegation and (self.delegation_id is None or self.sector_id):
            raise ValueError("a delegation key needs delegation_id and no sector_id")
        if self.role == Role.sector and (self.sector_id is None or self.delegation_id):
            raise ValueError("a sector key needs sector_id and no delegation_id")
        if self.role in (Role.sd_admin, Role.rapporteur) and (self.delegation_id or self.sector_id):
            raise ValueError("sd_admin and rapporteur keys belong to no delegation or sector")
        return self


class ApiKeyPublic(ApiKeyBase):
    id: int
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    token: str  # shown once: only its hash is stored


class PrincipalPublic(SQLModel):
    key_id: int
    role: Role
    name: str
    delegation_id: int | None
    sector_id: int | None
    delegation_code: str | None = Field(
        description="The delegation the key acts for, as the routes name it (e.g. CUS)"
    )
    sector_code: str | None = Field(
        description="The sector the key acts for, as the routes name it (e.g. MINSA)"
    )


# --------------------------------------------------------------------------- user accounts


class User(SQLModel, table=True):
    """A person who logs in to the web pages; role and scope exactly like an API key.

    Each account owns an identity key (`key_id`, an ApiKey row whose token was never
    shown), so everything recorded under a principal's key id (reviews, rapporteur
    assignments, commitment events) works the same for people and machines.
    `session_epoch` is part of every session cookie: raising it ends those sessions.
    """

    __tablename__ = "user_account"  # "user" is a reserved word in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(min_length=1, max_length=120)
    role: Role = Field(sa_type=String(20))
    delegation_id: int | None = Field(default=None, foreign_key="delegation.id", index=True)
    sector_id: int | None = Field(default=None, foreign_key="sector.id", index=True)
    key_id: int = Field(foreign_key="api_key.id", unique=True)
    password_hash: str = Field(max_length=255)
    session_epoch: int = Field(default=0, ge=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """One failed login, kept for the throttle window (per account and per address)."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)

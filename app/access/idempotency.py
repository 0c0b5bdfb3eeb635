"""Idempotent writes: an `Idempotency-Key` header makes a write safe to retry.

Per caller (API key): the first request with a key runs the write and stores its response;
a repeat with the same key and the same request (scope and body) replays the stored body
without writing anything, even after the window that allowed the write closed (the API
answers it 200 with `Idempotency-Replayed: true`, where the first answer was a 201); the
same key with another request is a 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from app.access.models import IdempotencyRecord
from app.access.principal import Principal
from app.core.errors import Conflict

REPLAYED_HEADER = "Idempotency-Replayed"
KEY_REUSED = (
    "La clave Idempotency-Key ya se usó con otro contenido; use una clave nueva para un envío "
    "distinto."
)


@dataclass(frozen=True)
class Outcome:
    """A write's response body, and whether it is the stored one of an earlier request."""

    body: dict[str, Any]
    replayed: bool


def request_hash(*, scope: str, payload: Any) -> str:
    """A stable hash of what was asked: the scope (e.g. the path) and the canonical JSON body."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{scope}\n{canonical}".encode()).hexdigest()


def run_once(
    *,
    session: Session,
    principal: Principal,
    key: str | None,
    scope: str,
    payload: Any,
    write: Callable[[], BaseModel],
    now: dt.datetime,
    status: int = 201,
) -> Outcome:
    """Run `write` unless this caller already sent this key: then replay its response (409
    if the key came with another request). Without a key, just write."""
    if key is None:
        return Outcome(body=write().model_dump(mode="json"), replayed=False)
    digest = request_hash(scope=scope, payload=payload)
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal_key == str(principal.key_id),
            IdempotencyRecord.key == key,
        )
    ).first()
    if record is not None:
        if record.request_hash != digest:
            raise Conflict(KEY_REUSED)
        return Outcome(body=record.response_body, replayed=True)
    body = write().model_dump(mode="json")
    session.add(
        IdempotencyRecord(
            principal_key=str(principal.key_id),
            key=key,
            request_hash=digest,
            response_status=status,
            response_body=body,
            created_at=now,
        )
    )
    session.flush()
    return Outcome(body=body, replayed=False)

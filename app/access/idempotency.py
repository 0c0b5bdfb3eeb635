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


@dataclass(frozen=True)
class IdempotentRequest:
    """A write sent with an `Idempotency-Key`: who sent it, the key and what was asked.

    A write looks for the stored answer first (`stored`); when there is none it writes and
    stores its answer in the same transaction (`remember`). A write that validates before
    taking its lock looks again once it holds the lock: a retry with the same key may have
    been stored meanwhile."""

    principal_key: str
    key: str
    digest: str

    @classmethod
    def of(
        cls, *, principal: Principal, key: str | None, scope: str, body: BaseModel
    ) -> IdempotentRequest | None:
        """The request, or None when no key was sent (the write is then not idempotent, and
        its body is not hashed)."""
        if key is None:
            return None
        return cls(
            principal_key=str(principal.key_id),
            key=key,
            digest=request_hash(scope=scope, payload=body.model_dump(mode="json")),
        )

    def stored(self, session: Session) -> Outcome | None:
        """The stored answer to this key, if any; 409 if the key came with another request."""
        record = session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal_key == self.principal_key,
                IdempotencyRecord.key == self.key,
            )
        ).first()
        if record is None:
            return None
        if record.request_hash != self.digest:
            raise Conflict(KEY_REUSED)
        return Outcome(body=record.response_body, replayed=True)

    def remember(
        self, session: Session, *, body: dict[str, Any], now: dt.datetime, status: int = 201
    ) -> None:
        """Store the answer, to replay it to a repeat of this request."""
        session.add(
            IdempotencyRecord(
                principal_key=self.principal_key,
                key=self.key,
                request_hash=self.digest,
                response_status=status,
                response_body=body,
                created_at=now,
            )
        )
        session.flush()

"""The delivery log (SD only): every e-mail of an edition with its attempts."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

import app.mail.tasks  # noqa: F401  (registers the dispatch_outbox periodic job)
from app.access.deps import SdAdmin
from app.core.db import SessionDep
from app.editions.service import get_edition_or_404
from app.mail.models import (
    DeliveryLog,
    DeliveryLogPublic,
    DeliveryPublic,
    MessageStatus,
    OutboxAttachment,
    OutboxMessage,
)

router = APIRouter(prefix="/api/editions/{edition_id}/deliveries", tags=["delivery"])


@router.get("", response_model=list[DeliveryPublic])
def list_deliveries(
    edition_id: int,
    session: SessionDep,
    principal: SdAdmin,
    status: MessageStatus | None = None,
    party: Annotated[
        str | None, Query(max_length=16, description="Sector or delegation code")
    ] = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> list[DeliveryPublic]:
    """The edition's e-mails (newest first) with status, attempts, errors and their log."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    query = select(OutboxMessage).where(OutboxMessage.edition_id == edition.id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if party is not None:
        query = query.where(OutboxMessage.party_code == party)
    if version is not None:
        query = query.where(OutboxMessage.agenda_version == version)
    messages = session.exec(query.order_by(col(OutboxMessage.id).desc())).all()
    ids = [m.id for m in messages]
    files: dict[int, list[str]] = defaultdict(list)
    for message_id, filename in session.exec(
        select(OutboxAttachment.message_id, OutboxAttachment.filename)
        .where(col(OutboxAttachment.message_id).in_(ids))
        .order_by(col(OutboxAttachment.id))
    ):
        files[message_id].append(filename)
    logs: dict[int, list[DeliveryLogPublic]] = defaultdict(list)
    for entry in session.exec(
        select(DeliveryLog)
        .where(col(DeliveryLog.message_id).in_(ids))
        .order_by(col(DeliveryLog.id))
    ):
        logs[entry.message_id].append(DeliveryLogPublic.model_validate(entry, from_attributes=True))
    return [
        DeliveryPublic(
            id=m.id,  # type: ignore[arg-type]
            kind=m.kind,
            party_kind=m.party_kind,
            party_code=m.party_code,
            agenda_version=m.agenda_version,
            to=m.to_addrs,
            subject=m.subject,
            status=m.status,
            attempts=m.attempts,
            last_error=m.last_error,
            due_at=m.due_at,
            next_attempt_at=m.next_attempt_at,
            sent_at=m.sent_at,
            message_id=m.message_id,
            attachments=files[m.id or 0],
            log=logs[m.id or 0],
        )
        for m in messages
    ]

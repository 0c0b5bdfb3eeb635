"""The delivery log (SD only): every e-mail of an edition with its attempts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

import app.mail.tasks  # noqa: F401  (registers the dispatch_outbox periodic job)
from app.access.deps import SdAdmin
from app.core import clock
from app.core.db import SessionDep
from app.core.types import DbId
from app.editions.deps import EditionDep
from app.mail import requeue, service
from app.mail.models import DeliveryPublic, MessageStatus, ReleasedPublic

router = APIRouter(prefix="/api/editions/{edition_id}/deliveries", tags=["delivery"])


@router.get("", response_model=list[DeliveryPublic])
def list_deliveries(
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
    status: MessageStatus | None = None,
    party: Annotated[
        str | None, Query(max_length=16, description="Sector or delegation code")
    ] = None,
    version: DbId | None = None,
) -> list[DeliveryPublic]:
    """The edition's e-mails (newest first) with status, attempts, errors and their log."""
    return service.list_deliveries(
        session=session, edition_id=edition.id, status=status, party=party, version=version
    )


MESSAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such message in this edition"},
    409: {"description": "The message's status does not allow it"},
}


@router.post("/{message_id}/send-now", response_model=DeliveryPublic, responses=MESSAGE_ERRORS)
def send_now(
    message_id: int, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> DeliveryPublic:
    """A queued message (waiting for its window or a retry) becomes due now; the dispatcher
    runs once this request commits."""
    return requeue.send_now(
        session=session,
        edition_id=edition.id,
        message_id=message_id,
        actor=principal.name,
        now=clock.now(),
    )


@router.post(
    "/{message_id}/resend", status_code=201, response_model=DeliveryPublic, responses=MESSAGE_ERRORS
)
def resend(
    message_id: int,
    request: Request,
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
) -> DeliveryPublic:
    """A failed, sent or stuck message is queued again as a new message (new Message-ID),
    due now; returns the new message. Only the newest message of a party (409 otherwise)."""
    return requeue.resend(
        session=session,
        edition_id=edition.id,
        message_id=message_id,
        actor=principal.name,
        now=clock.now(),
        settings=request.app.state.settings,
    )


@router.post("/release", response_model=ReleasedPublic)
def release_held(session: SessionDep, principal: SdAdmin, edition: EditionDep) -> ReleasedPublic:
    """Return the edition's held e-mails (queued when the restored backup was taken) to the
    queue; they are sent at the next dispatch."""
    return ReleasedPublic(
        released=service.release_held(session=session, now=clock.now(), edition_id=edition.id)
    )

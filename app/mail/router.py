"""The delivery log (SD only): every e-mail of an edition with its attempts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

import app.mail.tasks  # noqa: F401  (registers the dispatch_outbox periodic job)
from app.access.deps import SdAdmin
from app.core import clock
from app.core.db import SessionDep
from app.editions.deps import EditionDep
from app.mail import service
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
    version: Annotated[int | None, Query(ge=1)] = None,
) -> list[DeliveryPublic]:
    """The edition's e-mails (newest first) with status, attempts, errors and their log."""
    return service.list_deliveries(
        session=session, edition_id=edition.id, status=status, party=party, version=version
    )


@router.post("/release", response_model=ReleasedPublic)
def release_held(session: SessionDep, principal: SdAdmin, edition: EditionDep) -> ReleasedPublic:
    """Return the edition's held e-mails (queued when the restored backup was taken) to the
    queue; they are sent at the next dispatch."""
    return ReleasedPublic(
        released=service.release_held(session=session, now=clock.now(), edition_id=edition.id)
    )

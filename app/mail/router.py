"""The delivery log (SD only): every e-mail of an edition with its attempts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

import app.mail.tasks  # noqa: F401  (registers the dispatch_outbox periodic job)
from app.access.deps import SdAdmin
from app.core.db import SessionDep
from app.core.types import DbId
from app.editions.deps import EditionDep
from app.mail import service
from app.mail.models import DeliveryPublic, MessageStatus

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

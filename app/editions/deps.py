"""`EditionDep`: the edition in the path, if the caller may see it (else 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.access.deps import CurrentPrincipal
from app.core.db import SessionDep
from app.core.types import DbId
from app.editions.models import Edition
from app.editions.service import get_edition_or_404


def _edition(edition_id: DbId, session: SessionDep, principal: CurrentPrincipal) -> Edition:
    return get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


EditionDep = Annotated[Edition, Depends(_edition)]

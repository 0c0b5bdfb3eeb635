"""Manual adjustments of a run (SD only): move one meeting, checked against the hard rules."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from app.access.deps import SdAdmin
from app.core import clock
from app.core.db import SessionDep
from app.editions.deps import EditionDep
from app.scheduling import adjust
from app.scheduling.runs import render_run
from app.scheduling.schemas import MoveIn, MoveOutcome

router = APIRouter(prefix="/api/editions/{edition_id}/runs", tags=["scheduling"])


@router.post("/{run_id}/moves", response_model=MoveOutcome)
def move_meeting(
    run_id: int, body: MoveIn, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> MoveOutcome:
    """Move a meeting of a succeeded run to a day, start time (local, HH:MM) and room.
    `dry_run` only checks (200 with `legal` and the conflicts); otherwise a legal move is
    saved as a new manual run derived from this one, and an illegal one answers 409."""
    target = adjust.MoveTarget(
        request_id=body.request_id,
        day=body.day,
        start=dt.time.fromisoformat(body.start),
        room_id=body.room_id,
    )
    if body.dry_run:
        check = adjust.check_move(session=session, edition=edition, run_id=run_id, target=target)
        return MoveOutcome(legal=check.legal, conflicts=check.conflicts, run=None)
    run = adjust.apply_move(
        session=session,
        edition=edition,
        run_id=run_id,
        target=target,
        created_by=f"key:{principal.key_id}",
        now=clock.now(),
    )
    return MoveOutcome(legal=True, conflicts=[], run=render_run(run))

"""Solve runs (SD only): start, list, follow (JSON or Server-Sent Events), read, compare,
cancel. The solve itself runs as a background job (app.core.jobs), never in the request."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.access.deps import SdAdmin
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.editions.service import get_edition_or_404
from app.scheduling import runs
from app.scheduling.models import ACTIVE_RUN_STATUSES, SolveRun
from app.scheduling.runs import (
    RunComparison,
    RunMeetingPublic,
    RunOptionsIn,
    SolveRunPublic,
)

router = APIRouter(prefix="/api/editions/{edition_id}/runs", tags=["scheduling"])

SSE_POLL_S = 0.5
SSE_MAX_S = 4 * 3600.0


@router.post("", status_code=202, response_model=SolveRunPublic)
def start_run(
    edition_id: int, body: RunOptionsIn, request: Request, session: SessionDep, principal: SdAdmin
) -> SolveRunPublic:
    """Queue a solve run (plan, or replan from the published schedule); 409 if the edition
    is not being scheduled or a run is already queued or running."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    run = runs.start_run(
        session=session,
        edition=edition,
        run_in=body,
        created_by=f"key:{principal.key_id}",
        settings=request.app.state.settings,
    )
    return runs.render_run(run)


@router.get("", response_model=Page[SolveRunPublic])
def list_runs(
    edition_id: int, session: SessionDep, principal: SdAdmin, page: PaginationDep
) -> Page[SolveRunPublic]:
    """The edition's runs, newest first."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    return runs.list_runs(session=session, edition=edition, limit=page.limit, offset=page.offset)


@router.get("/{run_id}", response_model=SolveRunPublic)
def get_run(
    edition_id: int, run_id: int, session: SessionDep, principal: SdAdmin
) -> SolveRunPublic:
    """A run: status, progress so far, result summary."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    return runs.render_run(runs.get_run(session=session, edition=edition, run_id=run_id))


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


@router.get(
    "/{run_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def run_events(
    edition_id: int, run_id: int, request: Request, session: SessionDep, principal: SdAdmin
) -> StreamingResponse:
    """Server-Sent Events: one `progress` event per progress point, then `done`."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    runs.get_run(session=session, edition=edition, run_id=run_id)
    engine = request.app.state.engine

    def stream() -> Iterator[str]:
        sent = 0
        deadline = time.monotonic() + SSE_MAX_S
        while True:
            with Session(engine) as s:
                run = s.get(SolveRun, run_id)
                if run is None:
                    yield _sse("done", {"status": "deleted"})
                    return
                points, status = list(run.progress), run.status
            for point in points[sent:]:
                yield _sse("progress", point)
            sent = max(sent, len(points))
            if status not in ACTIVE_RUN_STATUSES or time.monotonic() > deadline:
                yield _sse("done", {"status": status, "run_id": run_id})
                return
            time.sleep(SSE_POLL_S)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{run_id}/meetings", response_model=list[RunMeetingPublic])
def run_meetings(
    edition_id: int, run_id: int, session: SessionDep, principal: SdAdmin
) -> list[RunMeetingPublic]:
    """The meetings the run planned (empty unless it succeeded), by start then room."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    run = runs.get_run(session=session, edition=edition, run_id=run_id)
    return runs.render_meetings(
        session=session, meetings=runs.run_meetings(session=session, run=run)
    )


@router.get("/{run_id}/compare/{other_run_id}", response_model=RunComparison)
def compare_runs(
    edition_id: int, run_id: int, other_run_id: int, session: SessionDep, principal: SdAdmin
) -> RunComparison:
    """From this run to the other: meetings added, dropped, moved; scores side by side."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    run = runs.get_run(session=session, edition=edition, run_id=run_id)
    other = runs.get_run(session=session, edition=edition, run_id=other_run_id)
    return runs.compare_runs(session=session, run=run, other=other)


@router.post("/{run_id}/cancel", response_model=SolveRunPublic)
def cancel_run(
    edition_id: int, run_id: int, session: SessionDep, principal: SdAdmin
) -> SolveRunPublic:
    """Cancel a queued run, or ask a running one to stop (best effort)."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    run = runs.get_run(session=session, edition=edition, run_id=run_id)
    return runs.render_run(runs.cancel_run(session=session, run=run))
